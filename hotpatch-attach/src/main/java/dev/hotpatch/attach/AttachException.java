package dev.hotpatch.attach;

/**
 * A local JVM could not be reached, attached to, or talked to. This root type means a failure
 * (something went wrong that may work on retry); its subclasses say when the JVM is simply not
 * eligible ({@link NotSupportedException}) or not there ({@link NoSuchJvmException}).
 */
public class AttachException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public AttachException(String message) {
        super(message);
    }

    public AttachException(String message, Throwable cause) {
        super(message, cause);
    }
}
