package dev.hotpatch.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * The one rule for files and folders that decide what code runs or whom to trust: trust folders
 * and their certificates, the agent's state folder, the extracted agent jar's folder, the node's
 * config file and data folder. Such a path is safe when nobody but its owner and root can change
 * it or swap it for another:
 *
 * <ul>
 *   <li>it belongs to the user running this process, or to root;</li>
 *   <li>group and others cannot write to it;</li>
 *   <li>every folder above it (after resolving links) belongs to this user or root and is not
 *       writable by group or others, unless it has the sticky bit (like {@code /tmp}), where
 *       others may add entries but not rename or delete ours;</li>
 *   <li>a <em>private</em> folder (one this process writes: state, caches, data) is never a
 *       symbolic link; a folder or file that is only <em>read</em> (a trust folder, a certificate,
 *       a config file) may be a link, and then the link itself must belong to this user or root
 *       and its target must pass the same rule.</li>
 * </ul>
 *
 * <p>One exception, for read-only folders: a root-owned folder with the sticky bit (a Kubernetes
 * secret or config-map volume is {@code drwxrwxrwt root}) is accepted, because others can add
 * files to it but not change or replace root's; every certificate in it is checked on its own,
 * so a file another user dropped there is refused.
 *
 * <p>Also here, because every user of the rule also writes such files: crash-safe replacement of
 * a file (write a temporary owner-only file, flush it, rename it over the old one, flush the
 * folder). Where the platform has no POSIX attributes (Windows) the checks are skipped and its
 * own access control applies. Stateless and thread-safe.
 */
public final class OwnerOnly {
    private static final int GROUP_WRITE = 0020;
    private static final int OTHERS_WRITE = 0002;
    private static final int STICKY = 01000;
    private static final long ROOT = 0;
    private static volatile Long myUid;

    private OwnerOnly() {
    }

    /**
     * Checks a folder this process writes into (agent state, caches, node data): an existing real
     * folder, not a link, passing the rule.
     *
     * @param role what the folder is, for the message, e.g. {@code "state folder"}
     * @throws UnsafePathException when it is not safe, saying why and how to fix it
     * @throws IOException when it cannot be inspected (e.g. does not exist)
     */
    public static void requirePrivateFolder(Path dir, String role) throws IOException {
        Attrs a = Attrs.of(dir, false);
        if (a == null) {
            return;
        }
        if (a.link) {
            throw new UnsafePathException(role + " " + dir + " is a symbolic link; use the real folder (a link could be"
                    + " pointed elsewhere) or remove the link so that it can be created");
        }
        if (!a.directory) {
            throw new UnsafePathException(role + " " + dir + " is not a folder");
        }
        requireOwner(a, dir, role);
        if (a.writableByOthers()) {
            throw new UnsafePathException(role + " " + dir + " is writable by other users (mode " + a.modeText()
                    + "); run 'chmod 700 " + dir + "'");
        }
        Path absolute = dir.toAbsolutePath().normalize();
        Path parent = absolute.getParent();
        requireSafeAncestors(parent == null ? absolute : parent.toRealPath().resolve(absolute.getFileName()), role, dir);
    }

    /**
     * Creates {@code dir} as {@code rwx------} (missing parents are created as usual), or checks an
     * existing one with {@link #requirePrivateFolder}; an existing folder that group or others can
     * read or enter is tightened to {@code rwx------}, since it is this user's own.
     */
    public static Path createPrivateFolder(Path dir, String role) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            Path parent = dir.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            try {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (UnsupportedOperationException e) {
                Files.createDirectory(dir);
            } catch (FileAlreadyExistsException raced) {
                // Created at the same moment by another process: checked below like any existing folder.
            }
        }
        requirePrivateFolder(dir, role);
        PosixFileAttributeView view = Files.getFileAttributeView(dir, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
        if (view != null) {
            Set<PosixFilePermission> perms = view.readAttributes().permissions();
            if (perms.size() != 3 || !perms.containsAll(PosixFilePermissions.fromString("rwx------"))) {
                view.setPermissions(PosixFilePermissions.fromString("rwx------"));
            }
        }
        return dir;
    }

