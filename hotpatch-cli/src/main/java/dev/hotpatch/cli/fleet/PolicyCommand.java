package dev.hotpatch.cli.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hotpatch.cli.CommandGroup;
import dev.hotpatch.cli.ExitPolicy;
import dev.hotpatch.cli.Table;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code hotpatch policy}: automatic patching settings by scope (fleet, image, group, machine). */
@Command(name = "policy", description = {
        "Automatic patching settings: patch mode, window, approval rules, rings, gates.",
        "A policy sets the patch mode (AutomaticByPlatform, Manual, Disabled), maintenance window, approval " +
                "rules, rings, health gate, error budget and availability rules. It is set at the fleet, an image, a " +
                "group or a machine; a machine inherits field by field: machine, its node's config, group, image, " +
                "fleet, defaults.",
        "Automatic patching is off (Manual) until a scope sets patch mode AutomaticByPlatform."})
public final class PolicyCommand extends CommandGroup {

    /** The command group with its subcommands, for the top-level command list. */
    public static CommandLine line() {
        return new CommandLine(new PolicyCommand())
                .addSubcommand("show", new Show())
                .addSubcommand("set", new Set())
                .addSubcommand("clear", new Clear())
                .addSubcommand("list", new Listing());
    }

    /** Exactly one scope. */
    static final class Scope {
        @Option(names = "--fleet", description = "The fleet's policy (what every image inherits).")
        boolean fleet;

        @Option(names = "--image", paramLabel = "IMAGE", description = "An image's policy (id or publisher/offer/sku).")
        String image;

        @Option(names = "--group", paramLabel = "G", description = "A machine group's policy (the group name nodes report).")
        String group;

        @Option(names = "--machine", paramLabel = "NAME", description = "A machine's own policy (name or id).")
        String machine;

        String path() {
            if (fleet) {
                return "/api/v1/policies/fleet";
            }
            if (image != null) {
                return "/api/v1/policies/image/" + ApiClient.seg(ImageCommand.ref(image));
            }
            if (group != null) {
                return "/api/v1/policies/group/" + ApiClient.seg(group.strip());
            }
            return "/api/v1/policies/machine/" + ApiClient.seg(machine.strip());
        }
    }

    /** {@code hotpatch policy show}. */
    @Command(name = "show", description = {"Show the policy stored at a scope; for a machine, its effective policy:",
            "whether it is patched automatically (and why not), its ring, its window in its time zone, and where each setting comes from."})
    public static final class Show extends FleetCommand {
        @ArgGroup(exclusive = true, multiplicity = "1")
        Scope scope;

        @Override
        public Integer call() {
            if (scope.machine != null) {
                JsonNode v = api().get("/api/v1/machines/" + ApiClient.seg(scope.machine.strip()) + "/policy");
                if (json()) {
                    printJson("policy", v);
                    return ExitPolicy.OK;
                }
                out().println("Machine " + v.path("machine").asText() + ": " + (v.path("automatic").asBoolean() ? "patched automatically"
                        : "not patched automatically: " + v.path("whyNot").asText()));
                out().println("Ring: " + v.path("ring").asText("(the image has no rings)") + "; time zone " + v.path("timeZone").asText()
                        + "; window '" + v.path("window").asText() + "' " + (v.path("windowOpen").asBoolean() ? "open now, closes "
                        + Times.human(v.path("windowClosesAt")) : "opens " + Times.human(v.path("windowOpensAt"))));
                Table t = new Table("SETTING", "VALUE", "FROM");
                for (Iterator<Map.Entry<String, JsonNode>> it = v.path("settings").fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    t.add(e.getKey(), value(e.getValue()), v.path("sources").path(e.getKey()).asText());
                }
                t.print(out());
                return ExitPolicy.OK;
            }
            JsonNode p = api().get(scope.path());
            if (json()) {
                printJson("policy", p);
                return ExitPolicy.OK;
            }
            print(p);
            return ExitPolicy.OK;
        }

        private void print(JsonNode p) {
            out().println("Policy of " + p.path("scope").asText() + " " + p.path("name").asText()
                    + (p.hasNonNull("updatedBy") ? " (changed " + Times.human(p.path("updatedAt")) + " by " + p.path("updatedBy").asText() + ")" : ""));
            if (p.path("settings").isEmpty()) {
                out().println("Nothing set here: everything is inherited.");
                out().flush();
                return;
            }
            Table t = new Table("SETTING", "VALUE");
            p.path("settings").fields().forEachRemaining(e -> t.add(e.getKey(), value(e.getValue())));
            t.print(out());
        }
    }

