package dev.hotpatch.builder;

import java.util.List;
import java.util.Objects;

/**
 * A class present in both jars whose bytes differ, as a package would ship it.
 *
 * @param className      internal name, e.g. {@code acme/Fees}
 * @param baselineSha256 SHA-256 of the baseline bytes: what a running JVM must hold for the patch to apply
 * @param patchedSha256  SHA-256 of the patched bytes
 * @param changedMethods methods present in both versions whose code differs, as {@code name(descriptor)};
 *                       empty when only the constant pool, debug information or annotations changed
 */
public record ClassChange(String className, String baselineSha256, String patchedSha256, List<String> changedMethods) {

    public ClassChange {
        Objects.requireNonNull(className, "className");
        Objects.requireNonNull(baselineSha256, "baselineSha256");
        Objects.requireNonNull(patchedSha256, "patchedSha256");
        changedMethods = List.copyOf(changedMethods);
    }
}
