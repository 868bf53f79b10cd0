package dev.hotpatch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hotpatch.attach.AgentClient;
import dev.hotpatch.attach.AgentReport;
import dev.hotpatch.attach.InstalledHotpatch;
import dev.hotpatch.cli.fleet.ApiClient;
import dev.hotpatch.cli.fleet.FleetCommand;
import dev.hotpatch.cli.fleet.Times;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code hotpatch list}: the hotpatches installed in a JVM, as Get-HotFix lists a machine's. */
@Command(name = "list", description = {
        "List hotpatches installed in a JVM (--pid) or on a fleet machine (--machine).",
        "Like Get-HotFix: Source (machine), Description, HotFixID, State, InstalledBy, InstalledOn, then each hotpatch's " +
                "classes with, per class loader, the SHA-256 of the bytes that copy runs (verified when they are the package's).",
        "--pid asks the JVM's agent directly and never loads it: a JVM without it has nothing installed. It also shows " +
                "hotpatches held back (quarantined after a crash, revoked publisher) and a restart the JVM owes, and for a " +
                "hotpatch with a fix-up class its hooks and whether afterApply() ran.",
        "--machine asks the server, which lists what the machine's node last reported, checked against the catalog."})
final class ListCommand extends FleetCommand {
    @ArgGroup(exclusive = true, multiplicity = "1")
    Target target;

    @Mixin
    TargetTimeout timeout;

    /** Which JVM: a local process, or a machine through the server. */
    static final class Target {
        @Option(names = "--pid", required = true, paramLabel = "PID", description = "Process id of a local JVM (see 'hotpatch ps').")
        Long pid;

        @Option(names = "--machine", required = true, paramLabel = "NAME", description = "A machine of the fleet (name or id), via the server.")
        String machine;
    }

    @Override
    public Integer call() {
        return target.machine != null ? viaServer(machine(target.machine)) : local(pid(target.pid));
    }

    private int viaServer(String machine) {
        JsonNode fixes = api().get("/api/v1/machines/" + ApiClient.seg(machine) + "/hotfixes");
        if (json()) {
            ObjectNode doc = Json.status("ok").put("machine", machine);
            doc.set("installed", fixes);
            printJson(doc);
            return ExitPolicy.OK;
        }
        if (fixes.isEmpty()) {
            out().println("No hotpatches or updates installed on machine " + machine + " (as its node last reported).");
            out().flush();
            return ExitPolicy.OK;
        }
        Table t = new Table("Source", "Description", "HotFixID", "InstalledOn", "Classes", "Verified");
        for (JsonNode f : fixes) {
            String verified = f.path("verified").isNull() || f.path("verified").isMissingNode() ? "" : f.path("verified").asBoolean() ? "yes" : "NO";
            String note = f.path("note").asText("");
            t.add(machine, f.path("description").asText(), f.path("hotFixId").asText(), Times.human(f.path("installedOn")),
                    f.path("kind").asText().equals("hotpatch") ? f.path("classes").asInt() : "", verified + (note.isBlank() ? "" : (verified.isEmpty() ? "" : ": ") + note));
        }
        t.print(out());
        return ExitPolicy.OK;
    }

    private int local(long target) {
        Optional<AgentClient> maybe = AgentClient.connectIfPresent(target, timeout.get());
        String source = Long.toString(target);
        AgentReport report = new AgentReport("", List.of(), null, List.of());
        if (maybe.isPresent()) {
            try (AgentClient client = maybe.get()) {
                String machine = client.ping().machine();
                source = machine.isEmpty() ? source : machine;
                report = client.report();
            }
        }
        String mode = report.mode().isEmpty() && maybe.isPresent() ? maybe.get().mode() : report.mode();
        if (json()) {
            ObjectNode doc = json(target, source, maybe.isPresent(), mode, report);
            maybe.ifPresent(c -> doc.put("reachedBy", c.reachedBy()));
            printJson(doc);
            return ExitPolicy.OK;
        }
        List<InstalledHotpatch> installed = report.hotpatches();
        if (installed.isEmpty()) {
            out().println("No hotpatches installed in JVM " + target
                    + (maybe.isPresent() ? "." : " (the hotpatch agent is not loaded in it)."));
        } else {
            Table t = new Table("Source", "Description", "HotFixID", "State", "InstalledBy", "InstalledOn");
            for (InstalledHotpatch h : installed) {
                t.add(source, h.description(), h.id(), h.state(), h.installedBy(), Times.human(h.installedOn()));
            }
            t.print(out());
            for (InstalledHotpatch h : installed) {
                out().println();
                out().println(h.id() + (h.cves().isEmpty() ? "" : "  " + String.join(", ", h.cves()))
                        + (h.supersedes().isEmpty() ? "" : "  supersedes " + String.join(", ", h.supersedes()))
                        + "  (" + keeping(h, mode) + ")");
                if (!h.live()) {
                    out().println("  " + h.state() + (h.stateSince() == null ? "" : " since " + Times.human(h.stateSince())) + ": " + h.stateReason());
                }
                if (h.fixup() != null) {
                    out().println("  " + h.fixup().describe() + (h.fixup().detail().isEmpty() ? "" : ": " + h.fixup().detail()));
                }
                for (InstalledHotpatch.InstalledClass c : h.classes()) {
                    out().println("  " + c.name() + "  sha256 " + c.sha256() + "  " + (c.added() ? addedState(c)
                            : c.copies().isEmpty() ? "not loaded" + (h.live() ? " yet: patched when it loads" : "") : verdict(c)));
                    for (InstalledHotpatch.Copy copy : c.copies()) {
                        out().println("    " + copy.loader() + "  runs " + (copy.sha256().isEmpty() ? "(unknown bytes)" : copy.sha256())
                                + (copy.sha256().equals(c.sha256()) ? "" : "  NOT the package's bytes"));
                    }
                }
            }
        }
        if (report.restartPending() != null) {
            out().println();
            out().println("Restart pending since " + Times.human(report.restartPending().since()) + ": " + report.restartPending().reason() + ".");
        }
        for (String p : report.problems()) {
            out().println("Problem: " + p);
        }
        out().flush();
        return ExitPolicy.OK;
    }

