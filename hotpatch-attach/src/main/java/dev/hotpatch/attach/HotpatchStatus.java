package dev.hotpatch.attach;

/** Whether a JVM can receive hotpatches, as Azure Hotpatch reports it per VM. */
public enum HotpatchStatus {
    /** The agent is present, or can be loaded: hotpatches can be installed. */
    ENABLED("Enabled"),
    /** Eligible, but hotpatching was turned off for it. */
    DISABLED("Disabled"),
    /** The JVM cannot host the agent as it runs; the reason says why and what to change. */
    NOT_SUPPORTED("NotSupported"),
    /** Not evaluated yet: the JVM is stopped or did not answer in time (the reason says which). */
    PENDING_EVALUATION("PendingEvaluation"),
    /** Eligible once something is done, e.g. a baseline restart is owed. */
    ACTION_REQUIRED("ActionRequired");

    private final String label;

    HotpatchStatus(String label) {
        this.label = label;
    }

    /** The name shown to operators, e.g. {@code NotSupported}. */
    public String label() {
        return label;
    }

    @Override
    public String toString() {
        return label;
    }
}