    /**
     * Checks a folder this process only reads and trusts (a trust folder): it may be a link whose
     * target passes the rule, and a root-owned folder with the sticky bit is accepted.
     */
    public static void requireTrustedFolder(Path dir, String role) throws IOException {
        Path real = followChecked(dir, role);
        Attrs a = Attrs.of(real, false);
        if (a == null) {
            return;
        }
        if (!a.directory) {
            throw new UnsafePathException(role + " " + dir + " is not a folder");
        }
        requireOwner(a, dir, role);
        if (a.writableByOthers() && !(a.uid == ROOT && a.sticky())) {
            throw new UnsafePathException(role + " " + dir + " is writable by other users (mode " + a.modeText()
                    + "): anyone could add a certificate there and have their packages trusted; run 'chmod go-w " + dir + "'");
        }
        requireSafeAncestors(real, role, dir);
    }

    /**
     * Checks a file this process reads and trusts (a certificate, a config file): it may be a link
     * whose target passes the rule; the file must belong to this user or root and not be writable
     * by group or others.
     */
    public static void requireTrustedFile(Path file, String role) throws IOException {
        Path real = followChecked(file, role);
        Attrs a = Attrs.of(real, false);
        if (a == null) {
            return;
        }
        if (!a.regular) {
            throw new UnsafePathException(role + " " + file + " is not a regular file");
        }
        requireOwner(a, file, role);
        if (a.writableByOthers()) {
            throw new UnsafePathException(role + " " + file + " is writable by other users (mode " + a.modeText()
                    + "); run 'chmod go-w " + file + "'");
        }
        requireSafeAncestors(real, role, file);
    }

    /** The real path of {@code p}, checking that a link, if it is one, belongs to this user or root. */
    private static Path followChecked(Path p, String role) throws IOException {
        Attrs link = Attrs.of(p, false);
        if (link != null && link.link && link.uid != myUid() && link.uid != ROOT) {
            throw new UnsafePathException(role + " " + p + " is a symbolic link that belongs to uid " + link.uid
                    + ", neither this process's user (uid " + myUid() + ") nor root: it could point anywhere; remove it");
        }
        return p.toRealPath();
    }

    /** Every folder above {@code real} (a real path) must belong to this user or root and be closed to others or sticky. */
    private static void requireSafeAncestors(Path real, String role, Path asGiven) throws IOException {
        for (Path up = real.getParent(); up != null; up = up.getParent()) {
            Attrs a = Attrs.of(up, true);
            if (a == null) {
                return;
            }
            if (a.uid != myUid() && a.uid != ROOT) {
                throw new UnsafePathException(role + " " + asGiven + " lies inside " + up + ", which belongs to uid " + a.uid
                        + " (neither this process's user, uid " + myUid() + ", nor root): that user could replace it;"
                        + " move it to a folder you or root own");
            }
            if (a.writableByOthers() && !a.sticky()) {
                throw new UnsafePathException(role + " " + asGiven + " lies inside " + up + ", which other users can write to"
                        + " (mode " + a.modeText() + ", no sticky bit): they could rename it and put their own in its place;"
                        + " run 'chmod go-w " + up + "' or move it");
            }
        }
    }

    private static void requireOwner(Attrs a, Path p, String role) throws IOException {
        if (a.uid != myUid() && a.uid != ROOT) {
            throw new UnsafePathException(role + " " + p + " belongs to uid " + a.uid + (a.ownerName.isEmpty() ? "" : " (" + a.ownerName + ")")
                    + ", not to this process's user (uid " + myUid() + ") or root: refusing what another user controls;"
                    + " 'chown' it to this user or use a folder this user owns");
        }
    }

