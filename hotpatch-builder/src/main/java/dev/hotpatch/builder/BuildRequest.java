package dev.hotpatch.builder;

import dev.hotpatch.builder.rewrite.RewritePolicy;
import dev.hotpatch.format.Classification;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * What to build: the two jars, which changed classes to include, and the package's manifest fields.
 *
 * @param baseline       the jar running JVMs have now
 * @param patched        the same jar with the fix
 * @param includes       {@code --include} globs; empty or null means every changed class
 * @param id             package id, e.g. {@code KB2026-0001}
 * @param title          one-line title
 * @param classification only {@link Classification#CRITICAL} and {@link Classification#SECURITY} may be built
 * @param severity       free-form severity, or null
 * @param cves           CVE ids such as {@code CVE-2021-44228}; null means none
 * @param image          {@code publisher/offer/sku}, or null
 * @param baselineId     id of the baseline; null means {@code sha256:} and the first 16 hex digits of the baseline jar's SHA-256
 * @param supersedes     ids of packages this one replaces; null means none
 * @param published      publication time; null means now
 * @param rewrite        how far the builder may rewrite what plain redefinition refuses; null means {@link RewritePolicy#DEFAULT}
 * @param fixup          a compiled fix-up class ({@code .class}) to ship, see {@link Fixup}; null means none
 */
public record BuildRequest(Path baseline, Path patched, List<String> includes, String id, String title,
                           Classification classification, String severity, List<String> cves, String image,
                           String baselineId, List<String> supersedes, Instant published, RewritePolicy rewrite, Path fixup) {

    /** A request without a fix-up class. */
    public BuildRequest(Path baseline, Path patched, List<String> includes, String id, String title,
                        Classification classification, String severity, List<String> cves, String image,
                        String baselineId, List<String> supersedes, Instant published, RewritePolicy rewrite) {
        this(baseline, patched, includes, id, title, classification, severity, cves, image, baselineId, supersedes, published, rewrite, null);
    }

    /** A request with the default rewriting policy. */
    public BuildRequest(Path baseline, Path patched, List<String> includes, String id, String title,
                        Classification classification, String severity, List<String> cves, String image,
                        String baselineId, List<String> supersedes, Instant published) {
        this(baseline, patched, includes, id, title, classification, severity, cves, image, baselineId, supersedes, published, null);
    }

    public BuildRequest {
        if (baseline == null) {
            throw new IllegalArgumentException("baseline jar is required");
        }
        if (patched == null) {
            throw new IllegalArgumentException("patched jar is required");
        }
        if (classification == null) {
            throw new IllegalArgumentException("classification is required: Critical or Security");
        }
        includes = copy("includes", includes);
        cves = copy("cves", cves);
        supersedes = copy("supersedes", supersedes);
        rewrite = rewrite == null ? RewritePolicy.DEFAULT : rewrite;
    }

    private static List<String> copy(String field, List<String> values) {
        if (values == null) {
            return List.of();
        }
        for (String v : values) {
            if (v == null) {
                throw new IllegalArgumentException(field + " must not contain null");
            }
        }
        return List.copyOf(values);
    }
}