    /** {@code hotpatch policy set}. */
    @Command(name = "set", description = {
        "Change automatic patching settings at a scope (needs an operator token).",
        "Options left out keep their value; --unset FIELD makes a field inherited again. Refused for a group " +
                "or machine of uniform orchestration when it would turn automatic patching on.",
        "Example: hotpatch policy set --fleet --patch-mode AutomaticByPlatform --window 'daily 01:00 4h'."})
    public static final class Set extends FleetCommand {
        @ArgGroup(exclusive = true, multiplicity = "1")
        Scope scope;

        @Option(names = "--patch-mode", paramLabel = "M", description = "AutomaticByPlatform, Manual or Disabled.")
        String patchMode;

        @Option(names = "--window", paramLabel = "W", description = "Maintenance window, e.g. 'daily 01:00 4h', 'weekly Sat,Sun 02:00 6h',"
                + " 'monthly 2nd Tue +3 22:00 4h' or 'always'; in each machine's own time zone.")
        String window;

        @Option(names = "--time-zone", paramLabel = "Z", description = "IANA zone for machines whose node reports none.")
        String timeZone;

        @Option(names = "--ring", paramLabel = "R", description = "The ring of this group's or machine's machines.")
        String ring;

        @Option(names = "--rings", split = ",", paramLabel = "R1,R2", description = "An image's rings in order, e.g. canary,early,broad.")
        List<String> rings;

        @Option(names = "--ring-tag", paramLabel = "TAG", description = "Tag naming a machine's ring (default ring).")
        String ringTag;

        @Option(names = "--promote-after-hours", paramLabel = "H", description = "Timed promotion: a ring opens H hours after the previous one finished.")
        Integer promoteAfterHours;

        @Option(names = "--classifications", split = ",", paramLabel = "C", description = "Classifications installed automatically (default Critical,Security).")
        List<String> classifications;

        @Option(names = "--severities", split = ",", paramLabel = "S", description = "Severities installed automatically (empty: any).")
        List<String> severities;

        @Option(names = "--delay-hours", paramLabel = "H", description = "Install only H hours after an update's publish date.")
        Integer delayHours;

        @Option(names = "--cutoff", paramLabel = "DATE", description = "Pin to a date: nothing published after it installs automatically.")
        String cutoff;

        @Option(names = "--exclude-kbs", split = ",", paramLabel = "KB", description = "KB ids never installed automatically.")
        List<String> excludeKbs;

        @Option(names = "--soak-minutes", paramLabel = "N", description = "How long a wave is watched before its health is judged (default 10).")
        Integer soakMinutes;

        @Option(names = "--require-health", arity = "1", paramLabel = "true|false", description = "Machines need a passing health check.")
        Boolean requireHealth;

        @Option(names = "--max-failure-rate-increase", paramLabel = "P", description = "Most the failed-probe rate may rise over the soak, in points (default 5).")
        Double maxFailureRateIncrease;

        @Option(names = "--gate-timeout-minutes", paramLabel = "N", description = "How long after its soak a machine may take to report (default 15).")
        Integer gateTimeoutMinutes;

        @Option(names = "--max-failures", paramLabel = "N", description = "Error budget: failed machines tolerated before a rollout halts (default 0).")
        Integer maxFailures;

        @Option(names = "--max-failure-percent", paramLabel = "P", description = "Error budget as a percentage of a rollout's machines.")
        Double maxFailurePercent;

        @Option(names = "--max-percent-of-set", paramLabel = "P", description = "Most of an availability set patched at once (default 20).")
        Integer maxPercentOfSet;

        @Option(names = "--regions-per-phase", paramLabel = "N", description = "Regions patched together after the first one (default 1).")
        Integer regionsPerPhase;

        @Option(names = "--region-pairs", split = ",", paramLabel = "A:B", description = "Pairs of regions never patched in the same phase.")
        List<String> regionPairs;

        @Option(names = "--hotpatch-minutes", paramLabel = "N", description = "Time a hotpatch needs left in the window to start (default 10).")
        Integer hotpatchMinutes;

        @Option(names = "--restart-minutes", paramLabel = "N", description = "Time a baseline restart needs left in the window (default 30).")
        Integer restartMinutes;

        @Option(names = "--max-attempts", paramLabel = "N", description = "Windows a machine is tried in before a rollout gives it up (default 3).")
        Integer maxAttempts;

        @Option(names = "--unset", paramLabel = "FIELD", description = "Make this field inherited again (repeatable), e.g. --unset window.")
        List<String> unset;

