package dev.hotpatch.cli;

import dev.hotpatch.node.Node;
import dev.hotpatch.node.NodeOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

/**
 * A real node daemon in this JVM for one test: enrolled with a one-time token, managing only the
 * machines named in its config, trusting one publisher, checking in every half second on its own
 * thread until closed.
 */
final class TestNode implements AutoCloseable {
    private final Node node;
    private final Thread thread;

    private TestNode(Node node) {
        this.node = node;
        this.thread = new Thread(node::runForever, "test-node");
        thread.setDaemon(true);
        thread.start();
    }

    static TestNode start(CliServer server, Path dir, Path trust, List<String> machines) {
        return new TestNode(Node.fromOptions(NodeOptions.server(URI.create(server.url), server.enrollmentToken())
                .withConfig(config(dir, trust, machines)).withDataDir(dir.resolve("node-data")).withInterval(Duration.ofMillis(500))));
    }

    /** A node with a config file of the test's own (written with {@link #config} and more lines, say). */
    static TestNode start(CliServer server, Path dir, Path config) {
        return new TestNode(Node.fromOptions(NodeOptions.server(URI.create(server.url), server.enrollmentToken())
                .withConfig(config).withDataDir(dir.resolve("node-data")).withInterval(Duration.ofMillis(500))));
    }

    /** A node enrolled with {@code token} at the server at {@code url} (any server, not only the CLI's), with a config file of the test's own. */
    static TestNode start(URI url, String token, Path dir, Path config) {
        return new TestNode(Node.fromOptions(NodeOptions.server(url, token).withConfig(config).withDataDir(dir.resolve("node-data"))
                .withInterval(Duration.ofMillis(500))));
    }

    /** The config file: manage only {@code machines}, trust {@code trust}, Paris time. */
    static Path config(Path dir, Path trust, List<String> machines) {
        StringBuilder b = new StringBuilder("node.name = node-" + UUID.randomUUID().toString().substring(0, 6) + "\n"
                + "node.manage = configured\n"
                + "node.trust = " + trust + "\n");
        for (String m : machines) {
            b.append("machine.").append(m).append(".timeZone = Europe/Paris\n");
            b.append("machine.").append(m).append(".region = eu-west\n");
        }
        try {
            Files.createDirectories(dir);
            return Files.writeString(dir.resolve("node.properties"), b.toString(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        node.close();
        try {
            thread.join(Duration.ofSeconds(30).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
