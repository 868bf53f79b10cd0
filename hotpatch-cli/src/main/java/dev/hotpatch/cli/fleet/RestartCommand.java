package dev.hotpatch.cli.fleet;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code hotpatch restart}: restart a machine's JVM through its node. */
@Command(name = "restart", description = {
        "Restart a machine's JVM (its restart command, or the node's supervised launch).",
        "Confirms every staged change together, or undoes them together if the JVM does not come back. Waits by default."})
public final class RestartCommand extends ActionCommand {
    @Option(names = "--machine", required = true, paramLabel = "NAME", description = "The machine (name or id).")
    String machine;

    @Override
    public Integer call() {
        return follow(api().post("/api/v1/machines/" + ApiClient.seg(machine(machine)) + "/restart", null));
    }
}
