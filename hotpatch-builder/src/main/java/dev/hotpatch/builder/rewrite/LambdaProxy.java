package dev.hotpatch.builder.rewrite;

import java.util.List;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.ConstantDynamic;
import org.objectweb.asm.Handle;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

/**
 * The class of a lambda whose body the builder moved into a hidden helper. {@code LambdaMetafactory}
 * cannot serve it: on Java 17 its generated classes name the body's class, and a hidden class has
 * no name to resolve. So the builder writes the small class the metafactory would have spun: it
 * implements the functional interface, holds the captured values in final fields, and its one
 * method calls the body through a constant {@code MethodHandle} taken from its class data, already
 * adapted to the erased interface signature. It is defined at run time as a hidden nestmate of the
 * patched class (see {@link Bootstrap#lambda}). Stateless.
 */
final class LambdaProxy {
    private LambdaProxy() {
    }

    /**
     * The class file of a lambda class named {@code name} (in the patched class's package) that
     * implements {@code iface} (plus {@code markers}) whose method {@code method} has the erased
     * descriptor {@code erased}, capturing values of types {@code captures}.
     */
    static byte[] write(String name, String iface, List<String> markers, String method, String erased, Type[] captures) {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        String[] interfaces = new String[markers.size() + 1];
        interfaces[0] = iface;
        for (int i = 0; i < markers.size(); i++) {
            interfaces[i + 1] = markers.get(i);
        }
        cw.visit(Opcodes.V17, Opcodes.ACC_FINAL | Opcodes.ACC_SUPER | Opcodes.ACC_SYNTHETIC, name, null, "java/lang/Object", interfaces);
        for (int i = 0; i < captures.length; i++) {
            cw.visitField(Opcodes.ACC_PRIVATE | Opcodes.ACC_FINAL, "arg$" + i, captures[i].getDescriptor(), null, null).visitEnd();
        }
        MethodVisitor init = cw.visitMethod(Opcodes.ACC_PRIVATE, "<init>", Type.getMethodDescriptor(Type.VOID_TYPE, captures), null, null);
        init.visitCode();
        init.visitVarInsn(Opcodes.ALOAD, 0);
        init.visitMethodInsn(Opcodes.INVOKESPECIAL, "java/lang/Object", "<init>", "()V", false);
        int slot = 1;
        for (int i = 0; i < captures.length; i++) {
            init.visitVarInsn(Opcodes.ALOAD, 0);
            init.visitVarInsn(captures[i].getOpcode(Opcodes.ILOAD), slot);
            init.visitFieldInsn(Opcodes.PUTFIELD, name, "arg$" + i, captures[i].getDescriptor());
            slot += captures[i].getSize();
        }
        init.visitInsn(Opcodes.RETURN);
        init.visitMaxs(0, 0);
        init.visitEnd();

        Type erasedType = Type.getMethodType(erased);
        MethodVisitor m = cw.visitMethod(Opcodes.ACC_PUBLIC, method, erased, null, null);
        m.visitCode();
        m.visitLdcInsn(new ConstantDynamic("_", Bootstrap.MH_D, new Handle(Opcodes.H_INVOKESTATIC, "java/lang/invoke/MethodHandles",
                "classData", "(" + Bootstrap.LOOKUP_D + "Ljava/lang/String;Ljava/lang/Class;)Ljava/lang/Object;", false)));
        for (int i = 0; i < captures.length; i++) {
            m.visitVarInsn(Opcodes.ALOAD, 0);
            m.visitFieldInsn(Opcodes.GETFIELD, name, "arg$" + i, captures[i].getDescriptor());
        }
        slot = 1;
        for (Type a : erasedType.getArgumentTypes()) {
            m.visitVarInsn(a.getOpcode(Opcodes.ILOAD), slot);
            slot += a.getSize();
        }
        m.visitMethodInsn(Opcodes.INVOKEVIRTUAL, Bootstrap.MH, "invokeExact", handleDesc(erased, captures), false);
        m.visitInsn(erasedType.getReturnType().getOpcode(Opcodes.IRETURN));
        m.visitMaxs(0, 0);
        m.visitEnd();
        cw.visitEnd();
        return cw.toByteArray();
    }

    /** The descriptor the body's handle is adapted to: captured values, then the erased arguments. */
    static String handleDesc(String erased, Type[] captures) {
        Type e = Type.getMethodType(erased);
        Type[] args = new Type[captures.length + e.getArgumentTypes().length];
        System.arraycopy(captures, 0, args, 0, captures.length);
        System.arraycopy(e.getArgumentTypes(), 0, args, captures.length, e.getArgumentTypes().length);
        return Type.getMethodDescriptor(e.getReturnType(), args);
    }
}
