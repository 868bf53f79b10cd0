package dev.hotpatch.agent;

import dev.hotpatch.format.OwnerOnly;
import dev.hotpatch.format.PropertiesText;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * An enrolled agent's persisted state in an owner-only folder: accepted packages
 * ({@code packages/<id>.hotpatch}), their order, provenance, probation and quarantine
 * ({@code installed.properties}), and the record of the current run ({@code run.properties}:
 * whether the JVM stopped cleanly, for crash quarantine). The agent re-applies from it at
 * start-up, re-verifying every package against the trust folder of the day: no signer is
 * remembered here, so this folder cannot widen trust.
 *
 * <p>Every file is written to a temporary file, flushed to disk, renamed over the old one, and the
 * folder flushed, so a crash or power cut leaves the old or the new state, never a torn or lost
 * one. Before every write the folder is checked again with the shared {@link OwnerOnly} rule: a
 * folder that was swapped for a link or opened to others meanwhile fails the write, and the engine
 * rolls the operation back. Not thread-safe: the engine serialises calls (the run record is
 * written by the shutdown hook alone, into its own file).
 */
final class StateStore {
    private static final String LIST = "installed.properties";
    private static final String RUN = "run.properties";
    private static final String ROLE = "state folder";

    /** One persisted hotpatch. Mutable only by the engine, under its lock. */
    static final class Record {
        final String id;
        final Path file;
        final String sha256;
        final Instant installedOn;
        final String installedBy;
        /** End of the probation that started when it was applied live; null when over (or never started). */
        Instant probationUntil;
        /** When it was quarantined (not re-applied at start); null when it is not. */
        Instant quarantinedSince;
        String quarantineReason;

        Record(String id, Path file, String sha256, Instant installedOn, String installedBy) {
            this.id = id;
            this.file = file;
            this.sha256 = sha256;
            this.installedOn = installedOn;
            this.installedBy = installedBy;
        }
    }

    /** How the previous run of this state's JVM ended. */
    static final class PreviousRun {
        final long pid;
        final boolean clean;
        /** Last sign of life: its stop time, or the last heartbeat (the run file's modification time). */
        final Instant lastAlive;

        PreviousRun(long pid, boolean clean, Instant lastAlive) {
            this.pid = pid;
            this.clean = clean;
            this.lastAlive = lastAlive;
        }
    }

    private final Path dir;
    /** Held for the JVM's lifetime: one JVM per state folder, or two would overwrite each other's list. */
    private final FileLock lock;

    private StateStore(Path dir, FileLock lock) {
        this.dir = dir;
        this.lock = lock;
    }

