package dev.hotpatch.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hotpatch.format.HotpatchPackage;
import dev.hotpatch.format.PackageException;
import dev.hotpatch.format.SigningKey;
import dev.hotpatch.format.TrustStore;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The package an enrolled agent verifies at start to warm its verification: it must be in the
 * agent (it once was not, and the warm-up then silently verified nothing) and verify against its
 * own certificate, and vouch for nothing beyond it.
 */
class WarmupTest {
    @Test
    void carriedPackage_verifiesInMemory_throughItsManifestSignature() throws Exception {
        assertThat(Warmup.class.getResource(Warmup.PACKAGE)).as("the agent carries " + Warmup.PACKAGE).isNotNull();
        // True only when read through the manifest signature, the way an apply reads a package:
        // a package without one would warm the JAR-signature path, which applies do not take.
        assertThat(Warmup.verifyCarriedPackage()).isTrue();
    }

    @Test
    void carriedPackage_isTrustedByNoOtherPublisher_andItsCertificateSignsNothingElse(@TempDir Path dir) throws Exception {
        Path copy = dir.resolve("warmup.hotpatch");
        try (InputStream in = Warmup.class.getResourceAsStream(Warmup.PACKAGE)) {
            Files.copy(in, copy);
        }
        SigningKey other = SigningKey.generate(dir.resolve("key"), "CN=Some Publisher");
        assertThatThrownBy(() -> HotpatchPackage.read(copy, TrustStore.of(List.of(other.certificate()))))
                .isInstanceOf(PackageException.class)
                .satisfies(e -> assertThat(((PackageException) e).reason()).isEqualTo(PackageException.Reason.UNTRUSTED));
        X509Certificate own;
        try (InputStream crt = Warmup.class.getResourceAsStream(Warmup.CERTIFICATE)) {
            own = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(crt);
        }
        HotpatchPackage pkg = HotpatchPackage.read(copy, TrustStore.of(List.of(own)));
        assertThat(pkg.manifest().classes()).hasSize(1);
        assertThat(pkg.manifest().classes().get(0).kind()).isEqualTo(dev.hotpatch.format.ClassPatch.Kind.ADDED);
        assertThat(own.getSubjectX500Principal().getName()).contains("warm-up");
    }

    @Test
    void attachedWarmUp_toleratesAMissingOrUnsafeTrustFolder_andLeavesNoTemporaryFolder(@TempDir Path dir) throws Exception {
        Path unsafe = Files.createDirectories(dir.resolve("open-to-all"));
        Files.setPosixFilePermissions(unsafe, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
        java.util.Set<Path> before = warmupFolders();

        Warmup.beforeFirstApply(null);
        Warmup.beforeFirstApply(dir.resolve("missing"));
        Warmup.beforeFirstApply(unsafe);
        Warmup.beforeFirstApply(Path.of(Warmup.class.getResource(Warmup.CERTIFICATE).toURI()).getParent());

        assertThat(warmupFolders()).as("temporary folders of the warm-up left behind").isEqualTo(before);
    }

    private static java.util.Set<Path> warmupFolders() throws java.io.IOException {
        try (var s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return s.filter(p -> p.getFileName().toString().startsWith("hotpatch-warmup-")).collect(java.util.stream.Collectors.toSet());
        }
    }
}
