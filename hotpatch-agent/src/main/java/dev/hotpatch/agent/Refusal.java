package dev.hotpatch.agent;

/** An operation the agent declined without changing anything; the message says why and how to fix it. */
final class Refusal extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Refusal(String message) {
        super(message);
    }

    Refusal(String message, Throwable cause) {
        super(message, cause);
    }
}
