package dev.hotpatch.node.server;

import dev.hotpatch.node.NodeException;

/**
 * The server has no such route (HTTP 404 {@code no-route}): it is older than this node. The node
 * goes on without the feature (for the long-poll: periodic check-ins only).
 */
public final class RouteMissingException extends NodeException {
    private static final long serialVersionUID = 1L;

    public RouteMissingException(String message) {
        super(message);
    }
}
