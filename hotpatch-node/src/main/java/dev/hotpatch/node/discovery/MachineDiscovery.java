package dev.hotpatch.node.discovery;

import dev.hotpatch.attach.JvmInfo;
import dev.hotpatch.attach.LocalJvms;
import dev.hotpatch.node.access.TargetAccess;
import dev.hotpatch.node.config.MachineConfig;
import dev.hotpatch.node.config.NodeConfig;
import dev.hotpatch.node.deadline.ProcessState;
import dev.hotpatch.node.deadline.TargetCalls;
import dev.hotpatch.node.deadline.TargetTimeoutException;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongFunction;
import java.util.stream.Collectors;

/**
 * Finds the machines on this host: every local JVM ({@link LocalJvms}) that has a stable name,
 * with its config and its class path. A JVM is named, in this order, by the node having launched
 * it as a configured machine, by its agent's {@code name=} option or its {@code -Dhotpatch.machine}
 * property, or by a config {@code match} on its main class or jar; JVMs without a name are left
 * alone. When two JVMs claim one name the one with the lower pid is the machine and the other is
 * reported in {@link Found#warnings()}. With {@code node.manage = configured} (the default) only the
 * machines the config file lists are machines; named JVMs left out that way are in {@link Found#notices()}.
 *
 * <p>A JVM that is stopped or hung must not hold the node up: every look at a JVM goes through
 * {@link TargetCalls} under a deadline, the listing of JVMs is shared and may be a few seconds old
 * ({@link JvmListing}), and a JVM's system properties (class path, working folder) are read once
 * per process, since they do not change while it runs. A machine whose JVM stops answering stays
 * the machine it was (same process, same name), marked {@link LocalMachine#unanswered()}.
 * Thread-safe.
 */
public final class MachineDiscovery {
    /** How long a look waits for a fresh listing of the JVMs when an earlier one exists. */
    private static final Duration LISTING_WAIT = Duration.ofSeconds(3);

    private final NodeConfig config;
    private final TargetAccess access;
    private final LongFunction<Optional<String>> launchedAs;
    private final TargetCalls calls;
    private final JvmListing listing;
    /** System properties per process, with the start time that tells a reused pid apart. */
    private final Map<Long, Seen<Properties>> properties = new ConcurrentHashMap<>();
    /** The machine each process was when it last answered. */
    private final Map<Long, Seen<LocalMachine>> identities = new ConcurrentHashMap<>();
    /**
     * Each process as a single look at it ({@link #at}, e.g. the report after a command) found it,
     * and when that look began: it tells what a listing that began earlier cannot, such as the
     * agent the command just loaded into it.
     */
    private final Map<Long, Look> looks = new ConcurrentHashMap<>();
    /** What the last look at the host found. */
    private volatile Found last;

    private record Seen<T>(Instant startedAt, T value) {
    }

    private record Look(Instant startedAt, Instant begun, JvmInfo jvm) {
    }

    /**
     * @param config     the node's config
     * @param launchedAs the configured machine a process (or one of its ancestors) was launched as by this node
     */
    public MachineDiscovery(NodeConfig config, LongFunction<Optional<String>> launchedAs) {
        this(config, launchedAs, TargetAccess.sameUser(), new TargetCalls(config.targetTimeout(), config.installTimeout(), late -> {
        }));
    }

    /**
     * @param access how to list JVMs and read their system properties: as this user, or as each JVM's own user for a root node
     * @param calls  how the JVMs are reached under deadlines (shared with the rest of the node)
     */
    public MachineDiscovery(NodeConfig config, LongFunction<Optional<String>> launchedAs, TargetAccess access, TargetCalls calls) {
        this.config = config;
        this.launchedAs = launchedAs;
        this.access = access;
        this.calls = calls;
        Duration first = calls.lookDeadline().plusSeconds(30);
        this.listing = new JvmListing(access::listJvms, LISTING_WAIT.compareTo(first) < 0 ? LISTING_WAIT : first, first);
    }

    /** What one look at the host found. */
    public record Found(List<LocalMachine> machines, List<JvmInfo> unnamed, List<String> warnings, List<String> notices) {
        public Found {
            machines = List.copyOf(machines);
            unnamed = List.copyOf(unnamed);
            warnings = List.copyOf(warnings);
            notices = List.copyOf(notices);
        }

