package dev.hotpatch.cli.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hotpatch.cli.ExitPolicy;
import dev.hotpatch.cli.Table;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The fleet's side of {@code hotpatch quarantine} (the command itself, with {@code --pid}, looks at
 * one JVM): updates the server blocks for an image because an agent quarantined them.
 */
public final class QuarantineCommand {
    private QuarantineCommand() {
    }

    /** {@code hotpatch quarantine list}. */
    @Command(name = "list", description = "List quarantines, newest first.")
    public static final class Listing extends FleetCommand {
        @Option(names = "--state", paramLabel = "S", description = "Only active or cleared ones.")
        String state;

        @Option(names = "--image", paramLabel = "IMAGE", description = "Only this image's (id or publisher/offer/sku).")
        String image;

        @Option(names = "--limit", paramLabel = "N", defaultValue = "100", description = "At most N (default ${DEFAULT-VALUE}).")
        int limit;

        @Option(names = "--offset", paramLabel = "N", defaultValue = "0", description = "Skip the first N.")
        int offset;

        @Override
        public Integer call() {
            JsonNode page = api().get("/api/v1/quarantines", ApiClient.params("state", state, "image", image == null ? null : ImageCommand.ref(image),
                    "limit", limit, "offset", offset));
            if (json()) {
                printJson("quarantines", page);
                return ExitPolicy.OK;
            }
            if (page.path("items").isEmpty()) {
                out().println("No quarantines" + (state == null ? "" : " " + state) + ".");
                out().flush();
                return ExitPolicy.OK;
            }
            Table t = new Table("ID", "UPDATE", "IMAGE", "STATE", "FIRST MACHINE", "REPORTING", "SINCE", "REASON", "CLEARED BY");
            for (JsonNode q : page.path("items")) {
                t.add(q.path("id").asText(), q.path("kbId").asText(), q.path("image").asText(), q.path("state").asText(), q.path("machine").asText(),
                        q.path("reporting").asInt(), Times.human(q.path("since")), q.path("reason").asText(), q.path("clearedBy").asText(""));
            }
            t.print(out());
            RolloutCommand.more(out(), page);
            return ExitPolicy.OK;
        }
    }

    /** {@code hotpatch quarantine clear}. */
    @Command(name = "clear", description = {
        "Clear a fleet quarantine (needs an operator token).",
        "The update may install automatically again, and halted rollouts of it may be resumed. Recorded in " +
                "the machine's history."})
    public static final class Clear extends FleetCommand {
        @Parameters(index = "0", paramLabel = "ID", description = "The quarantine id ('hotpatch quarantine list' shows them).")
        String id;

        @Option(names = "--note", paramLabel = "TEXT", description = "Why it is safe, for the history.")
        String note;

        @Override
        public Integer call() {
            ObjectNode body = ApiClient.object();
            RolloutCommand.put(body, "note", note);
            JsonNode q = api().post("/api/v1/quarantines/" + ApiClient.seg(id.strip()) + "/clear", body);
            if (json()) {
                printJson("quarantine", q);
            } else {
                out().println("Cleared the quarantine of " + q.path("kbId").asText() + " on " + q.path("image").asText()
                        + "; halted rollouts of it can be resumed with 'hotpatch rollout resume ID'.");
                out().flush();
            }
            return ExitPolicy.OK;
        }
    }
}
