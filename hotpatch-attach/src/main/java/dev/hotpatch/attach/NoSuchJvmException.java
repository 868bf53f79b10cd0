package dev.hotpatch.attach;

/** There is no local JVM with the given process id (no such process, or it is not a JVM). */
public class NoSuchJvmException extends AttachException {
    private static final long serialVersionUID = 1L;

    private final long pid;

    public NoSuchJvmException(long pid, String message) {
        super(message);
        this.pid = pid;
    }

    public long pid() {
        return pid;
    }
}
