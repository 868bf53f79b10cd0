package dev.hotpatch.format;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;

/**
 * The SHA-256 fingerprint of a certificate, the way {@code keytool -printcert} and
 * {@code openssl x509 -fingerprint -sha256} show it ({@code SHA-256 AB:CD:…}), so that a refusal
 * names the exact certificate an operator can compare with the publisher's {@code signer.crt}.
 * Stateless.
 */
public final class CertificateFingerprint {
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private CertificateFingerprint() {
    }

    /** {@code SHA-256 AB:CD:…} (32 colon-separated upper-case hex pairs). */
    public static String of(X509Certificate cert) {
        return "SHA-256 " + hexPairs(cert);
    }

    /** The bare 64 lower-case hex digits, for storing and comparing. */
    public static String hex(X509Certificate cert) {
        return hexPairs(cert).replace(":", "").toLowerCase(java.util.Locale.ROOT);
    }

    private static String hexPairs(X509Certificate cert) {
        byte[] d;
        try {
            d = MessageDigest.getInstance("SHA-256").digest(cert.getEncoded());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this Java runtime", e);
        } catch (CertificateEncodingException e) {
            throw new IllegalArgumentException("the certificate cannot be encoded: " + e.getMessage(), e);
        }
        StringBuilder b = new StringBuilder(d.length * 3);
        for (int i = 0; i < d.length; i++) {
            if (i > 0) {
                b.append(':');
            }
            b.append(HEX[(d[i] >> 4) & 0xf]).append(HEX[d[i] & 0xf]);
        }
        return b.toString();
    }
}
