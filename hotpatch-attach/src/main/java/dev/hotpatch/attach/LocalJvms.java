package dev.hotpatch.attach;

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
 * Every JVM is attached to briefly (in parallel) to read its version and agent properties; no
 * agent is loaded. This process itself is never listed. Thread-safe (stateless).
 */
public final class LocalJvms {
    /** How long one JVM may take to answer before it is reported as not answering. */
    private static final long PROBE_TIMEOUT_SECONDS = 20;
    private static final int MAX_PARALLEL = 8;

    private LocalJvms() {
    }

    /** Every local JVM but this one, ordered by pid. */
    public static List<JvmInfo> list() {
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
                futures.add(pool.submit(() -> probe(pid, self)));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(PROBE_TIMEOUT_SECONDS);
            List<JvmInfo> out = new ArrayList<>();
            for (int i = 0; i < futures.size(); i++) {
                long pid = order.get(i);
                try {
                    futures.get(i).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS).ifPresent(out::add);
                } catch (TimeoutException e) {
                    futures.get(i).cancel(true);
                    OsProcess.of(pid).ifPresent(p -> out.add(Probe.unreachable(p,
                            "it did not answer the attach request within " + PROBE_TIMEOUT_SECONDS + " s").toInfo()));
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
        return probe(pid, OsProcess.self());
    }

    /**
     * The system properties of JVM {@code pid} (class path, working folder, runtime), read through
     * the attach API with the same safety checks as {@link #find}: same user, and a JVM that handles
     * the attach signal. Works for JVMs in other PID or mount namespaces, as the JDK's attach does.
     *
     * @throws NoSuchJvmException when there is no such process, or it is this process
     * @throws NotSupportedException when it cannot be attached to, with the reason
     */
    public static Properties systemProperties(long pid) {
        Optional<OsProcess> process = pid == ProcessHandle.current().pid() ? Optional.empty() : OsProcess.of(pid);
        if (process.isEmpty()) {
            throw new NoSuchJvmException(pid, "no JVM with process id " + pid + " is running");
        }
        try (Target target = Target.attach(process.get(), OsProcess.self())) {
            return target.systemProperties();
        }
    }

    private static Optional<JvmInfo> probe(long pid, OsProcess self) {
        Optional<OsProcess> process = OsProcess.of(pid);
        if (process.isEmpty()) {
            return Optional.empty();
        }
        try (Target target = Target.attach(process.get(), self)) {
            return Optional.of(Probe.of(target).toInfo());
        } catch (NoSuchJvmException e) {
            return Optional.empty();
        } catch (NotSupportedException e) {
            return Optional.of(Probe.unreachable(process.get(), e.reason()).toInfo());
        } catch (AttachException e) {
            return Optional.of(Probe.unreachable(process.get(), e.getMessage()).toInfo());
        }
    }
}
