package dev.hotpatch.server.assessment;

import java.time.Instant;

/**
 * One row of a machine's missing-updates table, as on Azure Update Manager's Updates view.
 *
 * @param kbId the KB id; for a baseline without one, the baseline id
 * @param kind {@code hotpatch}, {@code restart} or {@code baseline}
 */
public record MissingUpdate(String updateName, String classification, String kbId, String rebootBehavior, Instant publishedDate,
                            String kind, String baselineId) {
}