        public Found(List<LocalMachine> machines, List<JvmInfo> unnamed, List<String> warnings) {
            this(machines, unnamed, warnings, List.of());
        }

        /** The machine named {@code name}, if running. */
        public Optional<LocalMachine> machine(String name) {
            return machines.stream().filter(m -> m.name().equals(name)).findFirst();
        }
    }

    /** Looks at every local JVM. */
    public Found discover() {
        Map<String, LocalMachine> byName = new LinkedHashMap<>();
        List<JvmInfo> unnamed = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        List<String> notices = new ArrayList<>();
        JvmListing.Listed listed = listing.get();
        List<JvmInfo> jvms = newest(listed);
        Set<Long> pids = jvms.stream().map(JvmInfo::pid).collect(Collectors.toSet());
        properties.keySet().retainAll(pids);
        identities.keySet().retainAll(pids);
        looks.keySet().retainAll(pids);
        for (JvmInfo jvm : jvms) {
            Optional<LocalMachine> m = describe(jvm);
            if (m.isEmpty()) {
                unnamed.add(jvm);
                if (!jvm.machineName().isEmpty() && config.onlyConfigured() && !config.machines().containsKey(jvm.machineName())) {
                    notices.add("JVM " + jvm.pid() + " calls itself machine '" + jvm.machineName() + "', which this node's config does not"
                            + " list, so it is not managed (node.manage = configured, the default); to manage it, add a line"
                            + " machine." + jvm.machineName() + ".region = … (any machine." + jvm.machineName() + ".* key) to "
                            + (config.file() == null ? "a config file given with --config" : config.file().toString())
                            + ", or set node.manage = all");
                }
                continue;
            }
            LocalMachine first = byName.putIfAbsent(m.get().name(), m.get());
            if (first != null) {
                warnings.add("JVM " + jvm.pid() + " (" + jvm.displayName() + ") also calls itself machine '" + m.get().name()
                        + "', which is JVM " + first.pid() + "; it is ignored until it gets its own name (-Dhotpatch.machine=NAME)");
            }
        }
        Found found = new Found(new ArrayList<>(byName.values()), unnamed, warnings, notices);
        last = found;
        return found;
    }

    /**
     * Machine {@code name} as the last look found it, when its JVM is still that same process
     * (pid and start time), else as a fresh look finds it. Cheaper than {@link #discover()}, which
     * attaches to every JVM on the host: for finding the JVM a command goes to. What the JVM is
     * running may have changed since (take a fresh look for a report).
     */
    public Optional<LocalMachine> machine(String name) {
        Found f = last;
        if (f != null) {
            Optional<LocalMachine> m = f.machine(name);
            if (m.isPresent() && m.get().startedAt() != null && m.get().startedAt().equals(startedAt(m.get().pid()))) {
                Optional<String> blocked = calls.unanswered(m.get().pid());
                return Optional.of(blocked.isPresent() ? m.get().notAnswering(blocked.get()) : m.get());
            }
        }
        return discover().machine(name);
    }

    /**
     * Machine {@code name} as it is now: its JVM looked at afresh (one attach, to that JVM alone)
     * when the last look found it and it is still that process, else a fresh look at the host. For
     * reports after a command, which must show what the JVM runs now (an agent loaded meanwhile).
     */
    public Optional<LocalMachine> machineNow(String name) {
        Found f = last;
        if (f != null) {
            Optional<LocalMachine> m = f.machine(name);
            if (m.isPresent() && m.get().startedAt() != null && m.get().startedAt().equals(startedAt(m.get().pid()))) {
                Optional<LocalMachine> now = at(m.get().pid());
                if (now.isPresent() && now.get().name().equals(name)) {
                    return now;
                }
            }
        }
        return discover().machine(name);
    }

