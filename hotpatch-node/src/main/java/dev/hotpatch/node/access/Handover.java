package dev.hotpatch.node.access;

import dev.hotpatch.node.NodeException;
import java.io.IOException;
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
 * Where a root node hands files to a JVM's user: {@code HANDOVER/u<uid>/}, owned by that uid and gid
 * and closed to everyone else ({@code 0700}), inside a handover folder that belongs to root and that
 * only root may change, as may every folder above it ({@code /tmp}-style sticky folders aside). The
 * helper the node runs as that user extracts the agent jar into {@code u<uid>/cache}: the target user
 * can read it, nobody else can change (or see) it. Packages go to {@code HANDOVER/packages/} as
 * root-owned read-only files. Thread-safe (the folder checks are repeated on every use).
 */
final class Handover {
    private static final Set<PosixFilePermission> GROUP_OTHER_WRITE = Set.of(PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_WRITE);

    private final Path root;

    Handover(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    Path root() {
        return root;
    }

    /** {@code u<uid>/}, created or checked: a real folder owned by {@code user}, mode 0700. */
    Path folderOf(TargetUser user) {
        try {
            rootFolder();
            Path dir = root.resolve("u" + user.uid());
            if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
                try {
                    Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                } catch (java.nio.file.FileAlreadyExistsException raced) {
                    // Another command created it at the same moment: checked below.
                }
                Files.setAttribute(dir, "unix:uid", (int) user.uid(), LinkOption.NOFOLLOW_LINKS);
                Files.setAttribute(dir, "unix:gid", (int) user.gid(), LinkOption.NOFOLLOW_LINKS);
            }
            PosixFileAttributes a = Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            int uid = (Integer) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            if (!a.isDirectory() || uid != user.uid()) {
                throw new NodeException("the handover folder " + dir + " is not a folder of " + user + " (owner uid " + uid
                        + "); remove it so the node can create it again");
            }
            if (!a.permissions().equals(PosixFilePermissions.fromString("rwx------"))) {
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            }
            return dir;
        } catch (IOException | UnsupportedOperationException e) {
            throw new NodeException("cannot prepare the handover folder in " + root + " for " + user + ": " + e.getMessage()
                    + "; set node.handover to a folder on a local POSIX file system", e);
        }
    }

    /**
     * Copies {@code pkg} to {@code HANDOVER/packages/} as a root-owned read-only file ({@code 0444}) in
     * a root-owned folder others may pass through but not list ({@code 0711}); returns the copy. Root
     * never writes inside a folder a user controls. Packages are signed and not secret; what matters
     * is that nobody but root can change them between the node's check and the agent's.
     */
    Path handOver(Path pkg) {
        try {
            rootFolder();
            Path packages = root.resolve("packages");
            if (!Files.exists(packages, LinkOption.NOFOLLOW_LINKS)) {
                try {
                    Files.createDirectory(packages, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx--x--x")));
                } catch (java.nio.file.FileAlreadyExistsException raced) {
                    // Checked below.
                }
            }
            PosixFileAttributes a = Files.readAttributes(packages, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (!a.isDirectory() || (Integer) Files.getAttribute(packages, "unix:uid", LinkOption.NOFOLLOW_LINKS) != 0) {
                throw new NodeException(packages + " is not a folder of root; remove it so the node can create it again");
            }
            Files.setPosixFilePermissions(packages, PosixFilePermissions.fromString("rwx--x--x"));
            Path copy = packages.resolve(pkg.getFileName());
            Path tmp = Files.createTempFile(packages, ".copy-", ".tmp");
            try {
                Files.copy(pkg, tmp, StandardCopyOption.REPLACE_EXISTING);
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("r--r--r--"));
                Files.move(tmp, copy, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
            return copy;
        } catch (IOException e) {
            throw new NodeException("cannot hand package " + pkg.getFileName() + " over in " + root + ": " + e.getMessage(), e);
        }
    }

    /** Removes a handed-over copy. */
    void withdraw(Path copy) {
        try {
            Files.deleteIfExists(copy);
        } catch (IOException e) {
            // A leftover signed package in the root-owned handover folder is harmless; the next one with that name replaces it.
        }
    }

    /** Checks (creating it when missing) that the handover folder is safe; throws {@link NodeException} saying why not. */
    void check() {
        try {
            rootFolder();
        } catch (IOException e) {
            throw new NodeException("cannot prepare the handover folder " + root + ": " + e.getMessage(), e);
        }
    }

    /** The handover root, created {@code 0755} root-owned when missing; it and every folder above must be root's and closed to others. */
    private void rootFolder() throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectories(root.getParent());
            try {
                Files.createDirectory(root, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
            } catch (java.nio.file.FileAlreadyExistsException raced) {
                // Checked below like any existing folder.
            }
        }
        for (Path p = root; p != null; p = p.getParent()) {
            PosixFileAttributeView view = Files.getFileAttributeView(p, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
            PosixFileAttributes a = view.readAttributes();
            int uid = (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            boolean sticky = (mode & 01000) != 0;
            boolean openToOthers = a.permissions().stream().anyMatch(GROUP_OTHER_WRITE::contains);
            if (!a.isDirectory() || uid != 0 || (openToOthers && !(sticky && !p.equals(root)))) {
                throw new NodeException("the handover folder " + root + " is not safe: " + p + (a.isSymbolicLink() || !a.isDirectory()
                        ? " is not a real folder" : " belongs to uid " + uid + " with mode " + PosixFilePermissions.toString(a.permissions()))
                        + "; packages handed to other users' JVMs must lie where only root can change them: every folder of"
                        + " node.handover must belong to root and not be writable by group or others");
            }
        }
    }
}
