package dev.hotpatch.node;

/**
 * The server refused this node's enrollment token or credential (used, expired, unknown or
 * revoked). Retrying cannot help, so the daemon stops with this message instead of running on
 * and logging the same refusal at every check-in; the message says which token and what to do.
 */
public final class NodeRefusedException extends NodeException {
    private static final long serialVersionUID = 1L;

    public NodeRefusedException(String message) {
        super(message);
    }
}
