package dev.hotpatch.node.health;

import dev.hotpatch.node.NodeException;
import dev.hotpatch.node.discovery.LocalMachine;
import dev.hotpatch.node.internal.Json;
import dev.hotpatch.node.internal.PrivateFiles;
import dev.hotpatch.node.inventory.MachineInventory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Probes the health check of each running machine that has one ({@link HealthCheck}: a URL or a
 * command) every interval, and right after every command the node runs on it, and keeps per JVM
 * the counters the check-in reports (contract C1 {@code health}): probes and failed probes since
 * that JVM started, the last probe's time and detail. The counters are cumulative and start again
 * at zero when the machine runs in a new JVM (another pid or start time), so that the server can
 * difference two reports of the same JVM; they are kept in {@code <data>/health/<machine>.json}
 * after every probe, so a node restart does not reset them either.
 *
 * <p>Probes of different machines run in parallel on a few daemon threads; probes of one machine
 * never overlap. Thread-safe.
 */
public final class HealthMonitor implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("dev.hotpatch.node");

    private final Path dir;
    private final Duration interval;
    private final Clock clock;
    private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(3, r -> {
        Thread t = new Thread(r, "hotpatch-health");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, LocalMachine> machines = new ConcurrentHashMap<>();
    private final Map<String, ScheduledFuture<?>> schedules = new ConcurrentHashMap<>();
    private final Map<String, Counters> counters = new ConcurrentHashMap<>();
    private final Map<String, Object> locks = new ConcurrentHashMap<>();

    /**
     * A machine's health counters for one JVM, as kept on disk.
     *
     * @param pid       the JVM they count for
     * @param startedAt its start time (with the pid, the JVM's identity)
     * @param samples   probes since it started
     * @param failures  failed probes since it started
     * @param state     the last probe's outcome: {@code passing} or {@code failing}; {@code unknown} before the first
     * @param checkedAt the last probe
     * @param detail    the last probe's one-line detail
     */
    public record Counters(long pid, Instant startedAt, long samples, long failures, String state, Instant checkedAt, String detail) {
        boolean sameJvm(LocalMachine m) {
            return pid == m.pid() && Objects.equals(startedAt, m.startedAt());
        }
    }

    /**
     * @param dataDir  the node's data folder
     * @param interval time between two probes of a machine
     */
    public HealthMonitor(Path dataDir, Duration interval, Clock clock) {
        this.dir = dataDir.resolve("health");
        this.interval = interval;
        this.clock = clock;
        try {
            PrivateFiles.folder(dir);
        } catch (IOException e) {
            throw new NodeException("cannot use the node's health folder " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * The machines running now (from the latest discovery): those with a health check are probed
     * every interval from now on, the others no longer.
     */
    public void track(Collection<LocalMachine> running) {
        Set<String> seen = new HashSet<>();
        for (LocalMachine m : running) {
            if (HealthCheck.of(m.config()).isEmpty()) {
                continue;
            }
            seen.add(m.name());
            machines.put(m.name(), m);
            schedules.computeIfAbsent(m.name(), n -> scheduler.scheduleWithFixedDelay(() -> probeQuietly(n), 0, interval.toMillis(),
                    TimeUnit.MILLISECONDS));
        }
        for (String name : Set.copyOf(schedules.keySet())) {
            if (!seen.contains(name)) {
                ScheduledFuture<?> f = schedules.remove(name);
                if (f != null) {
                    f.cancel(false);
                }
                machines.remove(name);
            }
        }
    }

    /** Probes {@code m} now and waits for the outcome (at most its check's timeout); nothing when it has no check. */
    public void probeNow(LocalMachine m) {
        if (HealthCheck.of(m.config()).isPresent()) {
            probe(m);
        }
    }

    /** What the check-in reports about {@code m}'s health; null when it has no health check. */
    public MachineInventory.Health health(LocalMachine m) {
        if (HealthCheck.of(m.config()).isEmpty()) {
            return null;
        }
        Optional<Counters> c = current(m.name()).filter(x -> x.sameJvm(m));
        if (c.isEmpty()) {
            return new MachineInventory.Health("unknown", null, "not probed yet", 0L, 0L);
        }
        Counters k = c.get();
        return new MachineInventory.Health(k.state(), k.checkedAt(), k.detail(), k.samples(), k.failures());
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
    }

    private void probeQuietly(String name) {
        LocalMachine m = machines.get(name);
        if (m == null) {
            return;
        }
        try {
            probe(m);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "health probe of machine " + name + " failed: " + e.getMessage());
        }
    }

    private void probe(LocalMachine m) {
        HealthCheck check = HealthCheck.of(m.config()).orElseThrow();
        synchronized (locks.computeIfAbsent(m.name(), n -> new Object())) {
            HealthCheck.Probe p = check.probe(m.name(), m.pid());
            Counters before = current(m.name()).filter(x -> x.sameJvm(m)).orElse(new Counters(m.pid(), m.startedAt(), 0, 0, "unknown", null, null));
            Counters after = new Counters(m.pid(), m.startedAt(), before.samples() + 1, before.failures() + (p.passing() ? 0 : 1),
                    p.passing() ? "passing" : "failing", clock.instant(), p.detail());
            if (!p.passing() && "passing".equals(before.state())) {
                LOG.log(System.Logger.Level.WARNING, "machine " + m.name() + " is failing its health check: " + p.detail());
            }
            counters.put(m.name(), after);
            try {
                PrivateFiles.write(file(m.name()), Json.bytes(after));
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "cannot keep the health counters of machine " + m.name() + " in " + file(m.name())
                        + ": " + e.getMessage() + "; they restart at zero if the node restarts");
            }
        }
    }

    private Optional<Counters> current(String name) {
        Counters c = counters.get(name);
        if (c != null) {
            return Optional.of(c);
        }
        Path f = file(name);
        if (!Files.isRegularFile(f)) {
            return Optional.empty();
        }
        try {
            Counters read = Json.MAPPER.readValue(f.toFile(), Counters.class);
            counters.putIfAbsent(name, read);
            return Optional.of(counters.get(name));
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "the health counters of machine " + name + " in " + f + " are unreadable (" + e.getMessage()
                    + "); they start again at zero");
            return Optional.empty();
        }
    }

    private Path file(String name) {
        return dir.resolve(name + ".json");
    }
}
