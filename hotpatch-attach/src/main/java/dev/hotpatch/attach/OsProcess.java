package dev.hotpatch.attach;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;

/**
 * What the operating system says about a process, without attaching to it: its owner, command
 * and arguments, and (on Linux) whether it handles SIGQUIT, the signal that starts HotSpot's attach
 * listener. Sending SIGQUIT to a process that does not handle it kills it, so nothing attaches to a
 * process that fails {@link #acceptsAttachSignal()}. Immutable.
 */
record OsProcess(long pid, String user, long uid, String command, List<String> arguments) {
    /** Options of the {@code java} launcher that take the next argument as their value. */
    private static final Set<String> OPTIONS_WITH_VALUE = Set.of("-cp", "-classpath", "--class-path", "-p",
            "--module-path", "--upgrade-module-path", "--add-modules", "--limit-modules", "--add-reads",
            "--add-exports", "--add-opens", "--patch-module", "--enable-native-access", "--source");

    /** The process, or empty when it does not exist (any more). */
    static Optional<OsProcess> of(long pid) {
        Optional<ProcessHandle> handle = ProcessHandle.of(pid);
        if (handle.isEmpty() || !handle.get().isAlive()) {
            return Optional.empty();
        }
        ProcessHandle.Info info = handle.get().info();
        return Optional.of(new OsProcess(pid, info.user().orElse(""), uidOf(Path.of("/proc", Long.toString(pid))),
                info.command().orElse(""), List.of(info.arguments().orElse(new String[0]))));
    }

    /** The process running this code. */
    static OsProcess self() {
        return of(ProcessHandle.current().pid()).orElseThrow();
    }

    /** Whether the calling process may attach to this one: same owner, or the caller is root. */
    boolean attachableBy(OsProcess caller) {
        if (uid >= 0 && caller.uid >= 0) {
            return caller.uid == 0 || caller.uid == uid;
        }
        return user.isEmpty() || user.equals(caller.user);
    }

    /**
     * HotSpot's attach socket for this pid when it cannot be this JVM's: a JVM creates
     * {@code /tmp/.java_pid<pid>} as its own user, so one owned by another user was left by an
     * earlier process that had the same pid and died without removing it. HotSpot removes such a
     * file when it starts, but not when the sticky {@code /tmp} forbids it (the file belongs to
     * another user), and the JDK's attach then connects to the dead file and fails with
     * "Connection refused". Empty when there is no such file or its owner cannot be told.
     */
    Optional<Path> staleAttachSocket() {
        Path socket = Path.of("/proc", Long.toString(pid), "root", "tmp", ".java_pid" + pid);
        long owner = uidOf(socket);
        return owner >= 0 && uid >= 0 && owner != uid ? Optional.of(socket) : Optional.empty();
    }

    /** Whether the executable is a {@code java} launcher. */
    boolean looksLikeJava() {
        String exe = command.isEmpty() ? "" : Path.of(command).getFileName().toString();
        return exe.equals("java") || exe.equals("javaw");
    }

    /**
     * Whether the process handles SIGQUIT, or its attach listener already runs; true when it cannot
     * be told (not Linux). A JVM started with {@code -Xrs}, or still starting up, answers false.
     */
    boolean acceptsAttachSignal() {
        Path proc = Path.of("/proc", Long.toString(pid));
        if (!Files.isDirectory(proc)) {
            return true;
        }
        if (Files.exists(proc.resolve("root/tmp/.java_pid" + pid), LinkOption.NOFOLLOW_LINKS)) {
            return true;
        }
        try {
            for (String line : Files.readAllLines(proc.resolve("status"), StandardCharsets.UTF_8)) {
                if (line.startsWith("SigCgt:")) {
                    long mask = Long.parseUnsignedLong(line.substring("SigCgt:".length()).trim(), 16);
                    return (mask & (1L << (3 - 1))) != 0; // SIGQUIT is signal 3
                }
            }
        } catch (IOException | NumberFormatException e) {
            return true;
        }
        return true;
    }

