package dev.hotpatch.attach;

import java.util.List;

/**
 * One local JVM as {@link LocalJvms} found it.
 *
 * @param pid          process id
 * @param displayName  main class or jar file name ({@code fees-app.jar}); the pid when unknown
 * @param javaVersion  the target's {@code java.version}, e.g. {@code 17.0.15}; empty when unknown
 * @param vendor       the target's {@code java.vendor}; empty when unknown
 * @param machineName  the machine name the agent reports, or the target's {@code -Dhotpatch.machine}; may be empty
 * @param agentPresent whether the hotpatch agent runs in the target
 * @param mode         {@code enrolled} (agent from start), {@code attached} (loaded at run time) or empty (no agent)
 * @param status       whether it can be hotpatched
 * @param reason       why it is not supported, or a note about an enabled one; may be empty
 * @param installedIds ids of the hotpatches installed in it, in installation order
 */
public record JvmInfo(long pid, String displayName, String javaVersion, String vendor, String machineName,
                      boolean agentPresent, String mode, HotpatchStatus status, String reason, List<String> installedIds) {
    public JvmInfo {
        installedIds = List.copyOf(installedIds);
    }
}
