package dev.hotpatch.format;

import java.security.CodeSigner;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What hotpatch packages and release descriptors, both signed JARs, share: which META-INF entries
 * a signature may add, who signed an entry, and how untrusted names and signers appear in
 * messages. One place, so that both formats accept and report the same. Stateless.
 */
final class SignedJars {
    static final String META_INF = "META-INF/";
    /** How much of an untrusted name a message quotes. */
    private static final int PRINTABLE_CHARS = 200;

    private SignedJars() {
    }

    /**
     * Whether {@code name} is the META-INF folder or a file {@code jarsigner} writes there: the
     * manifest, and signature files ({@code .SF}, {@code .RSA}, {@code .EC}, {@code .DSA}) directly
     * in it, in any case.
     */
    static boolean isSignatureEntry(String name) {
        if (!name.startsWith(META_INF)) {
            return false;
        }
        String rest = name.substring(META_INF.length());
        String upper = rest.toUpperCase(Locale.ROOT);
        return rest.isEmpty() || (!rest.contains("/") && (upper.equals("MANIFEST.MF") || upper.endsWith(".SF")
                || upper.endsWith(".RSA") || upper.endsWith(".EC") || upper.endsWith(".DSA")));
    }

    /** The first certificate of each signer's chain: the key that signed, not its issuers. */
    static Set<X509Certificate> leafCertificates(CodeSigner[] signers) {
        Set<X509Certificate> out = new LinkedHashSet<>();
        if (signers != null) {
            for (CodeSigner s : signers) {
                List<? extends Certificate> chain = s.getSignerCertPath().getCertificates();
                if (!chain.isEmpty() && chain.get(0) instanceof X509Certificate) {
                    out.add((X509Certificate) chain.get(0));
                }
            }
        }
        return out;
    }

    /** An untrusted name as a message may quote it: control characters as {@code ?}, cut after 200 characters. */
    static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            b.append(Character.isISOControl(c) ? '?' : c);
            if (b.length() > PRINTABLE_CHARS) {
                return b.append("…").toString();
            }
        }
        return b.toString();
    }

    /** Subject names of {@code signers}, comma-separated; "unsigned" when there are none. */
    static String subjectNames(List<X509Certificate> signers) {
        if (signers.isEmpty()) {
            return "unsigned";
        }
        List<String> n = new ArrayList<>();
        for (X509Certificate c : signers) {
            n.add(c.getSubjectX500Principal().getName());
        }
        return String.join(", ", n);
    }
}
