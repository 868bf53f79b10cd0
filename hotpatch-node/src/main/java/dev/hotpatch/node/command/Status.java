package dev.hotpatch.node.command;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** How a command ended; the labels are the server's. */
public enum Status {
    /** Done. */
    SUCCEEDED("succeeded"),
    /** Nothing to do: done already. */
    NOOP("noop"),
    /** The change is staged; a restart completes it. */
    PENDING_RESTART("pending_restart"),
    /** Something broke; the machine was left as it was (or put back). */
    FAILED("failed"),
    /** Declined, nothing changed: verification failed, the machine is not eligible, the agent refused. */
    REFUSED("refused"),
    /** The package is for other code than the machine runs (baseline mismatch): not an error. */
    NOT_APPLICABLE("not_applicable"),
    /**
     * The JVM did not answer within the node's deadline (it is stopped or hung): the outcome is
     * unknown, and the machine's next report shows what it runs once it answers.
     */
    TIMED_OUT("timed_out");

    private final String label;

    Status(String label) {
        this.label = label;
    }

    @JsonValue
    public String label() {
        return label;
    }

    /** Whether the command reached its goal (or had nothing to do). */
    public boolean ok() {
        return this == SUCCEEDED || this == NOOP || this == PENDING_RESTART;
    }

    @JsonCreator
    public static Status of(String label) {
        for (Status s : values()) {
            if (s.label.equalsIgnoreCase(label)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown command status '" + label + "'");
    }

    @Override
    public String toString() {
        return label;
    }
}
