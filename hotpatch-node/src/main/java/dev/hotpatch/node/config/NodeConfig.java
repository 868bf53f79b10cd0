package dev.hotpatch.node.config;

import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The node's config file, parsed and checked: node-wide settings, the standalone policy, and the
 * machines it describes. The format is documented in {@code hotpatch-node/README.md}: {@code key = value}
 * lines, such as {@code machine.fees.timeZone = Europe/Paris}. Immutable.
 *
 * @param file      the file it came from; null for the defaults
 * @param nodeName  this node's name; null: the host name
 * @param trust     default folder of trusted publisher certificates
 * @param timeZone  default time zone of machines that set none; null: the host's
 * @param classes   which per-class hashes inventories carry
 * @param onlyConfigured manage only the machines the file configures ({@code node.manage = configured}, the default), not
 *                       every named JVM ({@code all})
 * @param policy    the standalone policy
 * @param machines  configured machines by name
 * @param handover  where a node running as root hands packages and the agent jar to other users' JVMs; null: the default
 * @param targetTimeout  how long a look at a JVM may take (attach, reading its properties, asking its agent)
 * @param installTimeout how long an install or uninstall in a JVM may take, loading the agent included
 * @param healthInterval time between two health probes of a machine that has a health check
 */
public record NodeConfig(Path file, String nodeName, Path trust, ZoneId timeZone, ClassReporting classes, boolean onlyConfigured,
                         Policy policy, Map<String, MachineConfig> machines, Path handover, Duration targetTimeout, Duration installTimeout,
                         Duration healthInterval) {
    /** Default {@link #targetTimeout}. */
    public static final Duration DEFAULT_TARGET_TIMEOUT = Duration.ofSeconds(15);
    /** Default {@link #installTimeout}. */
    public static final Duration DEFAULT_INSTALL_TIMEOUT = Duration.ofSeconds(120);
    /** Default {@link #healthInterval}. */
    public static final Duration DEFAULT_HEALTH_INTERVAL = Duration.ofSeconds(10);

    /** Which classes an inventory lists with their hashes, besides the jars. */
    public enum ClassReporting {
        /** Every class on the class path (capped), so the server can match a build whose jars were repackaged. */
        ALL,
        /** Only classes in class path folders, which have no jar hash. */
        DIRECTORIES,
        /** None: jars only. */
        NONE
    }

    public NodeConfig {
        machines = Map.copyOf(new TreeMap<>(machines));
        targetTimeout = targetTimeout == null ? DEFAULT_TARGET_TIMEOUT : targetTimeout;
        installTimeout = installTimeout == null ? DEFAULT_INSTALL_TIMEOUT : installTimeout;
        healthInterval = healthInterval == null ? DEFAULT_HEALTH_INTERVAL : healthInterval;
    }

    /** The settings when no config file is given. */
    public static NodeConfig defaults() {
        return new NodeConfig(null, null, null, null, ClassReporting.ALL, true, Policy.DEFAULT, Map.of(), null, null, null, null);
    }

    /**
     * Reads and checks a config file.
     *
     * @throws dev.hotpatch.node.ConfigException naming the key, the line and the fix
     */
    public static NodeConfig load(Path file) {
        return ConfigFile.parse(file);
    }

    /** The machine's configuration, or an unconfigured one when the file does not mention it. */
    public MachineConfig machine(String name) {
        MachineConfig m = machines.get(name);
        return m != null ? m : MachineConfig.unconfigured(name);
    }

    /** The configured machine whose {@code match} names this main class or jar file, if any. */
    public Optional<MachineConfig> matching(String displayName) {
        for (MachineConfig m : machines.values()) {
            if (m.match() != null && m.match().equals(displayName)) {
                return Optional.of(m);
            }
        }
        return Optional.empty();
    }

    /** The trust folder for {@code m}'s packages: its own, else the node's; empty when neither is set. */
    public Optional<Path> trustFor(MachineConfig m) {
        return Optional.ofNullable(m.trust() != null ? m.trust() : trust);
    }

    /** The zone {@code m}'s windows are evaluated in: its own, else the node's, else the host's. */
    public ZoneId zoneFor(MachineConfig m) {
        if (m.timeZone() != null) {
            return m.timeZone();
        }
        return timeZone != null ? timeZone : ZoneId.systemDefault();
    }

    /** The window {@code m} may be changed in by the standalone policy: its own, else the policy's. */
    public MaintenanceWindow windowFor(MachineConfig m) {
        return m.window() != null ? m.window() : policy.window();
    }
}
