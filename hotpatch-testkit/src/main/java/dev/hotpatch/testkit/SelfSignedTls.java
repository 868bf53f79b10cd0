package dev.hotpatch.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A self-signed TLS certificate for a test server, made by the running JDK's {@code keytool} and
 * written as PEM files the way {@code openssl} writes them: {@code cert.pem} (the certificate, which
 * clients pin) and {@code key.pem} (the PKCS#8 private key). It names {@code 127.0.0.1} and
 * {@code localhost}, so hostname verification passes for a loopback server.
 *
 * @param cert the certificate, PEM
 * @param key  the private key, PEM (PKCS#8)
 */
public record SelfSignedTls(Path cert, Path key, X509Certificate certificate) {

    /** Creates the pair in {@code dir} for subject {@code CN=cn}. */
    public static SelfSignedTls create(Path dir, String cn) {
        try {
            Files.createDirectories(dir);
            Path p12 = dir.resolve("tls.p12");
            String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
            Process p = new ProcessBuilder(List.of(keytool, "-genkeypair", "-alias", "tls", "-keyalg", "RSA", "-keysize", "2048",
                    "-sigalg", "SHA256withRSA", "-validity", "30", "-dname", "CN=" + cn, "-ext", "san=ip:127.0.0.1,dns:localhost",
                    "-keystore", p12.toString(), "-storetype", "PKCS12", "-storepass", "changeit", "-keypass", "changeit"))
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("keytool failed: " + out);
            }
            KeyStore ks = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(p12)) {
                ks.load(in, "changeit".toCharArray());
            }
            PrivateKey key = (PrivateKey) ks.getKey("tls", "changeit".toCharArray());
            X509Certificate cert = (X509Certificate) ks.getCertificate("tls");
            Path certPem = Files.writeString(dir.resolve("cert.pem"), pem("CERTIFICATE", cert.getEncoded()));
            Path keyPem = Files.writeString(dir.resolve("key.pem"), pem("PRIVATE KEY", key.getEncoded()));
            Files.delete(p12);
            return new SelfSignedTls(certPem, keyPem, cert);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
