package dev.hotpatch.node.server;

import dev.hotpatch.node.NodeException;
import dev.hotpatch.node.internal.Json;
import dev.hotpatch.node.internal.PrivateFiles;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The node's credential for its server, kept in {@code <data>/credential.json}, owner-only
 * ({@code rw-------}, in an owner-only folder). Enrollment writes it once; later runs reuse it, so
 * the one-time enrollment token is needed only the first time. Not thread-safe.
 */
public final class Credentials {
    private final Path file;

    /** A stored credential and the server it is for. */
    public record Stored(String server, String nodeId, String credential) {
    }

    public Credentials(Path dataDir) {
        this.file = dataDir.resolve("credential.json");
    }

    /** The credential stored for {@code server}, if any. */
    public Optional<Stored> forServer(URI server) {
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            Stored s = Json.MAPPER.readValue(file.toFile(), Stored.class);
            return same(s.server(), server.toString()) ? Optional.of(s) : Optional.empty();
        } catch (IOException e) {
            throw new NodeException("the node credential file " + file + " is unreadable (" + e.getMessage()
                    + "); delete it and enroll again with a new --token", e);
        }
    }

    /** Stores the credential owner-only, replacing any earlier one. */
    public void store(Stored s) {
        try {
            PrivateFiles.folder(file.getParent());
            PrivateFiles.write(file, Json.bytes(s));
        } catch (IOException e) {
            throw new NodeException("cannot store the node credential in " + file + ": " + e.getMessage(), e);
        }
    }

    public Path file() {
        return file;
    }

    private static boolean same(String a, String b) {
        return strip(a).equals(strip(b));
    }

    private static String strip(String s) {
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }
}
