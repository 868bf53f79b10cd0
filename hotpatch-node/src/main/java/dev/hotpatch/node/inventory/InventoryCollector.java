package dev.hotpatch.node.inventory;

import dev.hotpatch.attach.AgentInfo;
import dev.hotpatch.attach.AgentReport;
import dev.hotpatch.attach.AttachException;
import dev.hotpatch.attach.InstalledHotpatch;
import dev.hotpatch.node.access.TargetAccess;
import dev.hotpatch.node.config.MachineConfig;
import dev.hotpatch.node.config.NodeConfig;
import dev.hotpatch.node.discovery.LocalMachine;
import dev.hotpatch.node.deadline.TargetCalls;
import dev.hotpatch.node.deadline.TargetTimeoutException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Builds a machine's {@link MachineInventory}: hashes its class path (jars, classes, manifest
 * {@code Class-Path} jars), asks its agent, when one runs, for its version and installed
 * hotpatches (it never loads an agent), and adds the config and the health check's counters.
 *
 * <p>Asking the agent is a call into the JVM under the node's look deadline ({@link TargetCalls}).
 * When the JVM does not answer (it is stopped or hung), the report says so ({@code agent.reachable}
 * false, the reason in {@code problems}) and carries the hotpatches the agent listed when this same
 * process last answered, so that a stopped JVM is neither shown as patch-free nor as healthy.
 * Thread-safe when {@link CodeHashes} is.
 */
public final class InventoryCollector {
    /** Most classes an inventory lists; the server refuses more. */
    public static final int MAX_CLASSES = 200_000;

    private final NodeConfig config;
    private final CodeHashes hashes;
    private final Function<String, List<String>> installedUpdates;
    private final TargetAccess access;
    private final TargetCalls calls;
    private final Function<LocalMachine, MachineInventory.Health> health;
    /** What each machine's agent said when its JVM last answered. */
    private final Map<String, LastLook> lastLooks = new ConcurrentHashMap<>();

    private record LastLook(long pid, Instant startedAt, MachineInventory.Agent agent, List<MachineInventory.Hotpatch> hotpatches, Instant at) {
    }

    /** What one look at a machine's agent found. */
    private record Look(boolean present, String version, String mode, List<InstalledHotpatch> installed) {
    }

    /**
     * @param installedUpdates restart updates and baselines the node installed, by machine name
     */
    public InventoryCollector(NodeConfig config, CodeHashes hashes, Function<String, List<String>> installedUpdates) {
        this(config, hashes, installedUpdates, TargetAccess.sameUser(), new TargetCalls(config.targetTimeout(), config.installTimeout(),
                late -> {
                }), m -> null);
    }

    /**
     * @param installedUpdates restart updates and baselines the node installed, by machine name
     * @param access           how to ask a JVM's agent: as this user, or as each JVM's own user for a root node
     * @param calls            how the JVMs are reached under deadlines (shared with the rest of the node)
     * @param health           a machine's health as its check last ran, or null when it has none
     */
    public InventoryCollector(NodeConfig config, CodeHashes hashes, Function<String, List<String>> installedUpdates, TargetAccess access,
                              TargetCalls calls, Function<LocalMachine, MachineInventory.Health> health) {
        this.config = config;
        this.hashes = hashes;
        this.installedUpdates = installedUpdates;
        this.access = access;
        this.calls = calls;
        this.health = health;
    }

    /**
     * A machine's inventory, and the hashes of the classes its class path holds on disk (what
     * standalone mode checks package baselines against).
     *
     * @param report      the report for the server
     * @param diskClasses internal class name to SHA-256 of the class path's bytes, first occurrence wins
     * @param jarFiles    each class path jar with its SHA-256
     */
    public record Collected(MachineInventory report, Map<String, String> diskClasses, Map<Path, String> jarFiles) {
    }

