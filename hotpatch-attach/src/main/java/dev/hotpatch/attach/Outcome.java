package dev.hotpatch.attach;

import dev.hotpatch.format.channel.Message;

/** How the agent answered a request that changes the JVM. */
public enum Outcome {
    /** Done. */
    OK("ok"),
    /** Nothing to do: the hotpatch is installed already. */
    NOOP("noop"),
    /** Declined, and nothing changed: verification failed, a class did not match, or the JVM refused the redefinition. */
    REFUSED("refused"),
    /** The agent hit a bug; the message says what. Nothing changed (the agent applies all or nothing). */
    FAILED("failed");

    private final String wire;

    Outcome(String wire) {
        this.wire = wire;
    }

    /** The name on the channel and in JSON output, e.g. {@code noop}. */
    public String label() {
        return wire;
    }

    static Outcome of(Message reply) {
        String status = reply.get("status", "");
        for (Outcome o : values()) {
            if (o.wire.equals(status)) {
                return o;
            }
        }
        throw new AttachException("the agent answered with an unknown status '" + status + "': " + reply);
    }

    @Override
    public String toString() {
        return wire;
    }
}