    /** The machine running as process {@code pid}, if that is a named JVM. */
    public Optional<LocalMachine> at(long pid) {
        Optional<String> blocked = calls.unanswered(pid);
        if (blocked.isPresent()) {
            return known(pid).map(m -> m.notAnswering(blocked.get()));
        }
        try {
            Instant begun = Instant.now();
            Optional<JvmInfo> jvm = calls.look(pid, "a look at it (attach)", () -> access.findJvm(pid));
            jvm.ifPresent(j -> looks.put(pid, new Look(startedAt(pid), begun, j)));
            return jvm.flatMap(this::describe);
        } catch (TargetTimeoutException e) {
            return known(pid).map(m -> m.notAnswering(e.getMessage()));
        }
    }

    /**
     * The listed JVMs, each replaced by what a single look found when that look began after the
     * listing did (same process), and with the JVMs such a look found that the listing lacks (a
     * process started after it, still running): a listing may be one taken before the node changed
     * a JVM or restarted a machine (it is reused while a fresh one is slow), and must not undo what
     * the node saw afterwards, such as the agent it loaded, or the new JVM of a machine it restarted,
     * or the report after the command would say the agent is gone, or that the machine is not running.
     */
    private List<JvmInfo> newest(JvmListing.Listed listed) {
        List<JvmInfo> out = new ArrayList<>(listed.jvms().size());
        Set<Long> listedPids = new java.util.HashSet<>();
        for (JvmInfo jvm : listed.jvms()) {
            listedPids.add(jvm.pid());
            Look look = looks.get(jvm.pid());
            out.add(newer(look, listed) ? look.jvm() : jvm);
        }
        for (Map.Entry<Long, Look> e : looks.entrySet()) {
            if (!listedPids.contains(e.getKey()) && e.getValue().startedAt() != null && newer(e.getValue(), listed)) {
                out.add(e.getValue().jvm());
            }
        }
        out.sort(java.util.Comparator.comparingLong(JvmInfo::pid));
        return out;
    }

    /** Whether {@code look} began after {@code listed} did, at the process that still runs as that pid. */
    private static boolean newer(Look look, JvmListing.Listed listed) {
        return look != null && look.begun().isAfter(listed.begun()) && Objects.equals(look.startedAt(), startedAt(look.jvm().pid()));
    }

    private Optional<LocalMachine> describe(JvmInfo jvm) {
        Optional<LocalMachine> m = name(jvm);
        m.ifPresent(x -> {
            if (x.answering()) {
                identities.put(x.pid(), new Seen<>(x.startedAt(), x));
            }
        });
        return m;
    }

    /** The machine process {@code pid} was when it last answered, if it is still that process. */
    private Optional<LocalMachine> known(long pid) {
        Seen<LocalMachine> s = identities.get(pid);
        return s != null && Objects.equals(s.startedAt(), startedAt(pid)) ? Optional.of(s.value()) : Optional.empty();
    }

    private static Instant startedAt(long pid) {
        return ProcessHandle.of(pid).flatMap(h -> h.info().startInstant()).orElse(null);
    }

