package dev.hotpatch.attach;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The JVMs running on this host, each with its hotpatch status: the entry point for discovery.
 * Every JVM is attached to briefly, all at once, to read its version and agent properties; no
 * agent is loaded. A JVM that is stopped, or does not answer within the per-JVM deadline, is listed
 * as {@code PendingEvaluation} with the reason, without holding up the others. This process itself
 * is never listed. Thread-safe (stateless).
 */
public final class LocalJvms {
    /** The default per-JVM deadline: generous, for callers that need an answer more than speed. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(20);
    private static final int MAX_PARALLEL = 64;

    private LocalJvms() {
    }

    /** Every local JVM but this one, ordered by pid, each probed with {@link #DEFAULT_TIMEOUT}. */
    public static List<JvmInfo> list() {
        return list(DEFAULT_TIMEOUT);
    }

    /**
     * Every local JVM but this one, ordered by pid. All are probed in parallel; the whole call takes
     * about {@code perJvm} at most (plus discovery), however many JVMs are stopped or hung.
     */
    public static List<JvmInfo> list(Duration perJvm) {
        Set<Long> pids = Discovery.all();
        if (pids.isEmpty()) {
            return List.of();
        }
        OsProcess self = OsProcess.self();
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(MAX_PARALLEL, pids.size()), r -> {
            Thread t = new Thread(r, "hotpatch-probe");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<Optional<JvmInfo>>> futures = new ArrayList<>();
            List<Long> order = new ArrayList<>(pids);
            for (long pid : order) {
                futures.add(pool.submit(() -> probe(pid, self, perJvm)));
            }
            // The steps inside a probe have the same deadline; this one only bounds the pool's queue.
            long deadline = System.nanoTime() + perJvm.toNanos() + TimeUnit.MILLISECONDS.toNanos(200);
            List<JvmInfo> out = new ArrayList<>();
            for (int i = 0; i < futures.size(); i++) {
                long pid = order.get(i);
                try {
                    futures.get(i).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS).ifPresent(out::add);
                } catch (TimeoutException e) {
                    futures.get(i).cancel(true);
                    OsProcess.of(pid).ifPresent(p -> out.add(Probe.pending(p, notAnswering(pid, perJvm)).toInfo()));
                } catch (ExecutionException e) {
                    throw new AttachException("looking at JVM " + pid + " failed: " + e.getCause(), e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AttachException("interrupted while listing JVMs", e);
                }
            }
            out.sort(Comparator.comparingLong(JvmInfo::pid));
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    /** The JVM with process id {@code pid}, or empty when there is none (or it is this process). */
    public static Optional<JvmInfo> find(long pid) {
        if (pid == ProcessHandle.current().pid() || !Discovery.finds(pid)) {
            return Optional.empty();
        }
        return probe(pid, OsProcess.self(), DEFAULT_TIMEOUT);
    }

    /**
     * The system properties of JVM {@code pid} (class path, working folder, runtime), read through
     * the attach API with the same safety checks as {@link #find}: same user, and a JVM that handles
     * the attach signal. Works for JVMs in other PID or mount namespaces, as the JDK's attach does.
     *
     * @throws NoSuchJvmException when there is no such process, or it is this process
     * @throws NotSupportedException when it cannot be attached to, with the reason
     * @throws TimedOutException when it is stopped or does not answer within {@link #DEFAULT_TIMEOUT}
     */
    public static Properties systemProperties(long pid) {
        Optional<OsProcess> process = pid == ProcessHandle.current().pid() ? Optional.empty() : OsProcess.of(pid);
        if (process.isEmpty()) {
            throw new NoSuchJvmException(pid, "no JVM with process id " + pid + " is running");
        }
        try (Target target = Target.attach(process.get(), OsProcess.self(), DEFAULT_TIMEOUT)) {
            return target.systemProperties();
        }
    }

    private static Optional<JvmInfo> probe(long pid, OsProcess self, Duration timeout) {
        Optional<OsProcess> process = OsProcess.of(pid);
        if (process.isEmpty()) {
            return Optional.empty();
        }
        try (Target target = Target.attach(process.get(), self, timeout)) {
            return Optional.of(Probe.of(target).toInfo());
        } catch (NoSuchJvmException e) {
            return Optional.empty();
        } catch (NotSupportedException e) {
            return Optional.of(Probe.unreachable(process.get(), e.reason()).toInfo());
        } catch (TimedOutException e) {
            String why = OsProcess.isStopped(pid) ? "it is stopped (kill -STOP or a debugger) and cannot answer; resume it with"
                    + " 'kill -CONT " + pid + "'" : notAnswering(pid, timeout);
            return Optional.of(Probe.pending(process.get(), why).toInfo());
        } catch (AttachException e) {
            return Optional.of(Probe.unreachable(process.get(), e.getMessage()).toInfo());
        }
    }

    private static String notAnswering(long pid, Duration timeout) {
        return "it did not answer within " + TimedOutException.seconds(timeout) + " (busy or hung); not evaluated."
                + " Wait longer with --timeout";
    }
}
