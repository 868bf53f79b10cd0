package dev.hotpatch.attach;

import dev.hotpatch.format.channel.Message;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything the agent's {@code list} answers about its JVM: the hotpatches (live and held back),
 * a restart the JVM owes, and what the agent could not do.
 *
 * @param mode           {@code enrolled} or {@code attached}; empty from an older agent
 * @param hotpatches     live ones in installation order, then quarantined and revoked ones
 * @param restartPending when a jar the JVM loaded changed on disk since (a baseline installed without restart); null otherwise
 * @param problems       e.g. a persisted hotpatch that could not be restored; empty when none
 */
public record AgentReport(String mode, List<InstalledHotpatch> hotpatches, RestartPending restartPending, List<String> problems) {
    public AgentReport {
        hotpatches = List.copyOf(hotpatches);
        problems = List.copyOf(problems);
    }

    /**
     * A restart the JVM owes because code it runs changed on disk; until it restarts the agent
     * refuses hotpatches for that code.
     *
     * @param since  when the agent first noticed
     * @param reason which file changed and how
     */
    public record RestartPending(Instant since, String reason) {
    }

    /** The quarantined hotpatches. */
    public List<InstalledHotpatch> quarantined() {
        return hotpatches.stream().filter(h -> h.state().equals(InstalledHotpatch.QUARANTINED)).toList();
    }

    static AgentReport from(Message m) {
        String reason = m.get("restartPending.reason", "");
        RestartPending pending = reason.isEmpty() ? null
                : new RestartPending(InstalledHotpatch.instant(m.get("restartPending.since", "")), reason);
        List<String> problems = new ArrayList<>();
        for (String p : m.get("problems", "").split(" \\| ")) {
            if (!p.isBlank()) {
                problems.add(p.trim());
            }
        }
        return new AgentReport(m.get("mode", ""), InstalledHotpatch.listFrom(m), pending, problems);
    }
}
