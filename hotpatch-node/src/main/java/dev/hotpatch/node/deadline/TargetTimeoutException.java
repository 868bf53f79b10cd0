package dev.hotpatch.node.deadline;

import dev.hotpatch.node.NodeException;

/**
 * A target JVM did not answer within the node's deadline, or has not yet answered an earlier
 * request that ran out of time (then nothing was sent to it this time). The message says what was
 * asked, how long the node waited, and the process's state (stopped, busy…).
 */
public final class TargetTimeoutException extends NodeException {
    private static final long serialVersionUID = 1L;

    private final long pid;
    private final boolean sent;

    TargetTimeoutException(long pid, boolean sent, String message) {
        super(message);
        this.pid = pid;
        this.sent = sent;
    }

    /** The JVM's process id. */
    public long pid() {
        return pid;
    }

    /**
     * Whether this request reached the JVM (it may still complete there later) or was not sent
     * because an earlier one is still unanswered.
     */
    public boolean sent() {
        return sent;
    }
}
