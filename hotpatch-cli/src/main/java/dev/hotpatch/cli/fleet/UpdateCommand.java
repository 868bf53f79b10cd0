package dev.hotpatch.cli.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hotpatch.cli.CommandGroup;
import dev.hotpatch.cli.ExitPolicy;
import dev.hotpatch.cli.Json;
import dev.hotpatch.cli.Table;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code hotpatch update}: the catalog's updates, live hotpatches and updates that need a restart. */
@Command(name = "update", description = {
        "Manage updates: signed hotpatches (installed live) and updates that need a restart.",
        "'hotpatch updates --machine M' shows what one machine is missing."})
public final class UpdateCommand extends CommandGroup {

    /** {@code hotpatch update publish}. */
    @Command(name = "publish", description = {
        "Publish an update (needs a publisher token).",
        "With FILE.hotpatch: a signed hotpatch, verified by the server against its trusted publishers before anything " +
                "is stored; it must target the image's current baseline and every class it replaces must be in it with the " +
                "expected bytes. Without a file: an update that needs a restart, described by --kb, --title, --classification " +
                "and --image, optionally with an --artifact for nodes to install, signed like hotpatches: --key DIR signs it " +
                "here, or --descriptor FILE sends one from 'hotpatch update sign'. Exit 3 when refused (untrusted, tampered, " +
                "wrong baseline, release calendar): nothing is published."})
    public static final class Publish extends FleetCommand {
        @Parameters(index = "0", arity = "0..1", paramLabel = "FILE.hotpatch", description = "The signed hotpatch package.")
        Path file;

        @Option(names = "--image", paramLabel = "IMAGE", description = "The image (default for a package: the one its manifest names).")
        String image;

        @Option(names = "--baseline", paramLabel = "B", description = "The target baseline: id, version or jar SHA-256"
                + " (default for a package: its manifest's; for a restart update: the image's current one).")
        String baseline;

        @Option(names = "--override", description = "Allow a second release in the month, or a hotpatch in a planned baseline month.")
        boolean override;

        @Option(names = "--kb", paramLabel = "KB", description = "Restart update: its KB id.")
        String kb;

        @Option(names = "--title", paramLabel = "T", description = "Restart update: its name.")
        String title;

        @Option(names = "--classification", paramLabel = "C", description = "Restart update: Critical, Security, Updates or Definition.")
        String classification;

        @Option(names = "--severity", paramLabel = "S", description = "Restart update: severity, e.g. Important.")
        String severity;

        @Option(names = "--cve", paramLabel = "CVE-…", description = "Restart update: a CVE it fixes; repeatable.")
        List<String> cves = new ArrayList<>();

        @Option(names = "--reboot-behavior", paramLabel = "R", description = "Restart update: CanRequestReboot (default) or AlwaysRequiresReboot.")
        String rebootBehavior;

        @Option(names = "--published", paramLabel = "INSTANT", description = "Restart update: publication time, ISO-8601 (default now).")
        String published;

        @Option(names = "--supersedes", paramLabel = "KB", description = "Restart update: a KB it replaces; repeatable.")
        List<String> supersedes = new ArrayList<>();

        @Option(names = "--artifact", paramLabel = "FILE", description = "Restart update: the file nodes install (e.g. a replacement jar).")
        Path artifact;

        @Option(names = "--key", paramLabel = "DIR", description = "Restart update: the publisher's key folder, to sign it here.")
        Path key;

        @Option(names = "--descriptor", paramLabel = "FILE", description = "Restart update: its signed descriptor from 'hotpatch update sign'.")
        Path descriptor;

