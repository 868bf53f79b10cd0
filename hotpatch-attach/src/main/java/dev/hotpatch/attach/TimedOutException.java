package dev.hotpatch.attach;

import java.time.Duration;

/**
 * A local JVM did not answer within the deadline of a step (attach, reading its properties,
 * loading the agent, a request to the agent), or it is stopped ({@code kill -STOP}, a debugger) and
 * cannot answer at all. A failure that may go away when the JVM runs again; the message says which
 * step and how long was waited. What the target does with a request that was already sent is not
 * known (a change is all or nothing in the agent, so the JVM is never half-patched): ask it again
 * with {@code hotpatch list} once it answers.
 */
public class TimedOutException extends AttachException {
    private static final long serialVersionUID = 1L;

    private final long pid;

    public TimedOutException(long pid, String message) {
        super(message);
        this.pid = pid;
    }

    /** A step that did not end within {@code timeout}. */
    static TimedOutException after(long pid, String step, Duration timeout) {
        return new TimedOutException(pid, "timed out: JVM " + pid + " did not answer " + step + " within " + seconds(timeout)
                + "; it may be stopped (kill -STOP), hung or very busy. Check it (jcmd " + pid + " Thread.print) and retry,"
                + " or wait longer with --timeout");
    }

    /** A JVM in the stopped state, to which nothing is sent. */
    static TimedOutException stopped(long pid) {
        return new TimedOutException(pid, "timed out: JVM " + pid + " is stopped (process state T: kill -STOP or a debugger)"
                + " and cannot answer; nothing was sent to it. Resume it with 'kill -CONT " + pid + "' and retry");
    }

    /**
     * A JVM that stopped (and stayed stopped) while a request to its agent was under way: the
     * request may have reached it, and a change is done all or nothing when it runs again.
     */
    static TimedOutException stoppedDuring(long pid, String request) {
        return new TimedOutException(pid, "timed out: JVM " + pid + " is stopped (process state T: kill -STOP or a debugger)"
                + " and stopped answering " + request + ", which may have reached it: a change is done all or nothing when the"
                + " JVM runs again. Resume it with 'kill -CONT " + pid + "', then see what it did with 'hotpatch list --pid "
                + pid + "' before retrying");
    }

    public long pid() {
        return pid;
    }

    static String seconds(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? (ms / 1000) + " s" : String.format(java.util.Locale.ROOT, "%.1f s", ms / 1000.0);
    }
}
