package dev.hotpatch.server.catalog;

import dev.hotpatch.server.ServerException;
import dev.hotpatch.server.release.Cadence;
import dev.hotpatch.server.release.Release;
import dev.hotpatch.server.release.ReleaseCalendar;
import dev.hotpatch.server.store.Database;
import dev.hotpatch.server.store.Ids;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.jdbi.v3.core.Handle;

/**
 * The catalog as it stands: images, their baselines and updates, and each image's release
 * calendar. Reads and image maintenance; publishing baselines and updates is {@link Publishing}.
 * Thread-safe; holds no state of its own beyond the database.
 */
public final class Catalog {
    private static final Pattern NAME_PART = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private final Database db;
    private final Clock clock;

    public Catalog(Database db, Clock clock) {
        this.db = db;
        this.clock = clock;
    }

    /** Fields of a new image or of an image change; null fields keep their current (or default) value. */
    public record ImageRequest(String publisher, String offer, String sku, Boolean hotpatchSupported,
                               Boolean hotpatchEnabledByDefault, Integer cadenceMonths, Integer cadenceAnchorMonth) {
    }

    public Image createImage(ImageRequest r, String actor) {
        String publisher = namePart("publisher", r.publisher());
        String offer = namePart("offer", r.offer());
        String sku = namePart("sku", r.sku());
        Cadence cadence = cadence(r.cadenceMonths() == null ? 3 : r.cadenceMonths(),
                r.cadenceAnchorMonth() == null ? 1 : r.cadenceAnchorMonth());
        Instant now = clock.instant();
        String id = Ids.next("img", now);
        return db.tx(h -> {
            if (findImage(h, publisher + "/" + offer + "/" + sku).isPresent()) {
                throw new ServerException.Conflict("duplicate-image", "image " + publisher + "/" + offer + "/" + sku + " already exists",
                        "change it with PATCH /api/v1/images/{id}");
            }
            h.createUpdate("INSERT INTO images (id, publisher, offer, sku, hotpatch_supported, hotpatch_default, cadence_months,"
                            + " cadence_anchor, created_at, created_by) VALUES (:id, :p, :o, :s, :sup, :def, :cm, :ca, :t, :by)")
                    .bind("id", id).bind("p", publisher).bind("o", offer).bind("s", sku)
                    .bind("sup", r.hotpatchSupported() == null || r.hotpatchSupported())
                    .bind("def", r.hotpatchEnabledByDefault() == null || r.hotpatchEnabledByDefault())
                    .bind("cm", cadence.months()).bind("ca", cadence.anchorMonth())
                    .bind("t", now.toEpochMilli()).bind("by", actor)
                    .execute();
            return image(h, id);
        });
    }

    /** Changes an image's flags or cadence; name fields cannot change. */
    public Image updateImage(String ref, ImageRequest r) {
        return db.tx(h -> {
            Image img = image(h, ref);
            if ((r.publisher() != null && !r.publisher().equals(img.publisher())) || (r.offer() != null && !r.offer().equals(img.offer()))
                    || (r.sku() != null && !r.sku().equals(img.sku()))) {
                throw new ServerException.BadRequest("immutable-field", "an image's publisher/offer/sku cannot change",
                        "create a new image instead");
            }
            Cadence c = cadence(r.cadenceMonths() == null ? img.cadenceMonths() : r.cadenceMonths(),
                    r.cadenceAnchorMonth() == null ? img.cadenceAnchorMonth() : r.cadenceAnchorMonth());
            h.createUpdate("UPDATE images SET hotpatch_supported = :sup, hotpatch_default = :def, cadence_months = :cm,"
                            + " cadence_anchor = :ca WHERE id = :id")
                    .bind("sup", r.hotpatchSupported() == null ? img.hotpatchSupported() : r.hotpatchSupported())
                    .bind("def", r.hotpatchEnabledByDefault() == null ? img.hotpatchEnabledByDefault() : r.hotpatchEnabledByDefault())
                    .bind("cm", c.months()).bind("ca", c.anchorMonth()).bind("id", img.id())
                    .execute();
            return image(h, img.id());
        });
    }

    public List<Image> images() {
        return db.read(h -> h.createQuery(IMAGE_SELECT + " ORDER BY i.publisher, i.offer, i.sku").map(Catalog::imageRow).list());
    }

    /** The image with id {@code ref}, or named {@code publisher/offer/sku} (or {@code publisher:offer:sku}). */
    public Image image(String ref) {
        return db.read(h -> image(h, ref));
    }

