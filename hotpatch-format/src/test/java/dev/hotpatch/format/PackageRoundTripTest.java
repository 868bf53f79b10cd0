package dev.hotpatch.format;

import static dev.hotpatch.format.SamplePackages.assertSameManifest;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PackageRoundTripTest {
    @TempDir
    Path tmp;

    @Test
    void read_returnsTheManifestThatWasWrittenAndSigned() throws Exception {
        Path keyDir = tmp.resolve("keys");
        SigningKey key = SigningKey.generate(keyDir, "CN=Test Publisher");
        PackageManifest written = SamplePackages.manifest();
        Path file = tmp.resolve("KB2026-0001.hotpatch");

        PackageWriter.write(written, key, file);
        HotpatchPackage read = HotpatchPackage.read(file, TrustStore.fromDirectory(keyDir));

        PackageManifest m = read.manifest();
        assertSameManifest(m, written);
        assertThat(m.id()).isEqualTo("KB2026-0001");
        assertThat(m.cves()).containsExactly("CVE-2026-1234", "CVE-2026-56789");
        assertThat(m.supersedes()).containsExactly("KB2025-0042");
        assertThat(m.classes()).extracting(ClassPatch::name).containsExactly(SamplePackages.FEES, SamplePackages.HELPER);
        assertThat(m.classes().get(0).bytes()).isEqualTo(SamplePackages.classBytes(SamplePackages.FEES));
        assertThat(m.classes().get(0).sha256()).isEqualTo(Sha256.hex(SamplePackages.classBytes(SamplePackages.FEES)));
        assertThat(m.classes().get(1).kind()).isEqualTo(ClassPatch.Kind.ADDED);
        assertThat(read.signers()).containsExactly(key.certificate());
        assertThat(read.signerNames()).isEqualTo("CN=Test Publisher");
        assertThat(read.sha256()).isEqualTo(Sha256.hex(file));
    }

    @Test
    void read_acceptsAPackageSignedWithAnRsaKey_andOnlyFromItsOwnTrustFolder() throws Exception {
        Path keyDir = tmp.resolve("rsa");
        SigningKey key = SigningKey.generate(keyDir, "CN=RSA Publisher", SigningKey.Type.RSA);
        Path file = tmp.resolve("KB2026-0001.hotpatch");

        PackageWriter.write(SamplePackages.manifest(), key, file);

        assertThat(key.keyDescription()).isEqualTo("RSA-3072");
        assertThat(HotpatchPackage.read(file, TrustStore.fromDirectory(keyDir)).signers()).containsExactly(key.certificate());
        Refusals.assertRefused(() -> HotpatchPackage.read(file, TestKeys.trustPublisher()), PackageException.Reason.UNTRUSTED)
                .hasMessageContaining("CN=RSA Publisher");
    }

    @Test
    void manifestCodec_writesTheSameBytesForTheSameManifest() {
        byte[] first = ManifestCodec.write(SamplePackages.manifest());
        byte[] second = ManifestCodec.write(SamplePackages.manifest());

        assertThat(first).isEqualTo(second);
        assertThat(new String(first, java.nio.charset.StandardCharsets.UTF_8))
                .startsWith("# hotpatch package manifest\n")
                .contains("\nid=KB2026-0001\n", "\nclass.count=2\n", "\nclass.1.kind=added\n");
    }

    @Test
    void write_replacesAnExistingFileAndLeavesNoTemporaryFiles() throws Exception {
        Path file = tmp.resolve("out/KB.hotpatch");
        SamplePackages.signed(file);
        SamplePackages.signed(file);

        assertThat(HotpatchPackage.read(file, TestKeys.trustPublisher()).manifest().id()).isEqualTo("KB2026-0001");
        assertThat(file.getParent().toFile().list()).containsExactly("KB.hotpatch");
    }

    @Test
    void readForInspection_acceptsAnUnsignedPackageButReportsNoSigner() {
        Path file = SamplePackages.unsigned(tmp.resolve("unsigned.hotpatch"));

        HotpatchPackage read = HotpatchPackage.read(file, false);

        assertSameManifest(read.manifest(), SamplePackages.manifest());
        assertThat(read.signers()).isEmpty();
        assertThat(read.signerNames()).isEqualTo("unsigned");
    }

    @Test
    void readForInspection_reportsTheSignerWithoutCheckingTrust() {
        Path file = tmp.resolve("stranger.hotpatch");
        PackageWriter.write(SamplePackages.manifest(), TestKeys.stranger(), file);

        HotpatchPackage read = HotpatchPackage.read(file, false);

        assertThat(read.signers()).containsExactly(TestKeys.stranger().certificate());
    }
}
