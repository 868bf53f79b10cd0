package dev.hotpatch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hotpatch.attach.AgentClient;
import dev.hotpatch.attach.InstalledHotpatch;
import dev.hotpatch.cli.fleet.ApiClient;
import dev.hotpatch.cli.fleet.FleetCommand;
import dev.hotpatch.cli.fleet.Times;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code hotpatch list}: the hotpatches installed in a JVM, as Get-HotFix lists a machine's. */
@Command(name = "list", description = {
        "List hotpatches installed in a JVM (--pid) or on a fleet machine (--machine).",
        "Like Get-HotFix: Source (machine), Description, HotFixID, InstalledBy, InstalledOn, then each hotpatch's " +
                "classes with the SHA-256 of the bytes now in use.",
        "--pid asks the JVM's agent directly and never loads it: a JVM without it has nothing installed.",
        "--machine asks the server, which lists what the machine's node last reported, checked against the catalog."})
final class ListCommand extends FleetCommand {
    @ArgGroup(exclusive = true, multiplicity = "1")
    Target target;

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
        Optional<AgentClient> maybe = AgentClient.connectIfPresent(target);
        String source = Long.toString(target);
        List<InstalledHotpatch> installed = List.of();
        if (maybe.isPresent()) {
            try (AgentClient client = maybe.get()) {
                String machine = client.ping().machine();
                source = machine.isEmpty() ? source : machine;
                installed = client.list();
            }
        }
        if (json()) {
            ObjectNode doc = Json.status("ok").put("pid", target).put("source", source).put("agentPresent", maybe.isPresent());
            ArrayNode a = doc.putArray("installed");
            for (InstalledHotpatch h : installed) {
                ObjectNode o = a.addObject().put("source", source).put("description", h.description()).put("hotFixId", h.id())
                        .put("title", h.title()).put("classification", h.classification()).put("installedBy", h.installedBy())
                        .put("installedOn", h.installedOn() == null ? null : h.installedOn().toString()).put("persisted", h.persisted());
                o.set("supersedes", Json.strings(h.supersedes()));
                o.set("cves", Json.strings(h.cves()));
                ArrayNode classes = o.putArray("classes");
                for (InstalledHotpatch.InstalledClass c : h.classes()) {
                    classes.addObject().put("name", c.name()).put("sha256", c.sha256()).put("loaders", c.loaders());
                }
            }
            printJson(doc);
            return ExitPolicy.OK;
        }
        if (installed.isEmpty()) {
            out().println("No hotpatches installed in JVM " + target
                    + (maybe.isPresent() ? "." : " (the hotpatch agent is not loaded in it)."));
            return ExitPolicy.OK;
        }
        Table t = new Table("Source", "Description", "HotFixID", "InstalledBy", "InstalledOn");
        for (InstalledHotpatch h : installed) {
            t.add(source, h.description(), h.id(), h.installedBy(), Times.human(h.installedOn()));
        }
        t.print(out());
        for (InstalledHotpatch h : installed) {
            out().println();
            out().println(h.id() + (h.cves().isEmpty() ? "" : "  " + String.join(", ", h.cves()))
                    + (h.supersedes().isEmpty() ? "" : "  supersedes " + String.join(", ", h.supersedes()))
                    + (h.persisted() ? "  (re-applied at restart)" : "  (until restart)"));
            for (InstalledHotpatch.InstalledClass c : h.classes()) {
                out().println("  " + c.name() + "  sha256 " + c.sha256() + "  "
                        + (c.loaders() == 0 ? "pending: patched when it loads" : c.loaders() + (c.loaders() == 1 ? " loader" : " loaders")));
            }
        }
        out().flush();
        return ExitPolicy.OK;
    }
}
