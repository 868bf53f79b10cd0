package dev.hotpatch.attach;

/**
 * The JVM cannot be hotpatched as it runs (attach disabled, Java too old for the agent channel,
 * dynamic agent loading disabled, owned by another user, ...): a refusal, not a failure. The
 * message gives the reason and how to make the JVM eligible. Nothing was changed in the target.
 */
public class NotSupportedException extends AttachException {
    private static final long serialVersionUID = 1L;

    private final long pid;
    private final String reason;

    public NotSupportedException(long pid, String reason) {
        super("JVM " + pid + " cannot be hotpatched: " + reason);
        this.pid = pid;
        this.reason = reason;
    }

    public long pid() {
        return pid;
    }

    /** The reason alone, as {@link JvmInfo#reason()} shows it. */
    public String reason() {
        return reason;
    }
}
