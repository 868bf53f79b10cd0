package dev.hotpatch.cli.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.cli.ExitPolicy;
import dev.hotpatch.cli.Table;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code hotpatch machines}: the fleet's machines with their hotpatch status and missing updates. */
@Command(name = "machines", description = {
        "List the machines the server knows, with filters.",
        "One line per machine: its hotpatch status (Enabled, Disabled, NotSupported, PendingEvaluation or " +
                "ActionRequired), how many updates it misses (all, critical, security), the baseline it runs (image and " +
                "version) and why it has its status, in 100 columns.",
        "--wide adds the other missing updates, the Java version, the node, the last assessment and the whole reason; " +
                "--json has everything."})
public final class MachinesCommand extends FleetCommand {
    @Option(names = "--status", paramLabel = "S", description = "Only this status: Enabled, Disabled, NotSupported, PendingEvaluation, ActionRequired.")
    String status;

    @Option(names = "--image", paramLabel = "IMAGE", description = "Only machines of this image (id or publisher/offer/sku).")
    String image;

    @Option(names = "--node", paramLabel = "NODE", description = "Only machines of this node (id or host name).")
    String node;

    @Option(names = "--present", paramLabel = "true|false", arity = "1",
            description = "Only machines in (true) or missing from (false) their node's last check-in.")
    Boolean present;

    @Option(names = "--name", paramLabel = "TEXT", description = "Only machines whose name contains TEXT.")
    String nameContains;

    @Option(names = "--region", paramLabel = "R", description = "Only machines configured in this region.")
    String region;

    @Option(names = "--tag", paramLabel = "K[=V]", description = "Only machines with this tag (or tag value).")
    String tag;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "500", description = "At most N machines (default: ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--offset", paramLabel = "N", defaultValue = "0", description = "Skip the first N.")
    int offset;

    @Option(names = "--wide", description = "Every column, with the whole status reason (lines may be long).")
    boolean wide;

    @Override
    public Integer call() {
        if (limit < 1 || offset < 0) {
            throw usage("--limit must be at least 1 and --offset at least 0");
        }
        JsonNode machines = api().get("/api/v1/machines", ApiClient.params("status", status, "image", image, "node", node,
                "present", present, "q", nameContains, "region", region, "tag", tag, "limit", limit, "offset", offset));
        if (json()) {
            printJson("machines", machines);
            return ExitPolicy.OK;
        }
        if (machines.isEmpty()) {
            out().println("No machines" + (status != null || image != null || node != null || present != null || nameContains != null
                    || region != null || tag != null ? " match these filters." : " yet: run 'hotpatch node --server URL --token T' on a host"
                    + " with named JVMs (-Dhotpatch.machine=NAME)."));
            out().flush();
            return ExitPolicy.OK;
        }
        Table t = wide ? new Table("NAME", "STATUS", "MISSING", "CRITICAL", "SECURITY", "OTHER", "BASELINE", "JAVA", "NODE",
                "LAST ASSESSED", "REASON") : new Table("NAME", "STATUS", "MISSING", "CRITICAL", "SECURITY", "BASELINE", "NOTE");
        for (JsonNode m : machines) {
            JsonNode miss = m.path("missing");
            boolean assessed = !m.path("lastAssessedAt").isNull() && !m.path("lastAssessedAt").isMissingNode();
            String total = assessed ? miss.path("total").asText() : "-";
            String critical = assessed ? miss.path("critical").asText() : "-";
            String security = assessed ? miss.path("security").asText() : "-";
            String name = m.path("name").asText() + (m.path("present").asBoolean(true) ? "" : " (gone)");
            String baseline = (m.path("image").asText("") + " " + m.path("baselineVersion").asText("")).trim();
            String reason = m.path("statusReason").asText("");
            if (wide) {
                t.add(name, m.path("status").asText(), total, critical, security, assessed ? miss.path("other").asText() : "-", baseline,
                        m.path("jvm").path("version").asText(""), m.path("node").asText(""), Times.human(m.path("lastAssessedAt")), reason);
            } else {
                t.add(name, m.path("status").asText(), total, critical, security, baseline, assessed ? reason : "not assessed yet");
            }
        }
        if (wide) {
            t.print(out());
        } else {
            t.print(out(), 100);
        }
        return ExitPolicy.OK;
    }
}
