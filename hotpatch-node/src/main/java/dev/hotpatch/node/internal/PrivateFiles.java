package dev.hotpatch.node.internal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

/**
 * Owner-only folders and files in the node's data directory, and crash-safe replacement of a
 * file: write a temporary file next to it, flush it to disk, rename it over the old one, flush the
 * folder. A crash leaves the old content or the new one, never a torn file. Not API. Stateless.
 */
public final class PrivateFiles {
    private static final Set<PosixFilePermission> GROUP_OR_OTHER = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private PrivateFiles() {
    }

    /**
     * Creates {@code dir} (and missing parents) as {@code rwx------}, or checks an existing one:
     * a folder that is a link, or that group or others may write to, is refused, because another
     * user could then swap the files the node executes or trusts.
     */
    public static Path folder(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectories(dir.toAbsolutePath().getParent());
            try {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (UnsupportedOperationException e) {
                Files.createDirectory(dir);
            } catch (java.nio.file.FileAlreadyExistsException e) {
                // Created concurrently; checked below like any existing folder.
            }
        }
        try {
            PosixFileAttributes attrs = Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (!attrs.isDirectory()) {
                throw new IOException(dir + " is not a folder (or is a symbolic link)");
            }
            Set<PosixFilePermission> perms = attrs.permissions();
            if (perms.contains(PosixFilePermission.GROUP_WRITE) || perms.contains(PosixFilePermission.OTHERS_WRITE)) {
                throw new IOException(dir + " is writable by other users (mode " + PosixFilePermissions.toString(perms)
                        + "); run 'chmod 700 " + dir + "' or choose another --data folder");
            }
            if (perms.stream().anyMatch(GROUP_OR_OTHER::contains)) {
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            }
        } catch (UnsupportedOperationException e) {
            // Not a POSIX file system: its own access control applies.
        }
        return dir;
    }

    /** Replaces {@code file} with {@code content}, owner-only ({@code rw-------}), atomically and durably. */
    public static void write(Path file, byte[] content) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = createTemp(dir, "." + file.getFileName() + "-");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ch.write(java.nio.ByteBuffer.wrap(content));
                ch.force(true);
            }
            move(tmp, file);
        } finally {
            Files.deleteIfExists(tmp);
        }
        syncFolder(dir);
    }

    /** A new empty owner-only file in {@code dir} whose name starts with {@code prefix}. */
    public static Path createTemp(Path dir, String prefix) throws IOException {
        try {
            return Files.createTempFile(dir, prefix, ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            return Files.createTempFile(dir, prefix, ".tmp");
        }
    }

    /** Renames {@code from} over {@code to} atomically (both in one folder), then flushes the folder. */
    public static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
        syncFolder(to.toAbsolutePath().getParent());
    }

    /** Flushes a folder's entries (a rename) to disk; a no-op where the platform cannot. */
    public static void syncFolder(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // Some platforms cannot open a folder for syncing; the rename is still atomic.
        }
    }
}
