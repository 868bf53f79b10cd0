package dev.hotpatch.builder;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.tree.ClassNode;
import org.objectweb.asm.tree.FieldNode;
import org.objectweb.asm.tree.MethodNode;
import org.objectweb.asm.tree.RecordComponentNode;
import org.objectweb.asm.tree.TryCatchBlockNode;

/**
 * The test HotSpot applies before it redefines a class, run ahead of time on the two class files.
 *
 * <p>It mirrors {@code VM_RedefineClasses::compare_and_normalize_class_versions} (JDK 17 to 25,
 * {@code src/hotspot/share/prims/jvmtiRedefineClasses.cpp}), in its order:
 * <ul>
 * <li>superclass, by name;</li>
 * <li>directly implemented interfaces: same number, names and order;</li>
 * <li>{@code NestHost}: same host, not added or removed; {@code NestMembers}: same set of names;</li>
 * <li>{@code Record}: same components, each with the same name, descriptor and generic signature
 *     (annotations may change);</li>
 * <li>{@code PermittedSubclasses}: same set of names;</li>
 * <li>class access flags, all recognised bits;</li>
 * <li>fields: same number, names, descriptors and order, and the same recognised modifiers;</li>
 * <li>methods, matched by name and descriptor in any order: none added or deleted (HotSpot allows
 *     private static or private final ones only under the deprecated, off-by-default
 *     {@code -XX:+AllowRedefinitionToAddDeleteMethods}, which this check does not assume), and
 *     the same modifiers except {@code ACC_NATIVE}.</li>
 * </ul>
 * Everything else may change: method bodies, the constant pool, {@code throws} clauses,
 * annotations, generic signatures of fields and methods, inner-class and debug attributes.
 * Unlike HotSpot, which stops at the first failure, the check reports every one. It also warns
 * about changes HotSpot accepts but a running JVM will not see: a changed static initialiser
 * (never run again), a changed constant value, a newer class-file version. Stateless.
 *
 * <p>{@code HotSpotAgreementTest} holds these verdicts to real {@code redefineClasses} calls on
 * Java 17 and 25; extend it when a rule changes.
 */
final class RedefinitionCheck {
    private static final String RULE_HIERARCHY = "redefinition cannot change the class hierarchy";
    private static final String RULE_NEST = "redefinition cannot change nestmate attributes";
    private static final int MAX_SHOWN_CONSTANT = 60;

    /** What the check found for one class. */
    record Verdict(List<Refusal> refusals, List<String> warnings, List<String> changedMethods) {
    }

    private RedefinitionCheck() {
    }

    /** Parses class bytes for the check; ASM's exceptions describe malformed input. */
    static ClassNode parse(byte[] bytes) {
        ClassNode node = new ClassNode();
        new ClassReader(bytes).accept(node, ClassReader.SKIP_DEBUG | ClassReader.SKIP_FRAMES);
        return node;
    }

    /** Compares the baseline and patched versions of the class {@code name}. */
    static Verdict compare(String name, ClassNode old, ClassNode neu) {
        List<Refusal> refusals = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        List<String> changedMethods = new ArrayList<>();
        if (!old.name.equals(neu.name)) {
            refusals.add(new Refusal(name, "", "changes class name " + old.name + " → " + neu.name
                    + " — the entry now holds another class, and redefinition replaces a class only with one of the same name"));
            return new Verdict(refusals, warnings, changedMethods);
        }
        hierarchy(name, old, neu, refusals);
        attributes(name, old, neu, refusals);
        int oldFlags = AccessFlags.CLASS.recognized(old.access);
        int newFlags = AccessFlags.CLASS.recognized(neu.access);
        if (oldFlags != newFlags) {
            int shown = oldFlags ^ newFlags;
            refusals.add(new Refusal(name, "", "changes class modifiers (" + AccessFlags.CLASS.describe(oldFlags, shown) + " → "
                    + AccessFlags.CLASS.describe(newFlags, shown) + ") — redefinition cannot change class modifiers"));
        }
        fields(name, old, neu, refusals, warnings);
        methods(name, old, neu, refusals, warnings, changedMethods);
        int oldMajor = old.version & 0xFFFF;
        int newMajor = neu.version & 0xFFFF;
        if (newMajor > oldMajor) {
            warnings.add(name + ": class-file version rises from " + oldMajor + " (Java " + (oldMajor - 44) + ") to " + newMajor
                    + " (Java " + (newMajor - 44) + ") — JVMs older than Java " + (newMajor - 44)
                    + " cannot load the patched class, so installing the hotpatch fails there; compile the fix with --release "
                    + (oldMajor - 44) + " to reach them");
        }
        return new Verdict(refusals, warnings, changedMethods);
    }

