package dev.hotpatch.builder;

import dev.hotpatch.format.PackageManifest;
import java.nio.file.Path;

/**
 * A package that was built: its manifest, the analysis it came from, and where it was written.
 *
 * @param manifest what the package says about itself, classes included
 * @param report   the analysis of the two jars
 * @param out      the signed {@code .hotpatch} file
 * @param fixup    the fix-up class it ships, or null
 */
public record BuildResult(PackageManifest manifest, DiffReport report, Path out, Fixup fixup) {
    /** A package without a fix-up class. */
    public BuildResult(PackageManifest manifest, DiffReport report, Path out) {
        this(manifest, report, out, null);
    }
}
