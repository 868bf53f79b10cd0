package dev.hotpatch.server.policy;

import dev.hotpatch.server.window.Window;
import java.time.ZoneId;
import java.util.Map;

/**
 * A machine's settings after inheritance.
 *
 * @param settings  every field resolved (machine, node config, group, image, fleet, defaults)
 * @param sources   field name → where its value came from: {@code machine}, {@code node config},
 *                  {@code group NAME}, {@code image NAME}, {@code fleet} or {@code default}
 * @param automatic whether automatic patching applies to the machine (patch mode AutomaticByPlatform, group not uniform)
 * @param whyNot    why it does not, when it does not
 * @param ring      its ring among the image's rings; null when the image has none
 */
public record Effective(String machineId, PolicySettings settings, Map<String, String> sources, boolean automatic, String whyNot,
                        String ring) {
    /** The zone its windows are evaluated in. */
    public ZoneId zone() {
        return ZoneId.of(settings.timeZone());
    }

    public Window window() {
        return Window.parseOrDefault(settings.window());
    }

    /** Whether the machine may be in a rollout at all (an operator's rollout takes Manual machines, never Disabled ones). */
    public boolean disabled() {
        return PolicySettings.DISABLED.equals(settings.patchMode());
    }
}
