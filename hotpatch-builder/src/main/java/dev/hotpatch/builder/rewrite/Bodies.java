package dev.hotpatch.builder.rewrite;

import java.util.Arrays;
import java.util.List;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;
import org.objectweb.asm.tree.AbstractInsnNode;
import org.objectweb.asm.tree.FrameNode;
import org.objectweb.asm.tree.InsnList;
import org.objectweb.asm.tree.InsnNode;
import org.objectweb.asm.tree.LabelNode;
import org.objectweb.asm.tree.LdcInsnNode;
import org.objectweb.asm.tree.MethodInsnNode;
import org.objectweb.asm.tree.MethodNode;
import org.objectweb.asm.tree.TryCatchBlockNode;
import org.objectweb.asm.tree.TypeInsnNode;
import org.objectweb.asm.tree.VarInsnNode;

/** Method bodies the rewriter writes or transforms: monitor blocks, inherited delegations, comparisons. Stateless. */
final class Bodies {
    private Bodies() {
    }

    /**
     * Moves {@code synchronized} from the method's modifiers into its body: enter the monitor of
     * {@code this} (or of the class, for a static method) first, exit it before every return and on
     * every exception, as javac does for a {@code synchronized} block. Needs stack map frames in the
     * expanded form; the handler's frame holds only {@code this}, so the method must not reassign it.
     */
    static void synchronize(MethodNode m, String owner, boolean lockClass) {
        if (!lockClass) {
            for (AbstractInsnNode i : m.instructions) {
                if (i instanceof VarInsnNode && i.getOpcode() == Opcodes.ASTORE && ((VarInsnNode) i).var == 0) {
                    throw new Unsupported("assigns to 'this', so its monitor cannot be held in a block");
                }
            }
        }
        m.access &= ~Opcodes.ACC_SYNCHRONIZED;
        InsnList code = m.instructions;
        LabelNode start = new LabelNode();
        LabelNode end = new LabelNode();
        LabelNode handler = new LabelNode();
        InsnList enter = new InsnList();
        enter.add(monitor(owner, lockClass));
        enter.add(new InsnNode(Opcodes.MONITORENTER));
        enter.add(start);
        code.insert(enter);
        for (AbstractInsnNode i : code.toArray()) {
            int op = i.getOpcode();
            if (op >= Opcodes.IRETURN && op <= Opcodes.RETURN) {
                InsnList exit = new InsnList();
                exit.add(monitor(owner, lockClass));
                exit.add(new InsnNode(Opcodes.MONITOREXIT));
                code.insertBefore(i, exit);
            }
        }
        code.add(end);
        code.add(handler);
        Object[] locals = lockClass ? new Object[0] : new Object[] {owner};
        code.add(new FrameNode(Opcodes.F_NEW, locals.length, locals, 1, new Object[] {"java/lang/Throwable"}));
        code.add(monitor(owner, lockClass));
        code.add(new InsnNode(Opcodes.MONITOREXIT));
        code.add(new InsnNode(Opcodes.ATHROW));
        m.tryCatchBlocks.add(new TryCatchBlockNode(start, end, handler, null));
    }

    private static AbstractInsnNode monitor(String owner, boolean lockClass) {
        return lockClass ? new LdcInsnNode(Type.getObjectType(owner)) : new VarInsnNode(Opcodes.ALOAD, 0);
    }

    /**
     * A body for a method the fixed release removed that does what a call would do in the fixed
     * release: an instance or static method calls the one it inherits (so virtual dispatch and
     * callers behave as there, and if nothing is inherited the call fails with the linkage error the
     * fixed release would raise); a constructor, or a method when {@code superName} is null (the
     * caller knows nothing is inherited), throws {@link NoSuchMethodError} with a message naming the
     * method and saying the hotpatch's fix removed it.
     */
    static void delegateToSuper(MethodNode m, String owner, String superName) {
        delegateToSuper(m, owner, superName, false);
    }

