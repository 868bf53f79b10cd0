package dev.hotpatch.server.assessment;

import dev.hotpatch.server.machine.Machine;
import java.time.Instant;
import java.util.List;

/**
 * A machine's assessment: hotpatch status (with the reason where there is one), when it was last
 * assessed, missing-update counts and the missing updates themselves.
 *
 * @param status {@code Enabled}, {@code Disabled}, {@code NotSupported}, {@code PendingEvaluation} or {@code ActionRequired}
 */
public record Assessment(String machineId, String machineName, String status, String statusReason, Instant lastAssessedAt,
                         String image, String baselineId, String baselineVersion, String currentBaselineId,
                         Machine.Missing missing, List<MissingUpdate> updates) {
    public static final String ENABLED = "Enabled";
    public static final String DISABLED = "Disabled";
    public static final String NOT_SUPPORTED = "NotSupported";
    public static final String PENDING_EVALUATION = "PendingEvaluation";
    public static final String ACTION_REQUIRED = "ActionRequired";
}
