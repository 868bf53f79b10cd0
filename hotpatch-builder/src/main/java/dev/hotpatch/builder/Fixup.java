package dev.hotpatch.builder;

import java.util.List;

/**
 * The fix-up class a package ships ({@code hotpatch build --fixup}): an added class whose
 * {@code afterApply()} the agent calls after a live apply, and {@code afterUninstall()}, when
 * declared, after a live uninstall, to repair state the vulnerable code built.
 *
 * @param className internal name, e.g. {@code org/apache/commons/text/lookup/Text4ShellFixup}
 * @param hooks     the hooks it declares: {@code afterApply}, and {@code afterUninstall} when present
 */
public record Fixup(String className, List<String> hooks) {
    public Fixup {
        hooks = List.copyOf(hooks);
    }

    /**
     * The fix-up a package ships, read from its class bytes (for {@code hotpatch inspect}): the
     * hooks it declares {@code public static void}, without parameters.
     */
    public static Fixup read(String className, byte[] bytes) {
        org.objectweb.asm.tree.ClassNode n = new org.objectweb.asm.tree.ClassNode();
        new org.objectweb.asm.ClassReader(bytes).accept(n, org.objectweb.asm.ClassReader.SKIP_CODE);
        java.util.List<String> hooks = new java.util.ArrayList<>();
        for (String h : List.of(FixupCheck.AFTER_APPLY, FixupCheck.AFTER_UNINSTALL)) {
            for (org.objectweb.asm.tree.MethodNode m : n.methods) {
                int ps = org.objectweb.asm.Opcodes.ACC_PUBLIC | org.objectweb.asm.Opcodes.ACC_STATIC;
                if (m.name.equals(h) && m.desc.equals("()V") && (m.access & ps) == ps) {
                    hooks.add(h);
                }
            }
        }
        return new Fixup(className, hooks);
    }

    /** The report line, e.g. {@code fix-up: org/acme/QuotesFixup (afterApply, afterUninstall)}. */
    public String describe() {
        return "fix-up: " + className + " (" + String.join(", ", hooks) + ")";
    }
}
