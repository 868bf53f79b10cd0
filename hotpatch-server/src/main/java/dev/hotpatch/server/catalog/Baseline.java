package dev.hotpatch.server.catalog;

import java.time.Instant;
import java.time.LocalDate;
import java.util.List;

/**
 * An exact build of an image: its jar(s) with their SHA-256 and the SHA-256 of every class in
 * them, so a running JVM's code can be recognised byte for byte. Cumulative; installing one always
 * needs a restart ({@code AlwaysRequiresReboot}).
 *
 * @param kind       {@code planned} or {@code unplanned}
 * @param descriptor the publisher's signed descriptor of the jars; null for a baseline published before baselines were
 *                   signed, which is kept for matching and assessment but never installed by a node
 */
public record Baseline(String id, String imageId, String image, String version, String kind, LocalDate releasedOn,
                       String kbId, String title, String classification, List<String> cves, String rebootBehavior,
                       boolean releaseOverride, Instant createdAt, String createdBy, int classCount, List<Jar> jars,
                       SignedDescriptor descriptor) {

    /** One jar of a baseline; {@code downloadUrl} is relative to the server. */
    public record Jar(String fileName, String sha256, long size, int classCount, String downloadUrl) {
    }
}
