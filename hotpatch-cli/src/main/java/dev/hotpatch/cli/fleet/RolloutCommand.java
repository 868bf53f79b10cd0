package dev.hotpatch.cli.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hotpatch.cli.CommandGroup;
import dev.hotpatch.cli.ExitPolicy;
import dev.hotpatch.cli.Table;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code hotpatch rollout}: availability-first rollouts of a hotpatch or baseline, and the rings updates reach automatically. */
@Command(name = "rollout", description = {
        "Rollouts: one update going to every machine that needs it, in healthy waves.",
        "Waves put availability first: regions one phase at a time, zones in turn, one update domain and at " +
                "most 20%% of an availability set at once. Each wave must be healthy before the next starts.",
        "A wave that fails its health gate halts the rollout, and the failing machines are rolled back live."})
public final class RolloutCommand extends CommandGroup {

    /** The command group with its subcommands, for the top-level command list. */
    public static CommandLine line() {
        return new CommandLine(new RolloutCommand())
                .addSubcommand("list", new Listing())
                .addSubcommand("show", new Show())
                .addSubcommand("start", new Start())
                .addSubcommand("resume", new Resume())
                .addSubcommand("cancel", new Cancel())
                .addSubcommand("approvals", new ApprovalsView())
                .addSubcommand("promote", new Promote());
    }

    /** {@code hotpatch rollout list}. */
    @Command(name = "list", description = "List rollouts, newest first.")
    public static final class Listing extends FleetCommand {
        @Option(names = "--state", paramLabel = "S", description = "Only running, halted, completed or canceled ones.")
        String state;

        @Option(names = "--image", paramLabel = "IMAGE", description = "Only rollouts of this image (id or publisher/offer/sku).")
        String image;

        @Option(names = "--target", paramLabel = "KB", description = "Only rollouts of this KB (or baseline id).")
        String target;

        @Option(names = "--origin", paramLabel = "O", description = "Only automatic ones or operator ones.")
        String origin;

        @Option(names = "--limit", paramLabel = "N", defaultValue = "50", description = "At most N (default ${DEFAULT-VALUE}).")
        int limit;

        @Option(names = "--offset", paramLabel = "N", defaultValue = "0", description = "Skip the first N.")
        int offset;

        @Override
        public Integer call() {
            JsonNode page = api().get("/api/v1/rollouts", ApiClient.params("state", state, "image", image == null ? null : ImageCommand.ref(image),
                    "target", target, "origin", origin, "limit", limit, "offset", offset));
            if (json()) {
                printJson("rollouts", page);
                return ExitPolicy.OK;
            }
            if (page.path("items").isEmpty()) {
                out().println("No rollouts" + (state == null ? "" : " " + state) + ".");
                out().flush();
                return ExitPolicy.OK;
            }
            Table t = new Table("ID", "TARGET", "IMAGE", "RING", "ORIGIN", "STATE", "WAVE", "MACHINES", "FAILED", "CREATED");
            for (JsonNode r : page.path("items")) {
                t.add(r.path("id").asText(), target(r), r.path("image").asText(), r.path("ring").asText(""), r.path("origin").asText(),
                        r.path("state").asText(), r.path("currentWave").asInt() + "/" + r.path("waveCount").asInt(),
                        r.path("machines").path("healthy").asInt() + "/" + r.path("machineCount").asInt() + " healthy",
                        r.path("failures").asInt() + " (budget " + r.path("errorBudget").asInt() + ")", Times.human(r.path("createdAt")));
            }
            t.print(out());
            more(out(), page);
            return ExitPolicy.OK;
        }
    }

    /** {@code hotpatch rollout show}. */
    @Command(name = "show", description = {
        "Show a rollout: its waves, why it halted, its latest events.",
        "With --machines: its machines and the state of each (pending, installing, soaking, healthy, failed, " +
                "rolled back, not attempted, quarantined…)."})
    public static final class Show extends FleetCommand {
        @Parameters(index = "0", paramLabel = "ID", description = "The rollout id.")
        String id;

