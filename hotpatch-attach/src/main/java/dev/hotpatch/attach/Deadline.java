package dev.hotpatch.attach;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs one blocking step against a target JVM with a deadline. The JDK's attach API has none for
 * most steps: a stopped JVM accepts the connection (the kernel queues it) and never answers, so
 * the caller would wait forever. The step runs on its own daemon thread; when the deadline passes,
 * the caller gets a {@link TimedOutException} and the thread is left to end when the target answers
 * or the process exits (it holds nothing but its socket). Stateless.
 */
final class Deadline {
    private Deadline() {
    }

    /** A step's work; may throw whatever the attach API throws. */
    interface Step<T> {
        T run() throws Exception;
    }

    /**
     * Runs {@code step} and returns its result, or throws what it threw, or a
     * {@link TimedOutException} naming {@code what} when it takes longer than {@code timeout}.
     */
    static <T> T within(Duration timeout, long pid, String what, Step<T> step) throws Exception {
        if (OsProcess.isStopped(pid)) {
            throw TimedOutException.stopped(pid);
        }
        FutureTask<T> task = new FutureTask<>(step::run);
        Thread t = new Thread(task, "hotpatch-attach-" + pid);
        t.setDaemon(true);
        t.start();
        try {
            return task.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            t.interrupt();
            throw OsProcess.isStopped(pid) ? TimedOutException.stopped(pid) : TimedOutException.after(pid, what, timeout);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof Exception) {
                throw (Exception) cause;
            }
            throw (Error) cause;
        } catch (InterruptedException e) {
            t.interrupt();
            Thread.currentThread().interrupt();
            throw new AttachException("interrupted while waiting for JVM " + pid + " to answer " + what, e);
        }
    }
}
