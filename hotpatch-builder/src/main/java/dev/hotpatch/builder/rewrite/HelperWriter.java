package dev.hotpatch.builder.rewrite;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;
import org.objectweb.asm.commons.ClassRemapper;
import org.objectweb.asm.commons.SimpleRemapper;
import org.objectweb.asm.tree.AbstractInsnNode;
import org.objectweb.asm.tree.FieldInsnNode;
import org.objectweb.asm.tree.FieldNode;
import org.objectweb.asm.tree.FrameNode;
import org.objectweb.asm.tree.InsnList;
import org.objectweb.asm.tree.InsnNode;
import org.objectweb.asm.tree.JumpInsnNode;
import org.objectweb.asm.tree.LabelNode;
import org.objectweb.asm.tree.MethodInsnNode;
import org.objectweb.asm.tree.MethodNode;
import org.objectweb.asm.tree.ClassNode;
import org.objectweb.asm.tree.TypeInsnNode;
import org.objectweb.asm.tree.VarInsnNode;

/**
 * Writes the hidden helper of one patched class from {@link HelperTemplate}: the template's side
 * table, renamed into the patched class's package, plus the moved methods, a slot and two
 * accessors per shadowed field, and the initialisers of added static fields. Stateless.
 */
final class HelperWriter {
    private static final String TEMPLATE = HelperTemplate.class.getName().replace('.', '/');

    private HelperWriter() {
    }

    /**
     * @param plan        the class's plan (names of the helper and its target)
     * @param sourceFile  the patched class's source file, so stack traces through moved code name it
     * @param moved       moved methods, already static and rewritten for the helper
     * @param initial     initial values of instance shadows (absent: the type's default)
     * @param staticInits instructions that initialise added static fields, already rewritten for the helper
     */
    static byte[] write(Plan plan, String sourceFile, List<MethodNode> moved, Map<String, InitialValue> initial,
                        InsnList staticInits) {
        ClassNode h = template(plan.helper);
        h.version = Opcodes.V17;
        h.access = Opcodes.ACC_FINAL | Opcodes.ACC_SUPER | Opcodes.ACC_SYNTHETIC;
        h.sourceFile = sourceFile;
        h.sourceDebug = null;
        h.innerClasses.clear();
        h.nestHostClass = null;
        h.nestMembers = null;
        h.visibleAnnotations = null;
        h.invisibleAnnotations = null;
        h.signature = null;
        MethodNode init = method(h, "hp$initialise");
        init.instructions.clear();
        init.localVariables = null;
        MethodNode clinit = method(h, "<clinit>");
        for (Plan.Shadow s : plan.shadowed.values()) {
            int volatileBit = s.isVolatile() ? Opcodes.ACC_VOLATILE : 0;
            h.fields.add(new FieldNode((s.isStatic() ? Opcodes.ACC_STATIC : 0) | volatileBit | Opcodes.ACC_SYNTHETIC, s.slot(), s.desc(), null, null));
            if (s.isStatic()) {
                staticAccessors(h, plan, s);
            } else {
                InitialValue v = initial.get(Plan.fieldKey(s.name(), s.desc()));
                instanceAccessors(h, plan, s, v);
                if (v != null && !v.isDefault(s.desc())) {
                    init.instructions.add(new VarInsnNode(Opcodes.ALOAD, 0));
                    init.instructions.add(new TypeInsnNode(Opcodes.CHECKCAST, plan.helper));
                    init.instructions.add(v.push());
                    init.instructions.add(new FieldInsnNode(Opcodes.PUTFIELD, plan.helper, s.slot(), s.desc()));
                }
            }
        }
        init.instructions.add(new InsnNode(Opcodes.RETURN));
        AbstractInsnNode last = clinit.instructions.getLast();
        while (last.getOpcode() != Opcodes.RETURN) {
            last = last.getPrevious();
        }
        clinit.instructions.insertBefore(last, staticInits);
        h.methods.addAll(moved);
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        h.accept(cw);
        return cw.toByteArray();
    }

