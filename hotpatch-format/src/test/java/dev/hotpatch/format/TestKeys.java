package dev.hotpatch.format;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The signing keys the tests of this module share: a trusted publisher and a stranger the trust
 * folder does not know. keytool takes about a second per key, so each is made once per test JVM in
 * a temporary folder removed at exit. Thread-safe.
 */
final class TestKeys {
    private static Path root;
    private static SigningKey publisher;
    private static SigningKey stranger;

    private TestKeys() {
    }

    /** Key folder of the trusted publisher ({@code CN=Test Publisher}); doubles as the trust folder. */
    static synchronized Path publisherDir() {
        if (publisher == null) {
            publisher = SigningKey.generate(root().resolve("publisher"), "CN=Test Publisher");
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
