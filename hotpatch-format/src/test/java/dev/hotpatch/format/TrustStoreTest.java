package dev.hotpatch.format;

import static dev.hotpatch.format.Refusals.assertRefused;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrustStoreTest {
    @TempDir
    Path tmp;

    @Test
    void fromDirectory_refusesAFolderWithoutCertificateAndSaysWhatToCopyThere() throws Exception {
        Files.write(tmp.resolve("notes.txt"), "nothing to trust".getBytes(StandardCharsets.UTF_8));

        assertRefused(() -> TrustStore.fromDirectory(tmp), PackageException.Reason.IO)
                .hasMessageContaining(tmp.toString())
                .hasMessageContaining("holds no certificate")
                .hasMessageContaining("copy the publisher's signer.crt there");
    }

    @Test
    void fromDirectory_refusesAMissingFolderAndSaysWhichFolderToPass() {
        Path missing = tmp.resolve("nope");

        assertRefused(() -> TrustStore.fromDirectory(missing), PackageException.Reason.IO)
                .hasMessageContaining(missing.toString())
                .hasMessageContaining("keygen --out");
    }

    @Test
    void fromDirectory_refusesACertificateFileThatIsNotACertificate() throws Exception {
        Files.write(tmp.resolve("bogus.crt"), "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
                .getBytes(StandardCharsets.US_ASCII));

        assertRefused(() -> TrustStore.fromDirectory(tmp), PackageException.Reason.IO)
                .hasMessageContaining("bogus.crt")
                .hasMessageContaining("is not an X.509 certificate");
    }

    @Test
    void fromDirectory_pinsEveryCertificateAndIgnoresPrivateKeyFiles() throws Exception {
        Files.copy(TestKeys.publisherDir().resolve(SigningKey.CERTIFICATE), tmp.resolve("publisher.pem"));
        Files.copy(TestKeys.strangerDir().resolve(SigningKey.CERTIFICATE), tmp.resolve("stranger.cer"));
        Files.copy(TestKeys.publisherDir().resolve(SigningKey.KEYSTORE), tmp.resolve(SigningKey.KEYSTORE));

        TrustStore trust = TrustStore.fromDirectory(tmp);

        assertThat(trust.certificates()).containsExactlyInAnyOrder(
                TestKeys.publisher().certificate(), TestKeys.stranger().certificate());
        assertThat(trust.trusts(TestKeys.stranger().certificate())).isTrue();
    }

    @Test
    void trusts_onlyThePinnedCertificates() {
        TrustStore trust = TrustStore.of(List.of(TestKeys.publisher().certificate()));

        assertThat(trust.trusts(TestKeys.publisher().certificate())).isTrue();
        assertThat(trust.trusts(TestKeys.stranger().certificate())).isFalse();
    }
}
