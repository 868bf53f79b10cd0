package dev.hotpatch.cli.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hotpatch.cli.ExitPolicy;
import dev.hotpatch.cli.Json;
import java.time.Duration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code hotpatch assess}: Assess now, then the machine's Updates view. */
@Command(name = "assess", description = {
        "Assess a machine now and show the result.",
        "The machine's node reports it afresh (at once when it waits for commands, else at its next check-in) and the " +
                "server assesses it; then prints the Updates view (as 'hotpatch updates'). Waits by default (at most 10 " +
                "minutes unless --timeout says otherwise); --no-wait prints the operation id."})
public final class AssessCommand extends ActionCommand {
    private static final Duration DEFAULT_WAIT = Duration.ofMinutes(10);

    @Option(names = "--machine", required = true, paramLabel = "NAME", description = "The machine (name or id).")
    String machine;

    @Override
    public Integer call() {
        String m = ApiClient.seg(machine(machine));
        JsonNode op = api().post("/api/v1/machines/" + m + "/assess", null);
        if (waiting.noWait) {
            return follow(op);
        }
        if (!json() && !api().get("/api/v1/machines/" + m).path("present").asBoolean(true)) {
            out().println("Note: " + machine + " was missing from its node's last check-in; it is assessed when it is back.");
        }
        Duration limit = waiting.timeout() != null ? waiting.timeout() : DEFAULT_WAIT;
        JsonNode end = new OperationWatch(api(), json() ? null : out()).await(op, limit);
        int exit = OperationWatch.finished(end) ? OperationWatch.exitCode(end) : ExitPolicy.FAILURE;
        JsonNode assessment = api().get("/api/v1/machines/" + m + "/assessment");
        if (json()) {
            ObjectNode doc = Json.status(exit == ExitPolicy.OK ? "ok" : OperationWatch.finished(end) ? "failed" : "running");
            if (exit != ExitPolicy.OK) {
                doc.put("exitCode", exit);
            }
            doc.set("operation", end);
            doc.set("assessment", assessment);
            printJson(doc);
        } else {
            if (exit != ExitPolicy.OK) {
                out().println();
                OperationWatch.print(out(), end);
                out().println("The last assessment is shown below.");
            }
            out().println();
            UpdatesCommand.print(out(), assessment, assessment.path("updates").size());
        }
        return exit;
    }
}