        @Override
        public Integer call() {
            JsonNode u = file != null ? publishPackage() : publishRestartUpdate();
            if (json()) {
                printJson("update", u);
            } else {
                boolean hotpatch = u.path("kind").asText().equals("hotpatch");
                out().println("Published " + u.path("kbId").asText() + " (" + u.path("kind").asText() + ", " + u.path("classification").asText()
                        + ", " + u.path("rebootBehavior").asText() + ") for " + u.path("image").asText() + " baseline "
                        + u.path("baselineVersion").asText() + ": " + u.path("title").asText());
                if (hotpatch) {
                    out().println("  " + u.path("classes").size() + (u.path("classes").size() == 1 ? " class" : " classes") + ", signed by "
                            + u.path("signer").asText() + ", published " + Times.human(u.path("publishedAt")));
                }
                out().println("Machines on that baseline now list it as missing; see 'hotpatch machines' and 'hotpatch updates --machine M'.");
                out().flush();
            }
            return ExitPolicy.OK;
        }

        private JsonNode publishPackage() {
            if (kb != null || title != null || classification != null || severity != null || !cves.isEmpty() || rebootBehavior != null
                    || published != null || !supersedes.isEmpty() || artifact != null || key != null || descriptor != null) {
                throw usage("--kb, --title, --classification, --severity, --cve, --reboot-behavior, --published, --supersedes, --artifact,"
                        + " --key and --descriptor describe a restart update; a .hotpatch package carries its own manifest and signature");
            }
            Path pkg = existingFile(file, "package");
            byte[] bytes;
            try {
                bytes = Files.readAllBytes(pkg);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + pkg + ": " + e.getMessage(), e);
            }
            return api().upload("/api/v1/updates", ApiClient.params("image", image, "baseline", baseline, "override", override ? "true" : null),
                    "application/octet-stream", bytes);
        }

