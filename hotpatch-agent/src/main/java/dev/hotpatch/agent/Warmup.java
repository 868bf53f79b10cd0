package dev.hotpatch.agent;

import dev.hotpatch.format.HotpatchPackage;
import dev.hotpatch.format.TrustStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.Signature;
import java.security.SignatureException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * The first-use work of verification, done by an enrolled agent's background thread at start so
 * that the first apply does not pay it (see {@link Engine#warm()}). Nothing here applies or trusts
 * anything: the carried package is checked against its own certificate only, whose private key was
 * destroyed when the package was made, and a later apply still runs every check.
 */
final class Warmup {
    /** A signed package of one empty added class, and the certificate it is checked against. */
    static final String PACKAGE = "warmup/warmup.hotpatch";
    static final String CERTIFICATE = "warmup/signer.crt";

    private Warmup() {
    }

    /**
     * Verifies the carried package exactly as an apply verifies a package (a copy in the staging
     * folder, the manifest signature, the manifest), so that the JDK's zip, CRC, SHA-256 and RSA
     * code has loaded and run once. False when it could not (warming is an optimisation: the
     * caller goes on either way). {@code WarmupPackageMaker} (tests) re-signs the package.
     */
    static boolean verifyCarriedPackage(Path stagingDir) {
        Path copy = stagingDir.resolve("warmup-" + System.nanoTime() + ".hotpatch");
        try (InputStream pkg = Warmup.class.getResourceAsStream(PACKAGE);
             InputStream crt = Warmup.class.getResourceAsStream(CERTIFICATE)) {
            if (pkg == null || crt == null) {
                return false;
            }
            Files.copy(pkg, copy);
            X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(crt);
            HotpatchPackage.read(copy, TrustStore.of(List.of(cert))).manifest();
            return true;
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            return false;
        } finally {
            try {
                Files.deleteIfExists(copy);
            } catch (IOException e) {
                // The staging folder is the agent's own; a leftover copy is removed with it.
            }
        }
    }

    /**
     * The warm-up of an attached agent, run beside its start: reads the trust folder the tool named
     * (when it named one; the result is dropped, the apply reads it again through its own checks),
     * initialises a signature check per key found there, and verifies the carried package in a
     * private temporary folder. Loads and first runs the code the first apply needs; decides nothing.
     */
    static void beforeFirstApply(Path trustFolder) {
        List<X509Certificate> certs = List.of();
        if (trustFolder != null) {
            try {
                certs = TrustStore.fromDirectory(trustFolder).certificates();
            } catch (RuntimeException e) {
                // The apply reports an unusable trust folder; warming only loads code.
            }
        }
        signatures(certs);
        Path dir = null;
        try {
            dir = Files.createTempDirectory("hotpatch-warmup-");
            verifyCarriedPackage(dir);
        } catch (IOException | RuntimeException e) {
            // Warming is an optimisation only.
        } finally {
            if (dir != null) {
                try {
                    Files.deleteIfExists(dir);
                } catch (IOException e) {
                    // An empty folder left in the temporary folder is harmless.
                }
            }
        }
    }

    /** Runs SHA-256 and one signature check per trusted publisher key, so their providers are initialised. */
    static void signatures(List<X509Certificate> trusted) {
        try {
            MessageDigest.getInstance("SHA-256").digest(new byte[64]);
            CertificateFactory.getInstance("X.509");
            for (X509Certificate c : trusted) {
                String alg = "EC".equals(c.getPublicKey().getAlgorithm()) ? "SHA256withECDSA" : "SHA256withRSA";
                Signature sig = Signature.getInstance(alg);
                sig.initVerify(c);
                sig.update(new byte[64]);
                // As long as a real signature, so that RSA's modular arithmetic runs (a shorter one is refused before it).
                int length = c.getPublicKey() instanceof java.security.interfaces.RSAPublicKey
                        ? (((java.security.interfaces.RSAPublicKey) c.getPublicKey()).getModulus().bitLength() + 7) / 8 : 72;
                try {
                    sig.verify(new byte[length]);
                } catch (SignatureException expected) {
                    // A signature of zeros: the point was to run the verification code once.
                }
            }
        } catch (GeneralSecurityException | RuntimeException e) {
            // Warming is an optimisation only; the apply reports any real problem.
        }
    }
}
