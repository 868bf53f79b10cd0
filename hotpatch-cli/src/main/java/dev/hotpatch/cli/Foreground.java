package dev.hotpatch.cli;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Holds a long-running service ({@code hotpatch server}, {@code hotpatch node}) in the foreground
 * until SIGINT/SIGTERM, or until the calling thread is interrupted (how tests stop it in-process),
 * and then stops it once, cleanly: the stop action runs and the service's worker thread, if any,
 * gets up to 30 s to finish what it is doing. Public for {@code hotpatch demo --keep-running}; not
 * an API.
 */
public final class Foreground {
    private static final long WORKER_GRACE_SECONDS = 30;

    private Foreground() {
    }

    /**
     * Blocks until a signal, an interrupt, or (when {@code worker} is given) the worker's end;
     * returns once the service has been stopped.
     *
     * @param stop   stops the service; called exactly once
     * @param worker the thread that does the service's work, already started; null when the service has its own threads
     */
    public static void hold(String name, Runnable stop, Thread worker) {
        CountDownLatch stopped = new CountDownLatch(1);
        AtomicBoolean once = new AtomicBoolean();
        Runnable stopOnce = () -> {
            if (once.compareAndSet(false, true)) {
                try {
                    stop.run();
                    if (worker != null) {
                        worker.join(TimeUnit.SECONDS.toMillis(WORKER_GRACE_SECONDS));
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    stopped.countDown();
                }
            }
        };
        Thread hook = new Thread(stopOnce, name + "-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            if (worker != null) {
                worker.join();
            } else {
                stopped.await();
            }
        } catch (InterruptedException e) {
            // Asked to stop from inside the process: fall through and stop.
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // The hook is running (SIGINT/SIGTERM): let it finish the stop.
            awaitQuietly(stopped);
            return;
        }
        stopOnce.run();
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(WORKER_GRACE_SECONDS + 5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
