package dev.hotpatch.node.command;

import dev.hotpatch.attach.AttachException;
import dev.hotpatch.format.PackageException;
import dev.hotpatch.node.NodeException;
import dev.hotpatch.node.access.TargetAccess;
import dev.hotpatch.node.config.NodeConfig;
import dev.hotpatch.node.discovery.LocalMachine;
import dev.hotpatch.node.discovery.MachineDiscovery;
import dev.hotpatch.node.inventory.InventoryCollector;
import dev.hotpatch.node.inventory.MachineInventory;
import dev.hotpatch.node.restart.Comeback;
import dev.hotpatch.node.restart.Supervisor;
import dev.hotpatch.node.deadline.TargetCalls;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * Runs commands on this host's machines, each recorded step by step in the
 * {@link Journal} so that a node killed at any point finishes or undoes the command when it starts
 * again ({@link #resume()}), and never leaves a machine half-changed:
 * <ul>
 * <li>hotpatch install and uninstall are all or nothing in the agent and idempotent, so an
 *     interrupted one is simply sent again;</li>
 * <li>a baseline install swaps jars only after the new ones are downloaded and verified and the
 *     old ones backed up, each swap an atomic rename; an interrupted swap is completed, an
 *     interrupted restart is confirmed or redone, and a JVM that does not come back on the new
 *     jars gets the old ones back and is restarted again.</li>
 * </ul>
 * Every command ends in a {@link CommandResult}; a repeat of a finished command returns the same
 * result without doing anything. The work itself is done by one class per job: {@link HotpatchJob},
 * {@link BaselineStaging}, {@link JarSwap}, {@link Rollback}, {@link RestartJob} and {@link Fetcher}
 * (downloads); this class dispatches, journals and resumes.
 *
 * <p>Thread-safe: commands for different machines may run at the same time, those of one machine
 * run one at a time (a lock per machine, which {@link #reconcile} respects too). Every call into a
 * JVM runs under the node's deadlines ({@link TargetCalls}), so a stopped or hung JVM ends its
 * command {@code timed_out} and holds up no other machine.
 */
public final class Executor {
    private static final System.Logger LOG = JobContext.LOG;

    private final JobContext ctx;
    private final Journal journal;
    private final MachineLedger ledger;
    private final Clock clock;
    private final HotpatchJob hotpatches;
    private final JarSwap swap;
    private final RestartJob restart;
    private final Rollback rollback;
    private final BaselineStaging baselines;
    private final Consumer<LocalMachine> afterCommand;
    private final Map<String, ReentrantLock> locks = new ConcurrentHashMap<>();

    public Executor(NodeConfig config, Path dataDir, Journal journal, MachineLedger ledger, Downloads downloads, Supervisor supervisor,
                    MachineDiscovery discovery, InventoryCollector inventory, Clock clock) {
        this(config, dataDir, journal, ledger, downloads, supervisor, discovery, inventory, clock, TargetAccess.sameUser(),
                new TargetCalls(config.targetTimeout(), config.installTimeout(), late -> {
                }), m -> {
                });
    }

    /**
     * @param access       how to reach a JVM's agent: as this user, or as each JVM's own user for a root node
     * @param calls        how JVMs are reached under deadlines (shared with discovery and inventory)
     * @param afterCommand run on the machine after each command, before its report is taken (the health probe)
     */
    public Executor(NodeConfig config, Path dataDir, Journal journal, MachineLedger ledger, Downloads downloads, Supervisor supervisor,
                    MachineDiscovery discovery, InventoryCollector inventory, Clock clock, TargetAccess access,
                    TargetCalls calls, Consumer<LocalMachine> afterCommand) {
        this.ctx = new JobContext(config, dataDir, journal, ledger, supervisor, discovery, inventory, clock, calls, access);
        this.afterCommand = afterCommand;
        this.journal = journal;
        this.ledger = ledger;
        this.clock = clock;
        Comeback comeback = new Comeback(discovery, supervisor);
        Fetcher fetcher = new Fetcher(downloads);
        this.hotpatches = new HotpatchJob(ctx, fetcher);
        this.swap = new JarSwap(ctx);
        this.rollback = new Rollback(ctx, swap, comeback);
        this.restart = new RestartJob(ctx, swap, rollback, comeback);
        this.baselines = new BaselineStaging(ctx, fetcher, swap, rollback, restart);
    }

    /** Runs {@code c}, or returns its result when it ran already, or finishes it when it was interrupted. */
    public CommandResult execute(Command c) {
        ReentrantLock lock = lock(c.machine());
        lock.lock();
        try {
            Optional<Journal.Entry> existing = journal.get(c.id());
            if (existing.isPresent()) {
                return existing.get().phase() == Journal.Phase.DONE ? existing.get().result() : resume(existing.get());
            }
            Journal.Entry e = journal.write(new Journal.Entry(c, Journal.Phase.RECEIVED, clock.instant(), List.of(), null, null, null, null, null));
            return finish(e, guarded(e, () -> run(e)));
        } finally {
            lock.unlock();
        }
    }

    /** Commands a previous run of the node left unfinished, oldest first; {@link #execute} finishes each. */
    public List<Command> unfinished() {
        return journal.all().stream().filter(e -> e.phase() != Journal.Phase.DONE).map(Journal.Entry::command).toList();
    }

    /** Finishes every command a previous run of the node left unfinished; returns their results. */
    public List<CommandResult> resume() {
        List<CommandResult> out = new ArrayList<>();
        for (Journal.Entry e : journal.all()) {
            if (e.phase() != Journal.Phase.DONE) {
                out.add(execute(e.command()));
            }
        }
        return out;
    }

    /** Results of finished commands not yet delivered (and {@link #acknowledge}d). */
    public List<CommandResult> undelivered() {
        return journal.all().stream().filter(e -> e.phase() == Journal.Phase.DONE).map(Journal.Entry::result).toList();
    }

    /** Forgets a finished command once its result is delivered. */
    public void acknowledge(String commandId) {
        journal.remove(commandId);
    }

    /**
     * Confirms jar swaps awaiting a restart on machines that were restarted by something else
     * (an operator, a crash): when the JVM started after the swap and runs the new jars, the swap
     * is recorded as installed.
     */
    public void reconcile(List<LocalMachine> running) {
        for (LocalMachine m : running) {
            ReentrantLock lock = lock(m.name());
            if (!lock.tryLock()) {
                continue;
            }
            try {
                List<MachineLedger.Pending> p = ledger.pending(m.name());
                if (p.isEmpty() || m.startedAt() == null || !m.startedAt().isAfter(p.get(p.size() - 1).stagedAt())
                        || journal.all().stream().anyMatch(e -> e.phase() != Journal.Phase.DONE && e.command().machine().equals(m.name()))) {
                    continue;
                }
                if (swap.missingJars(m, MachineLedger.swaps(p)).isEmpty()) {
                    ledger.confirmAll(m.name());
                    LOG.log(System.Logger.Level.INFO, "machine " + m.name() + " was restarted and runs " + MachineLedger.describe(p));
                }
            } finally {
                lock.unlock();
            }
        }
    }

    private ReentrantLock lock(String machine) {
        return locks.computeIfAbsent(machine, k -> new ReentrantLock());
    }

    /** Whether an agent refusal says the JVM runs other code than the package was built for. */
    public static boolean isBaselineMismatch(String agentMessage) {
        return HotpatchJob.isBaselineMismatch(agentMessage);
    }

    // ---- dispatch ----------------------------------------------------------------------------

    private CommandResult resume(Journal.Entry e) {
        LOG.log(System.Logger.Level.INFO, "resuming command " + e.command().id() + " (" + e.command().action().getClass().getSimpleName()
                + " on " + e.command().machine() + ") from step " + e.phase());
        Action a = e.command().action();
        return finish(e, guarded(e, () -> switch (e.phase()) {
            case RECEIVED, STAGED, APPLYING -> run(e.phase(Journal.Phase.RECEIVED));
            case SWAPPING -> {
                swap.swapAll(e.swaps(), e.command().machine());
                yield baselines.afterSwap(journal.write(e.swapped(clock.instant())), (Action.InstallBaseline) a);
            }
            case SWAPPED -> baselines.afterSwap(e, (Action.InstallBaseline) a);
            case RESTARTING -> restart.restartAndConfirm(e, true);
            case ROLLING_BACK -> rollback.rollBack(e, e.failure());
            case DONE -> e.result();
        }));
    }

    private CommandResult run(Journal.Entry e) {
        Action a = e.command().action();
        if (a instanceof Action.InstallHotpatch install) {
            return hotpatches.installHotpatch(e, install);
        }
        if (a instanceof Action.UninstallHotpatch uninstall) {
            return hotpatches.uninstallHotpatch(e, uninstall);
        }
        if (a instanceof Action.InstallBaseline baseline) {
            return baselines.installBaseline(e, baseline);
        }
        if (a instanceof Action.Restart) {
            return restart.restart(e);
        }
        return ctx.result(e, Status.SUCCEEDED, "inventory taken", Map.of());
    }

    /** Turns an unexpected exception into a failed result, so that every command ends with one. */
    private CommandResult guarded(Journal.Entry e, java.util.function.Supplier<CommandResult> work) {
        try {
            return work.get();
        } catch (NodeException | AttachException | PackageException ex) {
            return ctx.result(e, Status.FAILED, ex.getMessage(), Map.of());
        } catch (RuntimeException ex) {
            LOG.log(System.Logger.Level.ERROR, "command " + e.command().id() + " failed unexpectedly", ex);
            return ctx.result(e, Status.FAILED, "node error: " + ex, Map.of());
        }
    }

    private CommandResult finish(Journal.Entry e, CommandResult r) {
        CommandResult withReport = r.withReport(report(e.command().machine()));
        journal.write(journal.get(e.command().id()).orElse(e).done(withReport));
        LOG.log(System.Logger.Level.INFO, "command " + e.command().id() + " on " + e.command().machine() + ": " + r.status() + " - " + r.message());
        return withReport;
    }

    private MachineInventory report(String name) {
        try {
            return ctx.discovery.machineNow(name).map(m -> {
                try {
                    afterCommand.accept(m);
                } catch (RuntimeException x) {
                    LOG.log(System.Logger.Level.WARNING, "after command on machine " + name + ": " + x.getMessage());
                }
                return ctx.inventory.collect(m).report();
            }).orElse(null);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot take the inventory of machine " + name + " after a command: " + e.getMessage());
            return null;
        }
    }
}
