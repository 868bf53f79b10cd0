package dev.hotpatch.format;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * The pinned signer certificates a reader accepts. A package is trusted when the certificate that
 * signed it is one of these, byte for byte: no chain building, so a trusted CA certificate smuggled
 * into a forged chain cannot vouch for an untrusted key. Immutable and thread-safe.
 */
public final class TrustStore {
    private static final int MAX_FILES = 1000;
    private static final long MAX_CERT_FILE = 1 << 20;

    private final List<X509Certificate> certificates;

    private TrustStore(List<X509Certificate> certificates) {
        this.certificates = Collections.unmodifiableList(new ArrayList<>(certificates));
    }

    /** Trusts exactly the given certificates. */
    public static TrustStore of(Collection<X509Certificate> certificates) {
        return new TrustStore(new ArrayList<>(certificates));
    }

    /**
     * Trusts every certificate in {@code dir} (files ending {@code .crt}, {@code .pem} or {@code .cer},
     * PEM or DER; other files such as private keys are ignored), so a {@code keygen} folder can serve
     * as its own trust folder.
     */
    public static TrustStore fromDirectory(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new PackageException(PackageException.Reason.IO, "trust folder " + dir
                    + " does not exist or is not a folder; pass the folder that holds the signer's certificate (e.g. the keygen --out folder)");
        }
        List<X509Certificate> certs = new ArrayList<>();
        int files = 0;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            for (Path f : ds) {
                String n = f.getFileName().toString().toLowerCase(Locale.ROOT);
                if (!(n.endsWith(".crt") || n.endsWith(".pem") || n.endsWith(".cer")) || !Files.isRegularFile(f)) {
                    continue;
                }
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

    public List<X509Certificate> certificates() {
        return certificates;
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
