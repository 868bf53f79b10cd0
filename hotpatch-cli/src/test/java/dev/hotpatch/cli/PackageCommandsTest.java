package dev.hotpatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.format.SigningKey;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** inspect, verify and the local verification that apply does before contacting any JVM. */
class PackageCommandsTest {
    @TempDir
    static Path tmp;
    static Path keys;
    static Path otherKeys;
    static Path signed;
    static Path unsigned;
    static Path tampered;
    static Path untrusted;

    @BeforeAll
    static void packages() throws Exception {
        keys = tmp.resolve("keys");
        otherKeys = tmp.resolve("other");
        SigningKey key = SigningKey.generate(keys, "CN=Acme Security");
        SigningKey other = SigningKey.generate(otherKeys, "CN=Mallory");
        signed = TestPackages.signed(tmp, "KB2026-0001", key);
        unsigned = TestPackages.unsigned(tmp, "KB2026-0002");
        tampered = TestPackages.tampered(signed, tmp);
        untrusted = TestPackages.signed(Files.createDirectories(tmp.resolve("m")), "KB2026-0003", other);
    }

    @Test
    void inspect_showsManifestClassesAndIntactSignature() {
        CliRun r = CliRun.of("inspect", signed.toString());

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains("KB2026-0001").contains("Fee rounding fix").contains("Security")
                .contains("CVE-2026-1234").contains("acme/fees/1.x").contains("NeverReboots")
                .contains("Signature       intact: JAR signature and manifest signature (SHA256with").contains("CN=Acme Security")
                .contains("acme.Fees");
    }

    @Test
    void inspect_json_hasHashesAndSigner() {
        JsonNode doc = CliRun.of("inspect", signed.toString(), "--json").json();

        assertThat(doc.get("status").asText()).isEqualTo("ok");
        assertThat(doc.get("signatureIntact").asBoolean()).isTrue();
        assertThat(doc.at("/manifest/id").asText()).isEqualTo("KB2026-0001");
        assertThat(doc.at("/manifest/classes/0/name").asText()).isEqualTo("acme.Fees");
        assertThat(doc.at("/manifest/classes/0/sha256").asText()).hasSize(64);
        assertThat(doc.at("/manifest/classes/0/baselineSha256").asText()).hasSize(64);
        assertThat(doc.at("/signers/0/subject").asText()).isEqualTo("CN=Acme Security");
    }

    @Test
    void inspect_worksOnUnsignedPackage_andSaysSo() {
        CliRun r = CliRun.of("inspect", unsigned.toString());

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains("KB2026-0002").contains("NOT signed");
        assertThat(CliRun.of("inspect", unsigned.toString(), "--json").json().get("signed").asBoolean()).isFalse();
    }

    @Test
    void inspect_refusesTamperedPackage() {
        CliRun r = CliRun.of("inspect", tampered.toString());

        assertThat(r.exit()).as(r.toString()).isEqualTo(3);
        assertThat(r.err()).contains("tampered").contains("modified after signing");
    }

