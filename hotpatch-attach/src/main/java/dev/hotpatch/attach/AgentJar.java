package dev.hotpatch.attach;

import dev.hotpatch.format.OwnerOnly;
import dev.hotpatch.format.Sha256;
import dev.hotpatch.format.UnsafePathException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The hotpatch agent jar that ships inside this module, extracted to a private per-user folder so
 * that a JVM can load it ({@code -javaagent:} or attach).
 *
 * <p>The agent runs inside other people's JVMs, so where it lies matters: the folder
 * ({@code $XDG_CACHE_HOME/hotpatch}, else {@code ~/.cache/hotpatch}) must pass the shared
 * {@link OwnerOnly} rule (this user's or root's, writable by nobody else, no link), it is created
 * {@code 0700}; the file is named after the SHA-256 of
 * its content and written {@code 0600} through a temporary file and an atomic rename; an existing
 * file is reused only when it is a regular file (not a link), owned by this user, and its content
 * still hashes to its name. Thread-safe; concurrent extractions by several processes are safe.
 */
public final class AgentJar {
    static final String RESOURCE = "/dev/hotpatch/attach/hotpatch-agent.jar";

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

    /** Creates {@code dir} as 0700, or checks an existing one with the shared owner-only rule. */
    private static void privateFolder(Path dir) throws IOException {
        try {
            OwnerOnly.createPrivateFolder(dir, "agent cache folder");
        } catch (UnsafePathException e) {
            throw new AttachException(e.getMessage() + "; refusing to put the agent where another user could replace it", e);
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
