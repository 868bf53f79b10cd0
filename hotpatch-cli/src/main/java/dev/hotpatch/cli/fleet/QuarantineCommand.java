package dev.hotpatch.cli.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hotpatch.cli.CommandGroup;
import dev.hotpatch.cli.ExitPolicy;
import dev.hotpatch.cli.Table;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code hotpatch quarantine}: updates blocked because an agent quarantined them. */
@Command(name = "quarantine", description = {
        "Crash quarantine: when a JVM dies or breaks soon after a hotpatch was applied, its agent does not apply it again at the",
        "next start and reports it; the server then blocks that update for the image (no automatic install, no rollout) until an",
        "operator clears the quarantine."})
public final class QuarantineCommand extends CommandGroup {

    /** The command group with its subcommands, for the top-level command list. */
    public static CommandLine line() {
        return new CommandLine(new QuarantineCommand())
                .addSubcommand("list", new Listing())
                .addSubcommand("clear", new Clear());
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
                        q.path("reporting").asInt(), Times.minute(q.path("since")), q.path("reason").asText(), q.path("clearedBy").asText(""));
            }
            t.print(out());
            RolloutCommand.more(out(), page);
            return ExitPolicy.OK;
        }
    }

    /** {@code hotpatch quarantine clear}. */
    @Command(name = "clear", description = {"Clear a quarantine (needs an operator token): the update may install automatically again,",
            "and halted rollouts of it may be resumed. Recorded in the machine's history."})
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
