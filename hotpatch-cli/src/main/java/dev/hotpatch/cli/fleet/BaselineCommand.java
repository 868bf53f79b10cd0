package dev.hotpatch.cli.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.cli.CommandGroup;
import dev.hotpatch.cli.ExitPolicy;
import dev.hotpatch.cli.Table;
import dev.hotpatch.format.ReleaseDescriptor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code hotpatch baseline}: exact builds of an image, recognised byte for byte in running JVMs. */
@Command(name = "baseline", description = {
        "Manage baselines: exact builds of an image (jars); installing one needs a restart.",
        "The server keeps the SHA-256 of every jar and class, so it recognises the build a JVM runs."})
public final class BaselineCommand extends CommandGroup {

    /** {@code hotpatch baseline publish}. */
    @Command(name = "publish", description = {
        "Publish a baseline: the jar(s) of an exact build (needs a publisher token).",
        "Baselines are signed like hotpatches: --key DIR signs it here with the publisher's key folder, or " +
                "--descriptor FILE sends a descriptor made by 'hotpatch baseline sign'. The server and every node " +
                "verify the signature against their trusted publishers before using the jars.",
        "Checked against the release calendar: a planned baseline must fall in a baseline month (else publish " +
                "it --kind unplanned), must not be older than the current one, and a second release in a month needs " +
                "--override.",
        "Exit 3 when refused by those rules (nothing is published)."})
    public static final class Publish extends FleetCommand {
        @Option(names = "--image", required = true, paramLabel = "IMAGE", description = "The image (id or publisher/offer/sku).")
        String image;

        @Option(names = "--version", required = true, paramLabel = "V", description = "The build's version, e.g. 1.0.")
        String version;

        @Parameters(arity = "1..*", paramLabel = "JAR", description = "The build's jar file(s).")
        List<Path> jars = new ArrayList<>();

        @Option(names = "--kind", paramLabel = "K", defaultValue = "planned", description = "planned (default: on the cadence) or unplanned.")
        String kind;

        @Option(names = "--released-on", paramLabel = "YYYY-MM-DD", description = "Release date (default: today, UTC).")
        String releasedOn;

        @Option(names = "--kb", paramLabel = "KB", description = "A KB id for the baseline as an update.")
        String kb;

        @Option(names = "--title", paramLabel = "T", description = "Update name shown to operators (default: Baseline V for IMAGE).")
        String title;

        @Option(names = "--classification", paramLabel = "C", description = "Classification (default Security).")
        String classification;

        @Option(names = "--cve", paramLabel = "CVE-…", description = "A CVE this build fixes; repeatable.")
        List<String> cves = new ArrayList<>();

        @Option(names = "--override", description = "Allow a second release in the month.")
        boolean override;

        @Option(names = "--key", paramLabel = "DIR", description = "The publisher's key folder ('hotpatch keygen'): sign the baseline here.")
        Path key;

        @Option(names = "--descriptor", paramLabel = "FILE", description = "A signed descriptor of these jars from 'hotpatch baseline sign'.")
        Path descriptor;

        @Override
        public Integer call() {
            if ((key == null) == (descriptor == null)) {
                throw usage("baselines are signed: give --key DIR (the publisher's key folder) or --descriptor FILE"
                        + " (from 'hotpatch baseline sign'), not both");
            }
            if (releasedOn != null) {
                try {
                    LocalDate.parse(releasedOn);
                } catch (DateTimeParseException e) {
                    throw usage("--released-on '" + releasedOn + "' is not a date such as 2026-01-05");
                }
            }
            ApiClient.Form form = new ApiClient.Form().field("version", version).field("kind", kind).field("releasedOn", releasedOn)
                    .field("kbId", kb).field("title", title).field("classification", classification)
                    .field("cves", cves.isEmpty() ? null : String.join(",", cves)).field("override", override ? "true" : null);
            List<Path> files = new ArrayList<>();
            for (Path jar : jars) {
                Path file = existingFile(jar, "jar");
                files.add(file);
                try {
                    form.file("jar", file.getFileName().toString(), "application/java-archive", Files.readAllBytes(file));
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
                }
            }
            Path signed = null;
            JsonNode b;
            try {
                if (key != null) {
                    signed = ReleaseSigning.signToTemp(Sign.descriptor(image, version, kind, kb, files, this), existingFolder(key, "--key"));
                }
                form.file("descriptor", "baseline.release", "application/vnd.hotpatch.release",
                        ReleaseSigning.readDescriptor(signed != null ? signed : existingFile(descriptor, "--descriptor")));
                b = api().upload("/api/v1/images/" + ApiClient.seg(ImageCommand.ref(image)) + "/baselines", form);
            } finally {
                ReleaseSigning.delete(signed);
            }
            if (json()) {
                printJson("baseline", b);
            } else {
                out().println("Published baseline " + b.path("version").asText() + " of " + b.path("image").asText() + " (" + b.path("id").asText()
                        + "): " + b.path("kind").asText() + ", released " + b.path("releasedOn").asText() + ", " + b.path("jars").size()
                        + (b.path("jars").size() == 1 ? " jar, " : " jars, ") + b.path("classCount").asInt() + " classes, "
                        + b.path("rebootBehavior").asText() + "; signed by " + b.at("/descriptor/signer").asText() + ".");
                for (JsonNode j : b.path("jars")) {
                    out().println("  " + j.path("fileName").asText() + "  sha256 " + j.path("sha256").asText() + "  " + j.path("classCount").asInt() + " classes");
                }
                out().println("JVMs running exactly these jars are recognised as this baseline; hotpatches must now target it.");
                out().flush();
            }
            return ExitPolicy.OK;
        }
    }

