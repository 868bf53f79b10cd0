package dev.hotpatch.cli.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hotpatch.cli.ExitPolicy;
import dev.hotpatch.cli.Json;
import picocli.CommandLine.Mixin;

/**
 * An operator command that starts a long operation on a machine (install, uninstall, rollback,
 * restart, assess): by default it shows progress and waits for the end, exiting 0 when the
 * operation succeeded, 3 when every failed step was refused, 1 otherwise; {@code --no-wait}
 * prints the operation id and returns.
 */
public abstract class ActionCommand extends FleetCommand {
    @Mixin
    WaitOptions waiting;

    /** The {@code --timeout} given, or null; commands that also act on a local JVM use it as that JVM's deadline. */
    protected java.time.Duration timeout() {
        return waiting.timeout();
    }

    /** Waits for {@code operation} as the options say, prints it, and returns the exit code. */
    protected int follow(JsonNode operation) {
        String id = operation.path("id").asText();
        if (waiting.noWait) {
            if (json()) {
                printJson("operation", operation);
            } else {
                out().println(id);
                out().flush();
                err().println("Operation " + id + " is " + operation.path("state").asText().replace('_', ' ')
                        + "; follow it with 'hotpatch operation " + id + " --wait'.");
                err().flush();
            }
            return ExitPolicy.OK;
        }
        JsonNode end = new OperationWatch(api(), json() ? null : out()).await(operation, waiting.timeout());
        int exit = OperationWatch.finished(end) ? OperationWatch.exitCode(end) : ExitPolicy.FAILURE;
        if (json()) {
            String status = !OperationWatch.finished(end) ? "running" : exit == ExitPolicy.OK ? "ok" : exit == ExitPolicy.REFUSED ? "refused" : "failed";
            ObjectNode doc = Json.status(status);
            if (exit != ExitPolicy.OK) {
                doc.put("exitCode", exit);
            }
            doc.set("operation", end);
            printJson(doc);
        } else {
            out().println();
            OperationWatch.print(out(), end);
        }
        return exit;
    }
}
