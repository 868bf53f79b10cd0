package dev.hotpatch.cli.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.cli.ExitPolicy;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code hotpatch move}: bind a machine to another node. */
@Command(name = "move", description = {
        "Move a machine to another node (needs an operator token).",
        "A machine belongs to the node that first reported it; any other node reporting the same name is " +
                "refused for it and the attempt is recorded in history (see 'hotpatch history --machine M --action " +
                "claim'). Move it when the JVM really moved, for example to a new host."})
public final class MoveCommand extends FleetCommand {
    @Option(names = "--machine", required = true, paramLabel = "NAME", description = "The machine (name or id).")
    String machine;

    @Option(names = "--node", required = true, paramLabel = "NODE", description = "The node to bind it to: its id, or a host name"
            + " only one active node has (GET /api/v1/nodes lists them).")
    String node;

    @Override
    public Integer call() {
        JsonNode m = api().post("/api/v1/machines/" + ApiClient.seg(machine(machine)) + "/move", ApiClient.object().put("node", node.strip()));
        if (json()) {
            printJson("machine", m);
        } else {
            out().println("Machine " + m.path("name").asText() + " now belongs to node " + m.path("nodeId").asText() + " ("
                    + m.path("node").asText() + "); its reports from other nodes are refused.");
            out().flush();
        }
        return ExitPolicy.OK;
    }
}