    private static void hierarchy(String name, ClassNode old, ClassNode neu, List<Refusal> refusals) {
        if (!Objects.equals(old.superName, neu.superName)) {
            refusals.add(new Refusal(name, "", "changes superclass " + orNone(old.superName) + " → " + orNone(neu.superName)
                    + " — " + RULE_HIERARCHY));
        }
        if (!old.interfaces.equals(neu.interfaces)) {
            boolean reordered = new TreeSet<>(old.interfaces).equals(new TreeSet<>(neu.interfaces))
                    && old.interfaces.size() == neu.interfaces.size();
            refusals.add(new Refusal(name, "", (reordered ? "reorders interfaces " : "changes interfaces ") + old.interfaces
                    + " → " + neu.interfaces + " — " + RULE_HIERARCHY
                    + (reordered ? " (HotSpot compares the implemented interfaces in declaration order)" : "")));
        }
    }

    private static void attributes(String name, ClassNode old, ClassNode neu, List<Refusal> refusals) {
        if (!Objects.equals(old.nestHostClass, neu.nestHostClass)) {
            String what;
            if (old.nestHostClass == null) {
                what = "adds NestHost " + neu.nestHostClass + " (the class became a nested class)";
            } else if (neu.nestHostClass == null) {
                what = "removes NestHost " + old.nestHostClass + " (the class is no longer nested)";
            } else {
                what = "changes NestHost " + old.nestHostClass + " → " + neu.nestHostClass;
            }
            refusals.add(new Refusal(name, "", what + " — " + RULE_NEST));
        }
        String members = setChange(old.nestMembers, neu.nestMembers);
        if (members != null) {
            refusals.add(new Refusal(name, "", "changes NestMembers: " + members + " — " + RULE_NEST
                    + " (adding or removing a nested, local or anonymous class changes them)"));
        }
        List<String> oldRecord = components(old.recordComponents);
        List<String> newRecord = components(neu.recordComponents);
        if (!Objects.equals(oldRecord, newRecord)) {
            refusals.add(new Refusal(name, "", "changes record components " + describeRecord(oldRecord) + " → "
                    + describeRecord(newRecord) + " — redefinition cannot change record components"));
        }
        String permitted = setChange(old.permittedSubclasses, neu.permittedSubclasses);
        if (permitted != null) {
            refusals.add(new Refusal(name, "", "changes PermittedSubclasses: " + permitted
                    + " — redefinition cannot change which classes may extend a sealed class"));
        }
    }