        private JsonNode publishRestartUpdate() {
            if (kb == null || title == null || classification == null || image == null) {
                throw usage("give a FILE.hotpatch to publish a hotpatch, or --kb, --title, --classification and --image to publish"
                        + " an update that needs a restart");
            }
            if (override) {
                throw usage("--override is for releases on the calendar; a restart update is not one");
            }
            if ((key == null) == (descriptor == null)) {
                throw usage("restart updates are signed: give --key DIR (the publisher's key folder) or --descriptor FILE"
                        + " (from 'hotpatch update sign'), not both");
            }
            if (published != null) {
                try {
                    Instant.parse(published);
                } catch (DateTimeParseException e) {
                    throw usage("--published '" + published + "' is not an ISO-8601 instant such as 2026-01-14T00:00:00Z");
                }
            }
            ObjectNode meta = ApiClient.object().put("kbId", kb).put("image", image.strip()).put("title", title)
                    .put("classification", classification);
            if (baseline != null) {
                meta.put("baseline", baseline);
            }
            if (severity != null) {
                meta.put("severity", severity);
            }
            if (rebootBehavior != null) {
                meta.put("rebootBehavior", rebootBehavior);
            }
            if (published != null) {
                meta.put("publishedAt", published);
            }
            meta.set("cves", Json.strings(cves));
            meta.set("supersedes", Json.strings(supersedes));
            Path art = artifact == null ? null : existingFile(artifact, "--artifact");
            Path signed = null;
            try {
                if (key != null) {
                    signed = ReleaseSigning.signToTemp(Sign.descriptor(image, kb, rebootBehavior, art), existingFolder(key, "--key"));
                }
                ApiClient.Form form = new ApiClient.Form().field("metadata", meta.toString())
                        .file("descriptor", "update.release", "application/vnd.hotpatch.release",
                                ReleaseSigning.readDescriptor(signed != null ? signed : existingFile(descriptor, "--descriptor")));
                if (art != null) {
                    form.file("artifact", art.getFileName().toString(), "application/octet-stream", Files.readAllBytes(art));
                }
                return api().upload("/api/v1/updates", form);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + art + ": " + e.getMessage(), e);
            } finally {
                ReleaseSigning.delete(signed);
            }
        }
    }

    /** {@code hotpatch update sign}. */
    @Command(name = "sign", description = {
        "Sign a restart update: write the publisher's signed descriptor of it.",
        "The descriptor names the image, KB id and reboot behavior, and the artifact's name, size and " +
                "SHA-256; it is signed with the key folder from 'hotpatch keygen'. Publish it with 'hotpatch update " +
                "publish --kb … --descriptor FILE [--artifact FILE]'.",
        "Needs no server."})
    public static final class Sign extends dev.hotpatch.cli.HotpatchCommand {
        @Option(names = "--image", required = true, paramLabel = "IMAGE", description = "The image, publisher/offer/sku.")
        String image;

        @Option(names = "--kb", required = true, paramLabel = "KB", description = "The update's KB id.")
        String kb;

        @Option(names = "--reboot-behavior", paramLabel = "R", description = "CanRequestReboot (default) or AlwaysRequiresReboot.")
        String rebootBehavior;

        @Option(names = "--artifact", paramLabel = "FILE", description = "The file nodes install, if any.")
        Path artifact;

        @Option(names = "--key", required = true, paramLabel = "DIR", description = "The publisher's key folder.")
        Path key;

        @Option(names = "--out", paramLabel = "FILE", description = "Where to write the descriptor (default: KB.release here).")
        Path outFile;

        @Override
        public Integer call() {
            Path art = artifact == null ? null : existingFile(artifact, "--artifact");
            Path file = (outFile != null ? outFile : Path.of(kb.strip() + ".release")).toAbsolutePath();
            dev.hotpatch.format.ReleaseDescriptor written = ReleaseSigning.sign(descriptor(image, kb, rebootBehavior, art),
                    existingFolder(key, "--key"), file);
            if (json()) {
                printJson(Json.status("ok").put("descriptor", file.toString()).put("signer", written.signerNames())
                        .put("fingerprint", written.signerFingerprint()));
            } else {
                out().println("Signed update " + kb + " for " + image + (art == null ? " (no artifact)" : " with " + art.getFileName()) + " as "
                        + written.signerNames() + " (" + written.signerFingerprint() + "): " + file);
                out().flush();
            }
            return ExitPolicy.OK;
        }

        static dev.hotpatch.format.ReleaseDescriptor descriptor(String image, String kb, String reboot, Path artifact) {
            try {
                dev.hotpatch.format.ReleaseDescriptor.Builder b = dev.hotpatch.format.ReleaseDescriptor.update(image.strip(), kb.strip());
                if (reboot != null) {
                    b.rebootBehavior(dev.hotpatch.format.RebootBehavior.parse(reboot));
                }
                if (artifact != null) {
                    b.files(ReleaseSigning.entries(List.of(artifact)));
                }
                return b.build();
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("cannot sign this update: " + e.getMessage());
            }
        }
    }

    /** {@code hotpatch update list}. */
    @Command(name = "list", description = "List the catalog's updates, newest first.")
    public static final class Listing extends FleetCommand {
        @Option(names = "--image", paramLabel = "IMAGE", description = "Only this image's (id or publisher/offer/sku).")
        String image;

        @Option(names = "--baseline", paramLabel = "ID", description = "Only this baseline's (baseline id).")
        String baseline;

        @Override
        public Integer call() {
            JsonNode list = api().get("/api/v1/updates", ApiClient.params("image", image == null ? null : ImageCommand.ref(image),
                    "baseline", baseline));
            if (json()) {
                printJson("updates", list);
                return ExitPolicy.OK;
            }
            if (list.isEmpty()) {
                out().println("No updates" + (image == null && baseline == null ? " yet." : " match."));
                out().flush();
                return ExitPolicy.OK;
            }
            Table t = new Table("KB ID", "Update name", "Classification", "Reboot behavior", "Published date", "Image", "Baseline", "Supersedes");
            for (JsonNode u : list) {
                t.add(u.path("kbId").asText(), u.path("title").asText(), u.path("classification").asText(), u.path("rebootBehavior").asText(),
                        Times.human(u.path("publishedAt")), u.path("image").asText(), u.path("baselineVersion").asText(),
                        OperationWatch.join(u.path("supersedes")));
            }
            t.print(out());
            return ExitPolicy.OK;
        }
    }
}