    private static ClassNode template(String name) {
        byte[] bytes;
        try (InputStream in = HelperWriter.class.getResourceAsStream("HelperTemplate.class")) {
            if (in == null) {
                throw new IllegalStateException("HelperTemplate.class is missing from the builder's class path");
            }
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the helper template", e);
        }
        ClassNode n = new ClassNode();
        new ClassReader(bytes).accept(new ClassRemapper(n, new SimpleRemapper(TEMPLATE, name)), ClassReader.EXPAND_FRAMES);
        return n;
    }

    private static MethodNode method(ClassNode c, String name) {
        return c.methods.stream().filter(m -> m.name.equals(name)).findFirst()
                .orElseThrow(() -> new IllegalStateException("template has no " + name));
    }

    private static void staticAccessors(ClassNode h, Plan plan, Plan.Shadow s) {
        Type t = Type.getType(s.desc());
        MethodNode get = new MethodNode(Opcodes.ACC_STATIC | Opcodes.ACC_SYNTHETIC, s.getter(), s.getterDesc(plan.target), null, null);
        get.instructions.add(new FieldInsnNode(Opcodes.GETSTATIC, plan.helper, s.slot(), s.desc()));
        get.instructions.add(new InsnNode(t.getOpcode(Opcodes.IRETURN)));
        MethodNode set = new MethodNode(Opcodes.ACC_STATIC | Opcodes.ACC_SYNTHETIC, s.setter(), s.setterDesc(plan.target), null, null);
        set.instructions.add(new VarInsnNode(t.getOpcode(Opcodes.ILOAD), 0));
        set.instructions.add(new FieldInsnNode(Opcodes.PUTSTATIC, plan.helper, s.slot(), s.desc()));
        set.instructions.add(new InsnNode(Opcodes.RETURN));
        h.methods.add(get);
        h.methods.add(set);
    }