    /** {@code hotpatch baseline sign}. */
    @Command(name = "sign", description = {
        "Sign a baseline: write the publisher's signed descriptor of a build's jars.",
        "The descriptor names the image, version and kind, and each jar's name, size and SHA-256; it is " +
                "signed with the key folder from 'hotpatch keygen'. Publish it with 'hotpatch baseline publish " +
                "--descriptor FILE JAR…' from anywhere, or --attach it to a baseline the server already holds " +
                "unsigned (published before baselines were signed), which nodes install only once it is signed.",
        "Needs no server unless --attach is given."})
    public static final class Sign extends FleetCommand {
        @Option(names = "--image", required = true, paramLabel = "IMAGE", description = "The image, publisher/offer/sku.")
        String image;

        @Option(names = "--version", required = true, paramLabel = "V", description = "The build's version, e.g. 1.0.")
        String version;

        @Option(names = "--kind", paramLabel = "K", defaultValue = "planned", description = "planned (default) or unplanned.")
        String kind;

        @Option(names = "--kb", paramLabel = "KB", description = "The baseline's KB id, if it has one.")
        String kb;

        @Option(names = "--key", required = true, paramLabel = "DIR", description = "The publisher's key folder.")
        Path key;

        @Option(names = "--out", paramLabel = "FILE", description = "Where to write the descriptor (default: IMAGE-VERSION.release here).")
        Path outFile;

        @Option(names = "--attach", description = "Attach it to the server's existing baseline of that version (publisher token).")
        boolean attach;

        @Parameters(arity = "1..*", paramLabel = "JAR", description = "The build's jar file(s), exactly as published.")
        List<Path> jars = new ArrayList<>();

        @Override
        public Integer call() {
            List<Path> files = new ArrayList<>();
            for (Path jar : jars) {
                files.add(existingFile(jar, "jar"));
            }
            ReleaseDescriptor d = descriptor(image, version, kind, kb, files, this);
            Path file = (outFile != null ? outFile : Path.of(image.strip().replace('/', '-') + "-" + version + ".release")).toAbsolutePath();
            ReleaseDescriptor written = ReleaseSigning.sign(d, existingFolder(key, "--key"), file);
            JsonNode attached = null;
            if (attach) {
                String id = baselineId(api(), image, version);
                attached = api().put("/api/v1/baselines/" + ApiClient.seg(id) + "/descriptor", "application/vnd.hotpatch.release",
                        ReleaseSigning.readDescriptor(file));
            }
            if (json()) {
                com.fasterxml.jackson.databind.node.ObjectNode doc = dev.hotpatch.cli.Json.status("ok").put("descriptor", file.toString())
                        .put("signer", written.signerNames()).put("fingerprint", written.signerFingerprint());
                if (attached != null) {
                    doc.set("baseline", attached);
                }
                printJson(doc);
            } else {
                out().println("Signed baseline " + version + " of " + image + " (" + d.files().size() + (d.files().size() == 1 ? " jar" : " jars")
                        + ") as " + written.signerNames() + " (" + written.signerFingerprint() + "): " + file);
                out().println(attached != null ? "Attached to baseline " + attached.path("id").asText() + "; nodes may install it now."
                        : "Publish with: hotpatch baseline publish --image " + image + " --version " + version + " --descriptor " + file
                        + " JAR…");
                out().flush();
            }
            return ExitPolicy.OK;
        }

        static ReleaseDescriptor descriptor(String image, String version, String kind, String kb, List<Path> files,
                                            dev.hotpatch.cli.HotpatchCommand cmd) {
            try {
                return ReleaseDescriptor.baseline(image.strip(), version).kind(kind == null ? "planned" : kind.strip().toLowerCase(java.util.Locale.ROOT))
                        .kbId(kb).files(ReleaseSigning.entries(files)).build();
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("cannot sign this baseline: " + e.getMessage());
            }
        }

        private static String baselineId(ApiClient api, String image, String version) {
            for (JsonNode b : api.get("/api/v1/images/" + ApiClient.seg(ImageCommand.ref(image)) + "/baselines")) {
                if (b.path("version").asText().equals(version)) {
                    return b.path("id").asText();
                }
            }
            throw new IllegalArgumentException("image " + image + " has no baseline " + version + " on the server to attach the descriptor to;"
                    + " publish it with 'hotpatch baseline publish --descriptor FILE'");
        }
    }

    /** {@code hotpatch baseline list}. */
    @Command(name = "list", description = "List an image's baselines, oldest first.")
    public static final class Listing extends FleetCommand {
        @Option(names = "--image", required = true, paramLabel = "IMAGE", description = "The image (id or publisher/offer/sku).")
        String image;

        @Override
        public Integer call() {
            JsonNode list = api().get("/api/v1/images/" + ApiClient.seg(ImageCommand.ref(image)) + "/baselines");
            if (json()) {
                printJson("baselines", list);
                return ExitPolicy.OK;
            }
            if (list.isEmpty()) {
                out().println("Image " + image + " has no baseline yet: 'hotpatch baseline publish --image " + image + " --version V APP.jar'.");
                out().flush();
                return ExitPolicy.OK;
            }
            Table t = new Table("ID", "VERSION", "KIND", "RELEASED", "KB", "JARS", "CLASSES", "SIGNED BY");
            for (JsonNode b : list) {
                t.add(b.path("id").asText(), b.path("version").asText(), b.path("kind").asText(), b.path("releasedOn").asText(),
                        b.path("kbId").asText(""), b.path("jars").size(), b.path("classCount").asInt(),
                        b.path("descriptor").isObject() ? b.at("/descriptor/signer").asText() : "unsigned (nodes do not install it)");
            }
            t.print(out());
            return ExitPolicy.OK;
        }
    }
}
