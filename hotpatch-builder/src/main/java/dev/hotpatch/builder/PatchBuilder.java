package dev.hotpatch.builder;

import dev.hotpatch.builder.rewrite.RewritePolicy;
import dev.hotpatch.format.ClassPatch;
import dev.hotpatch.format.HotpatchPackage;
import dev.hotpatch.format.PackageManifest;
import dev.hotpatch.format.PackageWriter;
import dev.hotpatch.format.RebootBehavior;
import dev.hotpatch.format.Sha256;
import dev.hotpatch.format.SigningKey;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The builder's entry point: compares a baseline jar with a patched jar and, when HotSpot can
 * redefine every changed class, writes a signed hotpatch package. Thread-safe (stateless).
 *
 * <p>Exceptions, for callers that map them to exit codes: {@link BuildRefusedException} when the
 * fix must not ship as a hotpatch (the CLI's "refused"); {@link BuilderException} when an input
 * jar or include pattern cannot be used, and {@link IllegalArgumentException} for invalid
 * arguments or manifest fields (both usage errors); {@code dev.hotpatch.format.PackageException}
 * when the package cannot be written.
 */
public final class PatchBuilder {
    private PatchBuilder() {
    }

    /**
     * Compares every class of {@code baselineJar} with {@code patchedJar} and decides whether the
     * changes can be applied to running JVMs. {@code includes} (globs over class names, see
     * {@code hotpatch build --include}) limits which changed classes count; each must match at
     * least one changed class. Refusals are reported, not thrown.
     */
    public static DiffReport analyse(Path baselineJar, Path patchedJar, List<String> includes) {
        return analyse(baselineJar, patchedJar, includes, RewritePolicy.DEFAULT);
    }

    /**
     * As {@link #analyse(Path, Path, List)}, rewriting what plain redefinition refuses as far as
     * {@code policy} allows ({@link RewritePolicy#NONE}: plain redefinition only).
     */
    public static DiffReport analyse(Path baselineJar, Path patchedJar, List<String> includes, RewritePolicy policy) {
        return JarDiff.analyse(baselineJar, patchedJar, includes, JarSource.Limits.DEFAULT, policy).report();
    }

    /**
     * Analyses the request's jars and writes a package signed by {@code key} to {@code out},
     * whose classes replace each changed class, keyed by the SHA-256 of its baseline bytes, and add
     * the new classes the fix brings ({@link DiffReport#added()}) and the request's fix-up class, if any
     * ({@link FixupCheck}: a {@link BuilderException} says what is wrong with it).
     * Refuses with {@link BuildRefusedException} when the classification is not Critical or
     * Security, when any change cannot be redefined, or when no class changed.
     */
    public static BuildResult build(BuildRequest request, SigningKey key, Path out) {
        return build(request, key, out, JarSource.Limits.DEFAULT);
    }

    static BuildResult build(BuildRequest request, SigningKey key, Path out, JarSource.Limits limits) {
        if (request == null || key == null || out == null) {
            throw new IllegalArgumentException("build needs a request, a signing key and an output path");
        }
        JarDiff.Analysis analysis = JarDiff.analyse(request.baseline(), request.patched(), request.includes(), limits, request.rewrite());
        DiffReport report = analysis.report();
        if (!request.classification().hotpatchable()) {
            throw new BuildRefusedException(report, request.id() + " is classified " + request.classification().label()
                    + ": only Critical and Security updates may be built as hotpatches; others need a baseline (restart). "
                    + "Ship it in the next baseline, or correct --classification if it really fixes a security issue.");
        }
        if (!report.refusals().isEmpty()) {
            throw new BuildRefusedException(report, report.render());
        }
        if (report.changed().isEmpty()) {
            throw new BuildRefusedException(report, report.render() + "\nNothing to build: check that the patched jar holds the fix"
                    + (report.excluded().isEmpty() ? "." : " and that --include selects the classes it changes."));
        }
        List<ClassPatch> classes = new ArrayList<>();
        Map<String, byte[]> bytes = analysis.patchedBytes();
        for (ClassChange c : report.changed()) {
            byte[] b = bytes.get(c.className());
            if (b.length > HotpatchPackage.MAX_ENTRY_BYTES) {
                throw new BuildRefusedException(report, c.className() + " is " + b.length + " bytes; a package holds classes of at most "
                        + HotpatchPackage.MAX_ENTRY_BYTES + " bytes, so ship this fix as a baseline (restart)");
            }
            classes.add(ClassPatch.replace(c.className(), c.baselineSha256(), b));
        }
        for (AddedClass a : report.added()) {
            byte[] b = bytes.get(a.className());
            if (b.length > HotpatchPackage.MAX_ENTRY_BYTES) {
                throw new BuildRefusedException(report, a.className() + " is " + b.length + " bytes; a package holds classes of at most "
                        + HotpatchPackage.MAX_ENTRY_BYTES + " bytes, so ship this fix as a baseline (restart)");
            }
            classes.add(ClassPatch.added(a.className(), b));
        }
        FixupCheck.Checked fixup = request.fixup() == null ? null : checkFixup(request, report, limits);
        if (fixup != null) {
            classes.add(ClassPatch.added(fixup.fixup().className(), fixup.bytes()));
        }
        PackageManifest manifest = PackageManifest.builder()
                .id(request.id())
                .title(request.title())
                .classification(request.classification())
                .severity(request.severity())
                .cves(request.cves())
                .image(request.image())
                .baseline(request.baselineId() != null ? request.baselineId() : defaultBaselineId(request.baseline()))
                .rebootBehavior(RebootBehavior.NEVER_REBOOTS)
                .published(request.published() != null ? request.published() : Instant.now())
                .supersedes(request.supersedes())
                .classes(classes)
                .fixup(fixup == null ? null : fixup.fixup().className())
                .build();
        PackageWriter.write(manifest, key, out);
        return new BuildResult(manifest, report, out, fixup == null ? null : fixup.fixup());
    }

    /** Checks the request's fix-up class against the replaced classes and the two jars ({@link FixupCheck}). */
    private static FixupCheck.Checked checkFixup(BuildRequest request, DiffReport report, JarSource.Limits limits) {
        java.util.Set<String> replaced = new java.util.TreeSet<>();
        report.changed().forEach(c -> replaced.add(c.className()));
        try (JarSource old = JarSource.open(request.baseline(), "baseline jar", limits);
             JarSource neu = JarSource.open(request.patched(), "patched jar", limits)) {
            return FixupCheck.check(request.fixup(), replaced, old, neu);
        }
    }

    /** {@code sha256:} and the first 16 hex digits of the jar's SHA-256. */
    private static String defaultBaselineId(Path baselineJar) {
        try {
            return "sha256:" + Sha256.hex(baselineJar).substring(0, 16);
        } catch (IOException e) {
            throw new BuilderException("cannot read baseline jar " + baselineJar + " to compute its id: " + e.getMessage()
                    + "; pass the baseline id explicitly or make the file readable", e);
        }
    }
}
