package dev.hotpatch.cli.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.cli.ExitPolicy;
import dev.hotpatch.cli.Table;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code hotpatch machines}: the fleet's machines with their hotpatch status and missing updates. */
@Command(name = "machines", description = {
        "List the machines the server knows, with filters.",
        "One line per machine: hotpatch status (Enabled, Disabled, NotSupported, PendingEvaluation, ActionRequired) and " +
                "why, missing updates (total/critical/security/other), image and baseline, Java version, node and last " +
                "assessment."})
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
        Table t = new Table("NAME", "STATUS", "MISSING T/C/S/O", "IMAGE", "BASELINE", "JAVA", "NODE", "LAST ASSESSED", "REASON");
        for (JsonNode m : machines) {
            JsonNode miss = m.path("missing");
            String counts = m.path("lastAssessedAt").isNull() ? "" : miss.path("total").asInt() + "/" + miss.path("critical").asInt() + "/"
                    + miss.path("security").asInt() + "/" + miss.path("other").asInt();
            t.add(m.path("name").asText() + (m.path("present").asBoolean(true) ? "" : " (gone)"), m.path("status").asText(), counts,
                    m.path("image").asText(""), m.path("baselineVersion").asText(""), m.path("jvm").path("version").asText(""),
                    m.path("node").asText(""), Times.minute(m.path("lastAssessedAt")), m.path("statusReason").asText(""));
        }
        t.print(out());
        return ExitPolicy.OK;
    }
}
