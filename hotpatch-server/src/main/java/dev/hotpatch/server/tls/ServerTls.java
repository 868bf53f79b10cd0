package dev.hotpatch.server.tls;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * The server's HTTPS identity: a certificate chain and its private key read from PEM files (as
 * {@code openssl} and ACME clients write them), checked to belong together, and the Jetty connector
 * that serves the API over TLS 1.2+ with them. With it the server listens on HTTPS only. Immutable.
 */
public final class ServerTls {
    private static final Pattern PEM = Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");
    private static final char[] PASSWORD = "hotpatch".toCharArray();

    private final KeyStore keyStore;
    private final X509Certificate certificate;

    private ServerTls(KeyStore keyStore, X509Certificate certificate) {
        this.keyStore = keyStore;
        this.certificate = certificate;
    }

    /**
     * Reads the certificate chain (server certificate first) and its unencrypted private key
     * (PKCS#8 {@code PRIVATE KEY}, or PKCS#1 {@code RSA PRIVATE KEY}).
     *
     * @throws IllegalArgumentException naming the file and how to fix it
     */
    public static ServerTls load(Path certFile, Path keyFile) {
        List<X509Certificate> chain = new ArrayList<>();
        try {
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(read(certFile, "--tls-cert")))) {
                chain.add((X509Certificate) c);
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("--tls-cert " + certFile + " holds no readable X.509 certificate (" + e.getMessage()
                    + "); give the PEM file with the server certificate first, then its chain");
        }
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("--tls-cert " + certFile + " holds no certificate; give a PEM file (-----BEGIN CERTIFICATE-----)");
        }
        PrivateKey key = privateKey(keyFile);
        checkPair(chain.get(0), key, certFile, keyFile);
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("server", key, PASSWORD, chain.toArray(new Certificate[0]));
            return new ServerTls(ks, chain.get(0));
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot hold the TLS key in memory: " + e.getMessage(), e);
        }
    }

    /** The HTTPS connector on {@code host}:{@code port} for a Javalin/Jetty server. */
    public ServerConnector connector(Server server, HttpConfiguration http, String host, int port) {
        SslContextFactory.Server ssl = new SslContextFactory.Server();
        ssl.setKeyStore(keyStore);
        ssl.setKeyStorePassword(new String(PASSWORD));
        ssl.setKeyManagerPassword(new String(PASSWORD));
        ssl.setIncludeProtocols("TLSv1.3", "TLSv1.2");
        HttpConfiguration https = new HttpConfiguration(http);
        https.addCustomizer(new SecureRequestCustomizer(false));
        ServerConnector c = new ServerConnector(server, new SslConnectionFactory(ssl, "http/1.1"), new HttpConnectionFactory(https));
        c.setHost(host);
        c.setPort(port);
        return c;
    }

    /** The server certificate (what clients pin with --tls-ca). */
    public X509Certificate certificate() {
        return certificate;
    }

    private static PrivateKey privateKey(Path file) {
        String text = new String(read(file, "--tls-key"), StandardCharsets.US_ASCII);
        Matcher m = PEM.matcher(text);
        while (m.find()) {
            String type = m.group(1);
            byte[] der = Base64.getMimeDecoder().decode(m.group(2));
            switch (type) {
                case "PRIVATE KEY":
                    return pkcs8(der, file);
                case "RSA PRIVATE KEY":
                    return pkcs8(wrapPkcs1(der), file);
                case "ENCRYPTED PRIVATE KEY":
                    throw new IllegalArgumentException("--tls-key " + file + " is encrypted; give the server an unencrypted key readable by"
                            + " its user only (openssl pkcs8 -in " + file + " -out server.key, then chmod 600 server.key)");
                case "EC PRIVATE KEY":
                    throw new IllegalArgumentException("--tls-key " + file + " is an EC key in SEC1 form; convert it to PKCS#8 with"
                            + " 'openssl pkcs8 -topk8 -nocrypt -in " + file + " -out server.key'");
                default:
                    // Parameters or certificates in the same file: look further.
            }
        }
        throw new IllegalArgumentException("--tls-key " + file + " holds no private key; give the PEM file with -----BEGIN PRIVATE KEY-----");
    }

    private static PrivateKey pkcs8(byte[] der, Path file) {
        for (String alg : List.of("RSA", "EC", "Ed25519", "RSASSA-PSS")) {
            try {
                return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                // Not this algorithm; try the next.
            }
        }
        throw new IllegalArgumentException("--tls-key " + file + " is not an RSA, EC or Ed25519 private key this Java runtime can read");
    }

    /** A PKCS#1 RSAPrivateKey wrapped as PKCS#8: SEQUENCE { 0, SEQUENCE { rsaEncryption, NULL }, OCTET STRING pkcs1 }. */
    private static byte[] wrapPkcs1(byte[] pkcs1) {
        byte[] version = {0x02, 0x01, 0x00};
        byte[] algorithm = {0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};
        byte[] octets = tlv(0x04, pkcs1);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(version);
        body.writeBytes(algorithm);
        body.writeBytes(octets);
        return tlv(0x30, body.toByteArray());
    }

    private static byte[] tlv(int tag, byte[] value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(tag);
        int n = value.length;
        if (n < 0x80) {
            out.write(n);
        } else {
            int bytes = n > 0xffffff ? 4 : n > 0xffff ? 3 : n > 0xff ? 2 : 1;
            out.write(0x80 | bytes);
            for (int i = bytes - 1; i >= 0; i--) {
                out.write((n >> (8 * i)) & 0xff);
            }
        }
        out.writeBytes(value);
        return out.toByteArray();
    }

    private static void checkPair(X509Certificate cert, PrivateKey key, Path certFile, Path keyFile) {
        try {
            String alg = switch (key.getAlgorithm()) {
                case "RSA", "RSASSA-PSS" -> "SHA256withRSA";
                case "EC" -> "SHA256withECDSA";
                default -> key.getAlgorithm();
            };
            byte[] probe = "hotpatch tls key check".getBytes(StandardCharsets.US_ASCII);
            Signature s = Signature.getInstance(alg);
            s.initSign(key);
            s.update(probe);
            byte[] sig = s.sign();
            Signature v = Signature.getInstance(alg);
            v.initVerify(cert.getPublicKey());
            v.update(probe);
            if (v.verify(sig)) {
                return;
            }
        } catch (GeneralSecurityException e) {
            // Different algorithms: certainly not a pair.
        }
        throw new IllegalArgumentException("--tls-key " + keyFile + " is not the private key of the certificate in --tls-cert " + certFile
                + " (" + cert.getSubjectX500Principal().getName() + "); give the key that was issued with it");
    }

    private static byte[] read(Path file, String option) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IllegalArgumentException(option + " " + file + " cannot be read: " + e.getMessage());
        }
    }
}
