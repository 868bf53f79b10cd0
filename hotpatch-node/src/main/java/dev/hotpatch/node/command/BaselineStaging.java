package dev.hotpatch.node.command;

import dev.hotpatch.format.Sha256;
import dev.hotpatch.node.NodeException;
import dev.hotpatch.node.config.MachineConfig;
import dev.hotpatch.node.config.NodeConfig;
import dev.hotpatch.node.discovery.LocalMachine;
import dev.hotpatch.node.internal.PrivateFiles;
import dev.hotpatch.node.restart.Restarter;
import dev.hotpatch.node.restart.Supervisor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The baseline staging job: a baseline (or restart update) install downloads and verifies the new
 * jars, backs up the old ones, swaps them ({@link JarSwap}) and records the change as pending in
 * the {@link MachineLedger}; then it restarts the machine to confirm it ({@link RestartJob}), or
 * leaves it for the next restart. Thread-safe for different machines.
 */
final class BaselineStaging {
    private final JobContext ctx;
    private final NodeConfig config;
    private final Path dataDir;
    private final Journal journal;
    private final MachineLedger ledger;
    private final Supervisor supervisor;
    private final Clock clock;
    private final Fetcher fetcher;
    private final JarSwap swap;
    private final Rollback rollback;
    private final RestartJob restart;

    BaselineStaging(JobContext ctx, Fetcher fetcher, JarSwap swap, Rollback rollback, RestartJob restart) {
        this.ctx = ctx;
        this.config = ctx.config;
        this.dataDir = ctx.dataDir;
        this.journal = ctx.journal;
        this.ledger = ctx.ledger;
        this.supervisor = ctx.supervisor;
        this.clock = ctx.clock;
        this.fetcher = fetcher;
        this.swap = swap;
        this.rollback = rollback;
        this.restart = restart;
    }

    CommandResult installBaseline(Journal.Entry e, Action.InstallBaseline a) {
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
            String unsigned = SignedRelease.problem(a, config.trustFor(mc), fetcher.downloads(), staging, name);
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
            String unsigned = SignedRelease.problem(a, config.trustFor(config.machine(name)), fetcher.downloads(), PrivateFiles.folder(check),
                    name);
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

    /** Records the swapped jars as pending the next restart, and restarts now when the command says so. */
    CommandResult afterSwap(Journal.Entry e, Action.InstallBaseline a) {
        String name = e.command().machine();
        ledger.addPending(name, new MachineLedger.Pending(e.command().id(), a, e.swaps(), e.swappedAt()));
        deleteTree(dataDir.resolve("staging").resolve(e.command().id()));
        if (!a.restart()) {
            return result(e, Status.PENDING_RESTART, "the jars of " + a.what() + " are in place on machine " + name
                    + "; it runs the old ones until it restarts, and that restart confirms the new ones (or puts the old ones back)",
                    Map.of("jars", JarSwap.jarDetails(e.swaps())));
        }
        long oldPid = running(name).map(LocalMachine::pid).orElse(0L);
        return restartAndConfirm(journal.write(e.restarting(oldPid, clock.instant())), false);
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

    // ---- shared helpers, named as in the other jobs --------------------------------------------

    private void swapAll(List<Journal.Swap> swaps, String machine) {
        swap.swapAll(swaps, machine);
    }

    private CommandResult rollBack(Journal.Entry e, String why) {
        return rollback.rollBack(e, why);
    }

    private CommandResult restartAndConfirm(Journal.Entry e, boolean resumed) {
        return restart.restartAndConfirm(e, resumed);
    }

    private String fetchVerified(Artifact a, Path target) {
        return fetcher.fetchVerified(a, target);
    }

    private Optional<LocalMachine> running(String name) {
        return ctx.running(name);
    }

    private CommandResult result(Journal.Entry e, Status s, String message, Map<String, Object> details) {
        return ctx.result(e, s, message, details);
    }

    private Path folder(String name) {
        return ctx.folder(name);
    }

    private static String errorOf(Runnable r) {
        return JobContext.errorOf(r);
    }

    private static String shaOrNull(Path p) {
        return JobContext.shaOrNull(p);
    }

    private static void deleteTree(Path dir) {
        JobContext.deleteTree(dir);
    }
}
