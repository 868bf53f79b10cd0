package dev.hotpatch.server.install;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A long-running action on one machine (install, uninstall, baseline rollback, restart, assess)
 * and its progress, per update and per command.
 *
 * @param type  {@code install}, {@code uninstall}, {@code rollback-baseline}, {@code restart} or {@code assess}
 * @param state {@code queued}, {@code in_progress}, {@code succeeded}, {@code partially_succeeded},
 *              {@code failed} or {@code timed_out}
 */
public record Operation(String id, String type, String machineId, String machine, String state, Instant createdAt, String createdBy,
                        Instant deadlineAt, Instant completedAt, Map<String, Object> request, String message, List<Item> items,
                        List<CommandState> commands) {
    public static final String QUEUED = "queued";
    public static final String IN_PROGRESS = "in_progress";
    public static final String SUCCEEDED = "succeeded";
    public static final String PARTIALLY_SUCCEEDED = "partially_succeeded";
    public static final String FAILED = "failed";
    public static final String TIMED_OUT = "timed_out";

    public boolean done() {
        return !QUEUED.equals(state) && !IN_PROGRESS.equals(state);
    }

    /**
     * One update in an operation.
     *
     * @param state {@code pending}, {@code installed}, {@code failed}, {@code not_attempted}, {@code pending_restart} or {@code uninstalled}
     */
    public record Item(int position, String kbId, String title, String classification, String rebootBehavior, String state,
                       String reason, Instant updatedAt) {
        public static final String PENDING = "pending";
        public static final String INSTALLED = "installed";
        public static final String FAILED = "failed";
        public static final String NOT_ATTEMPTED = "not_attempted";
        public static final String PENDING_RESTART = "pending_restart";
        public static final String UNINSTALLED = "uninstalled";
    }

    /** A command of the operation as the server tracks it: {@code pending}, {@code delivered}, {@code succeeded}, {@code failed} or {@code expired}. */
    public record CommandState(String id, String type, String state, int attempts, Instant deliveredAt, Instant completedAt,
                               String resultStatus, String resultMessage) {
    }
}
