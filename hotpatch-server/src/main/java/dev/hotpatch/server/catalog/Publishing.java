package dev.hotpatch.server.catalog;

import dev.hotpatch.format.ClassPatch;
import dev.hotpatch.format.Classification;
import dev.hotpatch.format.HotpatchPackage;
import dev.hotpatch.format.PackageException;
import dev.hotpatch.format.PackageManifest;
import dev.hotpatch.format.RebootBehavior;
import dev.hotpatch.format.ReleaseDescriptor;
import dev.hotpatch.format.TrustStore;
import dev.hotpatch.server.ServerException;
import dev.hotpatch.server.release.ReleaseCalendar;
import dev.hotpatch.server.store.Blobs;
import dev.hotpatch.server.store.Database;
import dev.hotpatch.server.store.Ids;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.regex.Pattern;
import org.jdbi.v3.core.Handle;

/**
 * Adds baselines and updates to the catalog. Everything is checked before anything is written
 * (jar contents, package signature against the trusted publishers, the class hashes a hotpatch
 * expects, the release calendar), and then written in one transaction, so a refused publish
 * leaves the catalog as it was. Thread-safe.
 */
public final class Publishing {
    private static final Pattern KB = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final Pattern CVE = Pattern.compile("CVE-\\d{4}-\\d{4,}");

    private final Database db;
    private final Catalog catalog;
    private final Blobs blobs;
    private final Clock clock;
    private final Path trustDir;
    private final ReleaseSignatures signatures;
    /** Media type of stored release descriptors. */
    static final String DESCRIPTOR_TYPE = "application/vnd.hotpatch.release";
    private final BiConsumer<Handle, String> imageChanged;
    private final Runnable published;

    /**
     * @param trustDir     folder of trusted publisher certificates that packages are verified against
     * @param imageChanged told the image id inside each publishing transaction (marks its machines for re-assessment)
     * @param published    run after each publish has committed (re-assesses the marked machines)
     */
    public Publishing(Database db, Catalog catalog, Blobs blobs, Clock clock, Path trustDir, BiConsumer<Handle, String> imageChanged,
                      Runnable published) {
        this.db = db;
        this.catalog = catalog;
        this.blobs = blobs;
        this.clock = clock;
        this.trustDir = trustDir;
        this.signatures = new ReleaseSignatures(trustDir);
        this.imageChanged = imageChanged;
        this.published = published;
    }

    /** A file received from a client, spooled to {@code file} (never held in memory), with its size and SHA-256. */
    public record Upload(String fileName, Path file, long size, String sha256) {
    }

    /** Fields of a new baseline; null ones take defaults (kind planned, released today, classification Security). */
    public record BaselineRequest(String version, String kind, LocalDate releasedOn, String kbId, String title,
                                  String classification, List<String> cves, boolean override) {
    }

    /** Fields of a new update that needs a restart (anything that is not a live hotpatch). */
    public record RestartUpdateRequest(String kbId, String image, String baseline, String title, String classification,
                                       String severity, List<String> cves, String rebootBehavior, Instant publishedAt,
                                       List<String> supersedes) {
    }

