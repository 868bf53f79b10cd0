package dev.hotpatch.format;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.Base64;

/**
 * A package's second signature: one signature over {@code HOTPATCH-INF/patch.properties}, kept in
 * the zip file's comment as {@code hotpatch-manifest-signature-1 <algorithm> <signer certificate
 * SHA-256> <base64 signature>}.
 *
 * <p>Why a second one: the manifest names the SHA-256 of every class the package carries, and a
 * reader refuses any entry the manifest does not list, so a signature over the manifest alone
 * vouches for the whole content. Checking it is one signature over a few hundred bytes with a key
 * the trust folder already holds, where the JDK's signed-JAR check parses a PKCS#7 block and its
 * certificate and digests the JAR manifest, the signature file and every entry: 2–3 ms of a warm
 * apply against ~0.3 ms (docs/performance.md). The JAR signature stays, so {@code jarsigner -verify}
 * and agents older than this class read the same file; they ignore the zip comment.
 *
 * <p>The signed bytes are a fixed context line followed by the manifest's bytes, so a signature made
 * by the same key over anything else (a JAR signature file) can never pass for a manifest signature.
 * Immutable.
 */
final class ManifestSignature {
    static final String MARKER = "hotpatch-manifest-signature-1";
    private static final byte[] CONTEXT = "hotpatch manifest signature 1\n".getBytes(StandardCharsets.US_ASCII);
    /** Longer than any RSA-8192 signature in base64; a longer comment is refused before decoding. */
    private static final int MAX_COMMENT = 2048;

    final String algorithm;
    final String signerSha256;
    private final byte[] signature;

    private ManifestSignature(String algorithm, String signerSha256, byte[] signature) {
        this.algorithm = algorithm;
        this.signerSha256 = signerSha256;
        this.signature = signature;
    }

    /**
     * The signature a zip comment carries; null when the comment is not one (no comment, or any
     * other text: such a package is checked by its JAR signature alone).
     *
     * @throws PackageException when the comment claims to be a manifest signature but is not a valid one
     */
    static ManifestSignature parse(String comment) {
        if (comment == null || !comment.startsWith(MARKER + " ")) {
            return null;
        }
        String[] f = comment.length() > MAX_COMMENT ? new String[0] : comment.split(" ", -1);
        byte[] sig = null;
        if (f.length == 4 && algorithmOk(f[1]) && Sha256.isHex(f[2])) {
            try {
                sig = Base64.getDecoder().decode(f[3]);
            } catch (IllegalArgumentException e) {
                sig = null;
            }
        }
        if (sig == null || sig.length == 0) {
            throw new PackageException(PackageException.Reason.MALFORMED, "the package's manifest signature (its zip comment) is"
                    + " damaged; expected '" + MARKER + " <algorithm> <certificate SHA-256> <base64>'. Rebuild the package");
        }
        return new ManifestSignature(f[1], f[2], sig);
    }

    /** The zip comment that signs {@code manifestBytes} with {@code key}, whose certificate is {@code cert}. */
    static String sign(byte[] manifestBytes, PrivateKey key, X509Certificate cert) throws GeneralSecurityException {
        String algorithm = algorithmFor(cert.getPublicKey());
        if (algorithm == null) {
            throw new GeneralSecurityException("cannot make a manifest signature with a " + cert.getPublicKey().getAlgorithm()
                    + " key; use an EC or RSA key ('hotpatch keygen')");
        }
        Signature s = Signature.getInstance(algorithm);
        s.initSign(key);
        s.update(CONTEXT);
        s.update(manifestBytes);
        return MARKER + " " + algorithm + " " + CertificateFingerprint.hex(cert) + " "
                + Base64.getEncoder().encodeToString(s.sign());
    }

    /**
     * Whether this signature over {@code manifestBytes} was made by {@code cert}'s key, with the one
     * algorithm that key type is used with here.
     */
    boolean verifies(byte[] manifestBytes, X509Certificate cert) {
        PublicKey k = cert.getPublicKey();
        if (!algorithm.equals(algorithmFor(k))) {
            return false;
        }
        try {
            Signature s = Signature.getInstance(algorithm);
            s.initVerify(k);
            s.update(CONTEXT);
            s.update(manifestBytes);
            return s.verify(signature);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            // A malformed signature value (bad DER for ECDSA) is a failed verification, not an error.
            return false;
        }
    }

    /** The signature algorithm for a key type, or null when manifest signatures do not support it. */
    static String algorithmFor(PublicKey k) {
        switch (k.getAlgorithm()) {
            case "RSA":
                return "SHA256withRSA";
            case "EC":
                return "SHA256withECDSA";
            default:
                return null;
        }
    }

    private static boolean algorithmOk(String a) {
        return a.equals("SHA256withRSA") || a.equals("SHA256withECDSA");
    }
}