    /**
     * As {@link #delegateToSuper(MethodNode, String, String)}; {@code superIsInterface} when the
     * inherited method is a default method of {@code superName}, a direct superinterface of the class.
     */
    static void delegateToSuper(MethodNode m, String owner, String superName, boolean superIsInterface) {
        m.instructions.clear();
        m.tryCatchBlocks.clear();
        m.localVariables = null;
        m.visibleLocalVariableAnnotations = null;
        m.invisibleLocalVariableAnnotations = null;
        m.access &= ~(Opcodes.ACC_SYNCHRONIZED | Opcodes.ACC_NATIVE | Opcodes.ACC_ABSTRACT);
        InsnList c = m.instructions;
        boolean isStatic = (m.access & Opcodes.ACC_STATIC) != 0;
        if ("<init>".equals(m.name) || superName == null) {
            c.add(new TypeInsnNode(Opcodes.NEW, "java/lang/NoSuchMethodError"));
            c.add(new InsnNode(Opcodes.DUP));
            c.add(new LdcInsnNode("'" + owner.replace('/', '.') + "." + m.name + m.desc + "' was removed by the fix this hotpatch carries"));
            c.add(new MethodInsnNode(Opcodes.INVOKESPECIAL, "java/lang/NoSuchMethodError", "<init>", "(Ljava/lang/String;)V", false));
            c.add(new InsnNode(Opcodes.ATHROW));
            return;
        }
        int slot = 0;
        if (!isStatic) {
            c.add(new VarInsnNode(Opcodes.ALOAD, 0));
            slot = 1;
        }
        for (Type a : Type.getArgumentTypes(m.desc)) {
            c.add(new VarInsnNode(a.getOpcode(Opcodes.ILOAD), slot));
            slot += a.getSize();
        }
        c.add(new MethodInsnNode(isStatic ? Opcodes.INVOKESTATIC : Opcodes.INVOKESPECIAL, superName, m.name, m.desc, superIsInterface));
        c.add(new InsnNode(Type.getReturnType(m.desc).getOpcode(Opcodes.IRETURN)));
    }

    /** Turns an instance method into a static one taking the instance first; its code is unchanged. */
    static void makeStatic(MethodNode m, String owner) {
        if ((m.access & Opcodes.ACC_STATIC) == 0) {
            m.desc = "(L" + owner + ";" + m.desc.substring(1);
            m.signature = null;
        }
        m.access = (m.access & (Opcodes.ACC_SYNCHRONIZED | Opcodes.ACC_VARARGS | Opcodes.ACC_STRICT | Opcodes.ACC_SYNTHETIC))
                | Opcodes.ACC_STATIC;
        m.visibleParameterAnnotations = null;
        m.invisibleParameterAnnotations = null;
        m.visibleAnnotableParameterCount = 0;
        m.invisibleAnnotableParameterCount = 0;
        m.parameters = null;
        m.annotationDefault = null;
    }

    /** Whether two methods have the same code, ignoring constant-pool layout, debug information and frames. */
    static boolean sameCode(MethodNode a, MethodNode b) {
        return Arrays.equals(normalised(a), normalised(b));
    }

    private static byte[] normalised(MethodNode m) {
        ClassWriter cw = new ClassWriter(0);
        cw.visit(Opcodes.V17, Opcodes.ACC_PUBLIC, "Code", null, "java/lang/Object", null);
        MethodVisitor mv = cw.visitMethod(m.access & ~Opcodes.ACC_SYNTHETIC, "m", m.desc, null, null);
        mv.visitCode();
        m.instructions.resetLabels();
        for (TryCatchBlockNode t : m.tryCatchBlocks) {
            mv.visitTryCatchBlock(t.start.getLabel(), t.end.getLabel(), t.handler.getLabel(), t.type);
        }
        for (AbstractInsnNode i : m.instructions) {
            if (i.getType() != AbstractInsnNode.LINE && i.getType() != AbstractInsnNode.FRAME) {
                i.accept(mv);
            }
        }
        mv.visitMaxs(m.maxStack, m.maxLocals);
        mv.visitEnd();
        cw.visitEnd();
        return cw.toByteArray();
    }

    /** Whether the method has nothing but a return (line numbers, labels and frames aside). */
    static boolean trivial(MethodNode m) {
        for (AbstractInsnNode i : m.instructions) {
            if (i.getOpcode() >= 0 && i.getOpcode() != Opcodes.RETURN) {
                return false;
            }
        }
        return true;
    }

    static boolean isReturn(int op) {
        return op >= Opcodes.IRETURN && op <= Opcodes.RETURN;
    }

    static List<AbstractInsnNode> list(InsnList l) {
        return Arrays.asList(l.toArray());
    }
}