    /**
     * Publishes a baseline: its jars and the publisher's signed descriptor of them, which must be
     * signed by a trusted publisher and name exactly these jars, this image, version and kind.
     * Version, kind and KB id default to the descriptor's.
     */
    public Baseline publishBaseline(String imageRef, BaselineRequest given, List<Upload> jars, Upload descriptor, String actor) {
        ReleaseSignatures.Verified signed = signatures.verify(descriptor, "baseline " + (given.version() == null ? "" : given.version() + " ")
                + "of " + imageRef, "baseline");
        ReleaseDescriptor d = signed.descriptor();
        BaselineRequest r = new BaselineRequest(given.version() == null ? d.version() : given.version(),
                given.kind() == null || given.kind().isBlank() ? d.kind() : given.kind(), given.releasedOn(),
                given.kbId() == null || given.kbId().isBlank() ? d.kbId() : given.kbId(), given.title(), given.classification(),
                given.cves(), given.override());
        if (r.version() == null || r.version().isBlank() || r.version().length() > 100) {
            throw new ServerException.BadRequest("missing-version", "a baseline needs a version (1–100 characters)",
                    "pass version, e.g. 2.17.1");
        }
        String kind = r.kind() == null || r.kind().isBlank() ? "planned" : r.kind().trim().toLowerCase(Locale.ROOT);
        if (!kind.equals("planned") && !kind.equals("unplanned")) {
            throw new ServerException.BadRequest("invalid-kind", "baseline kind '" + r.kind() + "' is not planned or unplanned",
                    "pass kind=planned (on the cadence) or kind=unplanned (replaces a hotpatch month)");
        }
        if (jars.isEmpty()) {
            throw new ServerException.BadRequest("missing-jar", "a baseline needs at least one jar", "upload the build's jar file(s)");
        }
        String kb = r.kbId() == null || r.kbId().isBlank() ? null : kb(r.kbId());
        Classification classification = classification(r.classification() == null ? "Security" : r.classification());
        List<String> cves = cves(r.cves());
        LocalDate released = r.releasedOn() == null ? LocalDate.now(clock.withZone(ZoneOffset.UTC)) : r.releasedOn();
        List<JarIndex> indexed = new ArrayList<>();
        Set<String> shas = new HashSet<>();
        for (Upload u : jars) {
            JarIndex j = JarIndex.of(u.fileName(), u.file(), u.sha256(), u.size());
            if (!shas.add(j.sha256())) {
                throw new ServerException.BadRequest("duplicate-jar", "jar '" + u.fileName() + "' was uploaded twice", "upload each jar once");
            }
            indexed.add(j);
        }
        Instant now = clock.instant();
        String id = Ids.next("bl", now);
        Baseline out = db.tx(h -> {
            Image image = catalog.image(h, imageRef);
            if (h.createQuery("SELECT COUNT(*) FROM baselines WHERE image_id = :i AND version = :v")
                    .bind("i", image.id()).bind("v", r.version()).mapTo(Integer.class).one() > 0) {
                throw new ServerException.Conflict("duplicate-baseline", "image " + image.name() + " already has baseline " + r.version(),
                        "baselines are immutable; publish a new version");
            }
            if (kb != null && kbTaken(h, kb)) {
                throw new ServerException.Conflict("duplicate-kb", "KB id " + kb + " is already used", "choose another KB id");
            }
            ReleaseSignatures.matchBaseline(signed, image.name(), r.version(), kind, kb, jars);
            catalog.calendar(h, image).checkBaseline(r.version(), kind.equals("planned"), released, r.override());
            String title = r.title() == null || r.title().isBlank()
                    ? "Baseline " + r.version() + " for " + image.name() : r.title().trim();
            h.createUpdate("INSERT INTO baselines (id, image_id, version, kind, released_on, kb_id, title, classification, cves,"
                            + " release_override, created_at, created_by, descriptor_sha256, signer, signer_sha256)"
                            + " VALUES (:id, :i, :v, :k, :d, :kb, :t, :c, :cves, :o, :at, :by, :ds, :sig, :sigsha)")
                    .bind("id", id).bind("i", image.id()).bind("v", r.version()).bind("k", kind).bind("d", released.toString())
                    .bind("kb", kb).bind("t", title).bind("c", classification.label()).bind("cves", String.join(",", cves))
                    .bind("o", r.override()).bind("at", now.toEpochMilli()).bind("by", actor)
                    .bind("ds", descriptor.sha256()).bind("sig", signed.signer()).bind("sigsha", signed.certificateSha256())
                    .execute();
            blobs.put(h, descriptor.sha256(), DESCRIPTOR_TYPE, descriptor.file());
            int pos = 0;
            for (int i = 0; i < indexed.size(); i++) {
                JarIndex j = indexed.get(i);
                blobs.put(h, j.sha256(), "application/java-archive", jars.get(i).file());
                h.createUpdate("INSERT INTO baseline_jars (baseline_id, position, file_name, sha256, size, class_count)"
                                + " VALUES (:b, :p, :n, :s, :z, :c)")
                        .bind("b", id).bind("p", pos++).bind("n", safeFileName(j.fileName())).bind("s", j.sha256())
                        .bind("z", j.size()).bind("c", j.classes().size())
                        .execute();
                var batch = h.prepareBatch("INSERT INTO baseline_classes (baseline_id, class_name, sha256, jar_sha256)"
                        + " VALUES (:b, :n, :s, :j) ON CONFLICT (baseline_id, class_name) DO NOTHING");
                for (var c : j.classes().entrySet()) {
                    batch.bind("b", id).bind("n", c.getKey()).bind("s", c.getValue()).bind("j", j.sha256()).add();
                }
                batch.execute();
            }
            imageChanged.accept(h, image.id());
            return catalog.baseline(h, id);
        });
        this.published.run();
        return out;
    }

