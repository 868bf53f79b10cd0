package dev.hotpatch.agent;

import java.io.File;
import java.io.IOException;
import java.lang.ref.WeakReference;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.CodeSource;
import java.security.ProtectionDomain;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What each jar or class folder looked like when this JVM first loaded code from it, so that the
 * agent never checks a hotpatch against a file that changed afterwards: HotSpot keeps running the
 * classes it loaded from the old file (a jar replaced by a baseline install, restart pending), so
 * the file on disk no longer tells what the JVM runs.
 *
 * <p>A jar's identity is its file key (device and inode), size and modification time; a class
 * folder's is the time it was first seen, and a class file in it counts as changed when it was
 * modified later. In enrolled mode the {@link PatchTransformer} records each code source as the
 * first class loads from it. An attached agent arrives late: it records what it finds when it is
 * loaded, and treats a jar of the JVM's class path that was modified after the JVM started as
 * changed, because it cannot tell which version the JVM loaded.
 *
 * <p>Thread-safe: class loading records concurrently; lookups read a concurrent map.
 */
final class CodeSourceLedger {
    /** File and process times come from different clocks and granularities; closer than this is "the same time". */
    private static final long CLOCK_SLACK_MILLIS = 2000;

    /** One code source as first seen. */
    static final class Entry {
        final Path path;
        final boolean folder;
        final Object fileKey;
        final long size;
        final long modified;
        final long firstSeen;
        /** Why this source cannot be trusted even unchanged (attached late to a jar modified after start); null if it can. */
        final String suspect;
        volatile Instant noticed;

        Entry(Path path, boolean folder, Object fileKey, long size, long modified, long firstSeen, String suspect) {
            this.path = path;
            this.folder = folder;
            this.fileKey = fileKey;
            this.size = size;
            this.modified = modified;
            this.firstSeen = firstSeen;
            this.suspect = suspect;
        }
    }

    /** A restart the JVM owes: since when the agent knows, and why. */
    static final class RestartPending {
        final Instant since;
        final String reason;

        RestartPending(Instant since, String reason) {
            this.since = since;
            this.reason = reason;
        }
    }

    /** By the raw path of the code source URL, as class loading sees it. */
    private final Map<String, Entry> entries = new ConcurrentHashMap<>();
    private final Map<Path, Entry> byPath = new ConcurrentHashMap<>();
    private final long jvmStart;
    private final boolean late;
    private final Set<Path> classPath = new HashSet<>();
    private volatile WeakReference<ProtectionDomain> last = new WeakReference<>(null);

    /**
     * @param late true for an attached agent, which cannot see the JVM load its classes
     */
    CodeSourceLedger(boolean late) {
        this.late = late;
        java.util.Optional<Instant> started = ProcessHandle.current().info().startInstant();
        this.jvmStart = started.isPresent() ? started.get().toEpochMilli() : 0L;
        for (String e : System.getProperty("java.class.path", "").split(File.pathSeparator)) {
            if (!e.isEmpty()) {
                try {
                    classPath.add(Paths.get(e).toAbsolutePath().normalize());
                } catch (RuntimeException ignored) {
                    // Not a path this platform understands: nothing to watch.
                }
            }
        }
    }

    /** Records the code source of a class being loaded (or found loaded); cheap when it was seen before. Never throws. */
    void loaded(ProtectionDomain pd) {
        if (pd == null || pd == last.get()) {
            return;
        }
        try {
            CodeSource cs = pd.getCodeSource();
            URL location = cs == null ? null : cs.getLocation();
            if (location != null && "file".equals(location.getProtocol()) && !entries.containsKey(location.getPath())) {
                record(location.getPath(), location);
            }
            last = new WeakReference<>(pd);
        } catch (RuntimeException e) {
            // Class loading must never fail because of the ledger; this source stays unrecorded (and is then refused).
        }
    }

    /** Records a code source first seen now; the file is read outside any map lock (class loading waits on this). */
    private void record(String key, URL location) {
        Path p = toPath(location);
        try {
            BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
            long now = System.currentTimeMillis();
            String suspect = null;
            long modified = a.lastModifiedTime().toMillis();
            if (late && !a.isDirectory() && classPath.contains(p) && jvmStart > 0 && modified > jvmStart + CLOCK_SLACK_MILLIS) {
                suspect = p + " was modified at " + Instant.ofEpochMilli(modified) + ", after this JVM started at "
                        + Instant.ofEpochMilli(jvmStart) + ", and the agent was loaded later, so it cannot tell which version"
                        + " the JVM runs";
            }
            Entry e = new Entry(p, a.isDirectory(), a.fileKey(), a.size(), modified, late ? jvmStart : now, suspect);
            Entry first = byPath.putIfAbsent(p, e);
            entries.putIfAbsent(key, first == null ? e : first);
        } catch (IOException | RuntimeException e) {
            // Unreadable now: not recorded, so a later use of its bytes is refused rather than trusted.
        }
    }

