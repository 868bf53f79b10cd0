package dev.hotpatch.format;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The signing keys the tests of this module share: a trusted publisher, an RSA publisher, and a
 * stranger the trust folder does not know. keytool takes about a second per key (RSA longer), so
 * each is made once per test JVM, when first asked for, in a temporary folder removed at exit.
 * Thread-safe.
 */
final class TestKeys {
    private static Path root;
    private static SigningKey publisher;
    private static SigningKey stranger;
    private static SigningKey rsaPublisher;

    private TestKeys() {
    }

    /**
     * Key folder of the trusted publisher ({@code CN=Test Publisher}, an {@link SigningKey.Type#EC}
     * key: new keys are RSA by default, and {@link #rsaPublisher()} covers that type); doubles as the
     * trust folder.
     */
    static synchronized Path publisherDir() {
        if (publisher == null) {
            publisher = SigningKey.generate(root().resolve("publisher"), "CN=Test Publisher", SigningKey.Type.EC);
        }
        return root().resolve("publisher");
    }

    static synchronized SigningKey publisher() {
        publisherDir();
        return publisher;
    }

    /** Key folder of a publisher nobody trusts ({@code CN=Stranger}). */
    static synchronized Path strangerDir() {
        if (stranger == null) {
            stranger = SigningKey.generate(root().resolve("stranger"), "CN=Stranger");
        }
        return root().resolve("stranger");
    }

    static synchronized SigningKey stranger() {
        strangerDir();
        return stranger;
    }

    /**
     * A publisher whose key is {@link SigningKey.Type#RSA} ({@code CN=RSA Publisher}); no trust
     * folder holds it, so tests that trust it pin it with {@link TrustStore#of}.
     */
    static synchronized SigningKey rsaPublisher() {
        if (rsaPublisher == null) {
            rsaPublisher = SigningKey.generate(root().resolve("rsa-publisher"), "CN=RSA Publisher", SigningKey.Type.RSA);
        }
        return rsaPublisher;
    }

    /** A trust folder that pins only the publisher's certificate. */
    static TrustStore trustPublisher() {
        return TrustStore.fromDirectory(publisherDir());
    }

    private static Path root() {
        if (root == null) {
            try {
                root = Files.createTempDirectory("hotpatch-format-keys");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Path dir = root;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir)));
        }
        return root;
    }

    static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // Best effort: the folder lives under the system temp directory.
        }
    }
}
