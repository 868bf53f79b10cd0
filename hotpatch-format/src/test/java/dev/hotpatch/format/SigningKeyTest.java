package dev.hotpatch.format;

import static dev.hotpatch.format.Refusals.assertRefused;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SigningKeyTest {
    @TempDir
    Path tmp;

    @Test
    void generate_refusesToOverwriteAnExistingKey() throws Exception {
        Path dir = TestKeys.publisherDir();
        byte[] before = Files.readAllBytes(dir.resolve(SigningKey.KEYSTORE));
        byte[] password = Files.readAllBytes(dir.resolve(SigningKey.PASSWORD));

        assertRefused(() -> SigningKey.generate(dir, "CN=Usurper"), PackageException.Reason.IO)
                .hasMessageContaining(dir.resolve(SigningKey.KEYSTORE).toString())
                .hasMessageContaining("already exists")
                .hasMessageContaining("--out");
        assertThat(Files.readAllBytes(dir.resolve(SigningKey.KEYSTORE))).isEqualTo(before);
        assertThat(Files.readAllBytes(dir.resolve(SigningKey.PASSWORD))).isEqualTo(password);
        assertThat(SigningKey.load(dir).certificate()).isEqualTo(TestKeys.publisher().certificate());
    }

    @Test
    void generate_makesTheKeyFolderAndPrivateFilesOwnerOnly() throws Exception {
        assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"), "POSIX file system");
        Path dir = tmp.resolve("new/keys");

        SigningKey.generate(dir, "CN=Perms Check");

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(SigningKey.KEYSTORE))))
                .isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(SigningKey.PASSWORD))))
                .isEqualTo("rw-------");
        assertThat(dir.resolve(SigningKey.CERTIFICATE)).isRegularFile();
        assertThat(SigningKey.load(dir).certificate().getSubjectX500Principal().getName()).isEqualTo("CN=Perms Check");
    }

    @Test
    void generate_writesTheCertificateThatLoadReturns() throws Exception {
        Path dir = TestKeys.publisherDir();

        String pem = new String(Files.readAllBytes(dir.resolve(SigningKey.CERTIFICATE)), java.nio.charset.StandardCharsets.US_ASCII);

        assertThat(pem).startsWith("-----BEGIN CERTIFICATE-----\n").endsWith("-----END CERTIFICATE-----\n");
        assertThat(pem).isEqualTo(SigningKey.load(dir).certificatePem());
        assertThat(TrustStore.fromDirectory(dir).certificates()).containsExactly(TestKeys.publisher().certificate());
    }

    @Test
    void load_refusesAFolderWithoutKeyAndSaysHowToCreateOne() {
        assertRefused(() -> SigningKey.load(tmp), PackageException.Reason.IO)
                .hasMessageContaining(tmp.toString())
                .hasMessageContaining("hotpatch keygen --out");
    }

    @Test
    void load_refusesAWrongPassword() throws Exception {
        Path dir = tmp.resolve("copy");
        Files.createDirectories(dir);
        Files.copy(TestKeys.publisherDir().resolve(SigningKey.KEYSTORE), dir.resolve(SigningKey.KEYSTORE));
        Files.write(dir.resolve(SigningKey.PASSWORD), "not-the-password".getBytes(java.nio.charset.StandardCharsets.UTF_8));

        assertRefused(() -> SigningKey.load(dir), PackageException.Reason.IO)
                .hasMessageContaining("cannot load signing key from " + dir);
    }
}
