package dev.hotpatch.node.deadline;

import dev.hotpatch.node.NodeException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * Calls into target JVMs (attach, property reads, agent requests), each bounded by a deadline, so
 * that a stopped or hung JVM never blocks the node. Two deadlines: one for a <em>look</em> (attach,
 * reading properties, asking the agent what is installed) and one for a <em>change</em> (an install
 * or uninstall, loading the agent included).
 *
 * <p>A call runs on a daemon thread of its own while the caller waits up to the deadline. When the
 * deadline passes, the caller gets a {@link TargetTimeoutException} saying what was asked and the
 * process's state, and the call goes on in the background: the JDK's attach API cannot be
 * interrupted. Until it ends, further calls into that JVM fail at once with the same reason and
 * nothing is sent, so requests never pile up behind a stopped JVM (nor is an install sent twice).
 * When the outstanding call does end, because the JVM resumed or exited, it is forgotten and its
 * outcome goes to the listener given at construction, so that the node can say what really
 * happened. Thread-safe.
 */
public final class TargetCalls implements AutoCloseable {
    /** Default deadline of a look at a JVM. */
    public static final Duration DEFAULT_LOOK = Duration.ofSeconds(15);
    /** Default deadline of a change in a JVM. */
    public static final Duration DEFAULT_CHANGE = Duration.ofSeconds(120);

    private final Duration look;
    private final Duration change;
    private final Consumer<Late> listener;
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "hotpatch-target-call");
        t.setDaemon(true);
        return t;
    });
    private final Object lock = new Object();
    /** Calls past their deadline and still running, by pid, oldest first. */
    private final Map<Long, List<Outstanding>> outstanding = new LinkedHashMap<>();

    /** A call into a JVM that ran out of time and is still running. */
    private record Outstanding(String what, Instant since) {
    }

    /**
     * A call that ended after its caller had given up on it.
     *
     * @param pid      the JVM
     * @param what     what was asked, as the caller worded it
     * @param since    when it was sent
     * @param value    its result, when it returned one
     * @param failure  its exception, when it threw
     */
    public record Late(long pid, String what, Instant since, Object value, Throwable failure) {
    }

    /** Default deadlines, late outcomes only logged. */
    public TargetCalls() {
        this(DEFAULT_LOOK, DEFAULT_CHANGE, late -> {
        });
    }

    /**
     * @param look     deadline of a look at a JVM
     * @param change   deadline of an install or uninstall
     * @param listener told about each call that ended after its deadline (on the call's thread)
     */
    public TargetCalls(Duration look, Duration change, Consumer<Late> listener) {
        this.look = look;
        this.change = change;
        this.listener = listener;
    }

    /** Runs a look at JVM {@code pid} ({@code what}, e.g. "the attach request for its class path") under the look deadline. */
    public <T> T look(long pid, String what, Callable<T> work) {
        return call(pid, what, look, work);
    }

    /**
     * Runs a change in JVM {@code pid} ({@code what}, e.g. "the install of KB-1") under the change
     * deadline. A stopped JVM (SIGSTOP, a debugger) is held for: the change is sent as soon as it
     * runs again, so the caller gets a {@link TargetTimeoutException} at the deadline and the change
     * completes when the JVM resumes (its outcome going to the listener), as with any JVM that does
     * not answer. The attach library itself sends nothing to a stopped JVM, so without this the
     * change would fail at once and never complete.
     */
    public <T> T change(long pid, String what, Callable<T> work) {
        return call(pid, what, change, () -> {
            ProcessState.awaitNotStopped(pid);
            return work.call();
        });
    }

    /** The look deadline. */
    public Duration lookDeadline() {
        return look;
    }

    /**
     * Why JVM {@code pid} is not being asked anything now: an earlier call is still unanswered past
     * its deadline. Empty when calls are sent to it.
     */
    public Optional<String> unanswered(long pid) {
        Outstanding o;
        synchronized (lock) {
            List<Outstanding> list = outstanding.get(pid);
            o = list == null || list.isEmpty() ? null : list.get(0);
        }
        if (o == null) {
            return Optional.empty();
        }
        long s = Math.max(0, Duration.between(o.since(), Instant.now()).toSeconds());
        return Optional.of("JVM " + pid + " has not answered " + o.what() + " sent " + s + " s ago: " + ProcessState.describe(pid));
    }

    /**
     * Runs {@code work} against JVM {@code pid}, waiting at most {@code deadline}.
     *
     * @throws TargetTimeoutException when the deadline passed, or an earlier call into the JVM is still unanswered
     */
    public <T> T call(long pid, String what, Duration deadline, Callable<T> work) {
        Optional<String> blocked = unanswered(pid);
        if (blocked.isPresent()) {
            throw new TargetTimeoutException(pid, false, blocked.get() + "; " + what + " was not sent");
        }
        Instant since = Instant.now();
        Outstanding me = new Outstanding(what, since);
        boolean[] gaveUp = {false};
        CompletableFuture<T> f = CompletableFuture.supplyAsync(() -> {
            try {
                return work.call();
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        }, pool);
        f.whenComplete((value, failure) -> {
            boolean late;
            synchronized (lock) {
                late = gaveUp[0];
                if (late) {
                    List<Outstanding> list = outstanding.get(pid);
                    if (list != null) {
                        list.remove(me);
                        if (list.isEmpty()) {
                            outstanding.remove(pid);
                        }
                    }
                }
            }
            if (late) {
                listener.accept(new Late(pid, what, since, value, unwrap(failure)));
            }
        });
        try {
            return f.get(deadline.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            synchronized (lock) {
                if (!f.isDone()) {
                    gaveUp[0] = true;
                    outstanding.computeIfAbsent(pid, k -> new ArrayList<>()).add(me);
                }
            }
            if (!gaveUp[0]) {
                return f.join();
            }
            throw new TargetTimeoutException(pid, true, "JVM " + pid + " did not answer " + what + " within " + seconds(deadline) + ": "
                    + ProcessState.describe(pid) + "; the node stopped waiting (what was sent may still complete when the JVM answers)");
        } catch (ExecutionException e) {
            Throwable cause = unwrap(e.getCause());
            if (cause instanceof dev.hotpatch.attach.TimedOutException t) {
                // The attach library's own deadline, or a JVM it found stopped: a timeout, never a failure of the command.
                throw new TargetTimeoutException(pid, true, "JVM " + pid + " did not answer " + what + ": " + ProcessState.describe(pid)
                        + " (" + t.getMessage() + ")");
            }
            throw rethrow(cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NodeException("interrupted while waiting for JVM " + pid + " to answer " + what, e);
        }
    }

    /** Stops the threads of calls that are not stuck; stuck ones end when their JVM answers or exits. */
    @Override
    public void close() {
        pool.shutdown();
    }

    private static Throwable unwrap(Throwable t) {
        return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    }

    private static RuntimeException rethrow(Throwable cause) {
        Throwable t = unwrap(cause);
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error err) {
            throw err;
        }
        return new NodeException(String.valueOf(t.getMessage()), t);
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }
}
