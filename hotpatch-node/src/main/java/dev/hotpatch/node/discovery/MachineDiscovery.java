package dev.hotpatch.node.discovery;

import dev.hotpatch.attach.JvmInfo;
import dev.hotpatch.attach.LocalJvms;
import dev.hotpatch.node.access.TargetAccess;
import dev.hotpatch.node.config.MachineConfig;
import dev.hotpatch.node.config.NodeConfig;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.function.LongFunction;

/**
 * Finds the machines on this host: every local JVM ({@link LocalJvms}) that has a stable name,
 * with its config and its class path. A JVM is named, in this order, by the node having launched
 * it as a configured machine, by its agent's {@code name=} option or its {@code -Dhotpatch.machine}
 * property, or by a config {@code match} on its main class or jar; JVMs without a name are left
 * alone. When two JVMs claim one name the one with the lower pid is the machine and the other is
 * reported in {@link Found#warnings()}. With {@code node.manage = configured} (the default) only the
 * machines the config file lists are machines; named JVMs left out that way are in {@link Found#notices()}. Thread-safe (stateless apart from its inputs).
 */
public final class MachineDiscovery {
    private final NodeConfig config;
    private final TargetAccess access;
    private final LongFunction<Optional<String>> launchedAs;

    /**
     * @param config     the node's config
     * @param launchedAs the configured machine a process (or one of its ancestors) was launched as by this node
     */
    public MachineDiscovery(NodeConfig config, LongFunction<Optional<String>> launchedAs) {
        this(config, launchedAs, TargetAccess.sameUser());
    }

    /** @param access how to read a JVM's system properties: as this user, or as each JVM's own user for a root node */
    public MachineDiscovery(NodeConfig config, LongFunction<Optional<String>> launchedAs, TargetAccess access) {
        this.config = config;
        this.launchedAs = launchedAs;
        this.access = access;
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
        for (JvmInfo jvm : access.listJvms()) {
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
        return new Found(new ArrayList<>(byName.values()), unnamed, warnings, notices);
    }

    /** The machine running as process {@code pid}, if that is a named JVM. */
    public Optional<LocalMachine> at(long pid) {
        return access.findJvm(pid).flatMap(this::describe);
    }

    private Optional<LocalMachine> describe(JvmInfo jvm) {
        String name;
        LocalMachine.NameSource source;
        Optional<String> launched = launchedAs.apply(jvm.pid());
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
        Instant started = ProcessHandle.of(jvm.pid()).flatMap(h -> h.info().startInstant()).orElse(null);
        List<Path> classPath = List.of();
        Path cwd = null;
        String problem = "";
        String runtime = "";
        try {
            Properties props = access.systemProperties(jvm.pid());
            runtime = (props.getProperty("java.runtime.name", "") + " " + props.getProperty("java.runtime.version", "")).trim();
            cwd = pathIn(jvm.pid(), props.getProperty("user.dir", ""), null);
            String sep = props.getProperty("path.separator", ":");
            classPath = classPath(jvm.pid(), props.getProperty("java.class.path", ""), props.getProperty("jdk.module.path", ""), sep, cwd);
        } catch (RuntimeException e) {
            problem = "cannot read its class path: " + e.getMessage();
        }
        return Optional.of(new LocalMachine(name, source, jvm, runtime, config.machine(name), classPath, cwd, started, problem));
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
