package dev.hotpatch.node.restart;

import dev.hotpatch.node.NodeException;
import dev.hotpatch.node.config.MachineConfig;
import dev.hotpatch.node.internal.Json;
import dev.hotpatch.node.internal.PrivateFiles;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/**
 * Runs the JVMs of the machines configured with a {@code launch} command, as a service manager
 * would: starts them, starts them again when they exit (with a growing back-off when they keep
 * exiting), stops and restarts them on request. Their output is appended to a log file.
 *
 * <p>A supervised JVM outlives the node: its pid and start time are kept in
 * {@code <data>/supervised/<name>.json}, and a node that starts again adopts the running process
 * instead of launching a second one (the start time guards against a reused pid). An adopted
 * process is not this node's child, so its exit code is unknown; only that it ended.
 *
 * <p>Thread-safe: every method synchronises on the supervisor.
 */
public final class Supervisor {
    private static final System.Logger LOG = System.getLogger("dev.hotpatch.node");
    private static final Duration STOP_GRACE = Duration.ofSeconds(10);
    private static final Duration MAX_BACKOFF = Duration.ofMinutes(5);

    private final Map<String, MachineConfig> machines = new LinkedHashMap<>();
    private final Path stateDir;
    private final Path logDir;
    private final Map<String, Child> children = new LinkedHashMap<>();
    private final Map<String, Backoff> backoff = new LinkedHashMap<>();

    /** A process this node runs or adopted. {@code process} is null when adopted. */
    private record Child(ProcessHandle handle, Process process, Instant startedAt) {
        boolean alive() {
            return handle.isAlive();
        }
    }

    private record Backoff(int failures, long notBeforeNanos) {
    }

    /** On-disk record of a supervised process. */
    private record Record(long pid, long startedAtMillis, List<String> command) {
    }

    /**
     * @param machines every configured machine; those without a launch command are ignored
     * @param dataDir  the node's data folder
     */
    public Supervisor(Iterable<MachineConfig> machines, Path dataDir) {
        for (MachineConfig m : machines) {
            if (m.supervised()) {
                this.machines.put(m.name(), m);
            }
        }
        this.stateDir = dataDir.resolve("supervised");
        this.logDir = dataDir.resolve("logs");
    }

    /** Names of the supervised machines. */
    public synchronized List<String> names() {
        return List.copyOf(machines.keySet());
    }

    /** Whether {@code machine} is supervised by this node. */
    public synchronized boolean supervises(String machine) {
        return machines.containsKey(machine);
    }

