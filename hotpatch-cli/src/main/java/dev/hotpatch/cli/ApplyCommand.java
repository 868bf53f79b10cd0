package dev.hotpatch.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hotpatch.attach.AgentClient;
import dev.hotpatch.attach.ApplyResult;
import dev.hotpatch.format.HotpatchPackage;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code hotpatch apply}: installs a hotpatch into a running JVM. */
@Command(name = "apply", description = {
        "Install a hotpatch into a running JVM.",
        "No restart: all classes in every class loader are replaced, or none.",
        "The agent in the JVM verifies the package (signature, trusted publisher) before anything changes. When the JVM"
                + " has to be attached to, the package is also verified here first, so that a bad one loads no agent.",
        "An enrolled JVM (or one attached to before) is reached through its agent's socket in its user's runtime folder"
                + " ($XDG_RUNTIME_DIR/hotpatch or ~/.hotpatch/run), without attaching.",
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
        // A JVM whose agent has a socket in its user's runtime folder is reached without attach, and
        // its agent verifies the package (signature, trusted publisher) before anything changes: no
        // second verification here. Otherwise the package is verified here, while attach is under
        // way, and before the agent would be loaded, so that a bad package changes nothing.
        Optional<AgentClient> direct = AgentClient.connectDirect(target, timeout.get());
        if (direct.isPresent()) {
            try (AgentClient client = direct.get()) {
                return send(client, null);
            }
        }
        ExecutorService verifier = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "hotpatch-verify");
            t.setDaemon(true);
            return t;
        });
        try {
            Future<HotpatchPackage> local = verifier.submit(() -> HotpatchPackage.read(pkgFile, VerifyCommand.trustStore(this, trustDir)));
            AgentClient connected;
            try {
                connected = AgentClient.connect(target, machine, trustDir, timeout.get(), () -> verified(local));
            } catch (RuntimeException e) {
                verified(local); // A bad package is the first thing to report, as when it was checked before attaching.
                throw e;
            }
            try (AgentClient client = connected) {
                return send(client, verified(local));
            }
        } finally {
            verifier.shutdownNow();
        }
    }

    /** The locally verified package, or the verification's own error. */
    private static HotpatchPackage verified(Future<HotpatchPackage> local) {
        try {
            return local.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while verifying the package", e);
        }
    }

    /** Sends the package to the connected agent and reports; {@code pkg} is null when only the agent verified it. */
    private int send(AgentClient client, HotpatchPackage pkg) {
        long target = client.pid();
        Path pkgFile = file.toAbsolutePath().normalize();
        Path trustDir = trust.toAbsolutePath().normalize();
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
        String id = !r.id().isEmpty() ? r.id() : pkg != null ? pkg.manifest().id() : "";
        String title = !r.title().isEmpty() ? r.title() : pkg != null ? pkg.manifest().title() : "";
        if (json()) {
            printJson(json(r, client, id, exit));
        } else {
            print(r, client, id, title);
        }
        return exit;
    }

    private ObjectNode json(ApplyResult r, AgentClient client, String id, int exit) {
        ObjectNode doc = Json.status(r.outcome().label()).put("pid", client.pid()).put("id", id)
                .put("message", r.message()).put("durationMicros", r.durationMicros()).put("agentLoadedNow", client.loadedNow())
                .put("mode", client.mode()).put("persisted", r.persisted()).put("reachedBy", client.reachedBy());
        if (exit != ExitPolicy.OK) {
            doc.put("exitCode", exit);
        }
        ArrayNode classes = doc.putArray("classes");
        for (ApplyResult.PatchedClass c : r.classes()) {
            classes.addObject().put("name", c.name()).put("kind", c.added() ? "added" : "replace").put("loaders", c.loaders())
                    .put("sha256", c.sha256()).put("pending", c.pending());
        }
        return doc;
    }

    /**
     * Microseconds as milliseconds with one decimal, rounded half up ("70.9"): what
     * {@code String.format("%.1f")} prints, without loading the formatter and locale data on the
     * command's path (~15 ms at a cold start).
     */
    static String millis(long micros) {
        long tenths = (micros + 50) / 100;
        return (tenths / 10) + "." + (tenths % 10);
    }

    private void print(ApplyResult r, AgentClient client, String id, String title) {
        switch (r.outcome()) {
            case OK -> {
                out().println("Installed " + id + " in JVM " + client.pid() + " in "
                        + millis(r.durationMicros()) + " ms" + (title.isEmpty() ? "" : ": " + title));
                out().println(r.persisted() ? "  Kept by the enrolled agent: re-applied when the JVM restarts."
                        : "  Live in this JVM only: the agent was attached, so nothing re-applies it after a restart"
                        + " (enroll the JVM with -javaagent to keep hotpatches).");
                for (ApplyResult.PatchedClass c : r.classes()) {
                    String where = c.added() ? (c.pending() ? "added: defined when a class of its package loads"
                            : "added: defined in " + c.loaders() + (c.loaders() == 1 ? " loader" : " loaders"))
                            : c.pending() ? "pending: patched when it loads"
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
