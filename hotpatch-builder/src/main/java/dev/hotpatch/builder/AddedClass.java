package dev.hotpatch.builder;

import java.util.Objects;

/**
 * A class only the patched jar has, shipped with the hotpatch for the agent to define into the
 * running class loaders.
 *
 * @param className internal name, e.g. {@code acme/FeeLimitException}
 * @param sha256    SHA-256 of the bytes that ship
 */
public record AddedClass(String className, String sha256) {

    public AddedClass {
        Objects.requireNonNull(className, "className");
        Objects.requireNonNull(sha256, "sha256");
    }
}
