package dev.hotpatch.attach;

import dev.hotpatch.format.Sha256;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * The hotpatch agent jar that ships inside this module, extracted to a private per-user folder so
 * that a JVM can load it ({@code -javaagent:} or attach).
 *
 * <p>The agent runs inside other people's JVMs, so where it lies matters: the folder
 * ({@code $XDG_CACHE_HOME/hotpatch}, else {@code ~/.cache/hotpatch}) must belong to this user and
 * be writable by nobody else, it is created {@code 0700}; the file is named after the SHA-256 of
 * its content and written {@code 0600} through a temporary file and an atomic rename; an existing
 * file is reused only when it is a regular file (not a link), owned by this user, and its content
 * still hashes to its name. Thread-safe; concurrent extractions by several processes are safe.
 */
public final class AgentJar {
    static final String RESOURCE = "/dev/hotpatch/attach/hotpatch-agent.jar";
    private static final Set<PosixFilePermission> GROUP_OR_OTHER = Set.of(
            PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_WRITE,
            PosixFilePermission.GROUP_READ, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_EXECUTE);

    private AgentJar() {
    }

    /** The extracted agent jar in this user's cache folder, extracting it when needed. */
    public static Path path() {
        return extractTo(cacheFolder());
    }

    /** The default folder: {@code $XDG_CACHE_HOME/hotpatch} when that is absolute, else {@code ~/.cache/hotpatch}. */
    static Path cacheFolder() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute() ? Path.of(xdg)
                : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("hotpatch");
    }

    /** Extracts the agent into {@code dir} (created owner-only when missing) and returns the file. */
    static Path extractTo(Path dir) {
        byte[] jar = embedded();
        String sha = Sha256.hex(jar);
        Path file = dir.resolve("agent-" + sha.substring(0, 16) + ".jar");
        try {
            privateFolder(dir);
            if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
                if (intact(file, sha, dir)) {
                    return file;
                }
                Files.delete(file);
            }
            Path tmp = Files.createTempFile(dir, ".agent-", ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try {
                Files.write(tmp, jar);
                try {
                    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, file);
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
            if (!intact(file, sha, dir)) {
                throw new AttachException("the agent jar at " + file + " changed right after it was written; "
                        + "something else is writing to " + dir);
            }
            return file;
        } catch (IOException e) {
            throw new AttachException("cannot extract the hotpatch agent to " + dir + ": " + e.getMessage(), e);
        }
    }

    private static byte[] embedded() {
        try (InputStream in = AgentJar.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new AttachException("this build of hotpatch has no embedded agent (" + RESOURCE
                        + " is missing); rebuild with 'mvn package'");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new AttachException("cannot read the embedded agent " + RESOURCE + ": " + e.getMessage(), e);
        }
    }

    /** Creates {@code dir} as 0700, or checks that an existing one is ours and closed to others (tightening it if needed). */
    private static void privateFolder(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectories(dir.getParent());
            try {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (java.nio.file.FileAlreadyExistsException raced) {
                // Another process created it at the same time; checked below like any existing folder.
            }
        }
        PosixFileAttributeView view = Files.getFileAttributeView(dir, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
        if (view == null) {
            return; // Not POSIX: the folder inherits the user profile's access control.
        }
        PosixFileAttributes attrs = view.readAttributes();
        if (!attrs.isDirectory()) {
            throw new AttachException(dir + " is not a folder (a link or a file?); remove it so the agent can be extracted safely");
        }
        if (!ownedByMe(dir)) {
            throw new AttachException(dir + " belongs to " + attrs.owner().getName() + ", not to this user; "
                    + "refusing to put the agent where another user could replace it");
        }
        if (attrs.permissions().stream().anyMatch(GROUP_OR_OTHER::contains)) {
            view.setPermissions(PosixFilePermissions.fromString("rwx------"));
        }
    }

    private static boolean intact(Path file, String sha, Path dir) throws IOException {
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) || !ownedByMe(file)) {
            throw new AttachException(file + " is not a regular file owned by this user; remove it and retry");
        }
        return Sha256.hex(file).equals(sha);
    }

    private static boolean ownedByMe(Path p) throws IOException {
        long uid = OsProcess.uidOf(p);
        long me = OsProcess.self().uid();
        if (uid >= 0 && me >= 0) {
            return uid == me;
        }
        return Files.getOwner(p, LinkOption.NOFOLLOW_LINKS).getName().equals(System.getProperty("user.name"));
    }
}
