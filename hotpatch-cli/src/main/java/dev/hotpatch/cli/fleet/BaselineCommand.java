package dev.hotpatch.cli.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.cli.CommandGroup;
import dev.hotpatch.cli.ExitPolicy;
import dev.hotpatch.cli.Table;
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
        "Checked against the release calendar: a planned baseline must fall in a baseline month (else publish it --kind " +
                "unplanned), must not be older than the current one, and a second release in a month needs --override.",
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

        @Override
        public Integer call() {
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
            for (Path jar : jars) {
                Path file = existingFile(jar, "jar");
                try {
                    form.file("jar", file.getFileName().toString(), "application/java-archive", Files.readAllBytes(file));
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
                }
            }
            JsonNode b = api().upload("/api/v1/images/" + ApiClient.seg(ImageCommand.ref(image)) + "/baselines", form);
            if (json()) {
                printJson("baseline", b);
            } else {
                out().println("Published baseline " + b.path("version").asText() + " of " + b.path("image").asText() + " (" + b.path("id").asText()
                        + "): " + b.path("kind").asText() + ", released " + b.path("releasedOn").asText() + ", " + b.path("jars").size()
                        + (b.path("jars").size() == 1 ? " jar, " : " jars, ") + b.path("classCount").asInt() + " classes, "
                        + b.path("rebootBehavior").asText() + ".");
                for (JsonNode j : b.path("jars")) {
                    out().println("  " + j.path("fileName").asText() + "  sha256 " + j.path("sha256").asText() + "  " + j.path("classCount").asInt() + " classes");
                }
                out().println("JVMs running exactly these jars are recognised as this baseline; hotpatches must now target it.");
                out().flush();
            }
            return ExitPolicy.OK;
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
            Table t = new Table("ID", "VERSION", "KIND", "RELEASED", "KB", "JARS", "CLASSES");
            for (JsonNode b : list) {
                t.add(b.path("id").asText(), b.path("version").asText(), b.path("kind").asText(), b.path("releasedOn").asText(),
                        b.path("kbId").asText(""), b.path("jars").size(), b.path("classCount").asInt());
            }
            t.print(out());
            return ExitPolicy.OK;
        }
    }
}
