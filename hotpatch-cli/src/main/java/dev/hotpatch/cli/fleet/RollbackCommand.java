package dev.hotpatch.cli.fleet;

import dev.hotpatch.cli.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code hotpatch rollback}: put a machine back on its last known good baseline, with a restart. */
@Command(name = "rollback", description = {
        "Roll a machine back to its last known good baseline (restarts the JVM).",
        "As in Azure Update Manager's rollback, this installs the baseline the machine ran before its current one (or --baseline), restarts, " +
                "and confirms it runs; if it does not come back, the node puts the current one back. To drop a hotpatch, which " +
                "needs no restart, use 'hotpatch uninstall --machine M'. Waits by default."})
public final class RollbackCommand extends ActionCommand {
    @Option(names = "--machine", required = true, paramLabel = "NAME", description = "The machine (name or id).")
    String machine;

    @Option(names = "--baseline", paramLabel = "VERSION", description = "Roll back to this baseline (version, or id) instead of the last known good one.")
    String baseline;

    @Override
    public Integer call() {
        var body = Json.object();
        if (baseline != null) {
            body.put("baselineId", baseline);
        }
        return follow(api().post("/api/v1/machines/" + ApiClient.seg(machine(machine)) + "/rollback-baseline", body));
    }
}
