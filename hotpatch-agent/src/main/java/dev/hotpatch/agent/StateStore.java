package dev.hotpatch.agent;

import dev.hotpatch.format.PropertiesText;
import dev.hotpatch.format.Sha256;
import dev.hotpatch.format.TrustStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.StandardOpenOption;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * The agent's persisted state in an owner-only folder: accepted packages
 * ({@code packages/<id>.hotpatch}), their order and provenance ({@code installed.properties}), and
 * the signer certificates trusted when they were accepted ({@code trust/}). Enrolled JVMs re-apply
 * from it at start-up. Every file is replaced atomically, so a crash leaves the old or the new state,
 * never a torn one. The folder is refused if another user owns it or others can write to it.
 * Not thread-safe: the engine serialises calls.
 */
final class StateStore {
    private static final String LIST = "installed.properties";

    /** One persisted hotpatch. */
    static final class Record {
        final String id;
        final Path file;
        final String sha256;
        final Instant installedOn;
        final String installedBy;

        Record(String id, Path file, String sha256, Instant installedOn, String installedBy) {
            this.id = id;
            this.file = file;
            this.sha256 = sha256;
            this.installedOn = installedOn;
            this.installedBy = installedBy;
        }
    }

    private final Path dir;
    /** Held for the JVM's lifetime: one JVM per state folder, or two would overwrite each other's list. */
    private final FileLock lock;

    private StateStore(Path dir, FileLock lock) {
        this.dir = dir;
        this.lock = lock;
    }

