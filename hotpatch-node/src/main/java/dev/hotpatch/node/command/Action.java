package dev.hotpatch.node.command;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.util.List;

/** What a command asks the node to do to a machine: one record per kind of work. */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = Action.Assess.class, name = Action.ASSESS),
        @JsonSubTypes.Type(value = Action.InstallHotpatch.class, name = Action.INSTALL_HOTPATCH),
        @JsonSubTypes.Type(value = Action.UninstallHotpatch.class, name = Action.UNINSTALL_HOTPATCH),
        @JsonSubTypes.Type(value = Action.InstallBaseline.class, name = Action.INSTALL_BASELINE),
        @JsonSubTypes.Type(value = Action.Restart.class, name = Action.RESTART)
})
public sealed interface Action permits Action.Assess, Action.InstallHotpatch, Action.UninstallHotpatch, Action.InstallBaseline,
        Action.Restart {
    String ASSESS = "assess";
    String INSTALL_HOTPATCH = "install_hotpatch";
    String INSTALL_UPDATE = "install_update";
    String INSTALL_BASELINE = "install_baseline";
    String UNINSTALL_HOTPATCH = "uninstall_hotpatch";
    String RESTART = "restart";

    /** The command type, as the server names it: {@code install_hotpatch} … */
    default String type() {
        if (this instanceof InstallHotpatch) {
            return INSTALL_HOTPATCH;
        }
        if (this instanceof UninstallHotpatch) {
            return UNINSTALL_HOTPATCH;
        }
        if (this instanceof InstallBaseline b) {
            return b.baselineId() == null ? INSTALL_UPDATE : INSTALL_BASELINE;
        }
        return this instanceof Restart ? RESTART : ASSESS;
    }

    /** Send a fresh inventory. */
    record Assess() implements Action {
    }

    /** Install a hotpatch live: download, verify hash and signature, apply through the agent. */
    record InstallHotpatch(String kbId, Artifact pkg) implements Action {
    }

    /** Remove a hotpatch live through the agent. */
    record UninstallHotpatch(String kbId) implements Action {
    }

    /**
     * Replace the machine's application jars with a baseline's (or a restart update's) and, when
     * {@code restart} is set, restart and confirm it runs them, else put the old jars back.
     * Without {@code restart} the jars are swapped and the result is {@code pending_restart}: the
     * next restart confirms them (or puts the old ones back).
     *
     * @param baselineId the baseline, or null for a restart update
     * @param kbId       the KB id, when it has one
     * @param version    the baseline's version, for messages
     * @param jars       the new jars
     * @param restart    restart now
     * @param rollback   this returns the machine to an earlier baseline
     * @param descriptor the publisher's signed release descriptor of the jars; the node verifies it against its own trust
     *                   folder before changing anything, and refuses a command without one
     */
    record InstallBaseline(String baselineId, String kbId, String version, List<Artifact> jars, boolean restart, boolean rollback,
                           Artifact descriptor)
            implements Action {
        public InstallBaseline {
            jars = List.copyOf(jars);
        }

        /** What is installed, for messages: {@code baseline 1.1} or {@code update KB…}. */
        public String what() {
            if (baselineId == null) {
                return "update " + kbId;
            }
            return "baseline " + (version != null ? version : baselineId);
        }
    }

    /** Restart the JVM and wait until it is back. */
    record Restart(String reason) implements Action {
    }
}
