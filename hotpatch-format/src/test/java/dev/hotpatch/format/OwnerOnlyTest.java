package dev.hotpatch.format;

import static dev.hotpatch.format.Refusals.assertRefused;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The owner-only rule on real files: the variants that let another local user get a certificate
 * trusted (issue 10 item 4), and the layouts that must keep working. A foreign owner is made with
 * {@code chown} to an unused uid, which needs root: the tests fail, not skip, without it (see {@link AsRoot}).
 */
class OwnerOnlyTest {
    private static final int STRANGER_UID = 4242;

    @TempDir
    Path tmp;
    Path trust;
    Path cert;

    @BeforeEach
    void aGoodTrustFolder() throws IOException {
        trust = Files.createDirectory(tmp.resolve("trust"));
        chmod(trust, "rwxr-xr-x");
        cert = trust.resolve("signer.crt");
        Files.copy(TestKeys.publisherDir().resolve(SigningKey.CERTIFICATE), cert);
        chmod(cert, "rw-r--r--");
    }

    @Test
    void trustFolder_ownedByThisUserAndClosedToOthers_isTrusted() {
        assertThat(TrustStore.fromDirectory(trust).certificates()).containsExactly(TestKeys.publisher().certificate());
    }

    // ---- the twelve variants that must be refused -----------------------------------------------------------------

    @Test
    void trustFolder_worldWritable_isRefused() throws IOException {
        chmod(trust, "rwxrwxrwx");
        refused().hasMessageContaining(trust.toString()).hasMessageContaining("writable by other users (mode rwxrwxrwx)")
                .hasMessageContaining("chmod go-w");
    }

    @Test
    void trustFolder_groupWritable_isRefused() throws IOException {
        chmod(trust, "rwxrwxr-x");
        refused().hasMessageContaining("writable by other users (mode rwxrwxr-x)");
    }

    @Test
    void trustFolder_writableByOthersOnly_isRefused() throws IOException {
        chmod(trust, "rwxr-xrwx");
        refused().hasMessageContaining("writable by other users");
    }

    @Test
    void trustFolder_ownedByAnotherUser_isRefused() throws IOException {
        AsRoot.require();
        chown(trust, STRANGER_UID);
        refused().hasMessageContaining("belongs to uid " + STRANGER_UID).hasMessageContaining("chown");
    }

    @Test
    void certificate_worldWritable_isRefused() throws IOException {
        chmod(cert, "rw-rw-rw-");
        refused().hasMessageContaining("certificate " + cert).hasMessageContaining("mode rw-rw-rw-");
    }

    @Test
    void certificate_groupWritable_isRefused() throws IOException {
        chmod(cert, "rw-rw-r--");
        refused().hasMessageContaining("certificate " + cert).hasMessageContaining("writable by other users");
    }

    @Test
    void certificate_ownedByAnotherUser_isRefused() throws IOException {
        AsRoot.require();
        chown(cert, STRANGER_UID);
        refused().hasMessageContaining("certificate " + cert).hasMessageContaining("belongs to uid " + STRANGER_UID);
    }

    @Test
    void certificate_droppedByAnotherUserNextToAGoodOne_refusesTheWholeFolder() throws IOException {
        AsRoot.require();
        Path dropped = trust.resolve("zz-extra.pem");
        Files.copy(TestKeys.strangerDir().resolve(SigningKey.CERTIFICATE), dropped);
        chown(dropped, STRANGER_UID);
        refused().hasMessageContaining("zz-extra.pem").hasMessageContaining("nothing in trust folder");
    }

    @Test
    void certificate_linkOwnedByAnotherUser_isRefused() throws IOException {
        AsRoot.require();
        Files.delete(cert);
        Path real = Files.copy(TestKeys.publisherDir().resolve(SigningKey.CERTIFICATE), tmp.resolve("real.crt"));
        chmod(real, "rw-r--r--");
        Files.createSymbolicLink(cert, real);
        Files.setAttribute(cert, "unix:uid", STRANGER_UID, LinkOption.NOFOLLOW_LINKS);
        refused().hasMessageContaining("symbolic link that belongs to uid " + STRANGER_UID);
    }

    @Test
    void certificate_linkIntoAWorldWritableFolder_isRefused() throws IOException {
        Path open = Files.createDirectory(tmp.resolve("open"));
        chmod(open, "rwxrwxrwx");
        Path real = Files.copy(TestKeys.strangerDir().resolve(SigningKey.CERTIFICATE), open.resolve("evil.crt"));
        chmod(real, "rw-r--r--");
        Files.createSymbolicLink(trust.resolve("evil.crt"), real);
        refused().hasMessageContaining("lies inside " + open).hasMessageContaining("no sticky bit");
    }

    @Test
    void trustFolder_linkToAWorldWritableFolder_isRefused() throws IOException {
        chmod(trust, "rwxrwxrwx");
        Path link = Files.createSymbolicLink(tmp.resolve("trust-link"), trust);
        assertRefused(() -> TrustStore.fromDirectory(link), PackageException.Reason.UNSAFE_TRUST)
                .hasMessageContaining("writable by other users");
    }

    @Test
    void trustFolder_insideAWorldWritableFolderWithoutStickyBit_isRefused() throws IOException {
        chmod(tmp, "rwxrwxrwx");
        refused().hasMessageContaining("lies inside " + tmp).hasMessageContaining("could rename it");
    }

