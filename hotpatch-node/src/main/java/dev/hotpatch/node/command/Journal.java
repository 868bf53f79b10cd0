package dev.hotpatch.node.command;

import dev.hotpatch.node.NodeException;
import dev.hotpatch.node.internal.Json;
import dev.hotpatch.node.internal.PrivateFiles;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The node's record of commands in flight, one owner-only JSON file per command in
 * {@code <data>/journal/}, replaced atomically at every step. A node killed mid-command finds the
 * last step it completed here when it starts again, and finishes or undoes the work from there;
 * a finished command stays until its result has been delivered ({@link #remove}), so a result is
 * never lost and a repeated delivery of the command returns the same result. Thread-safe for
 * different commands (each has its own file, replaced atomically); one command's entry is written
 * by one thread at a time (the executor's lock per machine).
 */
public final class Journal {
    private static final Pattern SAFE_ID = Pattern.compile("[A-Za-z0-9._:-]{1,200}");

    private final Path dir;

    /** The steps of a command, in order. */
    public enum Phase {
        /** Accepted; nothing changed yet. */
        RECEIVED,
        /** Files downloaded and verified; nothing changed on the machine yet. */
        STAGED,
        /** A live change was sent to the agent (all or nothing there; re-sending is a no-op). */
        APPLYING,
        /** Old jars backed up; replacing jars has begun. */
        SWAPPING,
        /** Every jar replaced. */
        SWAPPED,
        /** The JVM is being restarted and confirmed. */
        RESTARTING,
        /** Confirming failed; the old jars are being put back. */
        ROLLING_BACK,
        /** Finished; the result waits for delivery. */
        DONE
    }

    /**
     * One jar replacement of a baseline install.
     *
     * @param target the application jar that is replaced
     * @param staged the verified new jar in the node's staging folder
     * @param newSha SHA-256 of the new jar
     * @param backup copy of the old jar in the node's data folder
     * @param oldSha SHA-256 of the old jar
     */
    public record Swap(Path target, Path staged, String newSha, Path backup, String oldSha) {
    }

    /**
     * A command's journal entry.
     *
     * @param command   the command
     * @param phase     the last step completed
     * @param startedAt when the node started it
     * @param swaps     jar replacements (baseline installs)
     * @param swappedAt when the jars were replaced
     * @param oldPid    the JVM's process id before a restart
     * @param since     when the restart began
     * @param failure   why a rollback began
     * @param result    the result, once {@link Phase#DONE}
     */
    public record Entry(Command command, Phase phase, Instant startedAt, List<Swap> swaps, Instant swappedAt, Long oldPid,
                        Instant since, String failure, CommandResult result) {
        public Entry {
            swaps = swaps == null ? List.of() : List.copyOf(swaps);
        }

        public Entry phase(Phase p) {
            return new Entry(command, p, startedAt, swaps, swappedAt, oldPid, since, failure, result);
        }

        public Entry swaps(List<Swap> s) {
            return new Entry(command, phase, startedAt, s, swappedAt, oldPid, since, failure, result);
        }

        public Entry swapped(Instant at) {
            return new Entry(command, Phase.SWAPPED, startedAt, swaps, at, oldPid, since, failure, result);
        }

        public Entry restarting(Long pid, Instant at) {
            return new Entry(command, Phase.RESTARTING, startedAt, swaps, swappedAt, pid, at, failure, result);
        }

        public Entry rollingBack(String why) {
            return new Entry(command, Phase.ROLLING_BACK, startedAt, swaps, swappedAt, oldPid, since, why, result);
        }

        public Entry done(CommandResult r) {
            return new Entry(command, Phase.DONE, startedAt, swaps, swappedAt, oldPid, since, failure, r);
        }
    }

    private Journal(Path dir) {
        this.dir = dir;
    }

    /** Opens (creating owner-only) the journal in {@code dataDir}. */
    public static Journal open(Path dataDir) {
        Path dir = dataDir.resolve("journal");
        try {
            PrivateFiles.folder(dir);
        } catch (IOException e) {
            throw new NodeException("cannot use the node journal folder " + dir + ": " + e.getMessage(), e);
        }
        return new Journal(dir);
    }

    /** Records {@code e} durably, replacing the command's previous entry. */
    public Entry write(Entry e) {
        try {
            PrivateFiles.write(file(e.command().id()), Json.bytes(e));
            return e;
        } catch (IOException ex) {
            throw new NodeException("cannot write the node journal " + file(e.command().id()) + ": " + ex.getMessage()
                    + "; nothing further is done for command " + e.command().id() + " until it can be recorded", ex);
        }
    }

    /** The entry of command {@code id}, if any. */
    public Optional<Entry> get(String id) {
        Path f = file(id);
        if (!Files.isRegularFile(f)) {
            return Optional.empty();
        }
        return Optional.of(read(f));
    }

    /** Every entry, oldest first. */
    public List<Entry> all() {
        List<Entry> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.json")) {
            for (Path f : ds) {
                out.add(read(f));
            }
        } catch (IOException e) {
            throw new NodeException("cannot read the node journal " + dir + ": " + e.getMessage(), e);
        }
        out.sort(Comparator.comparing(Entry::startedAt, Comparator.nullsFirst(Comparator.naturalOrder())));
        return out;
    }

    /** Forgets command {@code id}: its result was delivered. */
    public void remove(String id) {
        try {
            Files.deleteIfExists(file(id));
            PrivateFiles.syncFolder(dir);
        } catch (IOException e) {
            throw new NodeException("cannot remove journal entry " + file(id) + ": " + e.getMessage(), e);
        }
    }

    /** The journal folder. */
    public Path dir() {
        return dir;
    }

    private Entry read(Path f) {
        try {
            return Json.MAPPER.readValue(f.toFile(), Entry.class);
        } catch (IOException e) {
            throw new NodeException("node journal entry " + f + " is unreadable (" + e.getMessage() + "); it was written atomically, so"
                    + " something else changed it: inspect it, then move it away to let the node continue", e);
        }
    }

    private Path file(String id) {
        if (!SAFE_ID.matcher(id).matches()) {
            throw new NodeException("command id '" + id + "' cannot name a journal file; ids are letters, digits, '.', '_', ':' or '-'");
        }
        return dir.resolve(id + ".json");
    }
}
