package dev.hotpatch.node.command;

import dev.hotpatch.format.Sha256;
import dev.hotpatch.node.NodeException;
import dev.hotpatch.node.internal.PrivateFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The downloads job: fetches a command's files and checks each against the SHA-256 the command names. Stateless; thread-safe. */
final class Fetcher {
    private final Downloads downloads;

    Fetcher(Downloads downloads) {
        this.downloads = downloads;
    }

    /** Where files come from (the server, or local paths in standalone mode). */
    Downloads downloads() {
        return downloads;
    }

    /**
     * Downloads {@code a} to {@code target} and checks its SHA-256; returns what is wrong, or null.
     * A file that does not match is deleted.
     */
    String fetchVerified(Artifact a, Path target) {
        try {
            Path tmp = PrivateFiles.createTemp(target.toAbsolutePath().getParent(), ".download-");
            try {
                downloads.fetch(a.source(), tmp);
                String sha = Sha256.hex(tmp);
                if (a.sha256() != null && !a.sha256().equalsIgnoreCase(sha)) {
                    return a.fileName() + " from " + a.source() + " has SHA-256 " + sha + ", not the expected " + a.sha256()
                            + "; it was damaged or tampered with in transit and was discarded";
                }
                PrivateFiles.move(tmp, target);
                return null;
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new NodeException("cannot download " + a.fileName() + " from " + a.source() + ": " + e.getMessage(), e);
        }
    }
}
