package dev.hotpatch.format;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A publisher's signing key and certificate, kept in a key folder:
 * {@code signing.p12} (PKCS#12, owner-only), {@code signing.password} (owner-only) and
 * {@code signer.crt} (the public certificate that verifiers pin). Immutable.
 */
public final class SigningKey {
    static final String KEYSTORE = "signing.p12";
    static final String PASSWORD = "signing.password";
    /** File name of the public certificate inside a key folder. */
    public static final String CERTIFICATE = "signer.crt";
    private static final String ALIAS = "hotpatch";

    /**
     * The kinds of key {@link #generate} makes. Packages signed with either are verified by the same
     * code; they differ in what verification costs inside the patched JVM, where it runs in every
     * apply (docs/performance.md, verify-cost): a whole package check with an RSA-3072 key costs
     * 0.9-2.1 ms of CPU on JDK 17 once a JVM has checked ten, with EC P-256 2.1-5.1 ms.
     */
    public enum Type {
        /** EC P-256 with SHA-256: small keys and signatures, about twice the CPU per package check. */
        EC("EC P-256", "-keyalg", "EC", "-groupname", "secp256r1", "-sigalg", "SHA256withECDSA"),
        /** RSA-3072 with SHA-256: the same strength (128 bits), cheaper to verify, slower to generate; the default. */
        RSA("RSA-3072", "-keyalg", "RSA", "-keysize", "3072", "-sigalg", "SHA256withRSA");

        private final String label;
        private final List<String> keytoolArgs;

        Type(String label, String... keytoolArgs) {
            this.label = label;
            this.keytoolArgs = List.of(keytoolArgs);
        }

        /** How people name it, e.g. {@code EC P-256}. */
        public String label() {
            return label;
        }
    }

    private final PrivateKey privateKey;
    private final List<X509Certificate> chain;

    private SigningKey(PrivateKey privateKey, List<X509Certificate> chain) {
        this.privateKey = privateKey;
        this.chain = chain;
    }

    /** Loads the key that {@link #generate} wrote in {@code dir}. */
    public static SigningKey load(Path dir) {
        Path ks = dir.resolve(KEYSTORE);
        Path pw = dir.resolve(PASSWORD);
        if (!Files.isRegularFile(ks) || !Files.isRegularFile(pw)) {
            throw new PackageException(PackageException.Reason.IO, "no signing key in " + dir
                    + " (expected " + KEYSTORE + " and " + PASSWORD + "); create one with 'hotpatch keygen --out " + dir + "'");
        }
        try (InputStream in = Files.newInputStream(ks)) {
            char[] password = new String(Files.readAllBytes(pw), StandardCharsets.UTF_8).trim().toCharArray();
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(in, password);
            PrivateKey key = (PrivateKey) store.getKey(ALIAS, password);
            Certificate[] certs = store.getCertificateChain(ALIAS);
            if (key == null || certs == null) {
                throw new PackageException(PackageException.Reason.IO, ks + " has no key entry named '" + ALIAS + "'");
            }
            List<X509Certificate> chain = new ArrayList<>();
            for (Certificate c : certs) {
                chain.add((X509Certificate) c);
            }
            return new SigningKey(key, chain);
        } catch (IOException | GeneralSecurityException e) {
            throw new PackageException(PackageException.Reason.IO, "cannot load signing key from " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Creates a new {@link Type#RSA} key: see {@link #generate(Path, String, Type)}. */
    public static SigningKey generate(Path keyDir, String subject) {
        return generate(keyDir, subject, Type.RSA);
    }

    /**
     * Creates a new key of {@code type} and a self-signed certificate for {@code subject} (an X.500
     * name such as {@code CN=Acme Security}) in {@code dir}, which is created owner-only if missing.
     * Refuses to overwrite an existing key. Uses the running JDK's own {@code keytool}.
     */
    public static SigningKey generate(Path keyDir, String subject, Type type) {
        Path dir = keyDir.toAbsolutePath();
        Path ks = dir.resolve(KEYSTORE);
        if (Files.exists(ks)) {
            throw new PackageException(PackageException.Reason.IO, new FileAlreadyExistsException(ks.toString()).getMessage()
                    + ": a signing key already exists there; choose another --out folder or delete the old key first");
        }
        try {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir);
            }
            restrict(dir, "rwx------");
            byte[] raw = new byte[24];
            new SecureRandom().nextBytes(raw);
            String password = Sha256.hex(raw).substring(0, 40);
            Path pw = dir.resolve(PASSWORD);
            Files.write(pw, password.getBytes(StandardCharsets.UTF_8));
            restrict(pw, "rw-------");
            String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
            List<String> cmd = new ArrayList<>(List.of(keytool, "-genkeypair", "-alias", ALIAS));
            cmd.addAll(type.keytoolArgs);
            cmd.addAll(List.of("-validity", "3650", "-dname", subject,
                    "-keystore", ks.toString(), "-storetype", "PKCS12", "-storepass", password, "-keypass", password));
            run(dir, cmd.toArray(String[]::new));
            restrict(ks, "rw-------");
            SigningKey key = load(dir);
            Path cert = dir.resolve(CERTIFICATE);
            Files.write(cert, key.certificatePem().getBytes(StandardCharsets.US_ASCII));
            // Readable by all (it is public), writable by the owner only: trust folders refuse anything else.
            restrict(cert, "rw-r--r--");
            return key;
        } catch (IOException e) {
            throw new PackageException(PackageException.Reason.IO, "cannot create signing key in " + dir + ": " + e.getMessage(), e);
        }
    }

    private static void run(Path dir, String... cmd) throws IOException {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out;
        try (InputStream in = p.getInputStream()) {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException("keytool failed: " + out.trim());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running keytool", e);
        }
    }

    private static void restrict(Path p, String perms) throws IOException {
        try {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(perms));
        } catch (UnsupportedOperationException e) {
            // Not a POSIX file system: rely on the folder's inherited access control.
        }
    }

    PrivateKey privateKey() {
        return privateKey;
    }

    /** Signer certificate first, then any chain. */
    public List<X509Certificate> chain() {
        return chain;
    }

    /** The certificate's key type and size as people name it: {@code EC P-256}, {@code RSA-3072}. */
    public String keyDescription() {
        java.security.PublicKey k = certificate().getPublicKey();
        if (k instanceof java.security.interfaces.RSAPublicKey) {
            return "RSA-" + ((java.security.interfaces.RSAPublicKey) k).getModulus().bitLength();
        }
        if (k instanceof java.security.interfaces.ECPublicKey) {
            return "EC P-" + ((java.security.interfaces.ECPublicKey) k).getParams().getCurve().getField().getFieldSize();
        }
        return k.getAlgorithm();
    }

    public X509Certificate certificate() {
        return chain.get(0);
    }

    /** The signer certificate in PEM form, as written to {@code signer.crt}. */
    public String certificatePem() {
        try {
            String b64 = java.util.Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                    .encodeToString(certificate().getEncoded());
            return "-----BEGIN CERTIFICATE-----\n" + b64 + "\n-----END CERTIFICATE-----\n";
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }


    @Override
    public String toString() {
        return "SigningKey[" + certificate().getSubjectX500Principal().getName() + "]";
    }

}
