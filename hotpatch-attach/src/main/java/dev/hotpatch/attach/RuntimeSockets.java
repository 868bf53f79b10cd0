package dev.hotpatch.attach;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Finds the socket an agent keeps in its user's well-known runtime folder
 * ({@code $XDG_RUNTIME_DIR/hotpatch/<pid>.sock} or {@code ~/.hotpatch/run/<pid>.sock}, see the
 * agent's {@code RuntimeFolder}), so that a tool can reach an enrolled or already attached JVM
 * without the JDK attach handshake.
 *
 * <p>A socket is used only when its folder is a real folder owned by the JVM's user and closed to
 * everyone else ({@code rwx------} or stricter), and the socket itself belongs to that user: nobody
 * else can have put it there. The target's environment ({@code /proc/PID/environ}, readable only
 * by its user and root) says where {@code XDG_RUNTIME_DIR} and the home folder are. A JVM in
 * another PID namespace (a container) is not looked up here: its sockets are named by the pid it
 * sees, so tools attach to it instead. Stateless.
 */
final class RuntimeSockets {
    private static final Set<PosixFilePermission> OWNER_ONLY = EnumSet.of(PosixFilePermission.OWNER_READ,
            PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE);

    private RuntimeSockets() {
    }

    /** What the lookup found: a socket that passed the checks, or why none did (for messages and tests). */
    record Found(Optional<Path> socket, List<String> refused) {
    }

    /** The agent socket of {@code process} in its user's runtime folder, if one passes the checks. */
    static Found find(OsProcess process, OsProcess self) {
        long pid = process.pid();
        if (!ownNamespacePid(pid)) {
            return new Found(Optional.empty(), List.of());
        }
        Path root = sameMountNamespace(pid) ? Path.of("/") : Path.of("/proc", Long.toString(pid), "root");
        return find(process, folders(process, self, root));
    }

    /** The first socket named after {@code process}'s pid in {@code folders} that passes the checks. */
    static Found find(OsProcess process, List<Path> folders) {
        List<String> refused = new ArrayList<>();
        for (Path folder : folders) {
            Path socket = folder.resolve(process.pid() + ".sock");
            PosixFileAttributes sock;
            try {
                sock = Files.readAttributes(socket, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (IOException | UnsupportedOperationException e) {
                continue;
            }
            String why = refusal(process, folder, socket, sock);
            if (why == null) {
                return new Found(Optional.of(socket), refused);
            }
            refused.add(why);
        }
        return new Found(Optional.empty(), refused);
    }

    private static String refusal(OsProcess process, Path folder, Path socket, PosixFileAttributes sock) {
        try {
            PosixFileAttributes dir = Files.readAttributes(folder, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            long dirOwner = OsProcess.uidOf(folder);
            if (!dir.isDirectory() || dir.isSymbolicLink()) {
                return folder + " is not a real folder";
            }
            if (dirOwner != process.uid() || !OWNER_ONLY.containsAll(dir.permissions())) {
                return "the runtime folder " + folder + " is not private to the JVM's user (owner uid " + dirOwner + ", mode "
                        + java.nio.file.attribute.PosixFilePermissions.toString(dir.permissions()) + "); its socket is not used";
            }
            if (!sock.isOther() || OsProcess.uidOf(socket) != process.uid()) {
                return socket + " is not a socket of the JVM's user";
            }
            return null;
        } catch (IOException | UnsupportedOperationException e) {
            return "cannot check " + folder + ": " + e.getMessage();
        }
    }

    /** Where the JVM's agent may keep its socket, seen through {@code root}. */
    private static List<Path> folders(OsProcess process, OsProcess self, Path root) {
        Set<String> dirs = new LinkedHashSet<>();
        String xdg = null;
        String home = null;
        try {
            byte[] env = Files.readAllBytes(Path.of("/proc", Long.toString(process.pid()), "environ"));
            for (String entry : new String(env, StandardCharsets.UTF_8).split("\0")) {
                if (entry.startsWith("XDG_RUNTIME_DIR=")) {
                    xdg = entry.substring("XDG_RUNTIME_DIR=".length());
                } else if (entry.startsWith("HOME=")) {
                    home = entry.substring("HOME=".length());
                }
            }
        } catch (IOException | RuntimeException e) {
            // Not readable (another user's process and we are not root): only the passwd home is tried.
        }
        if (xdg != null && xdg.startsWith("/")) {
            dirs.add(xdg + "/hotpatch");
        }
        if (process.uid() == self.uid() && root.equals(Path.of("/"))) {
            dirs.add(System.getProperty("user.home") + "/.hotpatch/run");
        }
        passwdHome(root, process.uid()).ifPresent(h -> dirs.add(h + "/.hotpatch/run"));
        if (home != null && home.startsWith("/")) {
            dirs.add(home + "/.hotpatch/run");
        }
        List<Path> out = new ArrayList<>();
        for (String d : dirs) {
            out.add(root.resolve(d.substring(1)));
        }
        return out;
    }

    /** The home folder of {@code uid} in the passwd file under {@code root}. */
    private static Optional<String> passwdHome(Path root, long uid) {
        try {
            for (String line : Files.readAllLines(root.resolve("etc/passwd"), StandardCharsets.UTF_8)) {
                String[] f = line.split(":", -1);
                if (f.length >= 7 && f[2].equals(Long.toString(uid)) && f[5].startsWith("/")) {
                    return Optional.of(f[5]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // No passwd file to read: the environment's HOME is tried.
        }
        return Optional.empty();
    }

    /** Whether the JVM sees itself under the same pid as we see it (its sockets are named by the pid it sees). */
    private static boolean ownNamespacePid(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"), StandardCharsets.UTF_8)) {
                if (line.startsWith("NSpid:")) {
                    String[] ids = line.substring("NSpid:".length()).trim().split("\\s+");
                    return ids[ids.length - 1].equals(Long.toString(pid));
                }
            }
            return true; // A kernel without NSpid has no PID namespaces to tell apart.
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static boolean sameMountNamespace(long pid) {
        try {
            return Files.readSymbolicLink(Path.of("/proc/self/ns/mnt"))
                    .equals(Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "ns", "mnt")));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
