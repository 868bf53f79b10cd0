package dev.hotpatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeygenCommandTest {
    @TempDir
    Path tmp;

    @Test
    void keygen_createsPrivateKeyAndPublicCertificate() throws Exception {
        Path dir = tmp.resolve("keys");

        CliRun r = CliRun.of("keygen", "--out", dir.toString(), "--subject", "CN=Acme Security, O=Acme");

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(dir.resolve("signer.crt")).isRegularFile();
        assertThat(dir.resolve("signing.p12")).isRegularFile();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("signing.p12")))).isEqualTo("rw-------");
        assertThat(r.out()).contains("CN=Acme Security").contains("signer.crt").contains("SHA-256");
    }

    @Test
    void keygen_json_reportsFolderAndFingerprint() {
        Path dir = tmp.resolve("k");

        JsonNode doc = CliRun.of("keygen", "--out", dir.toString(), "--json").json();

        assertThat(doc.get("status").asText()).isEqualTo("ok");
        assertThat(doc.get("folder").asText()).isEqualTo(dir.toAbsolutePath().toString());
        assertThat(doc.get("fingerprintSha256").asText()).hasSize(64);
        assertThat(doc.get("subject").asText()).startsWith("CN=Hotpatch Publisher ");
    }

    @Test
    void keygen_givesEveryNewKeyADistinguishableSubject() {
        // Issue 11 item 5: every key was "CN=Hotpatch Publisher", so keys could not be told apart.
        JsonNode a = CliRun.of("keygen", "--out", tmp.resolve("a").toString(), "--json").json();
        JsonNode b = CliRun.of("keygen", "--out", tmp.resolve("b").toString(), "--json").json();

        assertThat(a.get("subject").asText()).matches("CN=Hotpatch Publisher \\S+@\\S+ \\d{4}-\\d{2}-\\d{2} [0-9a-f]{6}")
                .isNotEqualTo(b.get("subject").asText());
        assertThat(a.get("fingerprintSha256").asText()).isNotEqualTo(b.get("fingerprintSha256").asText());
    }

    @Test
    void keygen_makesRsa3072ByDefault_ecOnRequest_andSaysWhichKeyItMade() throws Exception {
        JsonNode rsa = CliRun.of("keygen", "--out", tmp.resolve("rsa").toString(), "--json").json();
        CliRun ec = CliRun.of("keygen", "--out", tmp.resolve("ec").toString(), "--key-type", "EC");

        assertThat(rsa.get("keyType").asText()).isEqualTo("RSA-3072");
        assertThat(dev.hotpatch.format.SigningKey.load(tmp.resolve("rsa")).certificate().getPublicKey().getAlgorithm()).isEqualTo("RSA");
        assertThat(ec.out()).containsPattern("key +EC P-256");
        assertThat(dev.hotpatch.format.SigningKey.load(tmp.resolve("ec")).certificate().getPublicKey().getAlgorithm()).isEqualTo("EC");
    }

    @Test
    void keygen_refusesAnUnknownKeyType_withoutWritingAKey() {
        CliRun r = CliRun.of("keygen", "--out", tmp.resolve("d").toString(), "--key-type", "dsa");

        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--key-type 'dsa'").contains("ec (EC P-256) or rsa (RSA-3072)");
        assertThat(tmp.resolve("d")).doesNotExist();
    }

    @Test
    void keygen_refusesNonEmptyFolder_withoutTouchingIt() throws Exception {
        Files.writeString(tmp.resolve("precious.txt"), "keep");

        CliRun r = CliRun.of("keygen", "--out", tmp.toString());

        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("not empty");
        assertThat(tmp.resolve("signing.p12")).doesNotExist();
    }

    @Test
    void keygen_withoutOut_isUsageError() {
        CliRun r = CliRun.of("keygen");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--out");
    }

    @Test
    void keygen_refusesSubjectThatIsNoX500Name() {
        CliRun r = CliRun.of("keygen", "--out", tmp.resolve("x").toString(), "--subject", "Acme");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("X.500");
    }
}
