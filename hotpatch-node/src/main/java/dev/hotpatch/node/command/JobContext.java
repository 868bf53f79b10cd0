package dev.hotpatch.node.command;

import dev.hotpatch.format.Sha256;
import dev.hotpatch.node.NodeException;
import dev.hotpatch.node.access.TargetAccess;
import dev.hotpatch.node.config.NodeConfig;
import dev.hotpatch.node.discovery.LocalMachine;
import dev.hotpatch.node.discovery.MachineDiscovery;
import dev.hotpatch.node.internal.PrivateFiles;
import dev.hotpatch.node.inventory.InventoryCollector;
import dev.hotpatch.node.restart.Supervisor;
import dev.hotpatch.node.deadline.TargetCalls;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;

/**
 * What every job of the {@link Executor} shares: the node's config and data folder, the journal
 * and machine ledger, the supervisor, how to find a running machine, the clock, and how a job's
 * result is written. Thread-safe as its collaborators are.
 */
final class JobContext {
    static final System.Logger LOG = System.getLogger("dev.hotpatch.node");

    final NodeConfig config;
    final Path dataDir;
    final Journal journal;
    final MachineLedger ledger;
    final Supervisor supervisor;
    final MachineDiscovery discovery;
    final InventoryCollector inventory;
    final Clock clock;
    final TargetCalls calls;
    /** How a JVM's agent is reached: as this user, or as the JVM's own user for a root node. */
    final TargetAccess access;

    JobContext(NodeConfig config, Path dataDir, Journal journal, MachineLedger ledger, Supervisor supervisor, MachineDiscovery discovery,
               InventoryCollector inventory, Clock clock, TargetCalls calls, TargetAccess access) {
        this.config = config;
        this.dataDir = dataDir;
        this.journal = journal;
        this.ledger = ledger;
        this.supervisor = supervisor;
        this.discovery = discovery;
        this.inventory = inventory;
        this.clock = clock;
        this.calls = calls;
        this.access = access;
    }

    Optional<LocalMachine> running(String name) {
        return discovery.discover().machine(name);
    }

    /** The JVM a command for machine {@code name} goes to: as last seen when it is still the same process, else looked up afresh. */
    Optional<LocalMachine> target(String name) {
        return discovery.machine(name);
    }

    /**
     * The result of a command whose JVM did not answer in time: {@code timed_out}, with what was
     * asked, whether it may still complete, and what to look at next.
     */
    CommandResult timedOut(Journal.Entry e, LocalMachine m, dev.hotpatch.node.deadline.TargetTimeoutException x) {
        return result(e, Status.TIMED_OUT, "machine " + m.name() + ": " + x.getMessage() + (x.sent()
                        ? "; the outcome is unknown until the JVM answers, and the machine's next report shows what it runs"
                        : "; nothing was changed"),
                Map.of("pid", m.pid(), "sent", x.sent()));
    }

    /** The result of a command for a machine whose JVM is not answering at all: nothing is sent to it. */
    CommandResult notAnswering(Journal.Entry e, LocalMachine m) {
        return result(e, Status.TIMED_OUT, "machine " + m.name() + " is not answering: " + m.unanswered() + "; nothing was sent to it",
                Map.of("pid", m.pid(), "sent", false));
    }

    CommandResult notRunning(Journal.Entry e) {
        return result(e, Status.FAILED, "machine " + e.command().machine() + " is not running on this node (no JVM with that name was found)",
                Map.of());
    }

    CommandResult result(Journal.Entry e, Status s, String message, Map<String, Object> details) {
        return new CommandResult(e.command().id(), e.command().machine(), e.command().action().type(), s, message, e.startedAt(), clock.instant(), details, null);
    }

    Path folder(String name) {
        try {
            return PrivateFiles.folder(dataDir.resolve(name));
        } catch (IOException e) {
            throw new NodeException("cannot use " + dataDir.resolve(name) + ": " + e.getMessage(), e);
        }
    }

    static String actor(Journal.Entry e) {
        return e.command().actor() == null || e.command().actor().isBlank() ? "hotpatch-node" : e.command().actor();
    }

    static String errorOf(Runnable r) {
        try {
            r.run();
            return "";
        } catch (NodeException e) {
            return e.getMessage();
        }
    }

    static String shaOrNull(Path p) {
        try {
            return Files.isRegularFile(p) ? Sha256.hex(p) : null;
        } catch (IOException e) {
            return null;
        }
    }

    static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            // A leftover file in the node's private data folder is harmless.
        }
    }

    static void deleteTree(Path dir) {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot delete " + dir + ": " + e.getMessage());
        }
    }
}