        @Option(names = "--machines", description = "List its machines too.")
        boolean machines;

        @Option(names = "--wave", paramLabel = "N", description = "With --machines: only wave N.")
        Integer wave;

        @Option(names = "--state", paramLabel = "S", description = "With --machines: only machines in this state.")
        String state;

        @Option(names = "--limit", paramLabel = "N", defaultValue = "200", description = "With --machines: at most N (default ${DEFAULT-VALUE}).")
        int limit;

        @Option(names = "--offset", paramLabel = "N", defaultValue = "0", description = "With --machines: skip the first N.")
        int offset;

        @Override
        public Integer call() {
            String path = "/api/v1/rollouts/" + ApiClient.seg(id.strip());
            JsonNode r = api().get(path);
            JsonNode ms = machines ? api().get(path + "/machines", ApiClient.params("wave", wave, "state", state, "limit", limit, "offset", offset)) : null;
            if (json()) {
                ObjectNode doc = dev.hotpatch.cli.Json.status("ok");
                doc.set("rollout", r);
                if (ms != null) {
                    doc.set("machines", ms);
                }
                printJson(doc);
                return ExitPolicy.OK;
            }
            print(out(), r);
            if (ms != null) {
                out().println();
                Table t = new Table("WAVE", "MACHINE", "REGION", "ZONE", "SET/GROUP", "UD", "STATE", "TRIES", "REASON");
                for (JsonNode m : ms.path("items")) {
                    t.add(m.path("wave").asInt(), m.path("machine").asText(), m.path("region").asText(""), m.path("zone").asText(""),
                            m.path("availabilitySet").asText(m.path("group").asText("")), m.path("updateDomain").asText(""),
                            m.path("state").asText().replace('_', ' '), m.path("attempts").asInt(), m.path("reason").asText(""));
                }
                t.print(out());
                more(out(), ms);
            }
            return ExitPolicy.OK;
        }
    }

    /** {@code hotpatch rollout start}. */
    @Command(name = "start", description = {
        "Start a rollout of a hotpatch or a baseline (needs an operator token).",
        "The hotpatch (--update KB) or baseline (--baseline) goes to every machine of its image that needs " +
                "it, except Disabled ones; machines already in an unfinished rollout join a later one. Each machine " +
                "is patched in its own maintenance window unless --now is given."})
    public static final class Start extends FleetCommand {
        @Option(names = "--update", paramLabel = "KB", description = "The hotpatch to roll out.")
        String update;

        @Option(names = "--baseline", paramLabel = "B", description = "The baseline to roll out (id, version with --image, or KB id).")
        String baseline;

        @Option(names = "--image", paramLabel = "IMAGE", description = "The image (publisher/offer/sku); needed to name a baseline by version.")
        String image;

        @Option(names = "--ring", paramLabel = "R", description = "Only machines of this ring.")
        String ring;

        @Option(names = "--group", paramLabel = "G", description = "Only machines of this group.")
        String group;

        @Option(names = "--machine", paramLabel = "NAME", description = "Only this machine (repeatable).")
        List<String> machines;

        @Option(names = "--now", description = "Start each machine as soon as its wave comes, not in its maintenance window.")
        boolean now;

        @Override
        public Integer call() {
            if ((update == null) == (baseline == null)) {
                throw usage("give exactly one of --update KB and --baseline B");
            }
            ObjectNode body = ApiClient.object();
            put(body, "update", update);
            put(body, "baseline", baseline);
            put(body, "image", image == null ? null : ImageCommand.ref(image));
            put(body, "ring", ring);
            put(body, "group", group);
            if (machines != null && !machines.isEmpty()) {
                ArrayNode a = body.putArray("machines");
                machines.forEach(a::add);
            }
            if (now) {
                body.put("ignoreWindows", true);
            }
            JsonNode r = api().post("/api/v1/rollouts", body);
            if (json()) {
                printJson("rollout", r);
            } else {
                out().println("Started rollout " + r.path("id").asText() + ".");
                print(out(), r);
            }
            return ExitPolicy.OK;
        }
    }

