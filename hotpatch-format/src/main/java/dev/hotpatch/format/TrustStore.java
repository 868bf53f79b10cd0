package dev.hotpatch.format;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The pinned signer certificates a reader accepts. A package is trusted when the certificate that
 * signed it is one of these, byte for byte: no chain building, so a trusted CA certificate smuggled
 * into a forged chain cannot vouch for an untrusted key. Immutable and thread-safe.
 */
public final class TrustStore {
    private static final int MAX_FILES = 1000;
    private static final long MAX_CERT_FILE = 1 << 20;

    private final List<X509Certificate> certificates;
    private final Map<String, X509Certificate> byFingerprint = new HashMap<>();

    private TrustStore(List<X509Certificate> certificates) {
        this.certificates = Collections.unmodifiableList(new ArrayList<>(certificates));
        for (X509Certificate c : certificates) {
            byFingerprint.putIfAbsent(fingerprint(c), c);
        }
    }

    /** Trusts exactly the given certificates. */
    public static TrustStore of(Collection<X509Certificate> certificates) {
        return new TrustStore(new ArrayList<>(certificates));
    }

    /**
     * Trusts every certificate in {@code dir} (files ending {@code .crt}, {@code .pem} or {@code .cer},
     * PEM or DER; other files such as private keys are ignored), so a {@code keygen} folder can serve
     * as its own trust folder. The folder and every certificate in it must pass the
     * {@link OwnerOnly} rule (belong to this user or root, not writable by others), else nothing in
     * it is trusted: a certificate another user could drop or change there would vouch for their code.
     */
    public static TrustStore fromDirectory(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new PackageException(PackageException.Reason.IO, "trust folder " + dir
                    + " does not exist or is not a folder; pass the folder that holds the signer's certificate (e.g. the keygen --out folder)");
        }
        requireSafe(dir, true);
        List<X509Certificate> certs = new ArrayList<>();
        int files = 0;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            for (Path f : ds) {
                String n = f.getFileName().toString().toLowerCase(Locale.ROOT);
                if (!(n.endsWith(".crt") || n.endsWith(".pem") || n.endsWith(".cer")) || !Files.isRegularFile(f)) {
                    continue;
                }
                requireSafe(f, false);
                if (++files > MAX_FILES || Files.size(f) > MAX_CERT_FILE) {
                    throw new PackageException(PackageException.Reason.IO, "trust folder " + dir + " has too many or too large certificate files");
                }
                try (InputStream in = Files.newInputStream(f)) {
                    for (java.security.cert.Certificate c : cf.generateCertificates(in)) {
                        certs.add((X509Certificate) c);
                    }
                } catch (CertificateException e) {
                    throw new PackageException(PackageException.Reason.IO, "trust folder " + dir + ": " + f.getFileName()
                            + " is not an X.509 certificate (" + e.getMessage() + ")", e);
                }
            }
        } catch (IOException e) {
            throw new PackageException(PackageException.Reason.IO, "cannot read trust folder " + dir + ": " + e.getMessage(), e);
        } catch (CertificateException e) {
            throw new IllegalStateException("X.509 support is missing from this Java runtime", e);
        }
        if (certs.isEmpty()) {
            throw new PackageException(PackageException.Reason.IO, "trust folder " + dir
                    + " holds no certificate (*.crt, *.pem, *.cer); copy the publisher's signer.crt there");
        }
        return new TrustStore(certs);
    }

    private static void requireSafe(Path p, boolean folder) {
        try {
            if (folder) {
                OwnerOnly.requireTrustedFolder(p, "trust folder");
            } else {
                OwnerOnly.requireTrustedFile(p, "certificate");
            }
        } catch (UnsafePathException e) {
            throw new PackageException(PackageException.Reason.UNSAFE_TRUST, e.getMessage() + "; nothing in trust folder "
                    + (folder ? p : p.getParent()) + " is trusted until this is fixed", e);
        } catch (IOException e) {
            throw new PackageException(PackageException.Reason.IO, "cannot check trust folder " + (folder ? p : p.getParent())
                    + ": " + e.getMessage(), e);
        }
    }

    /** The SHA-256 of a certificate's DER encoding, in lower-case hex: how keys with the same subject are told apart. */
    public static String fingerprint(X509Certificate cert) {
        try {
            return Sha256.hex(cert.getEncoded());
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException("cannot encode certificate " + cert.getSubjectX500Principal(), e);
        }
    }

    /** A certificate as messages show it: {@code 'CN=Acme' (SHA-256 3f9a...)}. */
    public static String describe(X509Certificate cert) {
        return "'" + cert.getSubjectX500Principal().getName() + "' (SHA-256 " + fingerprint(cert) + ")";
    }

    /** The pinned certificates as {@link #describe} shows them, comma-separated. */
    public String describe() {
        List<String> out = new ArrayList<>();
        for (X509Certificate c : certificates) {
            out.add(describe(c));
        }
        return String.join(", ", out);
    }

    public List<X509Certificate> certificates() {
        return certificates;
    }

    /** The pinned certificate whose {@link #fingerprint} is {@code sha256}, or null when none is. */
    public X509Certificate withFingerprint(String sha256) {
        return byFingerprint.get(sha256);
    }

    /** Whether {@code cert} is one of the pinned certificates. */
    public boolean trusts(X509Certificate cert) {
        return certificates.contains(cert);
    }

    @Override
    public String toString() {
        List<String> names = new ArrayList<>();
        for (X509Certificate c : certificates) {
            names.add(c.getSubjectX500Principal().getName());
        }
        return "TrustStore" + names;
    }
}
