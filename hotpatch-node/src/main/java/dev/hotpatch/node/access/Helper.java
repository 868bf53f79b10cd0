package dev.hotpatch.node.access;

import dev.hotpatch.attach.AgentClient;
import dev.hotpatch.attach.AttachException;
import dev.hotpatch.attach.NoSuchJvmException;
import dev.hotpatch.attach.NotSupportedException;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.temporal.TemporalAccessor;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * The child process a root node runs, as a target JVM's own uid and gid (started by
 * {@link AsTargetUser} through {@code setpriv}), to do one thing to that JVM: read its system
 * properties, inspect its agent, apply or remove a hotpatch. It is the node's own code on the
 * node's own Java, never anything of the target's. It prints one JSON document on standard output,
 * the result or {@code {"error": {kind, message}}}, and exits 0. It uses only the JDK, attach and
 * format (no JSON library), so its class path is small and readable by any user.
 *
 * <p>Arguments: {@code list 0}, {@code find PID}, {@code properties PID}, {@code inspect PID}, {@code apply PID NAME PACKAGE TRUST|- ACTOR},
 * {@code uninstall PID KB|- ACTOR}.
 */
public final class Helper {
    private Helper() {
    }

    public static void main(String[] args) {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        Object result;
        try {
            result = run(args);
        } catch (NotSupportedException e) {
            result = error("not-supported", e.reason());
        } catch (NoSuchJvmException e) {
            result = error("no-such-jvm", e.getMessage());
        } catch (AttachException e) {
            result = error("attach", e.getMessage());
        } catch (RuntimeException e) {
            result = error("failed", e.toString());
        }
        out.println(json(result));
        out.flush();
        System.exit(0);
    }

    private static Object run(String[] a) {
        SameUser access = new SameUser();
        long pid = Long.parseLong(a[1]);
        switch (a[0]) {
            case "properties":
                return Map.of("properties", access.systemProperties(pid));
            case "list":
                // This user's JVMs only: others are listed by helpers running as their own users.
                long me = TargetUser.self().uid();
                return Map.of("jvms", access.listJvms().stream().filter(j -> ownedBy(j.pid(), me)).toList());
            case "find":
                return Map.of("jvms", access.findJvm(pid).stream().toList());
            case "inspect":
                return access.inspect(pid);
            case "uninstall":
                return access.uninstall(pid, "-".equals(a[2]) ? null : a[2], a[3]);
            case "apply":
                return apply(access, pid, a[2], Path.of(a[3]), "-".equals(a[4]) ? null : Path.of(a[4]), a[5]);
            default:
                throw new IllegalArgumentException("unknown helper operation " + a[0]);
        }
    }

    /**
     * Applies as this user. A JVM in another mount namespace (a container) cannot open the package
     * at the node's path: it gets a copy in its own {@code /tmp}, in a folder only this user can
     * use, and verifies it against its own trust folder.
     */
    private static Object apply(SameUser access, long pid, String name, Path pkg, Path trust, String actor) {
        String user = System.getProperty("user.name") + " (uid " + TargetUser.self().uid() + ")";
        if (!Files.isReadable(pkg)) {
            return error("failed", "the handed-over package " + pkg + " is not readable by " + user + "; the node's handover folder is misconfigured");
        }
        Path root = Path.of("/proc", Long.toString(pid), "root");
        boolean contained;
        try {
            contained = !Files.isSameFile(Path.of("/proc/self/root"), root);
        } catch (IOException e) {
            return error("failed", "cannot look into the file system of JVM " + pid + " as " + user + ": " + e.getMessage());
        }
        if (!contained) {
            if (trust != null && !Files.isReadable(trust)) {
                return error("failed", "the trust folder " + trust + " is not readable by " + user + ", the user of JVM " + pid
                        + "; it holds only public certificates: make it and its certificates readable by all (0755 folder, 0644 files)");
            }
            return access.apply(pid, name, pkg, trust, actor);
        }
        if (AgentClient.connectIfPresent(pid).isEmpty()) {
            throw new NotSupportedException(pid, "it runs in a container (another mount namespace) without the hotpatch agent, and a"
                    + " root node loads the agent only into JVMs that share its file system; start the JVM with -javaagent (enrolled mode)");
        }
        Path dir = null;
        try {
            dir = Files.createTempDirectory(root.resolve("tmp"), ".hotpatch-", PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rwx------")));
            Path copy = dir.resolve(pkg.getFileName());
            Files.copy(pkg, copy, StandardCopyOption.REPLACE_EXISTING);
            Path inside = Path.of("/").resolve(root.relativize(copy).toString());
            return access.apply(pid, name, inside, null, actor);
        } catch (IOException e) {
            return error("failed", "cannot hand the package to JVM " + pid + " inside its container as " + user + ": " + e.getMessage());
        } finally {
            deleteTree(dir);
        }
    }

    private static boolean ownedBy(long pid, long uid) {
        try {
            return TargetUser.of(pid).uid() == uid;
        } catch (RuntimeException gone) {
            return false;
        }
    }

    private static Map<String, Object> error(String kind, String message) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("kind", kind);
        e.put("message", message);
        return Map.of("error", e);
    }

    private static void deleteTree(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // Left in the container's /tmp, owner-only.
        }
    }

    /** JSON of records (by component name), maps, collections, enums (by name), strings, numbers, booleans, times (ISO-8601). */
    static String json(Object v) {
        StringBuilder b = new StringBuilder();
        write(b, v);
        return b.toString();
    }

    private static void write(StringBuilder b, Object v) {
        if (v == null) {
            b.append("null");
        } else if (v instanceof String || v instanceof Enum<?> || v instanceof TemporalAccessor || v instanceof Path) {
            string(b, v instanceof Enum<?> e ? e.name() : v.toString());
        } else if (v instanceof Number || v instanceof Boolean) {
            b.append(v);
        } else if (v instanceof Properties p) {
            Map<String, Object> m = new LinkedHashMap<>();
            p.stringPropertyNames().forEach(k -> m.put(k, p.getProperty(k)));
            write(b, m);
        } else if (v instanceof Map<?, ?> m) {
            b.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                b.append(first ? "" : ",");
                first = false;
                string(b, String.valueOf(e.getKey()));
                b.append(':');
                write(b, e.getValue());
            }
            b.append('}');
        } else if (v instanceof Collection<?> c) {
            b.append('[');
            boolean first = true;
            for (Object x : c) {
                b.append(first ? "" : ",");
                first = false;
                write(b, x);
            }
            b.append(']');
        } else if (v.getClass().isRecord()) {
            Map<String, Object> m = new LinkedHashMap<>();
            for (RecordComponent rc : v.getClass().getRecordComponents()) {
                try {
                    m.put(rc.getName(), rc.getAccessor().invoke(v));
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException("cannot read " + rc.getName() + " of " + v.getClass().getSimpleName(), e);
                }
            }
            write(b, m);
        } else {
            string(b, v.toString());
        }
    }

    private static void string(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }
}
