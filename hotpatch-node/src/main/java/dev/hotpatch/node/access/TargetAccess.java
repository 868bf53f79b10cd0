package dev.hotpatch.node.access;

import dev.hotpatch.attach.AgentInfo;
import dev.hotpatch.attach.AgentReport;
import dev.hotpatch.attach.ApplyResult;
import dev.hotpatch.attach.InstalledHotpatch;
import dev.hotpatch.attach.JvmInfo;
import dev.hotpatch.attach.UninstallResult;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

/**
 * How the node reaches a JVM and its agent: reading its system properties (attach), asking the
 * agent what is installed, applying and removing hotpatches. Two ways: {@link SameUser}, in this
 * process, for a node running as the JVMs' own user; and {@link AsTargetUser}, for a node running
 * as root, which does each of these as the target JVM's own uid and gid in a short-lived child
 * process of the node's own Java, so that root never attaches to, loads code into, or parses the
 * replies of another user's JVM. Implementations are thread-safe.
 */
public interface TargetAccess {

    /**
     * What the agent in a JVM says about itself; {@code present} false when no agent runs there.
     * {@code restartPending} (null when none) and {@code problems} are the agent report's (C1).
     */
    record Inspection(boolean present, String mode, AgentInfo info, List<InstalledHotpatch> installed,
                      AgentReport.RestartPending restartPending, List<String> problems) {
        public Inspection {
            installed = installed == null ? List.of() : List.copyOf(installed);
            problems = problems == null ? List.of() : List.copyOf(problems);
        }

        static Inspection absent() {
            return new Inspection(false, "none", null, List.of(), null, List.of());
        }
    }

    /** An apply's result, and whether the agent had to be loaded for it. */
    record Applied(ApplyResult result, boolean loadedNow) {
    }

    /**
     * An uninstall's outcome: {@code present} false when no agent runs there (nothing done);
     * {@code installed} the ids installed before; {@code result} null when the requested id was not
     * among them (nothing done).
     */
    record Uninstalled(boolean present, List<String> installed, UninstallResult result) {
    }

    /** Every local JVM but this process, ordered by pid, each looked at (briefly attached to) as its own user. */
    List<JvmInfo> listJvms();

    /** The JVM with process id {@code pid}, looked at as its own user; empty when there is none. */
    Optional<JvmInfo> findJvm(long pid);

    /** The JVM's system properties (class path, working folder, runtime), read through the attach API. */
    Properties systemProperties(long pid);

    /** Asks the agent in JVM {@code pid}, if one runs there, who it is and what is installed; never loads it. */
    Inspection inspect(long pid);

    /**
     * Installs the package at {@code pkg} (verified by the agent against {@code trust}, or its own
     * trust folder when null) in JVM {@code pid}, loading the agent, named {@code agentName} (may be
     * empty), when absent.
     */
    Applied apply(long pid, String agentName, Path pkg, Path trust, String actor);

    /** Removes hotpatch {@code kbId} (the latest when null) from JVM {@code pid}. */
    Uninstalled uninstall(long pid, String kbId, String actor);

    /**
     * The access for a node running as this process's user: as each target's user when that is
     * root, else in process.
     *
     * @param handover the config's {@code node.handover}, or null for the default; a root node checks it now
     * @throws dev.hotpatch.node.ConfigException when a root node's handover folder is not safe
     */
    static TargetAccess forThisProcess(Path handover) {
        SameUser same = new SameUser();
        if (!TargetUser.self().isRoot()) {
            return same;
        }
        try {
            return new AsTargetUser(same, handover);
        } catch (dev.hotpatch.node.NodeException e) {
            throw new dev.hotpatch.node.ConfigException("node.handover", e.getMessage());
        }
    }

    /** In-process access (a node that runs as its JVMs' user). */
    static TargetAccess sameUser() {
        return new SameUser();
    }
}