        @Override
        public Integer call() {
            ObjectNode body = ApiClient.object();
            RolloutCommand.put(body, "patchMode", patchMode);
            RolloutCommand.put(body, "window", window);
            RolloutCommand.put(body, "timeZone", timeZone);
            RolloutCommand.put(body, "ring", ring);
            list(body, "rings", rings);
            RolloutCommand.put(body, "ringTag", ringTag);
            number(body, "promoteAfterHours", promoteAfterHours);
            list(body, "classifications", classifications);
            list(body, "severities", severities);
            number(body, "delayHours", delayHours);
            RolloutCommand.put(body, "cutoff", cutoff);
            list(body, "excludeKbs", excludeKbs);
            number(body, "soakMinutes", soakMinutes);
            if (requireHealth != null) {
                body.put("requireHealth", requireHealth);
            }
            if (maxFailureRateIncrease != null) {
                body.put("maxFailureRateIncrease", maxFailureRateIncrease);
            }
            number(body, "gateTimeoutMinutes", gateTimeoutMinutes);
            number(body, "maxFailures", maxFailures);
            if (maxFailurePercent != null) {
                body.put("maxFailurePercent", maxFailurePercent);
            }
            number(body, "maxPercentOfSet", maxPercentOfSet);
            number(body, "regionsPerPhase", regionsPerPhase);
            list(body, "regionPairs", regionPairs);
            number(body, "hotpatchMinutes", hotpatchMinutes);
            number(body, "restartMinutes", restartMinutes);
            number(body, "maxAttempts", maxAttempts);
            for (String f : unset == null ? List.<String>of() : unset) {
                if (body.has(f.strip())) {
                    throw usage("--unset " + f + " and a value for the same field");
                }
                body.putNull(f.strip());
            }
            if (body.isEmpty()) {
                throw usage("nothing to change: give at least one setting (see --help) or --unset FIELD");
            }
            JsonNode p = api().patch(scope.path(), body);
            if (json()) {
                printJson("policy", p);
            } else {
                out().println("Policy of " + p.path("scope").asText() + " " + p.path("name").asText() + " now sets: "
                        + (p.path("settings").isEmpty() ? "nothing (everything inherited)" : p.path("settings").toString()));
                out().flush();
            }
            return ExitPolicy.OK;
        }

        private static void list(ObjectNode body, String field, List<String> values) {
            if (values != null) {
                ArrayNode a = body.putArray(field);
                values.stream().map(String::strip).filter(v -> !v.isEmpty()).forEach(a::add);
            }
        }

        private static void number(ObjectNode body, String field, Integer v) {
            if (v != null) {
                body.put(field, v);
            }
        }
    }

    /** {@code hotpatch policy clear}. */
    @Command(name = "clear", description = {
        "Remove the policy stored at a scope (needs an operator token).",
        "Everything at that scope is inherited again."})
    public static final class Clear extends FleetCommand {
        @ArgGroup(exclusive = true, multiplicity = "1")
        Scope scope;

        @Override
        public Integer call() {
            api().delete(scope.path());
            if (json()) {
                printJson(dev.hotpatch.cli.Json.status("ok"));
            } else {
                out().println("Cleared; the scope inherits everything.");
                out().flush();
            }
            return ExitPolicy.OK;
        }
    }

    /** {@code hotpatch policy list}. */
    @Command(name = "list", description = "List every stored policy: fleet, images, groups, machines.")
    public static final class Listing extends FleetCommand {
        @Override
        public Integer call() {
            JsonNode all = api().get("/api/v1/policies");
            if (json()) {
                printJson("policies", all);
                return ExitPolicy.OK;
            }
            if (all.isEmpty()) {
                out().println("No policies: every machine has the defaults (patch mode Manual, window daily 01:00 4h).");
                out().flush();
                return ExitPolicy.OK;
            }
            Table t = new Table("SCOPE", "NAME", "SETTINGS", "CHANGED", "BY");
            for (JsonNode p : all) {
                t.add(p.path("scope").asText(), p.path("name").asText(), p.path("settings").toString(), Times.human(p.path("updatedAt")),
                        p.path("updatedBy").asText(""));
            }
            t.print(out());
            return ExitPolicy.OK;
        }
    }

    static String value(JsonNode v) {
        if (v.isArray()) {
            StringBuilder b = new StringBuilder();
            v.forEach(x -> b.append(b.length() == 0 ? "" : ", ").append(x.asText()));
            return b.length() == 0 ? "(none)" : b.toString();
        }
        return v.isNull() ? "" : v.asText();
    }
}