    public Image image(Handle h, String ref) {
        return findImage(h, ref).orElseThrow(() -> new ServerException.NotFound("image", ref,
                "list images with GET /api/v1/images; refer to one by id or as publisher/offer/sku"));
    }

    public Optional<Image> findImage(Handle h, String ref) {
        if (ref == null || ref.isBlank()) {
            return Optional.empty();
        }
        String[] parts = ref.contains("/") ? ref.split("/", -1) : ref.contains(":") ? ref.split(":", -1) : null;
        if (parts != null && parts.length == 3) {
            return h.createQuery(IMAGE_SELECT + " WHERE i.publisher = :p AND i.offer = :o AND i.sku = :s")
                    .bind("p", parts[0]).bind("o", parts[1]).bind("s", parts[2]).map(Catalog::imageRow).findOne();
        }
        return h.createQuery(IMAGE_SELECT + " WHERE i.id = :id").bind("id", ref).map(Catalog::imageRow).findOne();
    }

    public List<Baseline> baselines(String imageRef) {
        return db.read(h -> {
            Image img = image(h, imageRef);
            List<Baseline> out = new ArrayList<>();
            for (String id : h.createQuery("SELECT id FROM baselines WHERE image_id = :i ORDER BY released_on, created_at")
                    .bind("i", img.id()).mapTo(String.class).list()) {
                out.add(baseline(h, id));
            }
            return out;
        });
    }

    public Baseline baseline(String id) {
        return db.read(h -> baseline(h, id));
    }

    public Baseline baseline(Handle h, String id) {
        return findBaseline(h, id).orElseThrow(() -> new ServerException.NotFound("baseline", id,
                "list an image's baselines with GET /api/v1/images/{id}/baselines"));
    }

    public Optional<Baseline> findBaseline(Handle h, String id) {
        Optional<Baseline> b = h.createQuery(BASELINE_SELECT + " WHERE b.id = :id").bind("id", id)
                .map((rs, ctx) -> baselineRow(rs, List.of())).findOne();
        if (b.isEmpty()) {
            return b;
        }
        List<Baseline.Jar> jars = h.createQuery("SELECT file_name, sha256, size, class_count FROM baseline_jars"
                        + " WHERE baseline_id = :id ORDER BY position")
                .bind("id", id)
                .map((rs, ctx) -> new Baseline.Jar(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getInt(4),
                        "/api/v1/blobs/" + rs.getString(2)))
                .list();
        Baseline x = b.get();
        int classes = jars.stream().mapToInt(Baseline.Jar::classCount).sum();
        return Optional.of(new Baseline(x.id(), x.imageId(), x.image(), x.version(), x.kind(), x.releasedOn(), x.kbId(), x.title(),
                x.classification(), x.cves(), x.rebootBehavior(), x.releaseOverride(), x.createdAt(), x.createdBy(), classes, jars,
                x.descriptor()));
    }

    /** A baseline of {@code image} named by id, version, the SHA-256 of one of its jars, or {@code sha256:} and a prefix of it. */
    public Optional<Baseline> findBaseline(Handle h, Image image, String ref) {
        if (ref == null || ref.isBlank()) {
            return Optional.empty();
        }
        Optional<String> id = h.createQuery("SELECT id FROM baselines WHERE image_id = :i AND (id = :r OR version = :r)")
                .bind("i", image.id()).bind("r", ref).mapTo(String.class).findFirst();
        if (id.isEmpty()) {
            id = h.createQuery("SELECT b.id FROM baselines b JOIN baseline_jars j ON j.baseline_id = b.id"
                            + " WHERE b.image_id = :i AND j.sha256 = :r")
                    .bind("i", image.id()).bind("r", ref.toLowerCase(java.util.Locale.ROOT)).mapTo(String.class).findFirst();
        }
        String lower = ref.toLowerCase(java.util.Locale.ROOT);
        if (id.isEmpty() && lower.matches("sha256:[0-9a-f]{16,64}")) {
            // The builder's default baseline id: "sha256:" + the first 16 hex digits of the baseline jar's SHA-256.
            id = h.createQuery("SELECT b.id FROM baselines b JOIN baseline_jars j ON j.baseline_id = b.id"
                            + " WHERE b.image_id = :i AND j.sha256 LIKE :p")
                    .bind("i", image.id()).bind("p", lower.substring("sha256:".length()) + "%").mapTo(String.class).findFirst();
        }
        return id.flatMap(x -> findBaseline(h, x));
    }