    private Optional<LocalMachine> name(JvmInfo jvm) {
        Optional<String> blocked = calls.unanswered(jvm.pid());
        Optional<LocalMachine> before = known(jvm.pid());
        if (blocked.isPresent() && before.isPresent()) {
            return Optional.of(before.get().notAnswering(blocked.get()));
        }
        if (before.isPresent() && before.get().jvm().agentPresent() && !jvm.agentPresent()) {
            // An agent never leaves the JVM it was loaded into: this look was taken before it came (a listing
            // returned late, see JvmListing), and a fresher look at the same process (after a command) knows better.
            jvm = before.get().jvm();
        }
        String name;
        LocalMachine.NameSource source;
        Optional<String> launched = launchedAs.apply(jvm.pid());
        if (before.isPresent() && launched.isEmpty() && jvm.machineName().isEmpty()
                && before.get().source() != LocalMachine.NameSource.CONFIG) {
            // It had a name a moment ago and the same process has none now: the look failed, it did not lose its name.
            return Optional.of(before.get().notAnswering("JVM " + jvm.pid() + " did not answer a look at it"
                    + (jvm.reason().isEmpty() ? "" : " (" + jvm.reason() + ")") + ": " + ProcessState.describe(jvm.pid())));
        }
        if (launched.isPresent()) {
            name = launched.get();
            source = LocalMachine.NameSource.SUPERVISED;
        } else if (!jvm.machineName().isEmpty()) {
            name = jvm.machineName();
            source = jvm.agentPresent() ? LocalMachine.NameSource.AGENT : LocalMachine.NameSource.PROPERTY;
        } else {
            Optional<MachineConfig> matched = config.matching(jvm.displayName());
            if (matched.isEmpty()) {
                return Optional.empty();
            }
            name = matched.get().name();
            source = LocalMachine.NameSource.CONFIG;
        }
        if (config.onlyConfigured() && !config.machines().containsKey(name)) {
            return Optional.empty();
        }
        Instant started = startedAt(jvm.pid());
        List<Path> classPath = List.of();
        Path cwd = null;
        String problem = "";
        String runtime = "";
        try {
            Properties props = systemProperties(jvm.pid(), started);
            runtime = (props.getProperty("java.runtime.name", "") + " " + props.getProperty("java.runtime.version", "")).trim();
            cwd = pathIn(jvm.pid(), props.getProperty("user.dir", ""), null);
            String sep = props.getProperty("path.separator", ":");
            classPath = classPath(jvm.pid(), props.getProperty("java.class.path", ""), props.getProperty("jdk.module.path", ""), sep, cwd);
        } catch (TargetTimeoutException e) {
            if (before.isPresent()) {
                return Optional.of(before.get().notAnswering(e.getMessage()));
            }
            return Optional.of(new LocalMachine(name, source, jvm, runtime, config.machine(name), classPath, cwd, started,
                    "cannot read its class path: " + e.getMessage(), e.getMessage()));
        } catch (RuntimeException e) {
            problem = "cannot read its class path: " + e.getMessage();
        }
        return Optional.of(new LocalMachine(name, source, jvm, runtime, config.machine(name), classPath, cwd, started, problem, ""));
    }

    /** The JVM's system properties, read once per process: they do not change while it runs. */
    private Properties systemProperties(long pid, Instant started) {
        Seen<Properties> s = properties.get(pid);
        if (s != null && Objects.equals(s.startedAt(), started)) {
            return s.value();
        }
        Properties p = calls.look(pid, "the attach request for its class path", () -> access.systemProperties(pid));
        properties.put(pid, new Seen<>(started, p));
        return p;
    }

    private static List<Path> classPath(long pid, String classPath, String modulePath, String sep, Path cwd) {
        List<Path> out = new ArrayList<>();
        for (String entry : classPath.split(java.util.regex.Pattern.quote(sep))) {
            Path p = pathIn(pid, entry, cwd);
            if (p != null && !out.contains(p)) {
                out.add(p);
            }
        }
        for (String entry : modulePath.split(java.util.regex.Pattern.quote(sep))) {
            Path p = pathIn(pid, entry, cwd);
            if (p == null) {
                continue;
            }
            if (Files.isDirectory(p) && !Files.isDirectory(p.resolve("module-info.class"))) {
                try (DirectoryStream<Path> jars = Files.newDirectoryStream(p, "*.jar")) {
                    for (Path jar : jars) {
                        if (!out.contains(jar)) {
                            out.add(jar);
                        }
                    }
                } catch (IOException e) {
                    // An unreadable module folder contributes nothing; its jars are then simply not reported.
                }
            } else if (!out.contains(p)) {
                out.add(p);
            }
        }
        return out;
    }

    /**
     * {@code entry} as an absolute path in this process's view of the file system: resolved against
     * the JVM's working folder, and reached through {@code /proc/PID/root} when the JVM lives in
     * another mount namespace (a container) and the path does not exist here.
     */
    private static Path pathIn(long pid, String entry, Path cwd) {
        if (entry == null || entry.isBlank()) {
            return null;
        }
        try {
            Path p = Path.of(entry);
            if (!p.isAbsolute()) {
                if (cwd == null) {
                    return null;
                }
                p = cwd.resolve(p);
            }
            p = p.normalize();
            if (!Files.exists(p)) {
                Path viaRoot = Path.of("/proc", Long.toString(pid), "root").resolve(p.toString().substring(1));
                if (Files.exists(viaRoot)) {
                    return viaRoot;
                }
            }
            return p;
        } catch (InvalidPathException e) {
            return null;
        }
    }
}
