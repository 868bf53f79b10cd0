package dev.hotpatch.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hotpatch.attach.AgentClient;
import dev.hotpatch.attach.InstalledHotpatch;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code hotpatch list}: the hotpatches installed in a JVM, as Get-HotFix lists a machine's. */
@Command(name = "list", description = {
        "List the hotpatches installed in a running JVM.",
        "Like Get-HotFix: Source (machine), Description, HotFixID, InstalledBy, InstalledOn, then each",
        "hotpatch's classes with the SHA-256 of the bytes now in use.",
        "Never loads the agent: a JVM without it has nothing installed."})
final class ListCommand extends HotpatchCommand {
    @Option(names = "--pid", required = true, paramLabel = "PID", description = "Process id of the JVM (see 'hotpatch ps').")
    long pid;

    @Override
    public Integer call() {
        long target = pid(pid);
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
            t.add(source, h.description(), h.id(), h.installedBy(), h.installedOn() == null ? "" : h.installedOn());
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