    /** Replaces {@code file} with {@code content}, owner-only ({@code rw-------}), atomically and durably. */
    public static void write(Path file, byte[] content) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = createTempFile(dir, "." + file.getFileName() + "-");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buf = ByteBuffer.wrap(content);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            move(tmp, file);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** A new empty owner-only file in {@code dir} whose name starts with {@code prefix}. */
    public static Path createTempFile(Path dir, String prefix) throws IOException {
        try {
            return Files.createTempFile(dir, prefix, ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            return Files.createTempFile(dir, prefix, ".tmp");
        }
    }

    /** Flushes {@code file}'s content to disk. */
    public static void sync(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.force(true);
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

    /** Flushes a folder's entries (a rename, a deletion) to disk; a no-op where the platform cannot. */
    public static void syncFolder(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // Some platforms cannot open a folder for syncing; the rename is still atomic.
        }
    }

    /**
     * The numeric user id this process runs as, or -1 where the platform has none. Read from the
     * owner of {@code /proc/self}, which is the effective uid; a container user without a passwd
     * entry has {@code user.name} "?", so names are not compared where numbers exist.
     */
    public static long myUid() {
        Long uid = myUid;
        if (uid == null) {
            uid = -1L;
            try {
                Object o = Files.getAttribute(Paths.get("/proc/self"), "unix:uid");
                uid = ((Number) o).longValue();
            } catch (IOException | UnsupportedOperationException | IllegalArgumentException | SecurityException e) {
                // Not Linux: fall back to the owner of a fresh temporary file.
                try {
                    Path probe = Files.createTempFile("hotpatch-uid-", ".tmp");
                    try {
                        uid = ((Number) Files.getAttribute(probe, "unix:uid")).longValue();
                    } finally {
                        Files.deleteIfExists(probe);
                    }
                } catch (IOException | UnsupportedOperationException | IllegalArgumentException | SecurityException ignored) {
                    // No numeric ids on this platform: the checks are skipped.
                }
            }
            myUid = uid;
        }
        return uid;
    }

    /** The attributes the rule needs, from one {@code lstat}. */
    private static final class Attrs {
        final boolean link;
        final boolean directory;
        final boolean regular;
        final long uid;
        final int mode;
        final String ownerName;

        private Attrs(boolean link, boolean directory, boolean regular, long uid, int mode, String ownerName) {
            this.link = link;
            this.directory = directory;
            this.regular = regular;
            this.uid = uid;
            this.mode = mode;
            this.ownerName = ownerName;
        }

        /** The attributes of {@code p} itself (not following a link), or null where the platform has none to check. */
        static Attrs of(Path p, boolean orNullIfMissing) throws IOException {
            if (myUid() < 0) {
                return null;
            }
            try {
                java.util.Map<String, Object> m = Files.readAttributes(p, "unix:uid,mode,isSymbolicLink,isDirectory,isRegularFile",
                        LinkOption.NOFOLLOW_LINKS);
                String owner = "";
                try {
                    owner = Files.getOwner(p, LinkOption.NOFOLLOW_LINKS).getName();
                } catch (IOException | UnsupportedOperationException e) {
                    // A uid without a name: the number is enough.
                }
                return new Attrs((Boolean) m.get("isSymbolicLink"), (Boolean) m.get("isDirectory"), (Boolean) m.get("isRegularFile"),
                        ((Number) m.get("uid")).longValue(), ((Number) m.get("mode")).intValue(), owner);
            } catch (NoSuchFileException e) {
                if (orNullIfMissing) {
                    return null;
                }
                throw e;
            } catch (UnsupportedOperationException | IllegalArgumentException e) {
                return null; // No "unix" attribute view: the platform's own access control applies.
            }
        }

        boolean writableByOthers() {
            return (mode & (GROUP_WRITE | OTHERS_WRITE)) != 0;
        }

        boolean sticky() {
            return (mode & STICKY) != 0;
        }

        String modeText() {
            StringBuilder b = new StringBuilder(PosixFilePermissions.toString(permissions()));
            if (sticky()) {
                b.setCharAt(8, (mode & 1) != 0 ? 't' : 'T');
            }
            return b.toString();
        }

        private Set<PosixFilePermission> permissions() {
            Set<PosixFilePermission> s = java.util.EnumSet.noneOf(PosixFilePermission.class);
            for (PosixFilePermission perm : PosixFilePermission.values()) {
                if ((mode & (1 << (8 - perm.ordinal()))) != 0) {
                    s.add(perm);
                }
            }
            return s;
        }
    }
}
