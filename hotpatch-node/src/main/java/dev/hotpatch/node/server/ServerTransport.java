package dev.hotpatch.node.server;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import java.util.Locale;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;

/**
 * How a node or the CLI reaches a Hotpatch server safely: over {@code https://}, verifying the
 * server's certificate against the system's CAs or, with a CA file, against exactly the
 * certificates in it (a private CA, or the server's own self-signed certificate pinned); and never
 * over plain {@code http://} to anything but this host unless the user says {@code --insecure},
 * since a credential and the code the node installs would cross the network in clear. Stateless.
 */
public final class ServerTransport {
    private ServerTransport() {
    }

    /**
     * Refuses a plain {@code http://} URL whose host is not this machine's loopback, unless
     * {@code insecure}.
     *
     * @throws IllegalArgumentException with the reason and the ways out
     */
    public static void check(URI server, boolean insecure, String option) {
        String scheme = server.getScheme() == null ? "" : server.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") || insecure || isLoopback(server.getHost())) {
            return;
        }
        throw new IllegalArgumentException(option + " " + server + " is plain http:// to another host: the credential and the"
                + " packages and jars the node installs would cross the network unprotected; use https:// (start the server with"
                + " --tls-cert and --tls-key, or put a TLS proxy in front of it), or pass --insecure if the network is trusted"
                + " (e.g. a service mesh that encrypts)");
    }

    /** Whether {@code host} is this machine: {@code localhost}, or a name or address that resolves only to loopback addresses. */
    public static boolean isLoopback(String host) {
        if (host == null || host.isEmpty()) {
            return false;
        }
        if (host.equalsIgnoreCase("localhost")) {
            return true;
        }
        try {
            InetAddress[] all = InetAddress.getAllByName(host.startsWith("[") ? host.substring(1, host.length() - 1) : host);
            for (InetAddress a : all) {
                if (!a.isLoopbackAddress()) {
                    return false;
                }
            }
            return all.length > 0;
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /**
     * The TLS context for verifying the server: the system default when {@code caFile} is null,
     * else one trusting exactly the PEM or DER certificates in {@code caFile}.
     *
     * @throws IllegalArgumentException when the file holds no certificate
     */
    public static SSLContext sslContext(Path caFile) {
        try {
            if (caFile == null) {
                return SSLContext.getDefault();
            }
            Collection<? extends Certificate> certs;
            try (InputStream in = Files.newInputStream(caFile)) {
                certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
            } catch (IOException | GeneralSecurityException e) {
                throw new IllegalArgumentException("--tls-ca " + caFile + " cannot be read as certificates: " + e.getMessage());
            }
            if (certs.isEmpty()) {
                throw new IllegalArgumentException("--tls-ca " + caFile + " holds no certificate; give the PEM file of the server's"
                        + " certificate or of the CA that issued it");
            }
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            int i = 0;
            for (Certificate c : certs) {
                ks.setCertificateEntry("ca-" + i++, c);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot set up TLS: " + e.getMessage(), e);
        }
    }

    /** A sentence for a failed TLS handshake, saying how to make the server's certificate trusted; null for other failures. */
    public static String explain(Throwable e, URI server) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SSLHandshakeException) {
                return "the TLS handshake with " + server + " failed (" + t.getMessage() + "): its certificate is not trusted here or"
                        + " does not name that host; pass --tls-ca FILE with the server's certificate or its CA's (PEM)";
            }
        }
        return null;
    }
}
