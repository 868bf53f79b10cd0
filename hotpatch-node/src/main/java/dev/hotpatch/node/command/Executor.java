package dev.hotpatch.node.command;

import dev.hotpatch.attach.ApplyResult;
import dev.hotpatch.attach.AttachException;
import dev.hotpatch.attach.NotSupportedException;
import dev.hotpatch.attach.UninstallResult;
import dev.hotpatch.format.HotpatchPackage;
import dev.hotpatch.format.PackageException;
import dev.hotpatch.format.Sha256;
import dev.hotpatch.format.TrustStore;
import dev.hotpatch.node.NodeException;
import dev.hotpatch.node.access.TargetAccess;
import dev.hotpatch.node.config.MachineConfig;
import dev.hotpatch.node.config.NodeConfig;
import dev.hotpatch.node.discovery.LocalMachine;
import dev.hotpatch.node.discovery.MachineDiscovery;
import dev.hotpatch.node.internal.PrivateFiles;
import dev.hotpatch.node.inventory.InventoryCollector;
import dev.hotpatch.node.inventory.MachineInventory;
import dev.hotpatch.node.restart.Comeback;
import dev.hotpatch.node.restart.Restarter;
import dev.hotpatch.node.restart.Supervisor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Runs commands on this host's machines, one at a time, each recorded step by step in the
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
 * result without doing anything. Not thread-safe: one caller (the node's loop).
 */
public final class Executor {
    private static final System.Logger LOG = System.getLogger("dev.hotpatch.node");
    private static final int BACKUPS_KEPT = 3;
    /** Names the agent accepts as its {@code name=} option; other machine names load it unnamed. */
    private static final java.util.regex.Pattern AGENT_NAME = java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private final NodeConfig config;
    private final Path dataDir;
    private final Journal journal;
    private final MachineLedger ledger;
    private final Downloads downloads;
    private final Supervisor supervisor;
    private final MachineDiscovery discovery;
    private final InventoryCollector inventory;
    private final Comeback comeback;
    private final Clock clock;
    private final TargetAccess access;

    public Executor(NodeConfig config, Path dataDir, Journal journal, MachineLedger ledger, Downloads downloads, Supervisor supervisor,
                    MachineDiscovery discovery, InventoryCollector inventory, Clock clock) {
        this(config, dataDir, journal, ledger, downloads, supervisor, discovery, inventory, clock, TargetAccess.sameUser());
    }

    /** @param access how to reach a JVM's agent: as this user, or as each JVM's own user for a root node */
    public Executor(NodeConfig config, Path dataDir, Journal journal, MachineLedger ledger, Downloads downloads, Supervisor supervisor,
                    MachineDiscovery discovery, InventoryCollector inventory, Clock clock, TargetAccess access) {
        this.access = access;
        this.config = config;
        this.dataDir = dataDir;
        this.journal = journal;
        this.ledger = ledger;
        this.downloads = downloads;
        this.supervisor = supervisor;
        this.discovery = discovery;
        this.inventory = inventory;
        this.comeback = new Comeback(discovery, supervisor);
        this.clock = clock;
    }

    /** Runs {@code c}, or returns its result when it ran already, or finishes it when it was interrupted. */
    public CommandResult execute(Command c) {
        Optional<Journal.Entry> existing = journal.get(c.id());
        if (existing.isPresent()) {
            return existing.get().phase() == Journal.Phase.DONE ? existing.get().result() : resume(existing.get());
        }
        Journal.Entry e = journal.write(new Journal.Entry(c, Journal.Phase.RECEIVED, clock.instant(), List.of(), null, null, null, null, null));
        return finish(e, guarded(e, () -> run(e)));
    }

    /** Finishes every command a previous run of the node left unfinished; returns their results. */
    public List<CommandResult> resume() {
        List<CommandResult> out = new ArrayList<>();
        for (Journal.Entry e : journal.all()) {
            if (e.phase() != Journal.Phase.DONE) {
                LOG.log(System.Logger.Level.INFO, "resuming command " + e.command().id() + " (" + e.command().action().getClass().getSimpleName()
                        + " on " + e.command().machine() + ") from step " + e.phase());
                out.add(resume(e));
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
            List<MachineLedger.Pending> p = ledger.pending(m.name());
            if (p.isEmpty() || m.startedAt() == null || !m.startedAt().isAfter(p.get(p.size() - 1).stagedAt())
                    || journal.all().stream().anyMatch(e -> e.phase() != Journal.Phase.DONE && e.command().machine().equals(m.name()))) {
                continue;
            }
            if (missingJars(m, MachineLedger.swaps(p)).isEmpty()) {
                ledger.confirmAll(m.name());
                LOG.log(System.Logger.Level.INFO, "machine " + m.name() + " was restarted and runs " + MachineLedger.describe(p));
            }
        }
    }

    // ---- dispatch ----------------------------------------------------------------------------

    private CommandResult resume(Journal.Entry e) {
        Action a = e.command().action();
        return finish(e, guarded(e, () -> switch (e.phase()) {
            case RECEIVED, STAGED, APPLYING -> run(e.phase(Journal.Phase.RECEIVED));
            case SWAPPING -> {
                swapAll(e.swaps(), e.command().machine());
                yield afterSwap(journal.write(e.swapped(clock.instant())), (Action.InstallBaseline) a);
            }
            case SWAPPED -> afterSwap(e, (Action.InstallBaseline) a);
            case RESTARTING -> restartAndConfirm(e, true);
            case ROLLING_BACK -> rollBack(e, e.failure());
            case DONE -> e.result();
        }));
    }

    private CommandResult run(Journal.Entry e) {
        Action a = e.command().action();
        if (a instanceof Action.InstallHotpatch install) {
            return installHotpatch(e, install);
        }
        if (a instanceof Action.UninstallHotpatch uninstall) {
            return uninstallHotpatch(e, uninstall);
        }
        if (a instanceof Action.InstallBaseline baseline) {
            return installBaseline(e, baseline);
        }
        if (a instanceof Action.Restart) {
            return restart(e);
        }
        return result(e, Status.SUCCEEDED, "inventory taken", Map.of());
    }

    /** Turns an unexpected exception into a failed result, so that every command ends with one. */
    private CommandResult guarded(Journal.Entry e, java.util.function.Supplier<CommandResult> work) {
        try {
            return work.get();
        } catch (NodeException | AttachException | PackageException ex) {
            return result(e, Status.FAILED, ex.getMessage(), Map.of());
        } catch (RuntimeException ex) {
            LOG.log(System.Logger.Level.ERROR, "command " + e.command().id() + " failed unexpectedly", ex);
            return result(e, Status.FAILED, "node error: " + ex, Map.of());
        }
    }

    private CommandResult finish(Journal.Entry e, CommandResult r) {
        CommandResult withReport = r.withReport(report(e.command().machine()));
        journal.write(journal.get(e.command().id()).orElse(e).done(withReport));
        LOG.log(System.Logger.Level.INFO, "command " + e.command().id() + " on " + e.command().machine() + ": " + r.status() + " - " + r.message());
        return withReport;
    }

    // ---- hotpatches ----------------------------------------------------------------------------

    private CommandResult installHotpatch(Journal.Entry e, Action.InstallHotpatch a) {
        Optional<LocalMachine> running = running(e.command().machine());
        if (running.isEmpty()) {
            return notRunning(e);
        }
        LocalMachine m = running.get();
        Optional<Path> trust = config.trustFor(m.config());
        if (trust.isEmpty()) {
            return result(e, Status.REFUSED, "no trust folder is configured for machine " + m.name() + ", so package " + a.kbId()
                    + " cannot be verified; set node.trust (or machine." + m.name() + ".trust) in the node config to the folder"
                    + " holding the publisher's certificate", Map.of());
        }
        Path pkg = folder("packages").resolve(e.command().id() + ".hotpatch");
        try {
            String problem = fetchVerified(a.pkg(), pkg);
            if (problem != null) {
                return result(e, Status.REFUSED, problem, Map.of());
            }
            HotpatchPackage verified;
            try {
                verified = HotpatchPackage.read(pkg, TrustStore.fromDirectory(trust.get()));
            } catch (PackageException x) {
                return result(e, Status.REFUSED, "package " + a.kbId() + " failed verification on the node: " + x.getMessage(),
                        Map.of("reason", x.reason().name()));
            }
            if (a.kbId() != null && !a.kbId().equals(verified.manifest().id())) {
                return result(e, Status.REFUSED, "the package sent as " + a.kbId() + " is " + verified.manifest().id()
                        + "; nothing was installed", Map.of());
            }
            journal.write(e.phase(Journal.Phase.APPLYING));
            try {
                TargetAccess.Applied applied = access.apply(m.pid(), AGENT_NAME.matcher(m.name()).matches() ? m.name() : "", pkg, trust.get(),
                        actor(e));
                ApplyResult r = applied.result();
                Map<String, Object> details = new LinkedHashMap<>();
                details.put("kbId", verified.manifest().id());
                details.put("pid", m.pid());
                details.put("agentLoadedNow", applied.loadedNow());
                details.put("durationMicros", r.durationMicros());
                List<Map<String, Object>> classes = new ArrayList<>();
                for (ApplyResult.PatchedClass pc : r.classes()) {
                    classes.add(Map.of("name", pc.name(), "loaders", pc.loaders(), "sha256", pc.sha256(), "pending", pc.pending()));
                }
                details.put("classes", classes);
                return switch (r.outcome()) {
                    case OK -> result(e, Status.SUCCEEDED, "installed " + verified.manifest().id() + " live in JVM " + m.pid()
                            + " (" + r.classes().size() + " class(es)); " + r.message(), details);
                    case NOOP -> result(e, Status.NOOP, r.message(), details);
                    case REFUSED -> result(e, isBaselineMismatch(r.message()) ? Status.NOT_APPLICABLE : Status.REFUSED,
                            "the agent refused " + verified.manifest().id() + ": " + r.message(), details);
                    case FAILED -> result(e, Status.FAILED, "the agent failed to install " + verified.manifest().id() + ": " + r.message(), details);
                };
            } catch (NotSupportedException x) {
                return result(e, Status.REFUSED, x.getMessage(), Map.of("reason", "NotSupported"));
            }
        } finally {
            deleteQuietly(pkg);
        }
    }

    /** Whether an agent refusal says the JVM runs other code than the package was built for. */
    public static boolean isBaselineMismatch(String agentMessage) {
        return agentMessage != null && agentMessage.contains("does not match the baseline");
    }

    private CommandResult uninstallHotpatch(Journal.Entry e, Action.UninstallHotpatch a) {
        Optional<LocalMachine> running = running(e.command().machine());
        if (running.isEmpty()) {
            return notRunning(e);
        }
        LocalMachine m = running.get();
        journal.write(e.phase(Journal.Phase.APPLYING));
        TargetAccess.Uninstalled un;
        try {
            un = access.uninstall(m.pid(), a.kbId(), actor(e));
        } catch (NotSupportedException x) {
            return result(e, Status.REFUSED, x.getMessage(), Map.of());
        }
        if (!un.present()) {
            return result(e, Status.NOOP, "no hotpatch agent runs in JVM " + m.pid() + ", so no hotpatch is installed", Map.of());
        }
        if (un.result() == null) {
            return result(e, Status.NOOP, "hotpatch " + a.kbId() + " is not installed in JVM " + m.pid(), Map.of());
        }
        UninstallResult r = un.result();
        Map<String, Object> details = Map.of("kbId", r.id(), "pid", m.pid());
        return switch (r.outcome()) {
            case OK -> result(e, Status.SUCCEEDED, "uninstalled " + r.id() + " live from JVM " + m.pid() + "; " + r.message(), details);
            case NOOP -> result(e, Status.NOOP, r.message(), details);
            case REFUSED -> result(e, Status.REFUSED, "the agent refused to uninstall " + a.kbId() + ": " + r.message(), details);
            case FAILED -> result(e, Status.FAILED, "the agent failed to uninstall " + a.kbId() + ": " + r.message(), details);
        };
    }

    // ---- restarts --------------------------------------------------------------------------------

    private CommandResult restart(Journal.Entry e) {
        MachineConfig mc = config.machine(e.command().machine());
        Restarter restarter = Restarter.forMachine(mc, supervisor);
        if (restarter instanceof Restarter.Unavailable u) {
            return result(e, Status.REFUSED, errorOf(u::restart), Map.of());
        }
        long oldPid = running(mc.name()).map(LocalMachine::pid).orElse(0L);
        return restartAndConfirm(journal.write(e.restarting(oldPid, clock.instant())), false);
    }

    /**
     * Restarts the machine (unless {@code resumed} and it already restarted after the step began),
     * waits until it is back and, when jars were swapped for it, confirms it runs them, else rolls
     * the swap back.
     */
    private CommandResult restartAndConfirm(Journal.Entry e, boolean resumed) {
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
        List<String> missing = missingJars(back, swaps);
        if (!missing.isEmpty()) {
            return rollBack(journal.write(e.swaps(swaps).rollingBack(staged + " is not what the restarted JVM " + back.pid()
                    + " runs: its class path lacks " + String.join(", ", missing))), null);
        }
        ledger.confirmAll(name);
        pruneBackups(name);
        details.put("jars", jarDetails(swaps));
        details.put("installed", pending.stream().map(p -> p.action().kbId() != null ? p.action().kbId() : p.action().baselineId()).toList());
        return result(e, Status.SUCCEEDED, "machine " + name + " restarted (pid " + back.pid() + ") and runs " + staged, details);
    }

    // ---- baselines -----------------------------------------------------------------------------

    private CommandResult installBaseline(Journal.Entry e, Action.InstallBaseline a) {
        String name = e.command().machine();
        MachineConfig mc = config.machine(name);
        if (a.jars().isEmpty() && a.baselineId() == null) {
            return stageWithoutFiles(e, a);
        }
        if (mc.jars().isEmpty()) {
            return result(e, Status.REFUSED, "the node config does not list the application jars of machine " + name
                    + ", so the node does not know which files " + a.what() + " replaces; set machine." + name + ".jars", Map.of());
        }
        Restarter restarter = Restarter.forMachine(mc, supervisor);
        if (a.restart() && restarter instanceof Restarter.Unavailable u) {
            return result(e, Status.REFUSED, errorOf(u::restart), Map.of());
        }
        List<MachineLedger.Pending> pending = ledger.pending(name);
        Map<Artifact, Path> targets = new LinkedHashMap<>();
        String mapping = mapTargets(a, mc, targets);
        if (mapping != null) {
            return result(e, Status.REFUSED, mapping, Map.of());
        }
        Path staging = folder("staging").resolve(e.command().id());
        List<Journal.Swap> swaps = new ArrayList<>();
        try {
            PrivateFiles.folder(staging);
            String unsigned = SignedRelease.problem(a, config.trustFor(mc), downloads, staging, name);
            if (unsigned != null) {
                deleteTree(staging);
                return result(e, Status.REFUSED, unsigned + "; nothing was changed on machine " + name, Map.of());
            }
            for (Map.Entry<Artifact, Path> t : targets.entrySet()) {
                Path staged = staging.resolve(t.getKey().sha256() + ".jar");
                String problem = fetchVerified(t.getKey(), staged);
                if (problem != null) {
                    return result(e, Status.REFUSED, problem + "; nothing was changed on machine " + name, Map.of());
                }
                swaps.add(new Journal.Swap(t.getValue(), staged, t.getKey().sha256(), null, null));
            }
        } catch (IOException x) {
            return result(e, Status.FAILED, "cannot stage " + a.what() + " in " + staging + ": " + x.getMessage(), Map.of());
        }
        if (swaps.stream().allMatch(s -> s.newSha().equals(shaOrNull(s.target()))) && pending.isEmpty()) {
            deleteTree(staging);
            return result(e, Status.NOOP, "the jars of " + a.what() + " are in place on machine " + name + " already", Map.of());
        }
        e = journal.write(e.swaps(swaps).phase(Journal.Phase.STAGED));
        List<Journal.Swap> backedUp = new ArrayList<>();
        try {
            Path backups = PrivateFiles.folder(PrivateFiles.folder(dataDir.resolve("artifacts")).resolve(name));
            for (Journal.Swap s : swaps) {
                String oldSha = Sha256.hex(s.target());
                Path backup = backups.resolve(oldSha + "-" + s.target().getFileName());
                if (!Files.isRegularFile(backup) || !oldSha.equals(Sha256.hex(backup))) {
                    Path tmp = PrivateFiles.createTemp(backups, ".backup-");
                    Files.copy(s.target(), tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    PrivateFiles.move(tmp, backup);
                }
                backedUp.add(new Journal.Swap(s.target(), s.staged(), s.newSha(), backup, oldSha));
            }
        } catch (IOException x) {
            return result(e, Status.FAILED, "cannot back up the current jars of machine " + name + " (" + x.getMessage()
                    + "); nothing was changed", Map.of());
        }
        e = journal.write(e.swaps(backedUp).phase(Journal.Phase.SWAPPING));
        try {
            swapAll(backedUp, name);
        } catch (NodeException x) {
            return rollBack(journal.write(e.rollingBack("swapping the jars of " + a.what() + " failed: " + x.getMessage())), null);
        }
        return afterSwap(journal.write(e.swapped(clock.instant())), a);
    }

    /** A restart update that brings no file: it counts as installed once the machine restarts. */
    private CommandResult stageWithoutFiles(Journal.Entry e, Action.InstallBaseline a) {
        String name = e.command().machine();
        Path check = folder("staging").resolve(e.command().id());
        try {
            String unsigned = SignedRelease.problem(a, config.trustFor(config.machine(name)), downloads, PrivateFiles.folder(check), name);
            if (unsigned != null) {
                return result(e, Status.REFUSED, unsigned + "; nothing was changed on machine " + name, Map.of());
            }
        } catch (IOException x) {
            return result(e, Status.FAILED, "cannot use " + check + ": " + x.getMessage(), Map.of());
        } finally {
            deleteTree(check);
        }
        ledger.addPending(name, new MachineLedger.Pending(e.command().id(), a, List.of(), clock.instant()));
        if (!a.restart()) {
            return result(e, Status.PENDING_RESTART, a.what() + " has no file to install on machine " + name
                    + "; it counts as installed once the machine restarts", Map.of());
        }
        long oldPid = running(name).map(LocalMachine::pid).orElse(0L);
        return restartAndConfirm(journal.write(e.restarting(oldPid, clock.instant())), false);
    }

    private CommandResult afterSwap(Journal.Entry e, Action.InstallBaseline a) {
        String name = e.command().machine();
        ledger.addPending(name, new MachineLedger.Pending(e.command().id(), a, e.swaps(), e.swappedAt()));
        deleteTree(dataDir.resolve("staging").resolve(e.command().id()));
        if (!a.restart()) {
            return result(e, Status.PENDING_RESTART, "the jars of " + a.what() + " are in place on machine " + name
                    + "; it runs the old ones until it restarts, and that restart confirms the new ones (or puts the old ones back)",
                    Map.of("jars", jarDetails(e.swaps())));
        }
        long oldPid = running(name).map(LocalMachine::pid).orElse(0L);
        return restartAndConfirm(journal.write(e.restarting(oldPid, clock.instant())), false);
    }

    /**
     * Puts the old jars back, restarts the machine on them when a restart had begun, and reports the
     * failure {@code why} (from the entry when null) with how the rollback went.
     */
    private CommandResult rollBack(Journal.Entry e, String why) {
        String reason = why != null ? why : e.failure();
        String name = e.command().machine();
        MachineConfig mc = config.machine(name);
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("rolledBack", true);
        details.put("jars", jarDetails(e.swaps()));
        try {
            restoreAll(e.swaps(), name);
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

    /** Replaces each target with its new jar, atomically per jar; a jar already replaced is skipped. */
    private void swapAll(List<Journal.Swap> swaps, String machine) {
        for (Journal.Swap s : swaps) {
            replace(s.target(), s.staged(), s.newSha(), machine);
        }
    }

    /** Puts back what each swap replaced, newest first, so a file swapped twice ends as it was before the first. */
    private void restoreAll(List<Journal.Swap> swaps, String machine) {
        for (int i = swaps.size() - 1; i >= 0; i--) {
            Journal.Swap s = swaps.get(i);
            if (s.backup() != null) {
                replace(s.target(), s.backup(), s.oldSha(), machine);
            }
        }
    }

    /**
     * Puts {@code source}'s content at {@code target} unless it is there already: a copy next to the
     * target, flushed, with the target's permissions, renamed over it. The running JVM keeps the
     * file it opened; the next start opens the new one.
     */
    private static void replace(Path target, Path source, String sha, String machine) {
        try {
            if (sha.equals(shaOrNull(target))) {
                return;
            }
            if (!sha.equals(Sha256.hex(source))) {
                throw new NodeException("the copy " + source + " no longer has SHA-256 " + sha + "; it was changed on disk");
            }
            Path dir = target.toAbsolutePath().getParent();
            Path tmp = PrivateFiles.createTemp(dir, "." + target.getFileName() + ".hotpatch-");
            try {
                Files.copy(source, tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
                    ch.force(true);
                }
                if (Files.exists(target)) {
                    try {
                        Files.setPosixFilePermissions(tmp, Files.getPosixFilePermissions(target));
                    } catch (UnsupportedOperationException x) {
                        // No POSIX permissions here; the platform's defaults apply.
                    }
                }
                PrivateFiles.move(tmp, target);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException x) {
            throw new NodeException("cannot replace " + target + " of machine " + machine + ": " + x.getMessage(), x);
        }
    }

    /** Maps each artifact to the application jar it replaces; returns why it cannot, or null. */
    private static String mapTargets(Action.InstallBaseline a, MachineConfig mc, Map<Artifact, Path> out) {
        if (a.jars().isEmpty()) {
            return a.what() + " carries no jar";
        }
        if (a.jars().size() == 1 && mc.jars().size() == 1) {
            out.put(a.jars().get(0), mc.jars().get(0));
            return null;
        }
        for (Artifact art : a.jars()) {
            Optional<Path> same = mc.jars().stream().filter(p -> p.getFileName().toString().equals(art.fileName())).findFirst();
            if (same.isEmpty()) {
                return a.what() + " has jar " + art.fileName() + ", and machine." + mc.name() + ".jars (" + mc.jars()
                        + ") has no file of that name; when a baseline has several jars, name the application's jar files like the baseline's";
            }
            out.put(art, same.get());
        }
        return null;
    }

    /** The new jars' file names that are not on {@code m}'s class path with their new hash. */
    private List<String> missingJars(LocalMachine m, List<Journal.Swap> swaps) {
        InventoryCollector.Collected c = inventory.collect(m);
        List<String> missing = new ArrayList<>();
        MachineLedger.expected(swaps).forEach((target, sha) -> {
            if (!c.jarFiles().containsValue(sha)) {
                missing.add(target.getFileName() + " with SHA-256 " + sha.substring(0, 12) + "…");
            }
        });
        return missing;
    }

    private void pruneBackups(String machine) {
        Path dir = dataDir.resolve("artifacts").resolve(machine);
        try (var files = Files.list(dir)) {
            List<Path> all = new ArrayList<>(files.filter(Files::isRegularFile).toList());
            all.sort((x, y) -> {
                try {
                    return Files.getLastModifiedTime(y).compareTo(Files.getLastModifiedTime(x));
                } catch (IOException ex) {
                    return 0;
                }
            });
            for (Path p : all.subList(Math.min(all.size(), BACKUPS_KEPT * Math.max(1, config.machine(machine).jars().size())), all.size())) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot prune old jar backups in " + dir + ": " + e.getMessage());
        }
    }

    private static List<Map<String, Object>> jarDetails(List<Journal.Swap> swaps) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Journal.Swap s : swaps) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("path", s.target().toString());
            j.put("oldSha256", s.oldSha());
            j.put("newSha256", s.newSha());
            out.add(j);
        }
        return out;
    }

    // ---- helpers -----------------------------------------------------------------------------

    /**
     * Downloads {@code a} to {@code target} and checks its SHA-256; returns what is wrong, or null.
     * A file that does not match is deleted.
     */
    private String fetchVerified(Artifact a, Path target) {
        try {
            Path tmp = PrivateFiles.createTemp(target.toAbsolutePath().getParent(), ".download-");
            try {
                downloads.fetch(a.source(), tmp);
                String sha = Sha256.hex(tmp);
                if (a.sha256() != null && !a.sha256().equalsIgnoreCase(sha)) {
                    return a.fileName() + " from " + a.source() + " has SHA-256 " + sha + ", not the expected " + a.sha256()
                            + "; it was damaged or tampered with in transit and was discarded";
                }
                PrivateFiles.move(tmp, target);
                return null;
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new NodeException("cannot download " + a.fileName() + " from " + a.source() + ": " + e.getMessage(), e);
        }
    }

    private Optional<LocalMachine> running(String name) {
        return discovery.discover().machine(name);
    }

    private MachineInventory report(String name) {
        try {
            return running(name).map(m -> inventory.collect(m).report()).orElse(null);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot take the inventory of machine " + name + " after a command: " + e.getMessage());
            return null;
        }
    }

    private CommandResult notRunning(Journal.Entry e) {
        return result(e, Status.FAILED, "machine " + e.command().machine() + " is not running on this node (no JVM with that name was found)",
                Map.of());
    }

    private CommandResult result(Journal.Entry e, Status s, String message, Map<String, Object> details) {
        return new CommandResult(e.command().id(), e.command().machine(), e.command().action().type(), s, message, e.startedAt(), clock.instant(), details, null);
    }

    private Path folder(String name) {
        try {
            return PrivateFiles.folder(dataDir.resolve(name));
        } catch (IOException e) {
            throw new NodeException("cannot use " + dataDir.resolve(name) + ": " + e.getMessage(), e);
        }
    }

    private static String actor(Journal.Entry e) {
        return e.command().actor() == null || e.command().actor().isBlank() ? "hotpatch-node" : e.command().actor();
    }

    private static String errorOf(Runnable r) {
        try {
            r.run();
            return "";
        } catch (NodeException e) {
            return e.getMessage();
        }
    }

    private static String shaOrNull(Path p) {
        try {
            return Files.isRegularFile(p) ? Sha256.hex(p) : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            // A leftover file in the node's private data folder is harmless.
        }
    }

    private static void deleteTree(Path dir) {
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
