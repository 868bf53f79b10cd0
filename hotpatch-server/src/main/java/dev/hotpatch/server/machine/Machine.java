package dev.hotpatch.server.machine;

import java.time.Instant;
import java.util.List;

/**
 * A managed JVM as the server knows it: where it runs, what it runs (matched image and baseline),
 * its hotpatch status and missing-update counts from the last assessment, and its configuration.
 *
 * @param status       {@code Enabled}, {@code Disabled}, {@code NotSupported}, {@code PendingEvaluation} or {@code ActionRequired}
 * @param statusReason why, for NotSupported and ActionRequired
 */
public record Machine(String id, String name, String nodeId, String node, boolean present, Instant firstSeenAt, Instant lastSeenAt,
                      Long pid, MachineReport.Jvm jvm, MachineReport.Agent agent, String imageId, String image, String baselineId,
                      String baselineVersion, String matchDetail, String status, String statusReason, Instant lastAssessedAt,
                      Missing missing, MachineReport.Config config, List<MachineReport.InstalledHotpatch> hotpatches) {

    /** Counts of missing updates, as on Azure Update Manager's Updates view. */
    public record Missing(int total, int critical, int security, int other) {
    }
}
