package dev.hotpatch.node.command;

import dev.hotpatch.node.NodeException;
import dev.hotpatch.node.internal.Json;
import dev.hotpatch.node.internal.PrivateFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the node did to each machine that outlasts a command, one owner-only JSON file per machine
 * in {@code <data>/machines/}: the restart updates it installed (reported as
 * {@code installedUpdates}), and the changes staged for the next restart (jar swaps of baselines
 * and restart updates, in the order they were made), which that restart confirms together or
 * undoes together. Thread-safe for different machines (a file each); one machine's record is
 * changed by one thread at a time (the executor's lock per machine).
 */
public final class MachineLedger {
    private final Path dir;

    /**
     * A machine's record.
     *
     * @param installedUpdates KB ids of restart updates installed since its last baseline
     * @param pending          changes staged for the next restart, oldest first
     */
    public record State(List<String> installedUpdates, List<Pending> pending) {
        public State {
            installedUpdates = installedUpdates == null ? List.of() : List.copyOf(installedUpdates);
            pending = pending == null ? List.of() : List.copyOf(pending);
        }
    }

    /**
     * A change that the next restart must confirm.
     *
     * @param commandId the install command that staged it
     * @param action    what was installed
     * @param swaps     its jar replacements, with backups of the jars they replaced (none for an update without files)
     * @param stagedAt  when
     */
    public record Pending(String commandId, Action.InstallBaseline action, List<Journal.Swap> swaps, Instant stagedAt) {
        public Pending {
            swaps = List.copyOf(swaps);
        }
    }

    private MachineLedger(Path dir) {
        this.dir = dir;
    }

    /** Opens (creating owner-only) the ledger in {@code dataDir}. */
    public static MachineLedger open(Path dataDir) {
        Path dir = dataDir.resolve("machines");
        try {
            PrivateFiles.folder(dir);
        } catch (IOException e) {
            throw new NodeException("cannot use the node's machine folder " + dir + ": " + e.getMessage(), e);
        }
        return new MachineLedger(dir);
    }

    public State get(String machine) {
        Path f = dir.resolve(machine + ".json");
        if (!Files.isRegularFile(f)) {
            return new State(List.of(), List.of());
        }
        try {
            return Json.MAPPER.readValue(f.toFile(), State.class);
        } catch (IOException e) {
            throw new NodeException("the node's record of machine " + machine + " (" + f + ") is unreadable: " + e.getMessage(), e);
        }
    }

    /** Restart updates installed on {@code machine}, as the inventory reports them. */
    public List<String> installedUpdates(String machine) {
        return get(machine).installedUpdates();
    }

    /** Changes staged for the machine's next restart, oldest first. */
    public List<Pending> pending(String machine) {
        return get(machine).pending();
    }

    /** Adds (or, for a repeated command, replaces) a staged change. */
    public void addPending(String machine, Pending p) {
        List<Pending> all = new ArrayList<>();
        for (Pending q : pending(machine)) {
            if (!q.commandId().equals(p.commandId())) {
                all.add(q);
            }
        }
        all.add(p);
        put(machine, new State(installedUpdates(machine), all));
    }

    /**
     * Records that the staged changes run: a baseline replaces the installed restart updates; a
     * restart update is added to them.
     */
    public void confirmAll(String machine) {
        List<String> updates = new ArrayList<>(installedUpdates(machine));
        for (Pending p : pending(machine)) {
            if (p.action().baselineId() != null) {
                updates.clear();
            } else if (p.action().kbId() != null && !updates.contains(p.action().kbId())) {
                updates.add(p.action().kbId());
            }
        }
        put(machine, new State(updates, List.of()));
    }

    /** Drops the staged changes whose jars were all put back. */
    public void dropRestored(String machine, Collection<Journal.Swap> restored) {
        List<Pending> left = new ArrayList<>();
        for (Pending p : pending(machine)) {
            if (!restored.containsAll(p.swaps())) {
                left.add(p);
            }
        }
        put(machine, new State(installedUpdates(machine), left));
    }

    /** Every jar swap staged for the machine, oldest first. */
    public static List<Journal.Swap> swaps(List<Pending> pending) {
        List<Journal.Swap> out = new ArrayList<>();
        pending.forEach(p -> out.addAll(p.swaps()));
        return out;
    }

    /** What each swapped jar must hold after the staged changes: the last swap of each file wins. */
    public static Map<Path, String> expected(List<Journal.Swap> swaps) {
        Map<Path, String> out = new LinkedHashMap<>();
        swaps.forEach(s -> out.put(s.target(), s.newSha()));
        return out;
    }

    /** What the staged changes are, for messages: {@code baseline 2.0 and update KB…}. */
    public static String describe(List<Pending> pending) {
        List<String> parts = new ArrayList<>();
        pending.forEach(p -> parts.add(p.action().what()));
        return String.join(" and ", parts);
    }

    private void put(String machine, State s) {
        Path f = dir.resolve(machine + ".json");
        try {
            PrivateFiles.write(f, Json.bytes(s));
        } catch (IOException e) {
            throw new NodeException("cannot write the node's record of machine " + machine + " (" + f + "): " + e.getMessage(), e);
        }
    }
}