    /**
     * Opens (creating owner-only) the state folder and locks it for this JVM.
     *
     * @throws IOException saying why it is unusable: unsafe (link, other owner, open to others),
     *                     not writable, or used by another running JVM
     */
    static StateStore open(Path dir) throws IOException {
        try {
            OwnerOnly.createPrivateFolder(dir, ROLE);
            Files.createDirectories(dir.resolve("packages"));
            OwnerOnly.requirePrivateFolder(dir.resolve("packages"), ROLE);
            FileChannel ch = FileChannel.open(dir.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            FileLock lock = ch.tryLock();
            if (lock == null) {
                String holder = new String(Files.readAllBytes(dir.resolve("lock")), StandardCharsets.UTF_8).trim();
                ch.close();
                throw new IOException("another running JVM (" + holder + ") uses it; give this JVM its own name with"
                        + " -Dhotpatch.machine=NAME or the agent option name=");
            }
            ch.truncate(0);
            ch.write(ByteBuffer.wrap(("pid " + ProcessHandle.current().pid()).getBytes(StandardCharsets.UTF_8)));
            return new StateStore(dir, lock);
        } catch (SecurityException | OverlappingFileLockException e) {
            throw new IOException(e.toString(), e);
        }
    }

    Path dir() {
        return dir;
    }

    /** The persisted hotpatches in install order; unreadable entries are reported in {@code problems}. */
    List<Record> load(List<String> problems) {
        List<Record> out = new ArrayList<>();
        Properties p = properties(dir.resolve(LIST), problems);
        if (p == null) {
            return out;
        }
        int count;
        try {
            count = Integer.parseInt(p.getProperty("count", "0"));
        } catch (NumberFormatException e) {
            problems.add(dir.resolve(LIST) + " is damaged (count)");
            return out;
        }
        for (int i = 0; i < count; i++) {
            String id = p.getProperty(i + ".id");
            try {
                if (id == null || !id.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) {
                    throw new IllegalArgumentException("bad id '" + id + "'");
                }
                Record r = new Record(id, packageFile(id), p.getProperty(i + ".sha256", ""),
                        Instant.parse(p.getProperty(i + ".installedOn")), p.getProperty(i + ".installedBy", ""));
                r.probationUntil = instant(p.getProperty(i + ".probationUntil"));
                r.quarantinedSince = instant(p.getProperty(i + ".quarantinedSince"));
                r.quarantineReason = p.getProperty(i + ".quarantineReason");
                out.add(r);
            } catch (RuntimeException e) {
                problems.add(dir.resolve(LIST) + " entry " + i + " is damaged: " + e.getMessage());
            }
        }
        return out;
    }

    /** Writes the bytes of an accepted, verified package into the store, owner-only and durably, and returns its stored path. */
    Path keep(String id, byte[] verified) throws IOException {
        requireSafe();
        Path target = packageFile(id);
        OwnerOnly.write(target, verified);
        return target;
    }

    /** Writes the list of persisted hotpatches, durably and atomically. */
    void save(List<Record> records) throws IOException {
        requireSafe();
        Map<String, String> p = new LinkedHashMap<>();
        p.put("count", Integer.toString(records.size()));
        for (int i = 0; i < records.size(); i++) {
            Record r = records.get(i);
            p.put(i + ".id", r.id);
            p.put(i + ".sha256", r.sha256);
            p.put(i + ".installedOn", r.installedOn.toString());
            p.put(i + ".installedBy", r.installedBy);
            if (r.probationUntil != null) {
                p.put(i + ".probationUntil", r.probationUntil.toString());
            }
            if (r.quarantinedSince != null) {
                p.put(i + ".quarantinedSince", r.quarantinedSince.toString());
                p.put(i + ".quarantineReason", r.quarantineReason == null ? "" : r.quarantineReason);
            }
        }
        OwnerOnly.write(dir.resolve(LIST), ("# hotpatches accepted by this JVM, in install order\n" + PropertiesText.write(p))
                .getBytes(StandardCharsets.UTF_8));
    }

    /** Deletes the stored package of a hotpatch no record names any more, durably. */
    void forget(String id) throws IOException {
        requireSafe();
        Files.deleteIfExists(packageFile(id));
        OwnerOnly.syncFolder(dir.resolve("packages"));
    }

    /** How the previous run ended, or null when there was none (first start, or a state from an older agent). */
    PreviousRun previousRun(List<String> problems) {
        Path f = dir.resolve(RUN);
        Properties p = properties(f, problems);
        if (p == null) {
            return null;
        }
        try {
            Instant lastAlive = p.getProperty("stoppedAt") != null ? Instant.parse(p.getProperty("stoppedAt"))
                    : Files.getLastModifiedTime(f).toInstant();
            return new PreviousRun(Long.parseLong(p.getProperty("pid", "0")), "true".equals(p.getProperty("clean")), lastAlive);
        } catch (IOException | RuntimeException e) {
            problems.add(f + " is damaged: " + e.getMessage());
            return null;
        }
    }

    /** Records that this JVM runs (and has not stopped cleanly yet). */
    void startRun(Instant startedAt) throws IOException {
        writeRun(false, startedAt, null);
    }

    /** Records a clean stop; called from the shutdown hook. */
    void endRun(Instant startedAt) throws IOException {
        writeRun(true, startedAt, Instant.now());
    }

    /** A sign of life while a hotpatch is on probation: the run file's modification time. */
    void heartbeat() {
        try {
            Files.setLastModifiedTime(dir.resolve(RUN), FileTime.from(Instant.now()));
        } catch (IOException e) {
            // The next beat tries again; a missed one only makes a later crash look a few seconds earlier.
        }
    }

    private void writeRun(boolean clean, Instant startedAt, Instant stoppedAt) throws IOException {
        requireSafe();
        Map<String, String> p = new LinkedHashMap<>();
        p.put("pid", Long.toString(ProcessHandle.current().pid()));
        p.put("startedAt", startedAt.toString());
        p.put("clean", Boolean.toString(clean));
        if (stoppedAt != null) {
            p.put("stoppedAt", stoppedAt.toString());
        }
        OwnerOnly.write(dir.resolve(RUN), ("# this JVM's run: clean=true once it stopped normally\n" + PropertiesText.write(p))
                .getBytes(StandardCharsets.UTF_8));
    }

    /** Re-checks the folder before writing: it may have been swapped for a link or opened to others since it was opened. */
    private void requireSafe() throws IOException {
        OwnerOnly.requirePrivateFolder(dir, ROLE);
        OwnerOnly.requirePrivateFolder(dir.resolve("packages"), ROLE);
    }

    private static Properties properties(Path f, List<String> problems) {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(f)) {
            p.load(in);
            return p;
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException | IllegalArgumentException e) {
            problems.add("cannot read " + f + ": " + e.getMessage());
            return null;
        }
    }

    private static Instant instant(String s) {
        return s == null || s.isEmpty() ? null : Instant.parse(s);
    }

    private Path packageFile(String id) {
        return dir.resolve("packages").resolve(id + ".hotpatch");
    }
}
