package dev.hotpatch.node.server;

import dev.hotpatch.node.NodeException;

/** The server could not be reached or failed (5xx): the node keeps its work and tries again at the next check-in. */
public class ServerUnavailableException extends NodeException {
    private static final long serialVersionUID = 1L;

    public ServerUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
