package dev.hotpatch.node.command;

import java.net.URI;

/**
 * A file a command needs: a hotpatch package or a baseline jar.
 *
 * @param fileName its name, e.g. {@code fees-app-1.1.jar}
 * @param sha256   the SHA-256 it must have; the node refuses a download with any other
 * @param source   where to get it: the server's download URL, or a {@code file:} URI (standalone)
 */
public record Artifact(String fileName, String sha256, URI source) {
}