    @Test
    void inspect_missingFile_isUsageError() {
        CliRun r = CliRun.of("inspect", tmp.resolve("nope.hotpatch").toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("does not exist");
    }

    @Test
    void inspect_fileThatIsNoPackage_isRefusedAsMalformed() throws Exception {
        Path junk = Files.writeString(tmp.resolve("junk.hotpatch"), "not a zip");
        CliRun r = CliRun.of("inspect", junk.toString(), "--json");
        assertThat(r.exit()).isEqualTo(3);
        assertThat(r.json().get("reason").asText()).isEqualTo("MALFORMED");
    }

    @Test
    void verify_acceptsTrustedIntactPackage() {
        CliRun r = CliRun.of("verify", signed.toString(), "--trust", keys.toString());

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains("Verified KB2026-0001").contains("CN=Acme Security")
                .as("it says which signature it checked: the manifest signature, as agents do").contains("intact (manifest signature (SHA256with")
                .contains("; 1 class.");
    }

    @Test
    void verify_showsTheSignersCertificateFingerprint() {
        String fingerprint = dev.hotpatch.format.TrustStore.fingerprint(SigningKey.load(keys).certificate());

        CliRun r = CliRun.of("verify", signed.toString(), "--trust", keys.toString());
        JsonNode doc = CliRun.of("verify", signed.toString(), "--trust", keys.toString(), "--json").json();

        assertThat(r.out()).contains("SHA-256 " + fingerprint);
        assertThat(doc.at("/signerCertificates/0/fingerprintSha256").asText()).isEqualTo(fingerprint);
        assertThat(CliRun.of("inspect", signed.toString()).out()).contains(fingerprint);
    }

    @Test
    void verify_refusesATrustFolderOthersCanWrite_andATrustedCertificateOthersCanChange() throws Exception {
        // Issue 10 item 4: another user's certificate dropped into a world-writable trust folder was "trusted".
        Path open = Files.createDirectories(tmp.resolve("open-trust"));
        Files.copy(keys.resolve("signer.crt"), open.resolve("signer.crt"));
        Files.setPosixFilePermissions(open, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
        Path loose = Files.createDirectories(tmp.resolve("loose-cert"));
        Files.copy(keys.resolve("signer.crt"), loose.resolve("signer.crt"));
        Files.setPosixFilePermissions(loose.resolve("signer.crt"), java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw-rw-"));

        CliRun folder = CliRun.of("verify", signed.toString(), "--trust", open.toString(), "--json");
        CliRun cert = CliRun.of("verify", signed.toString(), "--trust", loose.toString());

        assertThat(folder.exit()).as(folder.toString()).isEqualTo(3);
        assertThat(folder.json().get("reason").asText()).isEqualTo("UNSAFE_TRUST");
        assertThat(folder.json().get("message").asText()).contains("writable by other users");
        assertThat(cert.exit()).as(cert.toString()).isEqualTo(3);
        assertThat(cert.err()).contains("refused (unsafe trust)").contains("certificate " + loose.resolve("signer.crt"));
    }

    @Test
    void verify_refusesUnsignedPackage() {
        CliRun r = CliRun.of("verify", unsigned.toString(), "--trust", keys.toString());

        assertThat(r.exit()).isEqualTo(3);
        assertThat(r.err()).contains("refused (unsigned)").contains("not signed");
    }

    @Test
    void verify_refusesPackageFromUntrustedSigner() {
        CliRun r = CliRun.of("verify", untrusted.toString(), "--trust", keys.toString(), "--json");

        assertThat(r.exit()).isEqualTo(3);
        assertThat(r.json().get("status").asText()).isEqualTo("refused");
        assertThat(r.json().get("reason").asText()).isEqualTo("UNTRUSTED");
        assertThat(r.json().get("message").asText()).contains("CN=Mallory")
                .contains("SHA-256 " + dev.hotpatch.format.TrustStore.fingerprint(SigningKey.load(otherKeys).certificate()))
                .contains("trusted: 'CN=Acme Security'");
    }

    @Test
    void verify_refusesTamperedPackage() {
        CliRun r = CliRun.of("verify", tampered.toString(), "--trust", keys.toString());
        assertThat(r.exit()).isEqualTo(3);
        assertThat(r.err()).contains("tampered");
    }

    @Test
    void verify_withoutTrust_orWithMissingOrEmptyTrustFolder_isUsageError() throws Exception {
        assertThat(CliRun.of("verify", signed.toString()).exit()).isEqualTo(2);
        CliRun missing = CliRun.of("verify", signed.toString(), "--trust", tmp.resolve("no-such").toString());
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).contains("trust folder").contains("does not exist");
        CliRun empty = CliRun.of("verify", signed.toString(), "--trust", Files.createDirectories(tmp.resolve("empty")).toString());
        assertThat(empty.exit()).isEqualTo(2);
        assertThat(empty.err()).contains("holds no certificate");
    }

    @Test
    void apply_refusesUnsignedPackageBeforeContactingTheJvm() throws Exception {
        Process notAJvm = new ProcessBuilder("sleep", "60").start();
        try {
            CliRun r = CliRun.of("apply", "--pid", Long.toString(notAJvm.pid()), unsigned.toString(), "--trust", keys.toString());

            assertThat(r.exit()).as(r.toString()).isEqualTo(3);
            assertThat(r.err()).contains("not signed");
            assertThat(notAJvm.isAlive()).isTrue();
        } finally {
            notAJvm.destroyForcibly().waitFor();
        }
    }

    @Test
    void apply_refusesUntrustedPackageBeforeContactingTheJvm() {
        CliRun r = CliRun.of("apply", "--pid", "1", untrusted.toString(), "--trust", keys.toString());
        assertThat(r.exit()).as(r.toString()).isEqualTo(3);
        assertThat(r.err()).contains("not a trusted publisher");
    }

    @Test
    void apply_toProcessThatIsNotAJvm_isUsageError() throws Exception {
        Process notAJvm = new ProcessBuilder("sleep", "60").start();
        try {
            CliRun r = CliRun.of("apply", "--pid", Long.toString(notAJvm.pid()), signed.toString(), "--trust", keys.toString());

            assertThat(r.exit()).as(r.toString()).isEqualTo(2);
            assertThat(r.err()).contains("not a Java virtual machine");
            assertThat(notAJvm.isAlive()).isTrue();
        } finally {
            notAJvm.destroyForcibly().waitFor();
        }
    }

    @Test
    void apply_missingPackageOrTrust_isUsageError() {
        assertThat(CliRun.of("apply", "--pid", "1", tmp.resolve("x.hotpatch").toString(), "--trust", keys.toString()).exit()).isEqualTo(2);
        assertThat(CliRun.of("apply", "--pid", "1", signed.toString()).exit()).isEqualTo(2);
        assertThat(CliRun.of("apply", signed.toString(), "--trust", keys.toString()).exit()).isEqualTo(2);
    }
}
