package dev.hotpatch.builder.rewrite;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.objectweb.asm.Handle;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.tree.AbstractInsnNode;
import org.objectweb.asm.tree.ClassNode;
import org.objectweb.asm.tree.FieldInsnNode;
import org.objectweb.asm.tree.InvokeDynamicInsnNode;
import org.objectweb.asm.tree.LdcInsnNode;
import org.objectweb.asm.tree.MethodInsnNode;
import org.objectweb.asm.tree.MethodNode;

/**
 * Who uses which member, in the fixed release's code of the changed classes: the only classes that
 * can refer to a member the fix added or whose modifiers it changed (an unchanged class has the
 * same bytes in both releases, so it refers to nothing new). Keys are {@code name+descriptor} for
 * methods and {@code name descriptor} for fields, after synthetic accessors took back their
 * baseline names. Immutable once built.
 */
final class References {
    /** One use: the using class, its method, the opcode. */
    private record Use(String from, String method, int opcode) {
    }

    private final Map<String, List<Use>> uses = new HashMap<>();

    void scan(ClassNode c, Renames renames) {
        for (MethodNode m : c.methods) {
            for (AbstractInsnNode i : m.instructions) {
                if (i instanceof MethodInsnNode) {
                    MethodInsnNode mi = (MethodInsnNode) i;
                    String n = renamed(renames, mi.owner, mi.name, mi.desc);
                    add(mi.owner, Plan.key(n, mi.desc), c.name, m.name, mi.getOpcode());
                } else if (i instanceof FieldInsnNode) {
                    FieldInsnNode fi = (FieldInsnNode) i;
                    add(fi.owner, Plan.fieldKey(fi.name, fi.desc), c.name, m.name, fi.getOpcode());
                } else if (i instanceof InvokeDynamicInsnNode) {
                    for (Object a : ((InvokeDynamicInsnNode) i).bsmArgs) {
                        handle(a, c.name, m.name, renames);
                    }
                } else if (i instanceof LdcInsnNode) {
                    handle(((LdcInsnNode) i).cst, c.name, m.name, renames);
                }
            }
        }
    }

    private void handle(Object a, String from, String method, Renames renames) {
        if (a instanceof Handle) {
            Handle h = (Handle) a;
            boolean field = h.getTag() <= Opcodes.H_PUTSTATIC;
            String key = field ? Plan.fieldKey(h.getName(), h.getDesc())
                    : Plan.key(renamed(renames, h.getOwner(), h.getName(), h.getDesc()), h.getDesc());
            add(h.getOwner(), key, from, method, -h.getTag());
        }
    }

    private static String renamed(Renames renames, String owner, String name, String desc) {
        String r = renames.get(owner, name, desc);
        return r == null ? name : r;
    }

    private void add(String owner, String key, String from, String method, int opcode) {
        uses.computeIfAbsent(owner + "\u0000" + key, x -> new ArrayList<>()).add(new Use(from, method, opcode));
    }

    /** Every used member, as owner and key, with a class that uses it. */
    void forEach(TriConsumer action) {
        uses.forEach((k, list) -> {
            int sep = k.indexOf('\u0000');
            action.accept(k.substring(0, sep), k.substring(sep + 1), list.get(0).from());
        });
    }

    /** Receives an owner, a member key and a class that uses it. */
    interface TriConsumer {
        void accept(String owner, String key, String from);
    }

    /** Classes other than {@code owner} that use member {@code key} of {@code owner}. */
    Set<String> users(String owner, String key) {
        Set<String> out = new TreeSet<>();
        for (Use u : uses.getOrDefault(owner + "\u0000" + key, List.of())) {
            if (!u.from().equals(owner)) {
                out.add(u.from());
            }
        }
        return out;
    }

    /** A place that assigns field {@code key} of {@code owner} outside the owner's initialisers, or null. */
    String writerOutsideInitialisers(String owner, String key) {
        for (Use u : uses.getOrDefault(owner + "\u0000" + key, List.of())) {
            boolean write = u.opcode() == Opcodes.PUTFIELD || u.opcode() == Opcodes.PUTSTATIC
                    || u.opcode() == -Opcodes.H_PUTFIELD || u.opcode() == -Opcodes.H_PUTSTATIC;
            boolean initialiser = u.from().equals(owner) && (u.method().equals("<init>") || u.method().equals("<clinit>"));
            if (write && !initialiser) {
                return u.from() + "." + u.method();
            }
        }
        return null;
    }

    /** A class that uses member {@code key} of {@code owner} but could not with the baseline's access {@code access}, or null. */
    String userBeyond(String owner, String key, int access) {
        if ((access & Opcodes.ACC_PUBLIC) != 0) {
            return null;
        }
        String pkg = ClassIndex.packageOf(owner);
        for (String from : users(owner, key)) {
            boolean samePackage = ClassIndex.packageOf(from).equals(pkg);
            if ((access & Opcodes.ACC_PRIVATE) != 0 || !samePackage) {
                return from;
            }
        }
        return null;
    }
}