    private static void fields(String name, ClassNode old, ClassNode neu, List<Refusal> refusals, List<String> warnings) {
        Map<String, FieldNode> oldByKey = new LinkedHashMap<>();
        old.fields.forEach(f -> oldByKey.put(f.name + " " + f.desc, f));
        Map<String, FieldNode> newByKey = new LinkedHashMap<>();
        neu.fields.forEach(f -> newByKey.put(f.name + " " + f.desc, f));
        Map<String, FieldNode> newByName = new TreeMap<>();
        neu.fields.forEach(f -> newByName.putIfAbsent(f.name, f));
        Map<String, FieldNode> oldByName = new TreeMap<>();
        old.fields.forEach(f -> oldByName.putIfAbsent(f.name, f));
        boolean sameSet = true;
        for (FieldNode f : sorted(old.fields)) {
            String key = f.name + " " + f.desc;
            FieldNode match = newByKey.get(key);
            if (match == null) {
                sameSet = false;
                FieldNode renamedType = newByName.get(f.name);
                if (renamedType != null && !oldByKey.containsKey(renamedType.name + " " + renamedType.desc)) {
                    refusals.add(new Refusal(name, "field " + key, "changes type of field " + f.name + " from " + f.desc + " to "
                            + renamedType.desc + " — redefinition cannot change field types"));
                } else {
                    refusals.add(new Refusal(name, "field " + key, "removes field " + key + " — redefinition cannot remove fields"));
                }
                continue;
            }
            int before = AccessFlags.FIELD.recognized(f.access);
            int after = AccessFlags.FIELD.recognized(match.access);
            if (before != after) {
                refusals.add(new Refusal(name, "field " + key, "changes modifiers of field " + f.name + " ("
                        + AccessFlags.FIELD.describe(before, 0) + " → " + AccessFlags.FIELD.describe(after, 0)
                        + ") — redefinition cannot change field modifiers"));
            }
            if (!Objects.equals(f.value, match.value)) {
                warnings.add(name + ": constant value of field " + key + " changes" + valueChange(f.value, match.value)
                        + " — running JVMs keep the value the field already holds; code that "
                        + "inlined the constant sees the new value only in classes this fix recompiled");
            }
        }
        for (FieldNode f : sorted(neu.fields)) {
            String key = f.name + " " + f.desc;
            if (oldByKey.containsKey(key)) {
                continue;
            }
            sameSet = false;
            FieldNode sameName = oldByName.get(f.name);
            if (sameName != null && !newByKey.containsKey(sameName.name + " " + sameName.desc)) {
                continue; // reported above as a type change
            }
            String why;
            if ("$assertionsDisabled".equals(f.name)) {
                why = "adds synthetic field " + key + " — the compiler adds it for a class's first assert statement, "
                        + "and redefinition cannot add fields";
            } else if ((f.access & Opcodes.ACC_SYNTHETIC) != 0 || f.name.contains("$")) {
                why = "adds synthetic field " + key + " — the compiler generated it, and redefinition cannot add fields";
            } else {
                why = "adds field " + key + " — redefinition cannot add fields";
            }
            refusals.add(new Refusal(name, "field " + key, why));
        }
        if (sameSet) {
            List<String> oldOrder = old.fields.stream().map(f -> f.name).toList();
            List<String> newOrder = neu.fields.stream().map(f -> f.name).toList();
            if (!oldOrder.equals(newOrder)) {
                refusals.add(new Refusal(name, "", "reorders fields " + oldOrder + " → " + newOrder
                        + " — redefinition needs the fields in the same order, because the order fixes the object layout"));
            }
        }
    }

    private static void methods(String name, ClassNode old, ClassNode neu, List<Refusal> refusals, List<String> warnings,
                                List<String> changedMethods) {
        Map<String, MethodNode> oldByKey = new TreeMap<>();
        old.methods.forEach(m -> oldByKey.put(m.name + m.desc, m));
        Map<String, MethodNode> newByKey = new TreeMap<>();
        neu.methods.forEach(m -> newByKey.put(m.name + m.desc, m));
        for (Map.Entry<String, MethodNode> e : oldByKey.entrySet()) {
            String key = e.getKey();
            MethodNode before = e.getValue();
            MethodNode after = newByKey.get(key);
            if (after == null) {
                refusals.add(new Refusal(name, "method " + key, removal(key, before)));
                continue;
            }
            int a = methodFlags(before);
            int b = methodFlags(after);
            if (((a ^ b) & ~Opcodes.ACC_NATIVE) != 0) {
                refusals.add(new Refusal(name, "method " + key, "changes modifiers of method " + key + " ("
                        + AccessFlags.METHOD.describe(a, 0) + " → " + AccessFlags.METHOD.describe(b, 0)
                        + ") — redefinition cannot change method modifiers"));
            }
            if (!Arrays.equals(code(old, before), code(neu, after))) {
                changedMethods.add(key);
                if ("<clinit>".equals(before.name)) {
                    warnings.add(name + ": static initializer changed — redefinition does not run it again, so running JVMs "
                            + "keep the static field values it set when the class was loaded");
                }
            }
        }
        for (Map.Entry<String, MethodNode> e : newByKey.entrySet()) {
            if (!oldByKey.containsKey(e.getKey())) {
                refusals.add(new Refusal(name, "method " + e.getKey(), addition(e.getKey(), e.getValue())));
            }
        }
    }

    private static String addition(String key, MethodNode m) {
        if (m.name.startsWith("lambda$")) {
            return "adds lambda method " + key + " — a new lambda adds a synthetic method, which redefinition cannot add";
        }
        if ("<clinit>".equals(m.name)) {
            return "adds static initializer " + key + " — redefinition cannot add methods (and would never run a new static initializer)";
        }
        if ((m.access & (Opcodes.ACC_SYNTHETIC | Opcodes.ACC_BRIDGE)) != 0 || m.name.contains("$")) {
            return "adds synthetic method " + key + " — the compiler generated it (an accessor, bridge or enum helper), "
                    + "and redefinition cannot add methods";
        }
        return "adds method " + key + " — redefinition cannot add methods";
    }

