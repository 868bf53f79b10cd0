package dev.hotpatch.server.catalog;

import java.time.Instant;
import java.util.List;

/**
 * A published update for one baseline: a signed hotpatch (live, {@code NeverReboots}) or an update
 * that needs a restart. Identified by its KB id.
 *
 * @param kind     {@code hotpatch} or {@code restart}
 * @param artifact the file nodes download (the package for a hotpatch); may be null for a restart update
 * @param signer     subject of the certificate that signed the package (hotpatch) or the descriptor (restart update)
 * @param descriptor a restart update's signed descriptor; null for a hotpatch (the package is signed itself) and for a
 *                   restart update published before they were signed (never installed by a node)
 */
public record Update(String kbId, String imageId, String image, String baselineId, String baselineVersion, String kind,
                     String title, String classification, String severity, List<String> cves, String rebootBehavior,
                     Instant publishedAt, List<String> supersedes, Artifact artifact, String signer,
                     boolean releaseOverride, Instant createdAt, String createdBy, List<ClassEntry> classes,
                     SignedDescriptor descriptor) {
    public static final String HOTPATCH = "hotpatch";
    public static final String RESTART = "restart";

    public boolean isHotpatch() {
        return HOTPATCH.equals(kind);
    }

    /** A downloadable file; {@code downloadUrl} is relative to the server. */
    public record Artifact(String fileName, String sha256, long size, String downloadUrl) {
    }

    /** A class a hotpatch replaces (with the baseline bytes' hash) or adds as a helper. */
    public record ClassEntry(String name, String kind, String baselineSha256, String sha256) {
    }
}