    /**
     * Publishes a signed {@code .hotpatch} package held in {@code packageFile}. The image and baseline
     * come from the package manifest unless {@code imageRef}/{@code baselineRef} name them.
     */
    public Update publishHotpatch(Path packageFile, String imageRef, String baselineRef, boolean override, String actor) {
        TrustStore trust;
        try {
            trust = TrustStore.fromDirectory(trustDir);
        } catch (PackageException e) {
            throw new ServerException.Refused("no-trusted-publisher", "the server trusts no publisher yet: " + e.getMessage(),
                    "copy the publisher's signer.crt into " + trustDir + " on the server");
        }
        HotpatchPackage pkg;
        try {
            pkg = HotpatchPackage.read(packageFile, trust);
        } catch (PackageException e) {
            String code = switch (e.reason()) {
                case UNSIGNED -> "unsigned-package";
                case TAMPERED -> "tampered-package";
                case UNTRUSTED -> "untrusted-package";
                case TOO_LARGE -> "package-too-large";
                default -> "malformed-package";
            };
            throw new ServerException.Refused(code, "package refused: " + e.getMessage(),
                    "upload a .hotpatch built and signed with 'hotpatch build --key DIR' by a publisher whose certificate is in "
                            + trustDir, e);
        }
        PackageManifest m = pkg.manifest();
        if (m.rebootBehavior() != RebootBehavior.NEVER_REBOOTS) {
            throw new ServerException.Refused("not-a-hotpatch", "package " + m.id() + " declares " + m.rebootBehavior().label()
                    + "; a .hotpatch is installed live and must be NeverReboots", "publish restart-requiring updates as JSON metadata instead");
        }
        long size;
        try {
            size = Files.size(packageFile);
        } catch (IOException e) {
            throw new IllegalStateException("cannot re-read the uploaded package " + packageFile, e);
        }
        Instant now = clock.instant();
        Update out = db.tx(h -> {
            String imgRef = imageRef != null && !imageRef.isBlank() ? imageRef : m.image();
            if (imgRef.isBlank()) {
                throw new ServerException.BadRequest("missing-image", "package " + m.id() + " names no image and none was given",
                        "pass image=publisher/offer/sku with the upload");
            }
            Image image = catalog.findImage(h, imgRef).orElseThrow(() -> new ServerException.Refused("unknown-image",
                    "package " + m.id() + " is for image '" + imgRef + "', which is not in the catalog", "create the image first (POST /api/v1/images)"));
            String blRef = baselineRef != null && !baselineRef.isBlank() ? baselineRef : m.baseline();
            Baseline baseline = catalog.findBaseline(h, image, blRef).orElseThrow(() -> new ServerException.Refused("unknown-baseline",
                    "package " + m.id() + " targets baseline '" + blRef + "', which image " + image.name() + " does not have",
                    "publish that baseline first, or pass baseline=ID|VERSION|JAR-SHA256 with the upload"));
            if (kbTaken(h, m.id())) {
                throw new ServerException.Conflict("duplicate-kb", "update " + m.id() + " is already published",
                        "a published update is immutable; build a new package with a new KB id that supersedes it");
            }
            checkSupersedes(h, m.id(), m.supersedes(), baseline);
            checkClasses(h, m, baseline);
            LocalDate date = m.published().atZone(ZoneOffset.UTC).toLocalDate();
            ReleaseCalendar cal = catalog.calendar(h, image);
            cal.checkHotpatch(m.id(), baseline.id(), baseline.version(), date, override);
            String fileName = m.id() + ".hotpatch";
            blobs.put(h, pkg.sha256(), "application/vnd.hotpatch", packageFile);
            insertUpdate(h, m.id(), image.id(), baseline.id(), Update.HOTPATCH, m.title(), m.classification().label(), m.severity(),
                    m.cves(), m.rebootBehavior().label(), m.published(), m.supersedes(), pkg.sha256(), fileName, size,
                    pkg.signerNames(), override, now, actor);
            var batch = h.prepareBatch("INSERT INTO update_classes (kb_id, class_name, kind, baseline_sha256, sha256)"
                    + " VALUES (:kb, :n, :k, :b, :s)");
            for (ClassPatch c : m.classes()) {
                batch.bind("kb", m.id()).bind("n", c.name()).bind("k", c.kind().name().toLowerCase(Locale.ROOT))
                        .bind("b", c.baselineSha256()).bind("s", c.sha256()).add();
            }
            batch.execute();
            imageChanged.accept(h, image.id());
            return catalog.update(h, m.id());
        });
        this.published.run();
        return out;
    }

