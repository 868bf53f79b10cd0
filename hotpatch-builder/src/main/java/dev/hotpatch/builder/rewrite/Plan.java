package dev.hotpatch.builder.rewrite;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.objectweb.asm.Type;

/**
 * What the builder decided for one patched class: which added members move to its helper, which
 * members are renamed back to their baseline names, which constants are inlined. Both the patched
 * class and its helper are rewritten from it. Mutable while the class is planned, read-only after.
 */
final class Plan {
    /** An added field that lives in the helper. */
    record Shadow(String name, String desc, boolean isStatic, boolean isVolatile) {
        String getter() {
            return "get$" + name;
        }

        String setter() {
            return "set$" + name;
        }

        String getterDesc(String target) {
            return isStatic ? "()" + desc : "(L" + target + ";)" + desc;
        }

        String setterDesc(String target) {
            return isStatic ? "(" + desc + ")V" : "(L" + target + ";" + desc + ")V";
        }

        /** The name of its slot in the helper: an instance field of a side-table row, or a static field. */
        String slot() {
            return (isStatic ? "s$" : "f$") + name;
        }
    }

    final String target;
    final String helper;
    final boolean targetIsInterface;
    /** Added methods moved to the helper: key (name + descriptor) → name in the helper. */
    final Map<String, String> moved = new HashMap<>();
    /** Keys of moved methods that were instance methods (their helper descriptor starts with the target). */
    final Set<String> movedInstance = new HashSet<>();
    /** Methods of the target renamed: key in the patched jar → baseline name. */
    final Map<String, String> methodRenames = new HashMap<>();
    /** Fields renamed back: key ({@code name desc}) in the patched jar → baseline name. */
    final Map<String, String> fieldRenames = new HashMap<>();
    /** Added compile-time constants: key → value. */
    final Map<String, Object> inlined = new HashMap<>();
    /** Added fields kept in the helper: key → shadow. */
    final Map<String, Shadow> shadowed = new HashMap<>();
    /** Members declared by the rewritten target (keys of methods, and {@code name desc} of fields). */
    final Set<String> declared = new HashSet<>();

    Plan(String target, boolean targetIsInterface) {
        this.target = target;
        this.helper = target + "$Hotpatch";
        this.targetIsInterface = targetIsInterface;
    }

    boolean needsHelper() {
        return !moved.isEmpty() || !shadowed.isEmpty();
    }

    /** Whether a reference to member {@code key} of the target reaches what this plan moved, shadowed, inlined or renamed. */
    boolean rewrites(String key, boolean field) {
        return field ? shadowed.containsKey(key) || inlined.containsKey(key) || fieldRenames.containsKey(key) : moved.containsKey(key);
    }

    /** The descriptor of a moved method in the helper: the target first for instance methods. */
    String helperDesc(String key) {
        String desc = key.substring(key.indexOf('('));
        return movedInstance.contains(key) ? "(L" + target + ";" + desc.substring(1) : desc;
    }

    static String key(String name, String desc) {
        return name + desc;
    }

    static String fieldKey(String name, String desc) {
        return name + " " + desc;
    }

    static Type[] args(String desc) {
        return Type.getArgumentTypes(desc);
    }
}