    /** Updates, newest first, optionally only those of one image or baseline. */
    public List<Update> updates(String imageRef, String baselineId) {
        return db.read(h -> {
            StringBuilder sql = new StringBuilder(UPDATE_SELECT + " WHERE 1 = 1");
            Map<String, Object> args = new LinkedHashMap<>();
            if (imageRef != null && !imageRef.isBlank()) {
                sql.append(" AND u.image_id = :i");
                args.put("i", image(h, imageRef).id());
            }
            if (baselineId != null && !baselineId.isBlank()) {
                sql.append(" AND u.baseline_id = :b");
                args.put("b", baselineId);
            }
            sql.append(" ORDER BY u.published_at DESC, u.kb_id");
            return h.createQuery(sql.toString()).bindMap(args).map((rs, ctx) -> updateRow(rs, List.of())).list();
        });
    }

    /** Updates for one baseline, with their classes; oldest first. */
    public List<Update> updatesFor(Handle h, String baselineId) {
        List<Update> out = new ArrayList<>();
        for (String kb : h.createQuery("SELECT kb_id FROM updates WHERE baseline_id = :b ORDER BY published_at, kb_id")
                .bind("b", baselineId).mapTo(String.class).list()) {
            out.add(update(h, kb));
        }
        return out;
    }

    public Update update(String kb) {
        return db.read(h -> update(h, kb));
    }

    public Update update(Handle h, String kb) {
        return findUpdate(h, kb).orElseThrow(() -> new ServerException.NotFound("update", kb,
                "list updates with GET /api/v1/updates"));
    }

