package dev.hotpatch.builder.rewrite;

import java.util.Collection;

/** The classes of the patched jar, read on demand: what rewriting needs to know beyond the class it rewrites. */
public interface ClassSource {
    /** The patched jar's class file for an internal name such as {@code acme/Fees}, or null when the jar has none. */
    byte[] patched(String internalName);

    /** Internal names of every class in the patched jar. */
    Collection<String> patchedNames();
}
