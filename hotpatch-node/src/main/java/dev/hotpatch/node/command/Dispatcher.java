package dev.hotpatch.node.command;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Runs the commands the node receives independently per machine: the commands of one machine in
 * the order they arrive, one at a time; those of different machines side by side. So a machine
 * whose JVM is stopped, or whose restart takes minutes, delays neither the other machines'
 * commands nor the node's check-ins. Each machine has one worker thread while it has work.
 *
 * <p>A command that is queued or running is not queued again (a repeated delivery, e.g. by both
 * the long-poll and a check-in); one that finished is handed to the {@link Executor} again, which
 * returns its recorded result. Each result goes to the {@code done} callback on the machine's
 * thread (which delivers it). Thread-safe.
 */
public final class Dispatcher implements AutoCloseable {
    private static final System.Logger LOG = JobContext.LOG;
    private static final long IDLE_THREAD_SECONDS = 30;

    private final Executor executor;
    private final Consumer<CommandResult> done;
    private final Map<String, ThreadPoolExecutor> workers = new ConcurrentHashMap<>();
    private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
    private final Object idle = new Object();
    private volatile boolean closed;

    /**
     * @param done told each command's result once it is journaled, on the machine's thread; it
     *             delivers the result (and acknowledges it) or leaves it for later delivery
     */
    public Dispatcher(Executor executor, Consumer<CommandResult> done) {
        this.executor = executor;
        this.done = done;
    }

    /** Queues {@code c} on its machine; false when it is already queued or running (or the dispatcher is closed). */
    public boolean submit(Command c) {
        if (closed || !inFlight.add(c.id())) {
            return false;
        }
        try {
            worker(c.machine()).execute(new Task(c));
            return true;
        } catch (RuntimeException e) {
            finished(c.id());
            throw e;
        }
    }

    /** Ids of the commands queued or running now. */
    public Set<String> inFlight() {
        return Set.copyOf(inFlight);
    }

    /** Waits until no command is queued or running, at most {@code max}; true when idle. */
    public boolean awaitIdle(Duration max) {
        long deadline = System.nanoTime() + max.toNanos();
        synchronized (idle) {
            while (!inFlight.isEmpty()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    idle.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return true;
        }
    }

    /**
     * Stops taking commands and drops the queued ones (journaled, they are finished by the next run
     * of the node, or delivered again by the server); commands already running go on to their end,
     * as they would if the node were killed: see {@link #awaitIdle} to wait for them.
     */
    @Override
    public void close() {
        closed = true;
        for (ThreadPoolExecutor w : workers.values()) {
            List<Runnable> dropped = new ArrayList<>();
            w.getQueue().drainTo(dropped);
            w.shutdown();
            for (Runnable r : dropped) {
                if (r instanceof Task t) {
                    finished(t.command.id());
                }
            }
        }
    }

    /** One command on its machine's queue. */
    private final class Task implements Runnable {
        final Command command;

        Task(Command command) {
            this.command = command;
        }

        @Override
        public void run() {
            Dispatcher.this.run(command);
        }
    }

    private void run(Command c) {
        try {
            CommandResult r = executor.execute(c);
            try {
                done.accept(r);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "the result of command " + c.id() + " was not delivered now (" + e.getMessage()
                        + "); it is kept and delivered at the next check-in");
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "command " + c.id() + " on machine " + c.machine() + " could not be run: " + e.getMessage(), e);
        } finally {
            finished(c.id());
        }
    }

    private void finished(String id) {
        synchronized (idle) {
            inFlight.remove(id);
            idle.notifyAll();
        }
    }

    private ThreadPoolExecutor worker(String machine) {
        return workers.computeIfAbsent(machine, m -> {
            ThreadPoolExecutor t = new ThreadPoolExecutor(1, 1, IDLE_THREAD_SECONDS, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
                Thread th = new Thread(r, "hotpatch-machine-" + m);
                th.setDaemon(true);
                return th;
            });
            t.allowCoreThreadTimeOut(true);
            return t;
        });
    }
}
