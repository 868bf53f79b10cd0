package dev.hotpatch.builder.rewrite;

import java.util.Collection;

/** The classes of the patched jar (and of its dependencies, when given), read on demand: what rewriting needs to know beyond the class it rewrites. */
public interface ClassSource {
    /** The patched jar's class file for an internal name such as {@code acme/Fees}, or null when the jar has none. */
    byte[] patched(String internalName);

    /** Internal names of every class in the patched jar. */
    Collection<String> patchedNames();

    /**
     * A class file of the library's dependencies ({@code hotpatch build --classpath}), for an internal
     * name the patched jar does not have, or null when none of them has it.
     */
    default byte[] dependency(String internalName) {
        return null;
    }
}
