package dev.hotpatch.node.command;

import dev.hotpatch.node.NodeException;
import dev.hotpatch.node.config.MachineConfig;
import dev.hotpatch.node.config.NodeConfig;
import dev.hotpatch.node.discovery.LocalMachine;
import dev.hotpatch.node.restart.Comeback;
import dev.hotpatch.node.restart.Restarter;
import dev.hotpatch.node.restart.Supervisor;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The restart job: restarts a machine, waits until it is back and, when jars were swapped for it,
 * confirms it runs them, else hands the swap to {@link Rollback}. Thread-safe for different machines.
 */
final class RestartJob {
    private final JobContext ctx;
    private final NodeConfig config;
    private final Journal journal;
    private final MachineLedger ledger;
    private final Supervisor supervisor;
    private final Comeback comeback;
    private final Clock clock;
    private final JarSwap swap;
    private final Rollback rollback;

    RestartJob(JobContext ctx, JarSwap swap, Rollback rollback, Comeback comeback) {
        this.ctx = ctx;
        this.config = ctx.config;
        this.journal = ctx.journal;
        this.ledger = ctx.ledger;
        this.supervisor = ctx.supervisor;
        this.clock = ctx.clock;
        this.swap = swap;
        this.rollback = rollback;
        this.comeback = comeback;
    }

    CommandResult restart(Journal.Entry e) {
        MachineConfig mc = config.machine(e.command().machine());
        Restarter restarter = Restarter.forMachine(mc, supervisor);
        if (restarter instanceof Restarter.Unavailable u) {
            return result(e, Status.REFUSED, JobContext.errorOf(u::restart), Map.of());
        }
        long oldPid = running(mc.name()).map(LocalMachine::pid).orElse(0L);
        return restartAndConfirm(journal.write(e.restarting(oldPid, clock.instant())), false);
    }

    /**
     * Restarts the machine (unless {@code resumed} and it already restarted after the step began),
     * waits until it is back and, when jars were swapped for it, confirms it runs them, else rolls
     * the swap back.
     */
    CommandResult restartAndConfirm(Journal.Entry e, boolean resumed) {
        String name = e.command().machine();
        MachineConfig mc = config.machine(name);
        List<MachineLedger.Pending> pending = ledger.pending(name);
        List<Journal.Swap> swaps = MachineLedger.swaps(pending);
        String staged = MachineLedger.describe(pending);
        long oldPid = e.oldPid() == null ? 0 : e.oldPid();
        LocalMachine back;
        try {
            OptionalLong hint = OptionalLong.empty();
            Optional<LocalMachine> now = resumed ? running(name) : Optional.empty();
            boolean restartedAlready = now.isPresent() && now.get().pid() != oldPid && now.get().startedAt() != null
                    && !now.get().startedAt().isBefore(e.since().minusSeconds(2));
            if (!restartedAlready) {
                hint = Restarter.forMachine(mc, supervisor).restart();
            }
            back = comeback.await(mc, oldPid, e.since(), hint);
        } catch (NodeException x) {
            if (!pending.isEmpty()) {
                return rollBack(journal.write(e.swaps(swaps).rollingBack(staged + " did not come up: " + x.getMessage())), null);
            }
            return result(e, Status.FAILED, "restart of machine " + name + " failed: " + x.getMessage(), Map.of());
        }
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("oldPid", oldPid);
        details.put("pid", back.pid());
        if (pending.isEmpty()) {
            return result(e, Status.SUCCEEDED, "machine " + name + " restarted (pid " + back.pid() + ")", details);
        }
        List<String> missing = swap.missingJars(back, swaps);
        if (!missing.isEmpty()) {
            return rollBack(journal.write(e.swaps(swaps).rollingBack(staged + " is not what the restarted JVM " + back.pid()
                    + " runs: its class path lacks " + String.join(", ", missing))), null);
        }
        ledger.confirmAll(name);
        swap.pruneBackups(name);
        details.put("jars", JarSwap.jarDetails(swaps));
        details.put("installed", pending.stream().map(p -> p.action().kbId() != null ? p.action().kbId() : p.action().baselineId()).toList());
        return result(e, Status.SUCCEEDED, "machine " + name + " restarted (pid " + back.pid() + ") and runs " + staged, details);
    }

    private CommandResult rollBack(Journal.Entry e, String why) {
        return rollback.rollBack(e, why);
    }

    private Optional<LocalMachine> running(String name) {
        return ctx.running(name);
    }

    private CommandResult result(Journal.Entry e, Status s, String message, Map<String, Object> details) {
        return ctx.result(e, s, message, details);
    }
}