    /**
     * {@code get$f(T)}: the row's value, or the initial value when the object has no row yet
     * (a lazily created initial value creates the row). {@code set$f(T, v)}: stores into the row,
     * creating it unless {@code v} is the default that a missing row already reads.
     */
    private static void instanceAccessors(ClassNode h, Plan plan, Plan.Shadow s, InitialValue v) {
        Type t = Type.getType(s.desc());
        String row = plan.helper;
        Object frameType = frameType(t);
        MethodNode get = new MethodNode(Opcodes.ACC_STATIC | Opcodes.ACC_SYNTHETIC, s.getter(), s.getterDesc(plan.target), null, null);
        InsnList g = get.instructions;
        nullCheck(g);
        g.add(new VarInsnNode(Opcodes.ALOAD, 0));
        g.add(new MethodInsnNode(Opcodes.INVOKESTATIC, row, "hp$find", "(Ljava/lang/Object;)Ljava/lang/Object;", false));
        g.add(new TypeInsnNode(Opcodes.CHECKCAST, row));
        g.add(new InsnNode(Opcodes.DUP));
        LabelNode missing = new LabelNode();
        g.add(new JumpInsnNode(Opcodes.IFNULL, missing));
        g.add(new FieldInsnNode(Opcodes.GETFIELD, row, s.slot(), s.desc()));
        g.add(new InsnNode(t.getOpcode(Opcodes.IRETURN)));
        g.add(missing);
        g.add(new FrameNode(Opcodes.F_NEW, 1, new Object[] {plan.target}, 1, new Object[] {row}));
        g.add(new InsnNode(Opcodes.POP));
        if (v != null && v.lazy()) {
            g.add(new VarInsnNode(Opcodes.ALOAD, 0));
            g.add(new MethodInsnNode(Opcodes.INVOKESTATIC, row, "hp$create", "(Ljava/lang/Object;)Ljava/lang/Object;", false));
            g.add(new TypeInsnNode(Opcodes.CHECKCAST, row));
            g.add(new FieldInsnNode(Opcodes.GETFIELD, row, s.slot(), s.desc()));
        } else if (v == null) {
            g.add(new InsnNode(defaultOpcode(t)));
        } else {
            g.add(v.push());
        }
        g.add(new InsnNode(t.getOpcode(Opcodes.IRETURN)));

        MethodNode set = new MethodNode(Opcodes.ACC_STATIC | Opcodes.ACC_SYNTHETIC, s.setter(), s.setterDesc(plan.target), null, null);
        InsnList p = set.instructions;
        nullCheck(p);
        p.add(new VarInsnNode(Opcodes.ALOAD, 0));
        p.add(new MethodInsnNode(Opcodes.INVOKESTATIC, row, "hp$find", "(Ljava/lang/Object;)Ljava/lang/Object;", false));
        p.add(new TypeInsnNode(Opcodes.CHECKCAST, row));
        p.add(new InsnNode(Opcodes.DUP));
        LabelNode have = new LabelNode();
        p.add(new JumpInsnNode(Opcodes.IFNONNULL, have));
        p.add(new InsnNode(Opcodes.POP));
        LabelNode done = null;
        boolean defaultRead = v == null || v.isDefault(s.desc());
        if (defaultRead && t.getSort() != Type.FLOAT && t.getSort() != Type.DOUBLE) {
            done = new LabelNode();
            p.add(new VarInsnNode(t.getOpcode(Opcodes.ILOAD), 1));
            if (t.getSort() == Type.LONG) {
                p.add(new InsnNode(Opcodes.LCONST_0));
                p.add(new InsnNode(Opcodes.LCMP));
                p.add(new JumpInsnNode(Opcodes.IFEQ, done));
            } else if (t.getSort() == Type.OBJECT || t.getSort() == Type.ARRAY) {
                p.add(new JumpInsnNode(Opcodes.IFNULL, done));
            } else {
                p.add(new JumpInsnNode(Opcodes.IFEQ, done));
            }
        }
        p.add(new VarInsnNode(Opcodes.ALOAD, 0));
        p.add(new MethodInsnNode(Opcodes.INVOKESTATIC, row, "hp$create", "(Ljava/lang/Object;)Ljava/lang/Object;", false));
        p.add(new TypeInsnNode(Opcodes.CHECKCAST, row));
        p.add(have);
        p.add(new FrameNode(Opcodes.F_NEW, 2, new Object[] {plan.target, frameType}, 1, new Object[] {row}));
        p.add(new VarInsnNode(t.getOpcode(Opcodes.ILOAD), 1));
        p.add(new FieldInsnNode(Opcodes.PUTFIELD, row, s.slot(), s.desc()));
        p.add(new InsnNode(Opcodes.RETURN));
        if (done != null) {
            p.add(done);
            p.add(new FrameNode(Opcodes.F_NEW, 2, new Object[] {plan.target, frameType}, 0, new Object[0]));
            p.add(new InsnNode(Opcodes.RETURN));
        }
        h.methods.add(get);
        h.methods.add(set);
    }

    /** Throws {@link NullPointerException} for a null object, as the field access would. */
    private static void nullCheck(InsnList l) {
        l.add(new VarInsnNode(Opcodes.ALOAD, 0));
        l.add(new MethodInsnNode(Opcodes.INVOKESTATIC, "java/util/Objects", "requireNonNull", "(Ljava/lang/Object;)Ljava/lang/Object;", false));
        l.add(new InsnNode(Opcodes.POP));
    }

    private static int defaultOpcode(Type t) {
        switch (t.getSort()) {
            case Type.LONG:
                return Opcodes.LCONST_0;
            case Type.FLOAT:
                return Opcodes.FCONST_0;
            case Type.DOUBLE:
                return Opcodes.DCONST_0;
            case Type.OBJECT:
            case Type.ARRAY:
                return Opcodes.ACONST_NULL;
            default:
                return Opcodes.ICONST_0;
        }
    }

    /** A value's type as ASM writes it in an expanded stack map frame. */
    static Object frameType(Type t) {
        switch (t.getSort()) {
            case Type.BOOLEAN: case Type.CHAR: case Type.BYTE: case Type.SHORT: case Type.INT:
                return Opcodes.INTEGER;
            case Type.LONG:
                return Opcodes.LONG;
            case Type.FLOAT:
                return Opcodes.FLOAT;
            case Type.DOUBLE:
                return Opcodes.DOUBLE;
            default:
                return t.getSort() == Type.ARRAY ? t.getDescriptor() : t.getInternalName();
        }
    }
}
