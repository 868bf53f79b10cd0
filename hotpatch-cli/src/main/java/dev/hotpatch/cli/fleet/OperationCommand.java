package dev.hotpatch.cli.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.cli.ExitPolicy;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code hotpatch operation}: the status of a long operation, optionally waiting for its end. */
@Command(name = "operation", description = {
        "Show an operation (install, uninstall, rollback, restart, assess) and its results.",
        "With --wait, follows it to its end; the exit code then says how it ended (0 succeeded, 3 refused, 1 otherwise)."})
public final class OperationCommand extends ActionCommand {
    @Parameters(index = "0", paramLabel = "ID", description = "The operation id (printed by install --no-wait and friends).")
    String id;

    @Option(names = "--wait", description = "Wait for the operation to end, showing progress.")
    boolean await;

    @Override
    public Integer call() {
        JsonNode op = api().get("/api/v1/operations/" + ApiClient.seg(id.strip()));
        if (await && !waiting.noWait) {
            return follow(op);
        }
        if (json()) {
            printJson("operation", op);
        } else {
            OperationWatch.print(out(), op);
        }
        return ExitPolicy.OK;
    }
}
