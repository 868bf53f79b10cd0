package dev.hotpatch.agent;

import dev.hotpatch.format.HotpatchPackage;
import dev.hotpatch.format.TrustStore;
import java.io.IOException;
import java.io.InputStream;
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
     * Verifies the carried package exactly as an apply verifies a package (its bytes in memory, the
     * zip, the manifest signature, the manifest), so that the JDK's zip, CRC, SHA-256 and RSA code
     * has loaded and run once. False when it could not (warming is an optimisation: the caller
     * goes on either way). {@code WarmupPackageMaker} (tests) re-signs the package.
     */
    static boolean verifyCarriedPackage() {
        try (InputStream pkg = Warmup.class.getResourceAsStream(PACKAGE);
             InputStream crt = Warmup.class.getResourceAsStream(CERTIFICATE)) {
            if (pkg == null || crt == null) {
                return false;
            }
            byte[] data = pkg.readAllBytes();
            X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(crt);
            HotpatchPackage read = HotpatchPackage.readSignedManifest(data, "warmup.hotpatch", TrustStore.of(List.of(cert)));
            return read != null;
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    /**
     * The warm-up of an attached agent, run beside its start: reads the trust folder the tool named
     * (when it named one; the result is dropped, the apply reads it again through its own checks),
     * initialises a signature check per key found there, and verifies the carried package. Loads
     * and first runs the code the first apply needs; decides nothing.
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
        verifyCarriedPackage();
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
                // As long as a real signature, so that RSA's modular arithmetic runs (a shorter one is
                // refused before it), and of value 2: BigInteger.modPow returns at once for 0 and 1.
                int length = c.getPublicKey() instanceof java.security.interfaces.RSAPublicKey
                        ? (((java.security.interfaces.RSAPublicKey) c.getPublicKey()).getModulus().bitLength() + 7) / 8 : 72;
                byte[] value = new byte[length];
                value[length - 1] = 2;
                try {
                    sig.verify(value);
                } catch (SignatureException expected) {
                    // A made-up signature: the point was to run the verification code once.
                }
            }
        } catch (GeneralSecurityException | RuntimeException e) {
            // Warming is an optimisation only; the apply reports any real problem.
        }
    }
}
