package dev.hotpatch.builder.rewrite;

import java.util.List;
import java.util.Objects;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;
import org.objectweb.asm.tree.AbstractInsnNode;
import org.objectweb.asm.tree.InsnList;
import org.objectweb.asm.tree.InsnNode;
import org.objectweb.asm.tree.IntInsnNode;
import org.objectweb.asm.tree.LdcInsnNode;
import org.objectweb.asm.tree.MethodInsnNode;
import org.objectweb.asm.tree.TypeInsnNode;

/**
 * The value an added instance field holds in an object that existed before the patch, when the
 * builder can prove what the fixed constructors would have set: a compile-time constant, or a new
 * JDK object made with constant arguments (created on first use, one per object). {@code null}
 * stands for the type's default. Immutable.
 *
 * @param constant the constant (an {@code Integer} for {@code boolean}, {@code char}, {@code byte}, {@code short}
 *                 and {@code int}, as in a class file), or null
 * @param newType  internal name of the JDK class created on first use, or null
 * @param ctorDesc descriptor of its constructor
 * @param args     constant constructor arguments
 */
record InitialValue(Object constant, String newType, String ctorDesc, List<Object> args) {

    static InitialValue ofConstant(Object value) {
        return new InitialValue(value, null, null, List.of());
    }

    static InitialValue ofNew(String type, String desc, List<Object> args) {
        return new InitialValue(null, type, desc, args);
    }

    /** Whether the value is created per object on first access rather than being a constant. */
    boolean lazy() {
        return newType != null;
    }

    /** Whether this is the default of a field of type {@code desc} (so nothing needs initialising). */
    boolean isDefault(String desc) {
        if (lazy()) {
            return false;
        }
        if (constant == null) {
            return true;
        }
        switch (Type.getType(desc).getSort()) {
            case Type.BOOLEAN: case Type.CHAR: case Type.BYTE: case Type.SHORT: case Type.INT:
                return constant instanceof Integer && (Integer) constant == 0;
            case Type.LONG:
                return constant instanceof Long && (Long) constant == 0L;
            case Type.FLOAT:
                return constant instanceof Float && Float.floatToRawIntBits((Float) constant) == 0;
            case Type.DOUBLE:
                return constant instanceof Double && Double.doubleToRawLongBits((Double) constant) == 0L;
            default:
                return false;
        }
    }

    /** Instructions that push the value. */
    InsnList push() {
        InsnList l = new InsnList();
        if (lazy()) {
            l.add(new TypeInsnNode(Opcodes.NEW, newType));
            l.add(new InsnNode(Opcodes.DUP));
            for (Object a : args) {
                l.add(constant(a));
            }
            l.add(new MethodInsnNode(Opcodes.INVOKESPECIAL, newType, "<init>", ctorDesc, false));
        } else {
            l.add(constant(constant));
        }
        return l;
    }

    private static AbstractInsnNode constant(Object v) {
        return v == null ? new InsnNode(Opcodes.ACONST_NULL) : new LdcInsnNode(v);
    }

    /** How a report describes it. */
    String describe(String desc) {
        if (lazy()) {
            return "a new " + newType.replace('/', '.') + " created on first use";
        }
        if (constant == null) {
            return defaultText(desc);
        }
        if (Type.getType(desc).getSort() == Type.BOOLEAN) {
            return Objects.equals(constant, 0) ? "false" : "true";
        }
        return constant instanceof String ? "\"" + constant + "\"" : String.valueOf(constant);
    }

    static String defaultText(String desc) {
        switch (Type.getType(desc).getSort()) {
            case Type.BOOLEAN:
                return "false";
            case Type.OBJECT:
            case Type.ARRAY:
                return "null";
            default:
                return "0";
        }
    }

    /** The constant a single instruction pushes, or {@code NONE} when it pushes something else. */
    static Object constantOf(AbstractInsnNode i) {
        int op = i.getOpcode();
        if (op == Opcodes.ACONST_NULL) {
            return null;
        }
        if (op >= Opcodes.ICONST_M1 && op <= Opcodes.ICONST_5) {
            return op - Opcodes.ICONST_0;
        }
        if (op == Opcodes.LCONST_0 || op == Opcodes.LCONST_1) {
            return (long) (op - Opcodes.LCONST_0);
        }
        if (op >= Opcodes.FCONST_0 && op <= Opcodes.FCONST_2) {
            return (float) (op - Opcodes.FCONST_0);
        }
        if (op == Opcodes.DCONST_0 || op == Opcodes.DCONST_1) {
            return (double) (op - Opcodes.DCONST_0);
        }
        if (op == Opcodes.BIPUSH || op == Opcodes.SIPUSH) {
            return ((IntInsnNode) i).operand;
        }
        if (op == Opcodes.LDC) {
            Object c = ((LdcInsnNode) i).cst;
            if (c instanceof Integer || c instanceof Long || c instanceof Float || c instanceof Double || c instanceof String) {
                return c;
            }
        }
        return NONE;
    }

    /** Marks "not a constant" in {@link #constantOf}. */
    static final Object NONE = new Object();
}