    /** Opens (creating owner-only) the state folder, or returns null with a warning when it is unsafe or unusable. */
    static StateStore open(Path dir) {
        try {
            if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectories(dir.getParent());
                try {
                    Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                } catch (UnsupportedOperationException e) {
                    Files.createDirectory(dir);
                }
            }
            requireSafe(dir);
            Files.createDirectories(dir.resolve("packages"));
            Files.createDirectories(dir.resolve("trust"));
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
        } catch (IOException | SecurityException | OverlappingFileLockException e) {
            System.err.println("[hotpatch] hotpatches will not persist across restarts: state folder " + dir + " is unusable ("
                    + e.getMessage() + "); start the agent with state=<owner-only folder>");
            return null;
        }
    }

    private static void requireSafe(Path dir) throws IOException {
        if (Files.isSymbolicLink(dir) || !Files.isDirectory(dir)) {
            throw new IOException(dir + " is not a plain folder");
        }
        try {
            requireOwnedByMe(dir);
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(dir);
            if (perms.contains(PosixFilePermission.GROUP_WRITE) || perms.contains(PosixFilePermission.OTHERS_WRITE)) {
                throw new IOException("others can write to it (" + PosixFilePermissions.toString(perms) + "); chmod 700 it");
            }
        } catch (UnsupportedOperationException e) {
            // Not POSIX: rely on the platform's access control.
        }
    }

    /**
     * Compares numeric uids where the platform has them: a container user without a passwd entry
     * has {@code user.name} "?", which no folder owner's name would ever match.
     */
    private static void requireOwnedByMe(Path dir) throws IOException {
        Path self = Paths.get("/proc/self");
        try {
            if (Files.isDirectory(self)) {
                Object owner = Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
                Object me = Files.getAttribute(self, "unix:uid");
                if (!owner.equals(me)) {
                    throw new IOException("owned by uid " + owner + ", not by this JVM's uid " + me);
                }
                return;
            }
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            // No "unix" attribute view: compare names below.
        }
        String me = System.getProperty("user.name");
        String owner = Files.getOwner(dir, LinkOption.NOFOLLOW_LINKS).getName();
        if (!owner.equals(me)) {
            throw new IOException("owned by " + owner + ", not by " + me);
        }
    }

    Path dir() {
        return dir;
    }

    /** The persisted hotpatches in install order; unreadable entries are reported in {@code problems}. */
    List<Record> load(List<String> problems) {
        List<Record> out = new ArrayList<>();
        Path list = dir.resolve(LIST);
        if (!Files.isRegularFile(list)) {
            return out;
        }
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(list)) {
            p.load(in);
        } catch (IOException | IllegalArgumentException e) {
            problems.add("cannot read " + list + ": " + e.getMessage());
            return out;
        }
        int count;
        try {
            count = Integer.parseInt(p.getProperty("count", "0"));
        } catch (NumberFormatException e) {
            problems.add(list + " is damaged (count)");
            return out;
        }
        for (int i = 0; i < count; i++) {
            String id = p.getProperty(i + ".id");
            try {
                if (id == null || !id.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) {
                    throw new IllegalArgumentException("bad id '" + id + "'");
                }
                out.add(new Record(id, packageFile(id), p.getProperty(i + ".sha256", ""),
                        Instant.parse(p.getProperty(i + ".installedOn")), p.getProperty(i + ".installedBy", "")));
            } catch (RuntimeException e) {
                problems.add(list + " entry " + i + " is damaged: " + e.getMessage());
            }
        }
        return out;
    }

    /** Moves an accepted, verified package copy into the store and returns its stored path. */
    Path keep(String id, Path verifiedCopy) throws IOException {
        Path target = packageFile(id);
        Path tmp = Files.createTempFile(dir.resolve("packages"), ".incoming-", ".tmp");
        Files.copy(verifiedCopy, tmp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return target;
    }

    /** Writes the installed list atomically. */
    void save(List<Installed> installed) throws IOException {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("count", Integer.toString(installed.size()));
        for (int i = 0; i < installed.size(); i++) {
            Installed x = installed.get(i);
            p.put(i + ".id", x.id());
            p.put(i + ".sha256", x.pkg.sha256());
            p.put(i + ".installedOn", x.installedOn.toString());
            p.put(i + ".installedBy", x.installedBy);
        }
        Path tmp = Files.createTempFile(dir, ".installed-", ".tmp");
        Files.write(tmp, ("# hotpatches accepted by this JVM, in install order\n" + PropertiesText.write(p))
                .getBytes(StandardCharsets.US_ASCII));
        Files.move(tmp, dir.resolve(LIST), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Deletes the stored package of an uninstalled hotpatch (after the list no longer names it). */
    void forget(String id, List<Installed> stillInstalled) throws IOException {
        for (Installed i : stillInstalled) {
            if (i.id().equals(id)) {
                return;
            }
        }
        Files.deleteIfExists(packageFile(id));
    }

    /** Remembers the certificates that signed an accepted package, for re-verification at start-up. */
    void trustSigners(List<X509Certificate> signers) throws IOException {
        for (X509Certificate c : signers) {
            try {
                byte[] der = c.getEncoded();
                Path f = dir.resolve("trust").resolve(Sha256.hex(der).substring(0, 16) + ".crt");
                if (!Files.exists(f)) {
                    String pem = "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder().encodeToString(der)
                            + "\n-----END CERTIFICATE-----\n";
                    Path tmp = Files.createTempFile(dir.resolve("trust"), ".cert-", ".tmp");
                    Files.write(tmp, pem.getBytes(StandardCharsets.US_ASCII));
                    Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE);
                }
            } catch (CertificateEncodingException e) {
                throw new IOException("cannot encode signer certificate: " + e.getMessage(), e);
            }
        }
    }

    /** Trust for re-verification: certificates in {@code configured} (if any) plus those remembered here; null if none. */
    TrustStore trust(Path configured) {
        List<X509Certificate> certs = new ArrayList<>();
        if (configured != null) {
            try {
                certs.addAll(TrustStore.fromDirectory(configured).certificates());
            } catch (RuntimeException e) {
                System.err.println("[hotpatch] trust folder " + configured + " unusable: " + e.getMessage());
            }
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir.resolve("trust"), "*.crt")) {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            for (Path f : ds) {
                try (InputStream in = Files.newInputStream(f)) {
                    certs.add((X509Certificate) cf.generateCertificate(in));
                } catch (Exception e) {
                    System.err.println("[hotpatch] ignoring unreadable certificate " + f + ": " + e.getMessage());
                }
            }
        } catch (IOException | java.security.cert.CertificateException e) {
            System.err.println("[hotpatch] cannot read " + dir.resolve("trust") + ": " + e.getMessage());
        }
        return certs.isEmpty() ? null : TrustStore.of(certs);
    }

    private Path packageFile(String id) {
        return dir.resolve("packages").resolve(id + ".hotpatch");
    }
}