    /**
     * Whether process {@code pid} is stopped ({@code kill -STOP}, job control, or a tracer): state
     * {@code T} or {@code t} in {@code /proc/PID/stat}. False when it cannot be told (not Linux).
     */
    static boolean isStopped(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.UTF_8);
            int close = stat.lastIndexOf(')');
            char state = close > 0 && close + 2 < stat.length() ? stat.charAt(close + 2) : '?';
            return state == 'T' || state == 't';
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /**
     * Why this process could not read {@code file} (with its uid and groups, by the file modes of
     * the file and every folder above it), or empty when it can, or when that cannot be told (root,
     * unknown ids, not POSIX). ACLs are not consulted.
     */
    Optional<String> cannotRead(Path file) {
        if (uid <= 0) {
            return Optional.empty();
        }
        Set<Long> groups = groups();
        try {
            Path real = file.toRealPath();
            Path walked = real.getRoot();
            for (Path part : real) {
                walked = walked.resolve(part);
                boolean last = walked.equals(real);
                int need = last ? 4 : 1;
                long owner = ((Number) Files.getAttribute(walked, "unix:uid")).longValue();
                long group = ((Number) Files.getAttribute(walked, "unix:gid")).longValue();
                int mode = ((Number) Files.getAttribute(walked, "unix:mode")).intValue();
                int bits = owner == uid ? (mode >> 6) & 7 : groups.contains(group) ? (mode >> 3) & 7 : mode & 7;
                if ((bits & need) == 0) {
                    String perms = java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(walked));
                    return Optional.of(walked.equals(real) ? real + " is not readable by it (mode " + perms + ")"
                            : walked + " is closed to it (mode " + perms + ")");
                }
            }
            return Optional.empty();
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | SecurityException e) {
            return Optional.empty();
        }
    }

    /** The process's group ids (effective and supplementary) from {@code /proc/PID/status}; empty when unknown. */
    private Set<Long> groups() {
        Set<Long> out = new java.util.HashSet<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"), StandardCharsets.UTF_8)) {
                if (line.startsWith("Gid:") || line.startsWith("Groups:")) {
                    for (String g : line.substring(line.indexOf(':') + 1).trim().split("\\s+")) {
                        if (!g.isEmpty()) {
                            out.add(Long.parseLong(g));
                        }
                    }
                }
            }
        } catch (IOException | NumberFormatException e) {
            // Unknown groups: only the owner and "others" bits are checked.
        }
        return out;
    }

    /** The main class or jar file name from the command line, or empty. */
    String mainName() {
        for (int i = 0; i < arguments.size(); i++) {
            String a = arguments.get(i);
            if (a.equals("-jar") && i + 1 < arguments.size()) {
                return fileName(arguments.get(i + 1));
            }
            if ((a.equals("-m") || a.equals("--module")) && i + 1 < arguments.size()) {
                String m = arguments.get(i + 1);
                return m.substring(m.indexOf('/') + 1);
            }
            if (OPTIONS_WITH_VALUE.contains(a)) {
                i++;
            } else if (!a.startsWith("-")) {
                return a;
            }
        }
        return "";
    }

    /**
     * The Java version and vendor of the runtime the process executes, read from the
     * {@code release} file next to its {@code bin/java} (a file read, never running the target's binary).
     */
    Optional<Properties> release() {
        if (command.isEmpty()) {
            return Optional.empty();
        }
        Path bin = Path.of(command).getParent();
        if (bin == null || bin.getParent() == null) {
            return Optional.empty();
        }
        Path release = bin.getParent().resolve("release");
        Path inRoot = Path.of("/proc", Long.toString(pid), "root").resolve(release.toString().substring(1));
        for (Path p : List.of(inRoot, release)) {
            try (var in = Files.newBufferedReader(p, StandardCharsets.UTF_8)) {
                Properties props = new Properties();
                props.load(in);
                Properties out = new Properties();
                props.forEach((k, v) -> out.setProperty((String) k, unquote((String) v)));
                return Optional.of(out);
            } catch (IOException | IllegalArgumentException e) {
                // Try the next location; a runtime without a readable release file has no version to show.
            }
        }
        return Optional.empty();
    }

    static String fileName(String path) {
        Path p = Path.of(path).getFileName();
        return p == null ? path : p.toString();
    }

    private static String unquote(String v) {
        String t = v.trim();
        return t.length() >= 2 && t.startsWith("\"") && t.endsWith("\"") ? t.substring(1, t.length() - 1) : t;
    }

    /** The numeric owner of a file, or -1 where the platform has no {@code unix} attribute view. */
    static long uidOf(Path p) {
        try {
            return ((Number) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS)).longValue();
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | SecurityException e) {
            return -1;
        }
    }
}