    private static String removal(String key, MethodNode m) {
        if (m.name.startsWith("lambda$")) {
            return "removes lambda method " + key + " — removing a lambda removes its synthetic method, which redefinition cannot remove";
        }
        if ((m.access & (Opcodes.ACC_SYNTHETIC | Opcodes.ACC_BRIDGE)) != 0 || m.name.contains("$")) {
            return "removes synthetic method " + key + " — the compiler generated it, and redefinition cannot remove methods";
        }
        return "removes method " + key + " — redefinition cannot remove methods";
    }

    /** Method flags as HotSpot keeps them; a static initializer keeps only ACC_STATIC (and ACC_STRICT up to Java 16). */
    private static int methodFlags(MethodNode m) {
        int flags = AccessFlags.METHOD.recognized(m.access);
        return "<clinit>".equals(m.name) ? flags & (Opcodes.ACC_STATIC | Opcodes.ACC_STRICT) : flags;
    }

    /**
     * The method's code written into a class of its own, so that equal code gives equal bytes
     * whatever constant-pool indexes the two class files used. Debug information and stack map
     * frames were skipped when parsing, so line-number shifts do not count as changes.
     */
    private static byte[] code(ClassNode owner, MethodNode m) {
        if (m.instructions.size() == 0) {
            return new byte[0];
        }
        ClassWriter cw = new ClassWriter(0);
        cw.visit(owner.version, Opcodes.ACC_PUBLIC, "Code", null, "java/lang/Object", null);
        MethodVisitor mv = cw.visitMethod(m.access, m.name, m.desc, null, null);
        mv.visitCode();
        m.instructions.resetLabels();
        for (TryCatchBlockNode t : m.tryCatchBlocks) {
            mv.visitTryCatchBlock(t.start.getLabel(), t.end.getLabel(), t.handler.getLabel(), t.type);
        }
        m.instructions.accept(mv);
        mv.visitMaxs(m.maxStack, m.maxLocals);
        mv.visitEnd();
        cw.visitEnd();
        return cw.toByteArray();
    }

    /** Added and removed names of two unordered name lists, or null when they hold the same names. */
    private static String setChange(List<String> before, List<String> after) {
        TreeSet<String> a = before == null ? new TreeSet<>() : new TreeSet<>(before);
        TreeSet<String> b = after == null ? new TreeSet<>() : new TreeSet<>(after);
        int sizeA = before == null ? 0 : before.size();
        int sizeB = after == null ? 0 : after.size();
        if (a.equals(b) && sizeA == sizeB) {
            return null;
        }
        TreeSet<String> added = new TreeSet<>(b);
        added.removeAll(a);
        TreeSet<String> removed = new TreeSet<>(a);
        removed.removeAll(b);
        List<String> parts = new ArrayList<>();
        if (!added.isEmpty()) {
            parts.add("adds " + String.join(", ", added));
        }
        if (!removed.isEmpty()) {
            parts.add("removes " + String.join(", ", removed));
        }
        if (parts.isEmpty()) {
            parts.add("lists a class a different number of times");
        }
        return String.join("; ", parts);
    }

    private static List<String> components(List<RecordComponentNode> rc) {
        if (rc == null) {
            return null;
        }
        return rc.stream().map(c -> c.name + " " + c.descriptor + (c.signature == null ? "" : " " + c.signature)).toList();
    }

    private static String describeRecord(List<String> components) {
        return components == null ? "(not a record)" : "(" + String.join(", ", components) + ")";
    }

    private static List<FieldNode> sorted(List<FieldNode> fields) {
        List<FieldNode> out = new ArrayList<>(fields);
        out.sort((x, y) -> (x.name + " " + x.desc).compareTo(y.name + " " + y.desc));
        return out;
    }

    private static String orNone(String s) {
        return s == null ? "(none)" : s;
    }

    /** " from A to B" for short values; long strings would not fit a message and are left out. */
    private static String valueChange(Object before, Object after) {
        String a = constant(before);
        String b = constant(after);
        return a.length() > MAX_SHOWN_CONSTANT || b.length() > MAX_SHOWN_CONSTANT ? "" : " from " + a + " to " + b;
    }

    private static String constant(Object v) {
        if (v == null) {
            return "(none)";
        }
        return v instanceof String ? "\"" + JarSource.printable((String) v) + "\"" : String.valueOf(v);
    }
}
