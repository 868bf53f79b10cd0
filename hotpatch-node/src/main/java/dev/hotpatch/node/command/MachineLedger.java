package dev.hotpatch.node.command;

import dev.hotpatch.node.NodeException;
import dev.hotpatch.node.internal.Json;
import dev.hotpatch.node.internal.PrivateFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What the node did to each machine that outlasts a command, one owner-only JSON file per machine
 * in {@code <data>/machines/}: the restart updates it installed (reported as
 * {@code installedUpdates}), and the jar swap awaiting its restart, which the next restart
 * confirms or undoes. Not thread-safe: the node runs one command at a time.
 */
public final class MachineLedger {
    private final Path dir;

    /**
     * A machine's record.
     *
     * @param installedUpdates KB ids of restart updates installed since its last baseline
     * @param pending          jars swapped but not yet confirmed by a restart; null when none
     */
    public record State(List<String> installedUpdates, Pending pending) {
        public State {
            installedUpdates = installedUpdates == null ? List.of() : List.copyOf(installedUpdates);
        }
    }

    /**
     * Swapped jars that the next restart must confirm.
     *
     * @param commandId the install command that swapped them
     * @param action    what was installed
     * @param swaps     the replacements, with backups of the old jars
     * @param swappedAt when
     */
    public record Pending(String commandId, Action.InstallBaseline action, List<Journal.Swap> swaps, Instant swappedAt) {
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
            return new State(List.of(), null);
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

    public Optional<Pending> pending(String machine) {
        return Optional.ofNullable(get(machine).pending());
    }

    public void setPending(String machine, Pending p) {
        put(machine, new State(get(machine).installedUpdates(), p));
    }

    /**
     * Records that the pending swap runs: a baseline replaces the installed restart updates; a
     * restart update is added to them.
     */
    public void confirm(String machine, Pending p) {
        List<String> updates = new ArrayList<>(get(machine).installedUpdates());
        if (p.action().baselineId() != null) {
            updates.clear();
        } else if (p.action().kbId() != null && !updates.contains(p.action().kbId())) {
            updates.add(p.action().kbId());
        }
        put(machine, new State(updates, null));
    }

    /** Drops the pending swap (its old jars were put back). */
    public void clearPending(String machine) {
        put(machine, new State(get(machine).installedUpdates(), null));
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
