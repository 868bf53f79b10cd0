package dev.hotpatch.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hotpatch.attach.AgentClient;
import dev.hotpatch.attach.ApplyResult;
import dev.hotpatch.format.HotpatchPackage;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code hotpatch apply}: installs a hotpatch into a running JVM. */
@Command(name = "apply", description = {
        "Install a hotpatch into a running JVM.",
        "No restart: all classes in every class loader are replaced, or none.",
        "The package is verified here first, then sent to the agent in the JVM, which verifies it again.",
        "Loads the agent when the JVM has none (dynamic attach; on JDK 21+ the JVM prints a JEP 451 warning). An agent " +
                "loaded this way keeps --trust for the JVM's lifetime, and an enrolled one uses its own trust= folder only.",
        "A package none of whose classes is in the JVM (loaded or on its class path) is refused unless --allow-pending.",
        "Exit 0 when installed or already installed, 3 when refused (nothing changed), 1 on failure or time-out."})
final class ApplyCommand extends HotpatchCommand {
    @Option(names = "--pid", required = true, paramLabel = "PID", description = "Process id of the JVM (see 'hotpatch ps').")
    long pid;

    @Parameters(index = "0", paramLabel = "FILE", description = "The .hotpatch package.")
    Path file;

    @Option(names = "--trust", required = true, paramLabel = "DIR", description = "Folder of trusted publisher certificates.")
    Path trust;

    @Option(names = "--machine", paramLabel = "NAME", defaultValue = "",
            description = "Machine name to give the agent if it has to be loaded now (a JVM's stable name across restarts).")
    String machine;

    @Option(names = "--allow-pending", description = "Install even when none of the package's classes is in the JVM yet;"
            + " they are patched if they load later.")
    boolean allowPending;

    @Mixin
    TargetTimeout timeout;

    @Override
    public Integer call() {
        long target = pid(pid);
        Path pkgFile = existingFile(file, "package");
        Path trustDir = existingFolder(trust, "trust folder");
        HotpatchPackage pkg = HotpatchPackage.read(pkgFile, VerifyCommand.trustStore(this, trustDir));
        try (AgentClient client = AgentClient.connect(target, machine, trustDir, timeout.get())) {
            if (client.loadedNow() && !json()) {
                err().println("Loaded the hotpatch agent into JVM " + target + " (Java " + client.javaVersion()
                        + "). Enroll JVMs with -javaagent:$(hotpatch agent-path) to avoid dynamic attach.");
                err().flush();
            }
            ApplyResult r = client.apply(pkgFile, trustDir, Actor.current(), allowPending);
            int exit = switch (r.outcome()) {
                case OK, NOOP -> ExitPolicy.OK;
                case REFUSED -> ExitPolicy.REFUSED;
                case FAILED -> ExitPolicy.FAILURE;
            };
            if (json()) {
                printJson(json(r, client, pkg, exit));
            } else {
                print(r, client, pkg);
            }
            return exit;
        }
    }

    private ObjectNode json(ApplyResult r, AgentClient client, HotpatchPackage pkg, int exit) {
        ObjectNode doc = Json.status(r.outcome().label()).put("pid", client.pid()).put("id", r.id().isEmpty() ? pkg.manifest().id() : r.id())
                .put("message", r.message()).put("durationMicros", r.durationMicros()).put("agentLoadedNow", client.loadedNow())
                .put("mode", client.mode()).put("persisted", r.persisted()).put("reachedBy", client.reachedBy());
        if (exit != ExitPolicy.OK) {
            doc.put("exitCode", exit);
        }
        ArrayNode classes = doc.putArray("classes");
        for (ApplyResult.PatchedClass c : r.classes()) {
            classes.addObject().put("name", c.name()).put("loaders", c.loaders()).put("sha256", c.sha256()).put("pending", c.pending());
        }
        return doc;
    }

    private void print(ApplyResult r, AgentClient client, HotpatchPackage pkg) {
        String id = r.id().isEmpty() ? pkg.manifest().id() : r.id();
        switch (r.outcome()) {
            case OK -> {
                out().println("Installed " + id + " in JVM " + client.pid() + " in "
                        + String.format(Locale.ROOT, "%.1f", r.durationMicros() / 1000.0) + " ms: " + pkg.manifest().title());
                out().println(r.persisted() ? "  Kept by the enrolled agent: re-applied when the JVM restarts."
                        : "  Live in this JVM only: the agent was attached, so nothing re-applies it after a restart"
                        + " (enroll the JVM with -javaagent to keep hotpatches).");
                for (ApplyResult.PatchedClass c : r.classes()) {
                    String where = c.pending() ? "pending: patched when it loads"
                            : c.loaders() + (c.loaders() == 1 ? " loader" : " loaders") + " patched";
                    out().println("  " + c.name() + "  " + where + "  sha256 " + c.sha256());
                }
            }
            case NOOP -> out().println(id + " is already installed in JVM " + client.pid() + "; nothing changed.");
            case REFUSED -> err().println("hotpatch apply: refused: " + sentence(r.message()) + " Nothing changed in JVM " + client.pid() + ".");
            case FAILED -> err().println("hotpatch apply: failed: " + sentence(r.message()));
        }
        out().flush();
        err().flush();
    }
}
