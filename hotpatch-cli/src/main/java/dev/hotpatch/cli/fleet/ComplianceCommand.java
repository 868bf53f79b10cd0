package dev.hotpatch.cli.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hotpatch.cli.ExitPolicy;
import dev.hotpatch.cli.Json;
import dev.hotpatch.cli.Table;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code hotpatch compliance}: machines fixed in memory, on disk, or exposed, per update and per CVE, with exposure windows. */
@Command(name = "compliance", description = {
        "Compliance per update and per CVE: fixed in memory, fixed on disk, exposed.",
        "Fixed in memory means the hotpatch runs live; fixed on disk means a baseline that includes the fix, " +
                "or the restart update, is installed. Exposure windows (publish to fixed) are shown as percentiles.",
        "With --kb or --cve: per machine, with its exposure window and, for machines fixed only in memory, " +
                "the baseline restart they owe and by when."})
public final class ComplianceCommand extends FleetCommand {
    @Option(names = "--kb", paramLabel = "KB", description = "One update, per machine.")
    String kb;

    @Option(names = "--cve", paramLabel = "CVE", description = "One CVE, per machine.")
    String cve;

    @Option(names = "--image", paramLabel = "IMAGE", description = "Only this image's updates (without --kb/--cve).")
    String image;

    @Option(names = "--state", paramLabel = "S", description = "With --kb or --cve: only machines fixed in memory, on disk, or exposed.")
    String state;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "100", description = "At most N rows (default ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--offset", paramLabel = "N", defaultValue = "0", description = "Skip the first N rows.")
    int offset;

    @Override
    public Integer call() {
        if (kb != null && cve != null) {
            throw usage("give --kb or --cve, not both");
        }
        if (kb != null || cve != null) {
            String path = kb != null ? "/api/v1/compliance/updates/" + ApiClient.seg(kb.strip()) + "/machines"
                    : "/api/v1/compliance/cves/" + ApiClient.seg(cve.strip().toUpperCase(Locale.ROOT)) + "/machines";
            JsonNode page = api().get(path, ApiClient.params("state", state, "limit", limit, "offset", offset));
            if (json()) {
                printJson("machines", page);
                return ExitPolicy.OK;
            }
            out().println((kb != null ? kb : cve) + ": " + exposure(page.path("exposure")));
            Table t = new Table("MACHINE", "IMAGE", "STATE", "FIXED BY", "FIXED", "EXPOSED FOR", "BASELINE RESTART OWED");
            for (JsonNode m : page.path("items")) {
                JsonNode owed = m.path("owedRestart");
                String restart = owed.isMissingNode() || owed.isNull() ? "" : (owed.hasNonNull("version") ? "onto " + owed.path("version").asText()
                        : "onto the baseline due " + owed.path("expectedMonth").asText()) + " by " + Times.human(owed.path("dueBy"));
                t.add(m.path("machine").asText(), m.path("image").asText(), state(m.path("state").asText()), m.path("fixedBy").asText(""),
                        Times.human(m.path("fixedAt")), m.path("exposureSeconds").isNull() ? "?" : days(m.path("exposureSeconds").asLong())
                                + (m.path("open").asBoolean() ? " (still open)" : ""), restart);
            }
            t.print(out());
            RolloutCommand.more(out(), page);
            return ExitPolicy.OK;
        }
        JsonNode updates = api().get("/api/v1/compliance/updates", ApiClient.params("image", image == null ? null : ImageCommand.ref(image),
                "limit", limit, "offset", offset));
        JsonNode cves = image == null ? api().get("/api/v1/compliance/cves", ApiClient.params("limit", limit, "offset", offset)) : null;
        if (json()) {
            ObjectNode doc = Json.status("ok");
            doc.set("updates", updates);
            if (cves != null) {
                doc.set("cves", cves);
            }
            printJson(doc);
            return ExitPolicy.OK;
        }
        Table t = new Table("UPDATE", "IMAGE", "CLASSIFICATION", "PUBLISHED", "MACHINES", "IN MEMORY", "ON DISK", "EXPOSED", "EXPOSURE");
        for (JsonNode u : updates.path("items")) {
            t.add(u.path("kbId").asText(), u.path("image").asText(), u.path("classification").asText(), Times.human(u.path("publishedAt")),
                    u.path("machines").asInt(), u.path("memory").asInt(), u.path("disk").asInt(), u.path("exposed").asInt(),
                    exposure(u.path("exposure")));
        }
        t.print(out());
        RolloutCommand.more(out(), updates);
        if (cves != null && !cves.path("items").isEmpty()) {
            out().println();
            Table c = new Table("CVE", "FIXES", "MACHINES", "IN MEMORY", "ON DISK", "EXPOSED", "EXPOSURE");
            for (JsonNode v : cves.path("items")) {
                StringBuilder fixes = new StringBuilder();
                v.path("fixes").forEach(f -> fixes.append(fixes.length() == 0 ? "" : ", ").append(f.asText()));
                c.add(v.path("cve").asText(), fixes, v.path("machines").asInt(), v.path("memory").asInt(), v.path("disk").asInt(),
                        v.path("exposed").asInt(), exposure(v.path("exposure")));
            }
            c.print(out());
            RolloutCommand.more(out(), cves);
        }
        return ExitPolicy.OK;
    }

    private static String state(String s) {
        return switch (s) {
            case "memory" -> "fixed in memory";
            case "disk" -> "fixed on disk";
            default -> s;
        };
    }

    /** {@code p50 1.0 d, p90 3.2 d, max 4.0 d; 2 still exposed (longest 6.1 d)}. */
    static String exposure(JsonNode e) {
        StringBuilder b = new StringBuilder();
        if (e.path("closed").asInt() > 0) {
            b.append("p50 ").append(days(e.path("p50Seconds").asLong())).append(", p90 ").append(days(e.path("p90Seconds").asLong()))
                    .append(", p99 ").append(days(e.path("p99Seconds").asLong())).append(", max ").append(days(e.path("maxSeconds").asLong()));
        }
        if (e.path("open").asInt() > 0) {
            b.append(b.length() == 0 ? "" : "; ").append(e.path("open").asInt()).append(" still exposed (longest ")
                    .append(days(e.path("longestOpenSeconds").asLong())).append(")");
        }
        return b.length() == 0 ? "no machines" : b.toString();
    }

    static String days(long seconds) {
        if (seconds < 3600) {
            return seconds / 60 + " min";
        }
        if (seconds < 2 * 86_400) {
            return String.format(Locale.ROOT, "%.1f h", seconds / 3600.0);
        }
        return String.format(Locale.ROOT, "%.1f d", seconds / 86_400.0);
    }
}