    /** What happens to a hotpatch when the JVM restarts, in words that are true for its agent's mode. */
    private static String keeping(InstalledHotpatch h, String mode) {
        if (!h.live()) {
            return "not running";
        }
        if (h.persisted()) {
            return "re-applied at restart";
        }
        return mode.equals("attached") ? "live until this JVM exits; the agent was attached, so nothing re-applies it"
                : "until restart";
    }

    /** Where a class the hotpatch adds is defined; it outlives an uninstall. */
    private static String addedState(InstalledHotpatch.InstalledClass c) {
        int n = c.copies().size();
        return "added class, " + (n == 0 ? "not defined yet: defined when a class of its package loads"
                : "defined in " + n + (n == 1 ? " loader" : " loaders")) + "; a class cannot be unloaded, so it stays defined"
                + " after an uninstall, unreferenced by the restored code";
    }

    private static String verdict(InstalledHotpatch.InstalledClass c) {
        long running = c.copies().stream().filter(x -> x.sha256().equals(c.sha256())).count();
        return running == c.copies().size() ? "verified: " + (running == 1 ? "1 loader runs" : running + " loaders run") + " these bytes"
                : running + " of " + c.copies().size() + " loaders run these bytes";
    }

    private static ObjectNode json(long pid, String source, boolean agentPresent, String mode, AgentReport report) {
        ObjectNode doc = Json.status("ok").put("pid", pid).put("source", source).put("agentPresent", agentPresent).put("mode", mode);
        ArrayNode a = doc.putArray("installed");
        for (InstalledHotpatch h : report.hotpatches()) {
            ObjectNode o = a.addObject().put("source", source).put("description", h.description()).put("hotFixId", h.id())
                    .put("title", h.title()).put("classification", h.classification()).put("installedBy", h.installedBy())
                    .put("installedOn", h.installedOn() == null ? null : h.installedOn().toString()).put("persisted", h.persisted())
                    .put("state", h.state());
            if (!h.live()) {
                o.put("stateSince", h.stateSince() == null ? null : h.stateSince().toString()).put("stateReason", h.stateReason());
            }
            o.set("supersedes", Json.strings(h.supersedes()));
            o.set("cves", Json.strings(h.cves()));
            if (h.fixup() != null) {
                ObjectNode f = o.putObject("fixup").put("class", h.fixup().className());
                f.set("hooks", Json.strings(h.fixup().hooks()));
                f.put("state", h.fixup().state()).put("ran", h.fixup().state().equals("ran")).put("detail", h.fixup().detail());
            }
            ArrayNode classes = o.putArray("classes");
            for (InstalledHotpatch.InstalledClass c : h.classes()) {
                ObjectNode k = classes.addObject().put("name", c.name()).put("kind", c.added() ? "added" : "replace")
                        .put("sha256", c.sha256()).put("loaders", c.loaders());
                ArrayNode copies = k.putArray("copies");
                for (InstalledHotpatch.Copy copy : c.copies()) {
                    copies.addObject().put("loader", copy.loader()).put("sha256", copy.sha256());
                }
                k.put("verified", !c.copies().isEmpty() && c.copies().stream().allMatch(x -> x.sha256().equals(c.sha256())));
            }
        }
        if (report.restartPending() != null) {
            doc.putObject("restartPending").put("since", String.valueOf(report.restartPending().since()))
                    .put("reason", report.restartPending().reason());
        }
        doc.set("problems", Json.strings(report.problems()));
        return doc;
    }
}