    /**
     * Publishes an update that needs a restart, with an optional artifact for nodes to install, and
     * the publisher's signed descriptor of it (KB id, image, reboot behavior, the artifact's
     * SHA-256), which must be signed by a trusted publisher. The reboot behavior defaults to the descriptor's.
     */
    public Update publishRestartUpdate(RestartUpdateRequest r, Upload artifact, Upload descriptor, String actor) {
        String kb = kb(r.kbId());
        if (r.title() == null || r.title().isBlank() || r.title().length() > 300) {
            throw new ServerException.BadRequest("missing-title", "update " + kb + " needs a title (1–300 characters)", "pass title");
        }
        Classification classification = classification(r.classification());
        RebootBehavior given;
        try {
            given = r.rebootBehavior() == null ? null : RebootBehavior.parse(r.rebootBehavior());
        } catch (IllegalArgumentException e) {
            throw new ServerException.BadRequest("invalid-reboot-behavior", e.getMessage(), "use CanRequestReboot or AlwaysRequiresReboot");
        }
        if (given == RebootBehavior.NEVER_REBOOTS) {
            throw new ServerException.Refused("live-update-needs-package", "update " + kb + " claims NeverReboots, but only a signed"
                    + " .hotpatch package can be installed live", "upload the signed .hotpatch instead, or use CanRequestReboot/AlwaysRequiresReboot");
        }
        ReleaseSignatures.Verified signed = signatures.verify(descriptor, "update " + kb, "update");
        RebootBehavior reboot = given != null ? given : signed.descriptor().rebootBehavior();
        List<String> cves = cves(r.cves());
        String severity = r.severity() == null ? "" : r.severity().trim();
        if (severity.length() > 40) {
            throw new ServerException.BadRequest("invalid-severity", "severity is longer than 40 characters", "use e.g. Critical, Important");
        }
        Instant now = clock.instant();
        Instant published = r.publishedAt() == null ? now : r.publishedAt();
        String artifactSha = artifact == null ? null : artifact.sha256();
        String imageRef = r.image() != null && !r.image().isBlank() ? r.image() : signed.descriptor().image();
        Update out = db.tx(h -> {
            Image image = catalog.image(h, imageRef);
            ReleaseSignatures.matchUpdate(signed, image.name(), kb, reboot.label(), artifact);
            Baseline baseline = r.baseline() == null || r.baseline().isBlank()
                    ? catalog.findBaseline(h, image, image.currentBaselineId()).orElseThrow(() -> new ServerException.Conflict("no-baseline",
                            "image " + image.name() + " has no baseline yet", "publish the baseline first"))
                    : catalog.findBaseline(h, image, r.baseline()).orElseThrow(() -> new ServerException.Refused("unknown-baseline",
                            "image " + image.name() + " has no baseline '" + r.baseline() + "'", "name a baseline by id or version"));
            if (kbTaken(h, kb)) {
                throw new ServerException.Conflict("duplicate-kb", "update " + kb + " is already published", "choose a new KB id");
            }
            List<String> supersedes = r.supersedes() == null ? List.of() : r.supersedes();
            checkSupersedes(h, kb, supersedes, baseline);
            if (artifact != null) {
                blobs.put(h, artifactSha, "application/octet-stream", artifact.file());
            }
            insertUpdate(h, kb, image.id(), baseline.id(), Update.RESTART, r.title().trim(), classification.label(), severity, cves,
                    reboot.label(), published, supersedes, artifactSha, artifact == null ? null : safeFileName(artifact.fileName()),
                    artifact == null ? 0 : artifact.size(), signed.signer(), false, now, actor);
            blobs.put(h, descriptor.sha256(), DESCRIPTOR_TYPE, descriptor.file());
            h.createUpdate("UPDATE updates SET descriptor_sha256 = :ds, signer_sha256 = :sigsha WHERE kb_id = :kb")
                    .bind("ds", descriptor.sha256()).bind("sigsha", signed.certificateSha256()).bind("kb", kb).execute();
            imageChanged.accept(h, image.id());
            return catalog.update(h, kb);
        });
        this.published.run();
        return out;
    }

