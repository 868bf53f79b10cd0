package dev.hotpatch.cli;

import dev.hotpatch.format.TrustStore;
import dev.hotpatch.format.SigningKey;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code hotpatch keygen}: creates a publisher signing key and its certificate. */
@Command(name = "keygen", description = {
        "Create a publisher signing key and certificate.",
        "Writes a key (RSA-3072, or EC P-256 with --key-type ec) and a self-signed certificate to a new or empty folder. The folder gets signing.p12 and " +
                "signing.password (owner-only: keep them private) and signer.crt, the certificate that JVMs and verifiers pin: " +
                "put it in their --trust folder."})
final class KeygenCommand extends HotpatchCommand {
    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Folder for the new key; must be new or empty.")
    Path out;

    @Option(names = "--subject", paramLabel = "X500",
            description = "Certificate subject, e.g. \"CN=Acme Security, O=Acme\" (default: 'CN=Hotpatch Publisher' with this"
                    + " user@host, the date and a random tag, so that keys can be told apart).")
    String subject;

    @Option(names = "--key-type", paramLabel = "TYPE", defaultValue = "rsa",
            description = "rsa (RSA-3072, the default) or ec (EC P-256). Both are 128-bit strong; an EC signature costs the"
                    + " patched JVM about twice the CPU of an RSA one to check, inside every apply (docs/performance.md).")
    String keyType;

    @Override
    public Integer call() throws IOException {
        SigningKey.Type type = switch (keyType.toLowerCase(java.util.Locale.ROOT)) {
            case "ec" -> SigningKey.Type.EC;
            case "rsa" -> SigningKey.Type.RSA;
            default -> throw usage("--key-type '" + keyType + "' is not a key type; use ec (EC P-256) or rsa (RSA-3072)");
        };
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw usage("--out " + out + " is a file; name a new or empty folder");
        }
        if (Files.isDirectory(out)) {
            try (Stream<Path> s = Files.list(out)) {
                if (s.findAny().isPresent()) {
                    throw usage("--out " + out + " is not empty; keygen never overwrites a key: name a new or empty folder");
                }
            }
        }
        if (subject == null) {
            subject = defaultSubject();
        }
        if (!subject.matches("(?i)\\s*[a-z]+\\s*=.+")) {
            throw usage("--subject '" + subject + "' is not an X.500 name such as \"CN=Acme Security, O=Acme\"");
        }
        Path dir = out.toAbsolutePath().normalize();
        SigningKey key = SigningKey.generate(dir, subject, type);
        String fingerprint = fingerprint(key);
        Path cert = dir.resolve(SigningKey.CERTIFICATE);
        if (json()) {
            printJson(Json.status("ok").put("folder", dir.toString()).put("subject", key.certificate().getSubjectX500Principal().getName())
                    .put("keyType", key.keyDescription()).put("certificate", cert.toString()).put("fingerprintSha256", fingerprint)
                    .put("notAfter", key.certificate().getNotAfter().toInstant().toString()));
        } else {
            out().println("Created a signing key in " + dir);
            out().println("  subject      " + key.certificate().getSubjectX500Principal().getName());
            out().println("  key          " + key.keyDescription());
            out().println("  certificate  " + cert);
            out().println("  SHA-256      " + fingerprint);
            out().println("Keep signing.p12 and signing.password private. JVMs and verifiers trust this publisher");
            out().println("when " + SigningKey.CERTIFICATE + " is in their --trust folder.");
        }
        return ExitPolicy.OK;
    }

    static String fingerprint(SigningKey key) {
        return TrustStore.fingerprint(key.certificate());
    }

    /** {@code CN=Hotpatch Publisher root@build-01 2026-12-05 3f9a2c}: who made it, when, and a random tag. */
    static String defaultSubject() {
        String user = System.getProperty("user.name", "user");
        String host;
        try {
            host = java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            host = "localhost";
        }
        byte[] tag = new byte[3];
        new java.security.SecureRandom().nextBytes(tag);
        return "CN=Hotpatch Publisher " + safe(user) + "@" + safe(host) + " " + java.time.LocalDate.now(java.time.ZoneOffset.UTC)
                + " " + java.util.HexFormat.of().formatHex(tag);
    }

    /** Keeps the characters an X.500 name takes without escaping. */
    private static String safe(String s) {
        String t = s.replaceAll("[^A-Za-z0-9._-]", "_");
        return t.isEmpty() ? "_" : t;
    }
}
