package dev.hotpatch.server.catalog;

import java.time.Instant;

/**
 * A release line of a Java application or library, named {@code publisher/offer/sku}, with whether
 * it is hotpatch-supported, whether its machines are enrolled in hotpatching by default, and the
 * cadence of its planned baselines.
 *
 * @param name             {@code publisher/offer/sku}
 * @param currentBaselineId the newest baseline, which hotpatches must target; null before the first
 */
public record Image(String id, String name, String publisher, String offer, String sku, boolean hotpatchSupported,
                    boolean hotpatchEnabledByDefault, int cadenceMonths, int cadenceAnchorMonth,
                    String currentBaselineId, String currentBaselineVersion, Instant createdAt, String createdBy) {
}
