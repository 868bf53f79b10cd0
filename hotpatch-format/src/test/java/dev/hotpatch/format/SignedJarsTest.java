package dev.hotpatch.format;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The META-INF rule and message quoting that packages and release descriptors share. */
class SignedJarsTest {
    @Test
    void signatureEntriesAreTheFolderTheManifestAndSignatureFilesDirectlyInIt() {
        for (String ok : new String[] {"META-INF/", "META-INF/MANIFEST.MF", "META-INF/manifest.mf", "META-INF/HOTPATCH.SF",
            "META-INF/hotpatch.sf", "META-INF/HOTPATCH.RSA", "META-INF/SIGNER.EC", "META-INF/OLD.DSA"}) {
            assertThat(SignedJars.isSignatureEntry(ok)).as(ok).isTrue();
        }
        for (String bad : new String[] {"META-INF/services/x.SF", "META-INF/evil.class", "META-INF/MANIFEST.MF/",
            "META-INF/x/", "META-INF", "meta-inf/MANIFEST.MF", "HOTPATCH-INF/patch.properties", "x.SF"}) {
            assertThat(SignedJars.isSignatureEntry(bad)).as(bad).isFalse();
        }
    }

    @Test
    void printableHidesControlCharactersAndCutsLongNames() {
        assertThat(SignedJars.printable("a\nb\u0000c")).isEqualTo("a?b?c");
        String longName = "x".repeat(500);
        assertThat(SignedJars.printable(longName)).hasSize(202).endsWith("x…");
        assertThat(SignedJars.printable("acme/Fees.class")).isEqualTo("acme/Fees.class");
    }
}