    @Test
    void trustFolder_insideAFolderOfAnotherUser_isRefused() throws IOException {
        AsRoot.require();
        Path theirs = Files.createDirectory(tmp.resolve("theirs"));
        chmod(theirs, "rwxr-xr-x");
        Path inside = Files.createDirectory(theirs.resolve("trust"));
        Files.copy(cert, inside.resolve("signer.crt"));
        chown(theirs, STRANGER_UID);
        assertRefused(() -> TrustStore.fromDirectory(inside), PackageException.Reason.UNSAFE_TRUST)
                .hasMessageContaining("lies inside " + theirs).hasMessageContaining("belongs to uid " + STRANGER_UID);
    }

    // ---- layouts that stay accepted -------------------------------------------------------------------------------

    @Test
    void trustFolder_asAKubernetesSecretVolume_isTrusted() throws IOException {
        AsRoot.require();
        // kubelet: the volume is drwxrwxrwt root, the files are links through ..data to a timestamped folder.
        Path volume = Files.createDirectory(tmp.resolve("volume"));
        Path stamped = Files.createDirectory(volume.resolve("..2026_12_05_10_00_00.123"));
        chmod(stamped, "rwxr-xr-x");
        Path real = Files.copy(cert, stamped.resolve("signer.crt"));
        chmod(real, "rw-r--r--");
        Files.createSymbolicLink(volume.resolve("..data"), volume.relativize(stamped));
        Files.createSymbolicLink(volume.resolve("signer.crt"), Path.of("..data/signer.crt"));
        chmod(volume, "rwxrwxrwx");
        Files.setAttribute(volume, "unix:mode", 01777);

        assertThat(TrustStore.fromDirectory(volume).certificates()).containsExactly(TestKeys.publisher().certificate());
    }

    @Test
    void trustFolder_stickyButOwnedByAnotherUser_isRefused() throws IOException {
        AsRoot.require();
        chown(trust, STRANGER_UID);
        Files.setAttribute(trust, "unix:mode", 01777);
        refused().hasMessageContaining("belongs to uid " + STRANGER_UID);
    }

    // ---- private folders (written by this process) ----------------------------------------------------------------

    @Test
    void privateFolder_isCreatedOwnerOnly_andTightenedWhenOthersCanRead() throws IOException {
        Path state = OwnerOnly.createPrivateFolder(tmp.resolve("a/b/state"), "state folder");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(state))).isEqualTo("rwx------");

        chmod(state, "rwxr-xr-x");
        OwnerOnly.createPrivateFolder(state, "state folder");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(state))).isEqualTo("rwx------");
    }

    @Test
    void privateFolder_thatIsALink_isRefusedEvenWhenItsTargetIsFine() throws IOException {
        Path real = OwnerOnly.createPrivateFolder(tmp.resolve("real"), "state folder");
        Path link = Files.createSymbolicLink(tmp.resolve("state"), real);
        assertThatThrownBy(() -> OwnerOnly.createPrivateFolder(link, "state folder")).isInstanceOf(UnsafePathException.class)
                .hasMessageContaining("state folder " + link + " is a symbolic link");
    }

    @Test
    void privateFolder_stickyWorldWritable_isRefused() throws IOException {
        Path state = Files.createDirectory(tmp.resolve("state"));
        Files.setAttribute(state, "unix:mode", 01777);
        assertThatThrownBy(() -> OwnerOnly.requirePrivateFolder(state, "state folder")).isInstanceOf(UnsafePathException.class)
                .hasMessageContaining("writable by other users (mode rwxrwxrwt)").hasMessageContaining("chmod 700");
    }

    @Test
    void privateFolder_ownedByAnotherUser_isRefused() throws IOException {
        AsRoot.require();
        Path state = OwnerOnly.createPrivateFolder(tmp.resolve("state"), "state folder");
        chown(state, STRANGER_UID);
        assertThatThrownBy(() -> OwnerOnly.createPrivateFolder(state, "state folder")).isInstanceOf(UnsafePathException.class)
                .hasMessageContaining("belongs to uid " + STRANGER_UID);
    }

    @Test
    void write_replacesTheFileOwnerOnly() throws IOException {
        Path f = tmp.resolve("state.properties");
        OwnerOnly.write(f, "a=1\n".getBytes());
        OwnerOnly.write(f, "a=2\n".getBytes());
        assertThat(Files.readString(f)).isEqualTo("a=2\n");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).isEqualTo("rw-------");
        try (var s = Files.list(tmp)) {
            assertThat(s.map(p -> p.getFileName().toString())).as("no temporary file left").containsOnly("trust", "state.properties");
        }
    }

    private org.assertj.core.api.AbstractThrowableAssert<?, ? extends Throwable> refused() {
        return assertRefused(() -> TrustStore.fromDirectory(trust), PackageException.Reason.UNSAFE_TRUST);
    }

    private static void chmod(Path p, String perms) throws IOException {
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(perms));
    }

    private static void chown(Path p, int uid) throws IOException {
        Files.setAttribute(p, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
    }

    /** Tests that need another user's files, made with chown: root only. Failing, not skipping, keeps coverage honest. */
    static final class AsRoot {
        private AsRoot() {
        }

        static void require() {
            if (OwnerOnly.myUid() != 0) {
                throw new AssertionError("this test makes files owned by another user with chown, which needs root;"
                        + " run the format module's tests as root (CI does), e.g. in a throw-away container");
            }
        }
    }
}