    /**
     * Attaches a signed descriptor to a baseline published before baselines were signed, so that
     * nodes may install it: it must be signed by a trusted publisher and name exactly the jars the
     * catalog holds for that baseline. A baseline that has a descriptor keeps it.
     */
    public Baseline attachDescriptor(String baselineRef, Upload descriptor, String actor) {
        Baseline b = db.read(h -> catalog.baseline(h, baselineRef));
        ReleaseSignatures.Verified signed = signatures.verify(descriptor, "baseline " + b.version() + " of " + b.image(), "baseline");
        List<Upload> stored = b.jars().stream().map(j -> new Upload(j.fileName(), null, j.size(), j.sha256())).toList();
        ReleaseSignatures.matchBaseline(signed, b.image(), b.version(), b.kind(), b.kbId(), stored);
        return db.tx(h -> {
            int n = h.createUpdate("UPDATE baselines SET descriptor_sha256 = :ds, signer = :sig, signer_sha256 = :sigsha"
                            + " WHERE id = :id AND descriptor_sha256 IS NULL")
                    .bind("ds", descriptor.sha256()).bind("sig", signed.signer()).bind("sigsha", signed.certificateSha256())
                    .bind("id", b.id()).execute();
            if (n != 1) {
                throw new ServerException.Conflict("already-signed", "baseline " + b.version() + " of " + b.image()
                        + " has a signed descriptor already", "a baseline's descriptor is immutable, like the baseline");
            }
            blobs.put(h, descriptor.sha256(), DESCRIPTOR_TYPE, descriptor.file());
            return catalog.baseline(h, b.id());
        });
    }

    private void insertUpdate(Handle h, String kb, String imageId, String baselineId, String kind, String title, String classification,
                              String severity, List<String> cves, String reboot, Instant published, List<String> supersedes,
                              String artifactSha, String artifactName, long artifactSize, String signer, boolean override,
                              Instant now, String actor) {
        h.createUpdate("INSERT INTO updates (kb_id, image_id, baseline_id, kind, title, classification, severity, cves, reboot_behavior,"
                        + " published_at, supersedes, artifact_sha256, artifact_name, artifact_size, signer, release_override, created_at, created_by)"
                        + " VALUES (:kb, :i, :b, :k, :t, :c, :sev, :cves, :r, :p, :sup, :as, :an, :az, :sig, :o, :at, :by)")
                .bind("kb", kb).bind("i", imageId).bind("b", baselineId).bind("k", kind).bind("t", title).bind("c", classification)
                .bind("sev", severity).bind("cves", String.join(",", cves)).bind("r", reboot).bind("p", published.toEpochMilli())
                .bind("sup", String.join(",", supersedes)).bind("as", artifactSha).bind("an", artifactName)
                .bind("az", artifactSha == null ? null : artifactSize).bind("sig", signer).bind("o", override)
                .bind("at", now.toEpochMilli()).bind("by", actor)
                .execute();
    }

