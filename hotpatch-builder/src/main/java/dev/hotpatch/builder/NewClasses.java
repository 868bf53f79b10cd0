package dev.hotpatch.builder;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.commons.ClassRemapper;
import org.objectweb.asm.commons.Remapper;
import org.objectweb.asm.tree.AbstractInsnNode;
import org.objectweb.asm.tree.ClassNode;
import org.objectweb.asm.tree.FieldNode;
import org.objectweb.asm.tree.LdcInsnNode;
import org.objectweb.asm.tree.MethodNode;

/**
 * Decides what becomes of the classes a fix adds (present only in the patched jar). An added class
 * ships as a {@code ClassPatch.Kind.ADDED} entry, which the agent defines into the loader of the
 * replaced classes of its Java package, so:
 * <ul>
 * <li>a new {@code package-info} carries no code and is left out, with a note;</li>
 * <li>a new class in a package where the hotpatch replaces no class has no loader to go to: left
 *     out with a note when nothing the hotpatch ships refers to it, refused when something does;</li>
 * <li>a new class that extends or implements (directly or through other classes) a class the
 *     hotpatch replaces is refused: in a loader that loads the replaced class after the patch, the
 *     agent defines the added classes while that very class is being loaded, and the added one
 *     could not be resolved against it;</li>
 * <li>every other new class ships, with the verdict {@code added}.</li>
 * </ul>
 * Stateless.
 */
final class NewClasses {
    /** What to do with the new classes: those that ship, those left out (with why) and those refused. */
    record Decision(Map<String, byte[]> shipped, List<String> notes, List<Refusal> refusals) {
    }

    private NewClasses() {
    }

    /**
     * @param added    the new classes the include patterns select, by internal name
     * @param replaced the changed classes the hotpatch replaces, by internal name (their fixed bytes)
     * @param patched  the patched jar's class bytes by internal name, or null when it has no such class
     */
    static Decision decide(Map<String, byte[]> added, Map<String, byte[]> replaced, Function<String, byte[]> patched) {
        Map<String, byte[]> candidates = new TreeMap<>();
        List<String> notes = new ArrayList<>();
        List<Refusal> refusals = new ArrayList<>();
        Set<String> replacedPackages = new HashSet<>();
        replaced.keySet().forEach(n -> replacedPackages.add(packageOf(n)));
        Map<String, byte[]> homeless = new TreeMap<>();
        added.forEach((name, bytes) -> {
            if (name.equals("package-info") || name.endsWith("/package-info")) {
                notes.add("new " + name + " left out: a package-info class carries annotations only, no code");
            } else if (replacedPackages.contains(packageOf(name))) {
                candidates.put(name, bytes);
            } else {
                homeless.put(name, bytes);
            }
        });
        // What the shipped classes refer to, including through added classes that refer to others.
        Set<String> referenced = new HashSet<>();
        replaced.values().forEach(b -> referenced.addAll(references(b)));
        candidates.values().forEach(b -> referenced.addAll(references(b)));
        homeless.forEach((name, bytes) -> {
            if (referenced.contains(name)) {
                refusals.add(new Refusal(name, "", "new class in package " + packageOf(name) + ", where this hotpatch replaces no"
                        + " class, and the shipped code uses it — the agent defines an added class into the class loaders of the"
                        + " replaced classes of its own package; include a changed class of that package or ship the fix as a"
                        + " baseline (restart)"));
            } else {
                notes.add("new class " + name + " left out: no class of its package changes and nothing the hotpatch ships uses it");
            }
        });
        Map<String, byte[]> shipped = new LinkedHashMap<>();
        candidates.forEach((name, bytes) -> {
            String through = replacedSupertype(name, replaced.keySet(), n -> added.containsKey(n) ? added.get(n) : patched.apply(n));
            if (through != null) {
                refusals.add(new Refusal(name, "", "new class that extends or implements " + through + ", which this hotpatch"
                        + " replaces — in a class loader that loads " + through + " after the patch, the added classes are defined"
                        + " while it loads and could not be resolved against it; ship the fix as a baseline (restart)"));
            } else {
                shipped.put(name, bytes);
            }
        });
        return new Decision(shipped, notes, refusals);
    }

    /** The first class of {@code replaced} among the supertypes of {@code name}, following the patched jar; null when none. */
    private static String replacedSupertype(String name, Set<String> replaced, Function<String, byte[]> bytesOf) {
        List<String> todo = new ArrayList<>(List.of(name));
        Set<String> seen = new HashSet<>();
        while (!todo.isEmpty()) {
            String n = todo.remove(todo.size() - 1);
            byte[] b = seen.add(n) ? bytesOf.apply(n) : null;
            if (b == null) {
                continue;
            }
            ClassReader r = new ClassReader(b);
            List<String> supers = new ArrayList<>(List.of(r.getInterfaces()));
            if (r.getSuperName() != null) {
                supers.add(r.getSuperName());
            }
            for (String s : supers) {
                if (replaced.contains(s)) {
                    return s;
                }
                todo.add(s);
            }
        }
        return null;
    }

    /**
     * Every class name a class file mentions: in its constant pool, signatures and descriptors, and
     * string constants that spell a class name (a class registered by name and loaded reflectively).
     */
    static Set<String> references(byte[] bytes) {
        Set<String> names = new HashSet<>();
        Remapper collect = new Remapper() {
            @Override
            public String map(String internalName) {
                names.add(internalName);
                return internalName;
            }
        };
        // A ClassNode as the target, so that the remapper visits every field, method and instruction.
        ClassNode node = new ClassNode();
        new ClassReader(bytes).accept(new ClassRemapper(node, collect), ClassReader.SKIP_FRAMES);
        for (MethodNode m : node.methods) {
            for (AbstractInsnNode i : m.instructions) {
                if (i instanceof LdcInsnNode ldc && ldc.cst instanceof String text) {
                    names.add(text.replace('.', '/'));
                }
            }
        }
        for (FieldNode f : node.fields) {
            if (f.value instanceof String text) {
                names.add(text.replace('.', '/'));
            }
        }
        return names;
    }

    static String packageOf(String internalName) {
        int slash = internalName.lastIndexOf('/');
        return slash < 0 ? "" : internalName.substring(0, slash);
    }
}