    public Optional<Update> findUpdate(Handle h, String kb) {
        Optional<Update> u = h.createQuery(UPDATE_SELECT + " WHERE u.kb_id = :kb").bind("kb", kb)
                .map((rs, ctx) -> updateRow(rs, List.of())).findOne();
        if (u.isEmpty()) {
            return u;
        }
        List<Update.ClassEntry> classes = h.createQuery("SELECT class_name, kind, baseline_sha256, sha256 FROM update_classes"
                        + " WHERE kb_id = :kb ORDER BY class_name")
                .bind("kb", kb)
                .map((rs, ctx) -> new Update.ClassEntry(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4)))
                .list();
        Update x = u.get();
        return Optional.of(new Update(x.kbId(), x.imageId(), x.image(), x.baselineId(), x.baselineVersion(), x.kind(), x.title(),
                x.classification(), x.severity(), x.cves(), x.rebootBehavior(), x.publishedAt(), x.supersedes(), x.artifact(),
                x.signer(), x.releaseOverride(), x.createdAt(), x.createdBy(), classes, x.descriptor()));
    }

    /** The image's release calendar over everything published so far. */
    public ReleaseCalendar calendar(Handle h, Image image) {
        List<Release> releases = new ArrayList<>(h.createQuery("SELECT id, version, kind, released_on, release_override FROM baselines"
                        + " WHERE image_id = :i")
                .bind("i", image.id())
                .map((rs, ctx) -> new Release("unplanned".equals(rs.getString(3)) ? Release.UNPLANNED_BASELINE : Release.PLANNED_BASELINE,
                        rs.getString(1), rs.getString(2), LocalDate.parse(rs.getString(4)), rs.getBoolean(5)))
                .list());
        releases.addAll(h.createQuery("SELECT kb_id, title, published_at, release_override FROM updates WHERE image_id = :i AND kind = :k")
                .bind("i", image.id()).bind("k", Update.HOTPATCH)
                .map((rs, ctx) -> new Release(Release.HOTPATCH, rs.getString(1), rs.getString(1) + " " + rs.getString(2),
                        Instant.ofEpochMilli(rs.getLong(3)).atZone(ZoneOffset.UTC).toLocalDate(), rs.getBoolean(4)))
                .list());
        return new ReleaseCalendar(new Cadence(image.cadenceMonths(), image.cadenceAnchorMonth()), releases);
    }

    public ReleaseCalendar.Schedule schedule(String imageRef, int year) {
        if (year < 1970 || year > 9999) {
            throw new ServerException.BadRequest("invalid-year", "year " + year + " is out of range", "pass ?year=YYYY");
        }
        return db.read(h -> calendar(h, image(h, imageRef)).schedule(year));
    }

    static String namePart(String field, String value) {
        if (value == null || !NAME_PART.matcher(value).matches()) {
            throw new ServerException.BadRequest("invalid-" + field, field + " '" + value + "' is not valid",
                    "use 1–64 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
        return value;
    }

    private static Cadence cadence(int months, int anchor) {
        try {
            return new Cadence(months, anchor);
        } catch (IllegalArgumentException e) {
            throw new ServerException.BadRequest("invalid-cadence", e.getMessage(), "cadenceMonths is 1, 2, 3, 4, 6 or 12; cadenceAnchorMonth is 1–12");
        }
    }

    static List<String> splitList(String s) {
        if (s == null || s.isBlank()) {
            return List.of();
        }
        return Arrays.stream(s.split(",")).map(String::trim).filter(x -> !x.isEmpty()).toList();
    }

    private static final String IMAGE_SELECT = "SELECT i.id, i.publisher, i.offer, i.sku, i.hotpatch_supported, i.hotpatch_default,"
            + " i.cadence_months, i.cadence_anchor, i.created_at, i.created_by,"
            + " (SELECT b.id FROM baselines b WHERE b.image_id = i.id ORDER BY b.released_on DESC, b.created_at DESC LIMIT 1) AS cur_id,"
            + " (SELECT b.version FROM baselines b WHERE b.image_id = i.id ORDER BY b.released_on DESC, b.created_at DESC LIMIT 1) AS cur_version"
            + " FROM images i";

    private static Image imageRow(ResultSet rs, org.jdbi.v3.core.statement.StatementContext ctx) throws SQLException {
        String p = rs.getString("publisher");
        String o = rs.getString("offer");
        String s = rs.getString("sku");
        return new Image(rs.getString("id"), p + "/" + o + "/" + s, p, o, s, rs.getBoolean("hotpatch_supported"),
                rs.getBoolean("hotpatch_default"), rs.getInt("cadence_months"), rs.getInt("cadence_anchor"),
                rs.getString("cur_id"), rs.getString("cur_version"), Instant.ofEpochMilli(rs.getLong("created_at")),
                rs.getString("created_by"));
    }

    private static final String BASELINE_SELECT = "SELECT b.id, b.image_id, i.publisher, i.offer, i.sku, b.version, b.kind,"
            + " b.released_on, b.kb_id, b.title, b.classification, b.cves, b.release_override, b.created_at, b.created_by,"
            + " b.descriptor_sha256, b.signer, b.signer_sha256 FROM baselines b JOIN images i ON i.id = b.image_id";

    private static Baseline baselineRow(ResultSet rs, List<Baseline.Jar> jars) throws SQLException {
        return new Baseline(rs.getString("id"), rs.getString("image_id"),
                rs.getString("publisher") + "/" + rs.getString("offer") + "/" + rs.getString("sku"), rs.getString("version"),
                rs.getString("kind"), LocalDate.parse(rs.getString("released_on")), rs.getString("kb_id"), rs.getString("title"),
                rs.getString("classification"), splitList(rs.getString("cves")), "AlwaysRequiresReboot",
                rs.getBoolean("release_override"), Instant.ofEpochMilli(rs.getLong("created_at")), rs.getString("created_by"), 0, jars,
                SignedDescriptor.of(rs.getString("descriptor_sha256"), rs.getString("signer"), rs.getString("signer_sha256")));
    }

    private static final String UPDATE_SELECT = "SELECT u.kb_id, u.image_id, i.publisher, i.offer, i.sku, u.baseline_id, b.version,"
            + " u.kind, u.title, u.classification, u.severity, u.cves, u.reboot_behavior, u.published_at, u.supersedes,"
            + " u.artifact_sha256, u.artifact_name, u.artifact_size, u.signer, u.release_override, u.created_at, u.created_by,"
            + " u.descriptor_sha256, u.signer_sha256 FROM updates u JOIN images i ON i.id = u.image_id JOIN baselines b ON b.id = u.baseline_id";

    private static Update updateRow(ResultSet rs, List<Update.ClassEntry> classes) throws SQLException {
        String sha = rs.getString("artifact_sha256");
        Update.Artifact artifact = sha == null ? null
                : new Update.Artifact(rs.getString("artifact_name"), sha, rs.getLong("artifact_size"), "/api/v1/blobs/" + sha);
        return new Update(rs.getString("kb_id"), rs.getString("image_id"),
                rs.getString("publisher") + "/" + rs.getString("offer") + "/" + rs.getString("sku"), rs.getString("baseline_id"),
                rs.getString("version"), rs.getString("kind"), rs.getString("title"), rs.getString("classification"),
                rs.getString("severity"), splitList(rs.getString("cves")), rs.getString("reboot_behavior"),
                Instant.ofEpochMilli(rs.getLong("published_at")), splitList(rs.getString("supersedes")), artifact,
                rs.getString("signer"), rs.getBoolean("release_override"), Instant.ofEpochMilli(rs.getLong("created_at")),
                rs.getString("created_by"), classes,
                SignedDescriptor.of(rs.getString("descriptor_sha256"), rs.getString("signer"), rs.getString("signer_sha256")));
    }
}
