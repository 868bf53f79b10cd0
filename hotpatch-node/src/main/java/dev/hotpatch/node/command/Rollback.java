package dev.hotpatch.node.command;

import dev.hotpatch.node.NodeException;
import dev.hotpatch.node.config.MachineConfig;
import dev.hotpatch.node.config.NodeConfig;
import dev.hotpatch.node.discovery.LocalMachine;
import dev.hotpatch.node.restart.Comeback;
import dev.hotpatch.node.restart.Restarter;
import dev.hotpatch.node.restart.Supervisor;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The rollback job: when a baseline's jars cannot be swapped or the JVM does not come back on
 * them, puts the old jars back and, when a restart had begun, restarts the machine on them.
 * Thread-safe for different machines.
 */
final class Rollback {
    private final JobContext ctx;
    private final NodeConfig config;
    private final Path dataDir;
    private final MachineLedger ledger;
    private final Supervisor supervisor;
    private final Comeback comeback;
    private final Clock clock;
    private final JarSwap swap;

    Rollback(JobContext ctx, JarSwap swap, Comeback comeback) {
        this.ctx = ctx;
        this.config = ctx.config;
        this.dataDir = ctx.dataDir;
        this.ledger = ctx.ledger;
        this.supervisor = ctx.supervisor;
        this.clock = ctx.clock;
        this.swap = swap;
        this.comeback = comeback;
    }

    /**
     * Puts the old jars back, restarts the machine on them when a restart had begun, and reports the
     * failure {@code why} (from the entry when null) with how the rollback went.
     */
    CommandResult rollBack(Journal.Entry e, String why) {
        String reason = why != null ? why : e.failure();
        String name = e.command().machine();
        MachineConfig mc = config.machine(name);
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("rolledBack", true);
        details.put("jars", JarSwap.jarDetails(e.swaps()));
        try {
            swap.restoreAll(e.swaps(), name);
        } catch (NodeException x) {
            return result(e, Status.FAILED, reason + "; putting the old jars back failed too: " + x.getMessage()
                    + " (backups are in " + dataDir.resolve("artifacts").resolve(name) + ")", details);
        }
        ledger.dropRestored(name, e.swaps());
        if (e.since() == null) {
            return result(e, Status.FAILED, reason + "; the old jars were put back (the machine was not restarted, so it still runs them)",
                    details);
        }
        long failedPid = running(name).map(LocalMachine::pid).orElse(0L);
        Instant since = clock.instant();
        try {
            OptionalLong hint = Restarter.forMachine(mc, supervisor).restart();
            LocalMachine back = comeback.await(mc, failedPid, since, hint);
            details.put("pid", back.pid());
            return result(e, Status.FAILED, reason + "; the old jars were put back and machine " + name + " restarted on them (pid "
                    + back.pid() + ")", details);
        } catch (NodeException x) {
            return result(e, Status.FAILED, reason + "; the old jars were put back, but restarting machine " + name + " on them failed: "
                    + x.getMessage(), details);
        }
    }

    private Optional<LocalMachine> running(String name) {
        return ctx.running(name);
    }

    private CommandResult result(Journal.Entry e, Status s, String message, Map<String, Object> details) {
        return ctx.result(e, s, message, details);
    }
}
