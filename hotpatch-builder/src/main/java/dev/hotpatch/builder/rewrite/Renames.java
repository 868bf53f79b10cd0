package dev.hotpatch.builder.rewrite;

import java.util.HashMap;
import java.util.Map;

/**
 * Methods the builder gives back their baseline names across the whole patched jar: synthetic
 * accessors ({@code access$000}) that the compiler numbered differently in the fixed release, so
 * that callers in other classes still reach them. Keyed by owner, name and descriptor.
 */
final class Renames {
    private final Map<String, String> names = new HashMap<>();

    void put(String owner, String name, String desc, String newName) {
        names.put(owner + "." + name + desc, newName);
    }

    /** The new name, or null when the method keeps its name. */
    String get(String owner, String name, String desc) {
        return names.get(owner + "." + name + desc);
    }

    boolean isEmpty() {
        return names.isEmpty();
    }

    boolean touches(String owner) {
        String prefix = owner + ".";
        return names.keySet().stream().anyMatch(k -> k.startsWith(prefix) && k.indexOf('(') > prefix.length()
                && k.substring(prefix.length()).indexOf('.') < 0);
    }
}
