package dev.hotpatch.node;

/**
 * The node daemon could not do what it was asked. This root type is a failure (exit code 1 at the
 * command line: something broke that may work on retry); {@link ConfigException} is bad input
 * (exit code 2). The message says what happened and how to fix it.
 */
public class NodeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public NodeException(String message) {
        super(message);
    }

    public NodeException(String message, Throwable cause) {
        super(message, cause);
    }
}
