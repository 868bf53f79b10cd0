package dev.hotpatch.server.rollout;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A rollout: one hotpatch or baseline going to every eligible machine of an image in waves,
 * availability first, each wave judged healthy before the next starts. The JSON shape of
 * {@code /api/v1/rollouts}.
 *
 * @param kind        {@code hotpatch} or {@code baseline}
 * @param target      the hotpatch's KB id, or the baseline's id
 * @param ring        the ring it is for (automatic rollouts of an image with rings); null: every ring
 * @param origin      {@code automatic} (the server's approval rules started it) or {@code operator}
 * @param state       {@code running}, {@code halted} (waits for an operator to resume or cancel it),
 *                    {@code completed} or {@code canceled}
 * @param currentWave the wave in progress (1-based)
 * @param machines    how many of its machines are in each state
 * @param failures    machines that failed (their gate or install) since the rollout started
 * @param errorBudget failures tolerated since the last resume before it halts
 * @param haltReason  why it halted, when it did
 * @param waves       the waves (in a single rollout's view; null in lists)
 * @param events      its latest events, newest first (in a single rollout's view; null in lists)
 */
public record Rollout(String id, String kind, String target, String title, String imageId, String image, String ring, String origin,
                      String state, Instant createdAt, String createdBy, Instant updatedAt, Instant completedAt, int currentWave,
                      int waveCount, int machineCount, Map<String, Integer> machines, int failures, int errorBudget, String haltReason,
                      Instant haltedAt, Settings settings, List<Wave> waves, List<Event> events) {
    public static final String RUNNING = "running";
    public static final String HALTED = "halted";
    public static final String COMPLETED = "completed";
    public static final String CANCELED = "canceled";
    public static final String HOTPATCH = "hotpatch";
    public static final String BASELINE = "baseline";
    public static final String AUTOMATIC = "automatic";
    public static final String OPERATOR = "operator";

    /**
     * What a rollout was planned with: its target and the image's rules at the time.
     *
     * @param ignoreWindows an operator's rollout that starts machines at once instead of in their windows
     */
    public record Settings(String kind, String target, String kbId, String version, String title, String classification,
                           String baselineId, boolean ignoreWindows, int maxFailures, double maxFailurePercent, int maxPercentOfSet,
                           int regionsPerPhase, List<String> regionPairs) {
    }

    /**
     * One wave.
     *
     * @param state {@code pending}, {@code running}, {@code completed}, {@code halted} or {@code canceled}
     */
    public record Wave(int wave, int phase, String description, int machineCount, String state, Instant startedAt, Instant completedAt,
                       Map<String, Integer> machines) {
    }

    /**
     * One machine of a rollout.
     *
     * @param state {@code pending}, {@code installing}, {@code soaking}, {@code healthy}, {@code failed},
     *              {@code rolling_back}, {@code rolled_back}, {@code rollback_failed}, {@code not_attempted}
     *              (its window did not fit the work; tried again in the next one unless {@code done}),
     *              {@code quarantined}, {@code skipped} (no longer needs it) or {@code canceled}
     * @param done  whether the rollout is finished with it
     * @param attempts windows in which the work did not fit or was not picked up
     */
    /** One rollout a machine has been in, with the machine's part in it (newest first in a list). */
    public record MachineRollout(String rolloutId, String kind, String target, String rolloutState, Instant createdAt, int wave,
                                 String state, String reason, Instant completedAt) {
    }

    public record Machine(String machineId, String machine, int wave, String region, String zone, String availabilitySet,
                          Integer updateDomain, String group, String state, boolean done, String reason, int attempts,
                          String operationId, String rollbackOperationId, Instant nextTryAt, Instant windowEnd, Instant startedAt,
                          Instant installedAt, Instant soakUntil, Instant completedAt) {
        public static final String PENDING = "pending";
        public static final String INSTALLING = "installing";
        public static final String SOAKING = "soaking";
        public static final String HEALTHY = "healthy";
        public static final String FAILED = "failed";
        public static final String ROLLING_BACK = "rolling_back";
        public static final String ROLLED_BACK = "rolled_back";
        public static final String ROLLBACK_FAILED = "rollback_failed";
        public static final String NOT_ATTEMPTED = "not_attempted";
        public static final String QUARANTINED = "quarantined";
        public static final String SKIPPED = "skipped";
        public static final String CANCELED = "canceled";

        /** States that count against the error budget. */
        public static final List<String> FAILURES = List.of(FAILED, ROLLING_BACK, ROLLED_BACK, ROLLBACK_FAILED, QUARANTINED);
    }

    /** Something that happened to a rollout: created, wave started or completed, gate failed, halted, resumed, canceled. */
    public record Event(Instant at, Integer wave, String machineId, String kind, String actor, String message) {
    }

    /** A page of rollouts: {@code total} match, {@code items} are those from {@code offset}. */
    public record RolloutPage(List<Rollout> items, int total, int limit, int offset) {
    }

    /** A page of a rollout's machines. */
    public record MachinePage(List<Machine> items, int total, int limit, int offset) {
    }

    /** A page of a rollout's events, newest first. */
    public record EventPage(List<Event> items, int total, int limit, int offset) {
    }

    /**
     * An operator's rollout: exactly one of {@code update} (a hotpatch KB) and {@code baseline}
     * (id, version or KB id of a baseline of {@code image}).
     *
     * @param image         the image, needed to name a baseline by version; checked against the target's
     * @param ring          only machines of this ring
     * @param group         only machines of this group
     * @param machines      only these machines (names or ids)
     * @param ignoreWindows start each machine at once rather than in its maintenance window
     */
    public record Request(String update, String baseline, String image, String ring, String group, List<String> machines,
                          Boolean ignoreWindows) {
    }

    /** An operator's note with a resume or cancel. */
    public record Action(String note) {
    }
}
