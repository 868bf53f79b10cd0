package dev.hotpatch.builder;

import java.util.ArrayList;
import java.util.List;
import org.objectweb.asm.Opcodes;

/**
 * The access flags HotSpot keeps for classes, fields and methods, and their names for messages.
 * HotSpot's class-file parser masks each kind with its {@code JVM_RECOGNIZED_*_MODIFIERS}
 * (classes also keep {@code ACC_MODULE}); redefinition then compares the masked values, so bits
 * outside a mask, and ASM's pseudo-flags such as {@code ACC_DEPRECATED} and {@code ACC_RECORD},
 * never make a difference here either.
 */
enum AccessFlags {
    CLASS(Opcodes.ACC_PUBLIC | Opcodes.ACC_FINAL | Opcodes.ACC_SUPER | Opcodes.ACC_INTERFACE | Opcodes.ACC_ABSTRACT
            | Opcodes.ACC_SYNTHETIC | Opcodes.ACC_ANNOTATION | Opcodes.ACC_ENUM | Opcodes.ACC_MODULE,
            new int[] {Opcodes.ACC_PUBLIC, Opcodes.ACC_ABSTRACT, Opcodes.ACC_FINAL, Opcodes.ACC_INTERFACE,
                Opcodes.ACC_ANNOTATION, Opcodes.ACC_ENUM, Opcodes.ACC_SYNTHETIC, Opcodes.ACC_MODULE, Opcodes.ACC_SUPER},
            new String[] {"public", "abstract", "final", "interface", "annotation", "enum", "synthetic", "module", "ACC_SUPER"}),
    FIELD(Opcodes.ACC_PUBLIC | Opcodes.ACC_PRIVATE | Opcodes.ACC_PROTECTED | Opcodes.ACC_STATIC | Opcodes.ACC_FINAL
            | Opcodes.ACC_VOLATILE | Opcodes.ACC_TRANSIENT | Opcodes.ACC_SYNTHETIC | Opcodes.ACC_ENUM,
            new int[] {Opcodes.ACC_PUBLIC, Opcodes.ACC_PROTECTED, Opcodes.ACC_PRIVATE, Opcodes.ACC_STATIC, Opcodes.ACC_FINAL,
                Opcodes.ACC_TRANSIENT, Opcodes.ACC_VOLATILE, Opcodes.ACC_ENUM, Opcodes.ACC_SYNTHETIC},
            new String[] {"public", "protected", "private", "static", "final", "transient", "volatile", "enum", "synthetic"}),
    METHOD(Opcodes.ACC_PUBLIC | Opcodes.ACC_PRIVATE | Opcodes.ACC_PROTECTED | Opcodes.ACC_STATIC | Opcodes.ACC_FINAL
            | Opcodes.ACC_SYNCHRONIZED | Opcodes.ACC_BRIDGE | Opcodes.ACC_VARARGS | Opcodes.ACC_NATIVE
            | Opcodes.ACC_ABSTRACT | Opcodes.ACC_STRICT | Opcodes.ACC_SYNTHETIC,
            new int[] {Opcodes.ACC_PUBLIC, Opcodes.ACC_PROTECTED, Opcodes.ACC_PRIVATE, Opcodes.ACC_ABSTRACT, Opcodes.ACC_STATIC,
                Opcodes.ACC_FINAL, Opcodes.ACC_SYNCHRONIZED, Opcodes.ACC_NATIVE, Opcodes.ACC_STRICT, Opcodes.ACC_VARARGS,
                Opcodes.ACC_BRIDGE, Opcodes.ACC_SYNTHETIC},
            new String[] {"public", "protected", "private", "abstract", "static", "final", "synchronized", "native",
                "strictfp", "varargs", "bridge", "synthetic"});

    private final int recognized;
    private final int[] bits;
    private final String[] names;

    AccessFlags(int recognized, int[] bits, String[] names) {
        this.recognized = recognized;
        this.bits = bits;
        this.names = names;
    }

    /** The flags HotSpot keeps of {@code access} as ASM reports it. */
    int recognized(int access) {
        return access & recognized;
    }

    /**
     * The modifiers of {@code access} in source order, such as {@code private static final};
     * a class's {@code ACC_SUPER} only when {@code shown} includes it, since almost every class has it.
     * "no modifiers" when there are none.
     */
    String describe(int access, int shown) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < bits.length; i++) {
            boolean hiddenSuper = this == CLASS && bits[i] == Opcodes.ACC_SUPER && (shown & Opcodes.ACC_SUPER) == 0;
            if ((access & bits[i]) != 0 && !hiddenSuper) {
                out.add(names[i]);
            }
        }
        return out.isEmpty() ? "no modifiers" : String.join(" ", out);
    }
}