    private void checkSupersedes(Handle h, String kb, List<String> supersedes, Baseline baseline) {
        for (String s : supersedes) {
            Update old = catalog.findUpdate(h, s).orElseThrow(() -> new ServerException.Refused("unknown-kb",
                    "update " + kb + " supersedes " + s + ", which is not in the catalog",
                    "publish " + s + " first, or leave it out of supersedes"));
            if (!old.baselineId().equals(baseline.id())) {
                throw new ServerException.Refused("supersedes-other-baseline", "update " + kb + " supersedes " + s
                        + ", which belongs to baseline " + old.baselineVersion() + ", not " + baseline.version(),
                        "hotpatches are cumulative within one baseline only");
            }
        }
    }

    /** Every replaced class must exist in the baseline with the hash the package expects (or a superseded hotpatch's hash). */
    private void checkClasses(Handle h, PackageManifest m, Baseline baseline) {
        for (ClassPatch c : m.classes()) {
            if (c.kind() != ClassPatch.Kind.REPLACE) {
                continue;
            }
            List<String> known = h.createQuery("SELECT sha256 FROM baseline_classes WHERE baseline_id = :b AND class_name = :n")
                    .bind("b", baseline.id()).bind("n", c.name()).mapTo(String.class).list();
            if (known.isEmpty()) {
                throw new ServerException.Refused("class-not-in-baseline", "package " + m.id() + " replaces class " + c.binaryName()
                        + ", which baseline " + baseline.version() + " does not contain", "build the package against this baseline's jar");
            }
            if (known.contains(c.baselineSha256())) {
                continue;
            }
            int viaHotpatch = h.createQuery("SELECT COUNT(*) FROM update_classes uc JOIN updates u ON u.kb_id = uc.kb_id"
                            + " WHERE u.baseline_id = :b AND uc.class_name = :n AND uc.sha256 = :s")
                    .bind("b", baseline.id()).bind("n", c.name()).bind("s", c.baselineSha256()).mapTo(Integer.class).one();
            if (viaHotpatch == 0) {
                throw new ServerException.Refused("class-hash-mismatch", "package " + m.id() + " expects class " + c.binaryName()
                        + " to have SHA-256 " + c.baselineSha256() + ", but in baseline " + baseline.version() + " it is " + known.get(0),
                        "the package was built against a different build; rebuild it against baseline " + baseline.version());
            }
        }
    }

    private static boolean kbTaken(Handle h, String kb) {
        return h.createQuery("SELECT (SELECT COUNT(*) FROM updates WHERE kb_id = :k) + (SELECT COUNT(*) FROM baselines WHERE kb_id = :k)")
                .bind("k", kb).mapTo(Integer.class).one() > 0;
    }

    private static String kb(String kb) {
        if (kb == null || !KB.matcher(kb).matches()) {
            throw new ServerException.BadRequest("invalid-kb", "KB id '" + kb + "' is not valid",
                    "use letters, digits, '.', '_' or '-', e.g. KB2026-0001");
        }
        return kb;
    }

    private static Classification classification(String s) {
        try {
            return Classification.parse(s);
        } catch (IllegalArgumentException e) {
            throw new ServerException.BadRequest("invalid-classification", e.getMessage(), "use Critical, Security, Updates or Definition");
        }
    }

    private static List<String> cves(List<String> cves) {
        if (cves == null) {
            return List.of();
        }
        for (String c : cves) {
            if (!CVE.matcher(c).matches()) {
                throw new ServerException.BadRequest("invalid-cve", "'" + c + "' is not a CVE id", "use the form CVE-2026-1234");
            }
        }
        return List.copyOf(cves);
    }

    private static String safeFileName(String name) {
        if (name == null || name.isBlank()) {
            return "artifact";
        }
        String base = name.replace('\\', '/');
        base = base.substring(base.lastIndexOf('/') + 1).replaceAll("[^A-Za-z0-9._+-]", "_");
        return base.isEmpty() || base.startsWith(".") ? "artifact" + base : base.length() > 200 ? base.substring(0, 200) : base;
    }
}