    /** {@code hotpatch rollout resume}. */
    @Command(name = "resume", description = {
        "Resume a halted rollout (needs an operator token).",
        "Its failures so far are acknowledged: the error budget counts again from here. Refused while its " +
                "update is quarantined."})
    public static final class Resume extends Action {
        @Parameters(index = "0", paramLabel = "ID", description = "The rollout id.")
        String id;

        @Option(names = "--note", paramLabel = "TEXT", description = "Why, for the rollout's events.")
        String note;

        @Override
        public Integer call() {
            return act(id, "resume", note);
        }
    }

    /** {@code hotpatch rollout cancel}. */
    @Command(name = "cancel", description = {
        "Cancel a rollout (needs an operator token).",
        "Machines not started are left alone; machines being patched finish and are still judged. An " +
                "automatic rollout that was canceled is not started again for that update."})
    public static final class Cancel extends Action {
        @Parameters(index = "0", paramLabel = "ID", description = "The rollout id.")
        String id;

        @Option(names = "--note", paramLabel = "TEXT", description = "Why, for the rollout's events.")
        String note;

        @Override
        public Integer call() {
            return act(id, "cancel", note);
        }
    }

    /** {@code hotpatch rollout approvals}. */
    @Command(name = "approvals", description = {
        "Show which updates of an image install automatically, and their rings.",
        "The image's approval rules decide: classifications, severities, delay after publish, cutoff date, " +
                "exclusions, quarantine. Each update shows how far it has got through the image's rings."})
    public static final class ApprovalsView extends FleetCommand {
        @Option(names = "--image", required = true, paramLabel = "IMAGE", description = "The image (id or publisher/offer/sku).")
        String image;

        @Override
        public Integer call() {
            JsonNode ds = api().get("/api/v1/approvals", ApiClient.params("image", ImageCommand.ref(image)));
            if (json()) {
                printJson("approvals", ds);
                return ExitPolicy.OK;
            }
            Table t = new Table("TARGET", "KIND", "CLASSIFICATION", "PUBLISHED", "APPROVED", "RINGS", "WHY");
            for (JsonNode d : ds) {
                List<String> rings = new ArrayList<>();
                for (JsonNode r : d.path("rings")) {
                    String name = r.path("ring").isNull() ? "all" : r.path("ring").asText();
                    rings.add(name + (r.path("approved").asBoolean() ? " (" + r.path("how").asText() + ")" : " waiting"));
                }
                t.add(d.path("label").asText(), d.path("kind").asText(), d.path("classification").asText(), Times.human(d.path("publishedAt")),
                        d.path("approved").asBoolean() ? "yes" : "no", String.join(", ", rings), d.path("reason").asText());
            }
            t.print(out());
            return ExitPolicy.OK;
        }
    }

    /** {@code hotpatch rollout promote}. */
    @Command(name = "promote", description = {
        "Promote an approved update to the next ring of its image (needs an operator token).",
        "Rings open in order, for example canary, then early, then broad. The next automation run starts its " +
                "rollout."})
    public static final class Promote extends FleetCommand {
        @Option(names = "--image", required = true, paramLabel = "IMAGE", description = "The image (id or publisher/offer/sku).")
        String image;

        @Option(names = "--target", required = true, paramLabel = "KB", description = "The update (KB id, or baseline id or version).")
        String target;

        @Option(names = "--ring", required = true, paramLabel = "R", description = "The ring to open.")
        String ring;

