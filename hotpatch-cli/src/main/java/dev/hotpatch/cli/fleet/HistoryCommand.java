package dev.hotpatch.cli.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.cli.ExitPolicy;
import dev.hotpatch.cli.Table;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code hotpatch history}: the update history of a machine, or of the fleet. */
@Command(name = "history", description = {
        "Show the update history: installs, uninstalls, restarts and refusals, newest first.",
        "Who asked, what, when and the outcome (requested, succeeded, failed, refused, pending-restart, not-attempted).",
        "The last 30 days by default; without --machine, the whole fleet's."})
public final class HistoryCommand extends FleetCommand {
    @Option(names = "--machine", paramLabel = "NAME", description = "Only this machine (name or id).")
    String machine;

    @Option(names = "--days", paramLabel = "N", defaultValue = "30", description = "How far back, in days (default ${DEFAULT-VALUE}).")
    int days;

    @Option(names = "--action", paramLabel = "A",
            description = "Only this action: install, install-baseline, uninstall, restart, rollback-baseline, assess.")
    String action;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "1000", description = "At most N entries (default ${DEFAULT-VALUE}).")
    int limit;

    @Override
    public Integer call() {
        if (days < 1 || days > 3660) {
            throw usage("--days must be 1 to 3660, got " + days);
        }
        JsonNode entries = machine == null
                ? api().get("/api/v1/history", ApiClient.params("days", days, "action", action, "limit", limit))
                : api().get("/api/v1/machines/" + ApiClient.seg(machine(machine)) + "/history",
                        ApiClient.params("days", days, "action", action, "limit", limit));
        if (json()) {
            printJson("history", entries);
        } else {
            print(out(), entries, machine == null, days);
        }
        return ExitPolicy.OK;
    }

    /** History entries as a table, newest first; {@code fleet} adds the machine column. */
    public static void print(PrintWriter out, JsonNode entries, boolean fleet, int days) {
        if (entries.isEmpty()) {
            out.println("No history in the last " + days + " days.");
            out.flush();
            return;
        }
        Table t = fleet ? new Table("WHEN", "MACHINE", "ACTION", "KB", "OUTCOME", "WHO", "DETAILS")
                : new Table("WHEN", "ACTION", "KB", "OUTCOME", "WHO", "DETAILS");
        for (JsonNode e : entries) {
            String when = Times.human(e.path("at"));
            if (fleet) {
                t.add(when, e.path("machineName").asText(), e.path("action").asText(), e.path("kbId").asText(""), e.path("outcome").asText(),
                        e.path("actor").asText(""), e.path("details").asText(""));
            } else {
                t.add(when, e.path("action").asText(), e.path("kbId").asText(""), e.path("outcome").asText(), e.path("actor").asText(""),
                        e.path("details").asText(""));
            }
        }
        t.print(out);
    }
}