    public Collected collect(LocalMachine m) {
        List<String> problems = new ArrayList<>();
        if (!m.problem().isEmpty()) {
            problems.add(m.problem());
        }
        Map<Path, String> jarFiles = new LinkedHashMap<>();
        Map<String, String> disk = new LinkedHashMap<>();
        Map<String, String> fromFolders = new LinkedHashMap<>();
        Set<Path> seen = new LinkedHashSet<>();
        List<Path> queue = new ArrayList<>(m.classPath());
        for (int i = 0; i < queue.size(); i++) {
            Path entry = queue.get(i);
            if (!seen.add(entry)) {
                continue;
            }
            try {
                if (Files.isDirectory(entry)) {
                    Map<String, String> folder = hashes.folder(entry);
                    folder.forEach(disk::putIfAbsent);
                    folder.forEach(fromFolders::putIfAbsent);
                } else if (Files.isRegularFile(entry)) {
                    CodeHashes.JarDigest d = hashes.jar(entry);
                    jarFiles.put(entry, d.sha256());
                    d.classes().forEach(disk::putIfAbsent);
                    queue.addAll(d.manifestClassPath());
                }
            } catch (IOException e) {
                problems.add("cannot hash class path entry " + entry + ": " + e.getMessage());
            }
        }
        List<MachineInventory.Hotpatch> hotpatches = new ArrayList<>();
        AgentExtras[] extras = new AgentExtras[1];
        MachineInventory.Agent agent = agent(m, hotpatches, problems, extras);
        Map<String, String> inUse = new LinkedHashMap<>(switch (config.classes()) {
            case ALL -> disk;
            case DIRECTORIES -> fromFolders;
            case NONE -> Map.<String, String>of();
        });
        if (config.classes() != NodeConfig.ClassReporting.NONE) {
            for (MachineInventory.Hotpatch hp : hotpatches) {
                for (MachineInventory.Hash c : hp.classes()) {
                    if (inUse.containsKey(c.name())) {
                        inUse.put(c.name(), c.sha256());
                    }
                }
            }
        }
        if (inUse.size() > MAX_CLASSES) {
            problems.add("its class path holds " + inUse.size() + " classes, more than the " + MAX_CLASSES
                    + " an inventory may list; only jar hashes are reported (set node.classes = directories)");
            inUse = Map.of();
        }
        List<MachineInventory.Hash> jars = new ArrayList<>();
        jarFiles.forEach((p, sha) -> jars.add(new MachineInventory.Hash(p.getFileName().toString(), sha)));
        List<MachineInventory.Hash> classes = new ArrayList<>();
        inUse.forEach((n, sha) -> classes.add(new MachineInventory.Hash(n, sha)));
        MachineConfig c = m.config();
        MachineInventory report = new MachineInventory(m.name(), m.pid(),
                new MachineInventory.Jvm(m.jvm().vendor(), m.jvm().javaVersion(), m.runtime()), agent, c.image(), jars, classes,
                hotpatches, installedUpdates.apply(m.name()), config(c), m.startedAt(), m.jvm().status().label(),
                m.jvm().reason(), m.source().name().toLowerCase(Locale.ROOT),
                c.supervised() ? "supervised" : c.restartCommand().isEmpty() ? "none" : "command", problems, health.apply(m),
                extras[0] == null ? null : extras[0].quarantined(), extras[0] == null ? null : extras[0].restartPending());
        return new Collected(report, disk, jarFiles);
    }

    private MachineInventory.Config config(MachineConfig c) {
        return new MachineInventory.Config(config.zoneFor(c).getId(), c.region(), c.zone(), c.availabilitySet(), c.updateDomain(),
                c.patchMode() == null ? null : c.patchMode().label(), c.hotpatch(), c.group(), c.groupOrchestration(),
                c.tags(), c.healthUrl() == null ? null : c.healthUrl().toString());
    }

    /** What the agent said besides its hotpatches: quarantine and a pending restart (C1); null when it was not asked. */
    private record AgentExtras(List<MachineInventory.Quarantined> quarantined, MachineInventory.RestartPending restartPending) {
    }