    /**
     * Starts every supervised machine that is not running: adopts a process recorded by an earlier
     * run of the node when it still runs, else launches one, unless it is backing off after exiting
     * again and again.
     */
    public synchronized void ensureRunning() {
        for (String name : machines.keySet()) {
            Child c = current(name);
            if (c != null && c.alive()) {
                continue;
            }
            if (c != null) {
                String how = c.process != null ? "with exit code " + c.process.exitValue() : "(adopted process; exit code unknown)";
                Backoff b = backoff.getOrDefault(name, new Backoff(0, 0));
                boolean quick = Duration.between(c.startedAt, Instant.now()).compareTo(Duration.ofMinutes(1)) < 0;
                int failures = quick ? b.failures + 1 : 1;
                long delay = Math.min(MAX_BACKOFF.toMillis(), 1000L << Math.min(failures, 16));
                backoff.put(name, new Backoff(failures, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delay)));
                children.remove(name);
                LOG.log(System.Logger.Level.WARNING, "supervised machine " + name + " (pid " + c.handle.pid() + ") exited " + how
                        + "; starting it again in " + delay + " ms; its output is in " + log(name));
            }
            Backoff b = backoff.get(name);
            if (b != null && System.nanoTime() - b.notBeforeNanos < 0) {
                continue;
            }
            start(name);
        }
    }

    /** The pid of the supervised machine's process, when it runs. */
    public synchronized OptionalLong pid(String machine) {
        Child c = current(machine);
        return c != null && c.alive() ? OptionalLong.of(c.handle.pid()) : OptionalLong.empty();
    }

    /**
     * The exit code of the machine's last process when it has exited and was this node's child;
     * empty while it runs, or when the exit code is unknown.
     */
    public synchronized OptionalInt exitCode(String machine) {
        Child c = children.get(machine);
        if (c == null || c.alive() || c.process == null) {
            return OptionalInt.empty();
        }
        return OptionalInt.of(c.process.exitValue());
    }

    /** Whether the machine's last process has ended (also when adopted). */
    public synchronized boolean exited(String machine) {
        Child c = children.get(machine);
        return c != null && !c.alive();
    }

    /** The configured machine this node launched as process {@code pid} or as one of its ancestors. */
    public synchronized Optional<String> machineOf(long pid) {
        Optional<ProcessHandle> h = ProcessHandle.of(pid);
        while (h.isPresent()) {
            long p = h.get().pid();
            for (String name : machines.keySet()) {
                Child c = current(name);
                if (c != null && c.handle.pid() == p) {
                    return Optional.of(name);
                }
            }
            h = h.get().parent();
        }
        return Optional.empty();
    }

    /** Stops the machine's process (and its descendants): a termination request, then a kill after 10 s. */
    public synchronized void stop(String machine) {
        Child c = current(machine);
        if (c == null) {
            return;
        }
        List<ProcessHandle> all = new ArrayList<>(c.handle.descendants().toList());
        all.add(0, c.handle);
        for (ProcessHandle h : all) {
            h.destroy();
        }
        long deadline = System.nanoTime() + STOP_GRACE.toNanos();
        for (ProcessHandle h : all) {
            try {
                h.onExit().get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (Exception e) {
                h.destroyForcibly();
            }
        }
        for (ProcessHandle h : all) {
            try {
                h.onExit().get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.log(System.Logger.Level.WARNING, "process " + h.pid() + " of machine " + machine + " did not end after a kill");
            }
        }
    }

    /** Stops the machine's process and starts it again (at once, no back-off); returns the new pid. */
    public synchronized long restart(String machine) {
        requireSupervised(machine);
        stop(machine);
        backoff.remove(machine);
        return start(machine).handle.pid();
    }

    /** Stops every supervised process; for tests and for an operator's explicit shutdown, never on a normal node exit. */
    public synchronized void stopAll() {
        for (String name : machines.keySet()) {
            stop(name);
        }
    }

    /** The file the machine's output is appended to. */
    public Path log(String machine) {
        MachineConfig m = machines.get(machine);
        return m != null && m.launchLog() != null ? m.launchLog() : logDir.resolve(machine + ".log");
    }

    private void requireSupervised(String machine) {
        if (!machines.containsKey(machine)) {
            throw new NodeException("machine " + machine + " has no launch command in the node config, so the node does not run it");
        }
    }

    /** The live or last known process of {@code name}, adopting a recorded one when this node has none. */
    private Child current(String name) {
        Child c = children.get(name);
        if (c != null) {
            return c;
        }
        Optional<Child> adopted = adopt(name);
        adopted.ifPresent(a -> children.put(name, a));
        return adopted.orElse(null);
    }

    private Optional<Child> adopt(String name) {
        Path f = stateDir.resolve(name + ".json");
        if (!Files.isRegularFile(f)) {
            return Optional.empty();
        }
        try {
            Record r = Json.MAPPER.readValue(f.toFile(), Record.class);
            Optional<ProcessHandle> h = ProcessHandle.of(r.pid()).filter(ProcessHandle::isAlive);
            if (h.isPresent()) {
                Optional<Instant> started = h.get().info().startInstant();
                if (started.isPresent() && started.get().toEpochMilli() == r.startedAtMillis()) {
                    LOG.log(System.Logger.Level.INFO, "adopted supervised machine " + name + " (pid " + r.pid() + ")");
                    return Optional.of(new Child(h.get(), null, started.get()));
                }
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "ignoring unreadable " + f + ": " + e.getMessage());
        }
        return Optional.empty();
    }

    private Child start(String name) {
        MachineConfig m = machines.get(name);
        Path log = log(name);
        try {
            PrivateFiles.folder(stateDir);
            Files.createDirectories(log.toAbsolutePath().getParent());
            ProcessBuilder pb = new ProcessBuilder(m.launch())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            if (m.launchDirectory() != null) {
                pb.directory(m.launchDirectory().toFile());
            }
            Process p = pb.start();
            Instant started = p.info().startInstant().orElse(Instant.now());
            Child c = new Child(p.toHandle(), p, started);
            children.put(name, c);
            PrivateFiles.write(stateDir.resolve(name + ".json"), Json.bytes(new Record(p.pid(), started.toEpochMilli(), m.launch())));
            LOG.log(System.Logger.Level.INFO, "started supervised machine " + name + " (pid " + p.pid() + "): " + String.join(" ", m.launch()));
            return c;
        } catch (IOException e) {
            throw new NodeException("cannot start machine " + name + " with '" + String.join(" ", m.launch()) + "': " + e.getMessage()
                    + "; check machine." + name + ".launch in the node config", e);
        }
    }
}