    /**
     * Checks that {@code jarOrFolder} (a code source the JVM loaded {@code className} from) is
     * unchanged since the JVM loaded from it, before its bytes are used; for a folder,
     * {@code classFile} is the class file inside it.
     *
     * @throws ChangedCodeSourceException with the "restart pending" reason when it changed, or was never seen
     */
    void requireUnchanged(Path jarOrFolder, Path classFile, String className) throws ChangedCodeSourceException {
        Entry e = find(jarOrFolder);
        String why;
        if (e == null) {
            why = jarOrFolder + " was not seen by the agent when the JVM loaded " + className + " from it";
        } else if (e.folder) {
            why = classFileChange(e, classFile);
        } else {
            why = change(e);
        }
        if (why != null) {
            if (e != null && e.noticed == null) {
                e.noticed = Instant.now();
            }
            throw new ChangedCodeSourceException("restart pending: " + why + "; " + className + " cannot be checked against"
                    + " a hotpatch's baseline until this JVM restarts (it still runs the code it loaded before). Nothing was changed");
        }
    }

    /** Like {@link #requireUnchanged} for a jar, but only when the JVM loaded from it before; a jar never used yet is what the JVM will read. */
    void requireUnchangedIfSeen(Path jar, String className) throws ChangedCodeSourceException {
        if (find(jar) != null) {
            requireUnchanged(jar, null, className);
        }
    }

    /** The first code source that changed since the JVM loaded from it (jars only; class files are checked when used), or null. */
    RestartPending restartPending() {
        Map<String, Entry> sorted = new TreeMap<>();
        for (Map.Entry<Path, Entry> e : byPath.entrySet()) {
            sorted.put(e.getKey().toString(), e.getValue());
        }
        List<String> changed = new ArrayList<>();
        Instant since = null;
        for (Entry e : sorted.values()) {
            if (e.folder) {
                continue;
            }
            String why = change(e);
            if (why != null) {
                if (e.noticed == null) {
                    e.noticed = Instant.now();
                }
                since = since == null || e.noticed.isBefore(since) ? e.noticed : since;
                changed.add(why);
            }
        }
        if (changed.isEmpty()) {
            return null;
        }
        return new RestartPending(since, changed.get(0) + "; hotpatches for it are refused until restart"
                + (changed.size() > 1 ? " (and " + (changed.size() - 1) + " more changed code source(s))" : ""));
    }

    private Entry find(Path p) {
        return byPath.get(p.toAbsolutePath().normalize());
    }

    /** Why the jar changed since it was recorded, or null. */
    private static String change(Entry e) {
        if (e.suspect != null) {
            return e.suspect;
        }
        try {
            BasicFileAttributes now = Files.readAttributes(e.path, BasicFileAttributes.class);
            if (!Objects.equals(now.fileKey(), e.fileKey) || now.size() != e.size || now.lastModifiedTime().toMillis() != e.modified) {
                return e.path + " changed on disk after the JVM loaded it (was " + e.size + " bytes modified "
                        + Instant.ofEpochMilli(e.modified) + ", now " + now.size() + " bytes modified " + now.lastModifiedTime() + ")";
            }
            return null;
        } catch (NoSuchFileException gone) {
            return e.path + " was removed from disk after the JVM loaded it";
        } catch (IOException x) {
            return e.path + " cannot be checked any more (" + x.getMessage() + ")";
        }
    }

    private static String classFileChange(Entry folder, Path classFile) {
        try {
            long modified = Files.getLastModifiedTime(classFile).toMillis();
            if (modified > folder.firstSeen + CLOCK_SLACK_MILLIS) {
                return classFile + " was modified at " + Instant.ofEpochMilli(modified) + ", after the JVM started loading"
                        + " classes from " + folder.path + " (" + Instant.ofEpochMilli(folder.firstSeen) + ")";
            }
            return null;
        } catch (IOException x) {
            return classFile + " cannot be checked (" + x.getMessage() + ")";
        }
    }

    static Path toPath(URL location) {
        try {
            return Paths.get(location.toURI()).toAbsolutePath().normalize();
        } catch (URISyntaxException | IllegalArgumentException e) {
            return new File(location.getPath()).toPath().toAbsolutePath().normalize();
        }
    }
}