        @Override
        public Integer call() {
            JsonNode d = api().post("/api/v1/approvals/promote", ApiClient.object().put("image", ImageCommand.ref(image)).put("target", target)
                    .put("ring", ring));
            if (json()) {
                printJson("approval", d);
            } else {
                out().println("Promoted " + d.path("label").asText() + " to ring " + ring + "; its rollout starts at the next automation run.");
                out().flush();
            }
            return ExitPolicy.OK;
        }
    }

    /** An operator's action on one rollout. */
    abstract static class Action extends FleetCommand {
        int act(String id, String verb, String note) {
            ObjectNode body = ApiClient.object();
            put(body, "note", note);
            JsonNode r = api().post("/api/v1/rollouts/" + ApiClient.seg(id.strip()) + "/" + verb, body);
            if (json()) {
                printJson("rollout", r);
            } else {
                print(out(), r);
            }
            return ExitPolicy.OK;
        }
    }

    /** A rollout as text: summary, waves, halt reason, latest events. */
    static void print(PrintWriter out, JsonNode r) {
        out.println("Rollout " + r.path("id").asText() + ": " + r.path("kind").asText() + " " + target(r) + " (" + r.path("title").asText("")
                + ") to " + r.path("image").asText() + (r.path("ring").isNull() ? "" : ", ring " + r.path("ring").asText()) + ", "
                + r.path("origin").asText() + ", by " + r.path("createdBy").asText());
        out.println("State: " + r.path("state").asText() + ", wave " + r.path("currentWave").asInt() + " of " + r.path("waveCount").asInt() + ", "
                + r.path("machineCount").asInt() + " machine(s): " + states(r.path("machines")) + "; failures " + r.path("failures").asInt()
                + " (budget " + r.path("errorBudget").asInt() + ")");
        if (r.hasNonNull("haltReason")) {
            out.println("Halted " + Times.human(r.path("haltedAt")) + ": " + r.path("haltReason").asText());
            out.println("Resume with 'hotpatch rollout resume " + r.path("id").asText() + "' or cancel with 'hotpatch rollout cancel "
                    + r.path("id").asText() + "'.");
        }
        if (r.path("waves").isArray() && !r.path("waves").isEmpty()) {
            out.println();
            Table t = new Table("WAVE", "PHASE", "STATE", "MACHINES", "STATES", "WHERE");
            for (JsonNode w : r.path("waves")) {
                t.add(w.path("wave").asInt(), w.path("phase").asInt(), w.path("state").asText(), w.path("machineCount").asInt(),
                        states(w.path("machines")), w.path("description").asText().replaceFirst("^phase \\d+: ", ""));
            }
            t.print(out);
        }
        if (r.path("events").isArray() && !r.path("events").isEmpty()) {
            out.println();
            Table t = new Table("WHEN (UTC)", "EVENT", "BY", "WHAT");
            int n = 0;
            for (JsonNode e : r.path("events")) {
                if (n++ == 10) {
                    break;
                }
                t.add(Times.human(e.path("at")), e.path("kind").asText(), e.path("actor").asText(), e.path("message").asText());
            }
            t.print(out);
        }
        out.flush();
    }

    static String target(JsonNode r) {
        return "baseline".equals(r.path("kind").asText()) ? r.path("settings").path("version").asText(r.path("target").asText())
                : r.path("target").asText();
    }

    private static String states(JsonNode counts) {
        List<String> parts = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = counts.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            parts.add(e.getValue().asInt() + " " + e.getKey().replace('_', ' '));
        }
        return parts.isEmpty() ? "none" : String.join(", ", parts);
    }

    static void more(PrintWriter out, JsonNode page) {
        int shown = page.path("offset").asInt() + page.path("items").size();
        if (shown < page.path("total").asInt()) {
            out.println("(" + page.path("items").size() + " of " + page.path("total").asInt() + "; next page: --offset " + shown + ")");
            out.flush();
        }
    }

    static void put(ObjectNode body, String field, String value) {
        if (value != null && !value.isBlank()) {
            body.put(field, value.strip());
        }
    }
}