    private MachineInventory.Agent agent(LocalMachine m, List<MachineInventory.Hotpatch> out, List<String> problems,
                                         AgentExtras[] extras) {
        if (!m.answering()) {
            problems.add(m.unanswered());
            return asLastSeen(m, out, problems);
        }
        if (!m.jvm().agentPresent()) {
            return new MachineInventory.Agent(false, null, "none", false);
        }
        try {
            TargetAccess.Inspection a = calls.look(m.pid(), "a look at its agent (what is installed)", () -> access.inspect(m.pid()));
            if (!a.present()) {
                return new MachineInventory.Agent(false, null, "none", false);
            }
            AgentInfo info = a.info();
            List<MachineInventory.Hotpatch> found = new ArrayList<>();
            List<MachineInventory.Quarantined> quarantined = new ArrayList<>();
            for (InstalledHotpatch hp : a.installed()) {
                if (hp.state().equals(InstalledHotpatch.QUARANTINED)) {
                    quarantined.add(new MachineInventory.Quarantined(hp.id(), hp.stateSince(), hp.stateReason()));
                } else if (!hp.live()) {
                    problems.add("hotpatch " + hp.id() + " is " + hp.state() + " in the JVM and not running: " + hp.stateReason());
                } else {
                    InstalledHotpatch.Fixup f = hp.fixup();
                    found.add(new MachineInventory.Hotpatch(hp.id(), hp.installedOn(), classesInUse(hp), hp.state(),
                            f == null ? null : new MachineInventory.Fixup(f.className(), f.state(), f.detail())));
                }
            }
            out.addAll(found);
            problems.addAll(a.problems());
            AgentReport.RestartPending pending = a.restartPending();
            extras[0] = new AgentExtras(quarantined,
                    pending == null ? null : new MachineInventory.RestartPending(pending.since(), pending.reason()));
            MachineInventory.Agent agent = new MachineInventory.Agent(true, info.version(), info.mode().isEmpty() ? a.mode() : info.mode(), true);
            lastLooks.put(m.name(), new LastLook(m.pid(), m.startedAt(), agent, found, Instant.now()));
            return agent;
        } catch (TargetTimeoutException e) {
            problems.add(e.getMessage());
            return asLastSeen(m, out, problems);
        } catch (AttachException e) {
            problems.add("cannot ask its agent: " + e.getMessage());
            return new MachineInventory.Agent(true, null, m.jvm().mode().isEmpty() ? "none" : m.jvm().mode(), false);
        }
    }

    /**
     * The hashes of the bytes the hotpatch's classes actually run, one per loaded copy (contract
     * C4), so that the server verifies what runs and not the package against itself. A superseded
     * hotpatch's classes run a later one's bytes: none are listed for it. An older agent reports
     * no copies: its class hash (the package's) is passed on as before.
     */
    private static List<MachineInventory.Hash> classesInUse(InstalledHotpatch hp) {
        List<MachineInventory.Hash> classes = new ArrayList<>();
        if (hp.state().equals(InstalledHotpatch.SUPERSEDED)) {
            return classes;
        }
        for (InstalledHotpatch.InstalledClass ic : hp.classes()) {
            String name = ic.name().replace('.', '/');
            if (ic.copies().isEmpty()) {
                if (ic.loaders() > 0) {
                    classes.add(new MachineInventory.Hash(name, ic.sha256()));
                }
                continue;
            }
            for (InstalledHotpatch.Copy copy : ic.copies()) {
                if (!copy.sha256().isEmpty()) {
                    classes.add(new MachineInventory.Hash(name, copy.sha256()));
                }
            }
        }
        return classes;
    }

    /** The agent and hotpatches as this same JVM's agent last reported them, marked unreachable. */
    private MachineInventory.Agent asLastSeen(LocalMachine m, List<MachineInventory.Hotpatch> out, List<String> problems) {
        LastLook last = lastLooks.get(m.name());
        if (last == null || last.pid() != m.pid() || !Objects.equals(last.startedAt(), m.startedAt())) {
            return new MachineInventory.Agent(m.jvm().agentPresent(), null, m.jvm().mode().isEmpty() ? "none" : m.jvm().mode(), false);
        }
        out.addAll(last.hotpatches());
        if (!last.hotpatches().isEmpty()) {
            problems.add("its hotpatches are listed as its agent reported them at " + last.at());
        }
        MachineInventory.Agent a = last.agent();
        return new MachineInventory.Agent(a.present(), a.version(), a.mode(), false);
    }
}
