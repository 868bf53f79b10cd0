package dev.hotpatch.builder;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.Handle;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;
import org.objectweb.asm.tree.AbstractInsnNode;
import org.objectweb.asm.tree.ClassNode;
import org.objectweb.asm.tree.FieldInsnNode;
import org.objectweb.asm.tree.FieldNode;
import org.objectweb.asm.tree.InvokeDynamicInsnNode;
import org.objectweb.asm.tree.LdcInsnNode;
import org.objectweb.asm.tree.MethodInsnNode;
import org.objectweb.asm.tree.MethodNode;
import org.objectweb.asm.tree.TypeInsnNode;

/**
 * Checks a fix-up class ({@code hotpatch build --fixup}) before it ships: a class file of its own
 * (no class of that name in either jar), in the Java package of a class the hotpatch replaces,
 * declaring {@code public static void afterApply()} and optionally {@code public static void
 * afterUninstall()}, no nested classes (only the one class ships), compiled for a class-file
 * version every JVM that runs the baseline and the agent accepts (the newer of the baseline's
 * newest classes and Java 11), and referring only to classes and members that exist in the
 * fixed jar or the JDK (the fix-up runs against the fixed code; a missing member would fail only
 * in production, as a {@code NoSuchMethodError} inside the apply). Each failure is a
 * {@link BuilderException} (a usage error) that says how to fix it. Stateless.
 */
final class FixupCheck {
    static final String AFTER_APPLY = "afterApply";
    static final String AFTER_UNINSTALL = "afterUninstall";
    /** Class-file version of Java 11, the oldest Java the agent runs on. */
    static final int AGENT_MINIMUM_VERSION = 55;

    private FixupCheck() {
    }

    /** A checked fix-up: its class name, its hooks and its bytes. */
    record Checked(Fixup fixup, byte[] bytes) {
    }

    /**
     * @param file     the compiled {@code .class}
     * @param replaced internal names of the classes the hotpatch replaces
     * @param baseline the baseline jar, patched the fixed jar
     */
    static Checked check(Path file, Set<String> replaced, JarSource baseline, JarSource patched) {
        byte[] bytes = read(file);
        ClassNode node = new ClassNode();
        try {
            new ClassReader(bytes).accept(node, ClassReader.SKIP_FRAMES);
        } catch (RuntimeException e) {
            throw new BuilderException("--fixup " + file + " is not a class file the builder can read (" + e
                    + "); pass the .class file javac wrote for the fix-up class");
        }
        String name = node.name;
        Set<String> packages = new TreeSet<>();
        replaced.forEach(r -> packages.add(packageOf(r)));
        if (!packages.contains(packageOf(name))) {
            throw new BuilderException("--fixup " + name + " is in Java package '" + packageOf(name).replace('/', '.')
                    + "', where this hotpatch replaces no class; declare it in the package of a class the hotpatch replaces ("
                    + String.join(", ", packages.stream().map(p -> p.isEmpty() ? "(unnamed)" : p.replace('/', '.')).toList())
                    + "): the agent defines it and calls it next to those classes");
        }
        if (baseline.contains(name + ".class") || patched.contains(name + ".class")) {
            throw new BuilderException("--fixup " + name + " names a class the " + (patched.contains(name + ".class") ? "fixed" : "baseline")
                    + " jar already has; the fix-up must be a class of its own: rename it (e.g. " + name + "Fixup)");
        }
        if ((node.access & (Opcodes.ACC_INTERFACE | Opcodes.ACC_ANNOTATION | Opcodes.ACC_ENUM | Opcodes.ACC_RECORD)) != 0) {
            throw new BuilderException("--fixup " + name + " is an interface, enum, record or annotation; make it a plain final class"
                    + " with public static hooks");
        }
        if (node.nestMembers != null && !node.nestMembers.isEmpty()) {
            throw new BuilderException("--fixup " + name + " declares nested classes (" + String.join(", ", node.nestMembers)
                    + "), which would not ship: only the fix-up class itself does. Move their code into it (static methods;"
                    + " lambdas are fine)");
        }
        List<String> hooks = new ArrayList<>();
        for (String hook : List.of(AFTER_APPLY, AFTER_UNINSTALL)) {
            MethodNode m = method(node, hook);
            if (m == null) {
                continue;
            }
            if ((m.access & (Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC)) != (Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC) || !m.desc.equals("()V")) {
                throw new BuilderException("--fixup " + name + ": " + hook + " must be declared 'public static void " + hook + "()'"
                        + " (no parameters), found " + describe(m));
            }
            hooks.add(hook);
        }
        if (!hooks.contains(AFTER_APPLY)) {
            throw new BuilderException("--fixup " + name + " declares no 'public static void afterApply()': the agent calls it once"
                    + " per class loader after a live apply, to repair state the vulnerable code built. Add it");
        }
        int version = node.version & 0xFFFF;
        int newest = newestVersion(baseline);
        // The agent runs on Java 11 or later, so every JVM that can apply the package accepts Java 11 classes.
        int allowed = Math.max(newest, AGENT_MINIMUM_VERSION);
        if (version > allowed) {
            throw new BuilderException("--fixup " + name + " is compiled for Java " + (version - 44) + " (class file version " + version
                    + "), but JVMs that run the baseline may be as old as Java " + (allowed - 44) + " (its newest classes are for Java "
                    + (newest - 44) + ", and the agent runs on Java 11 or later): compile it with javac --release " + (allowed - 44));
        }
        new References(name, node, patched).check();
        return new Checked(new Fixup(name, hooks), bytes);
    }

    private static byte[] read(Path file) {
        if (file == null || !Files.isRegularFile(file)) {
            throw new BuilderException("--fixup " + file + " does not exist or is not a file; pass the compiled .class of the fix-up class");
        }
        try {
            if (Files.size(file) > 16L << 20) {
                throw new BuilderException("--fixup " + file + " is larger than 16 MiB; no fix-up class is that large");
            }
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new BuilderException("cannot read --fixup " + file + ": " + e.getMessage(), e);
        }
    }

    private static MethodNode method(ClassNode c, String name) {
        for (MethodNode m : c.methods) {
            if (m.name.equals(name)) {
                return m;
            }
        }
        return null;
    }

    private static String describe(MethodNode m) {
        return ((m.access & Opcodes.ACC_PUBLIC) != 0 ? "public " : "") + ((m.access & Opcodes.ACC_STATIC) != 0 ? "static " : "")
                + Type.getReturnType(m.desc).getClassName() + " " + m.name + "(" + String.join(", ",
                java.util.Arrays.stream(Type.getArgumentTypes(m.desc)).map(Type::getClassName).toList()) + ")";
    }

    /** The newest class-file major version among the baseline's classes; 0 when none could be read. */
    private static int newestVersion(JarSource baseline) {
        int newest = 0;
        for (String entry : baseline.names()) {
            if (entry.endsWith(".class") && !entry.startsWith("META-INF/") && !entry.endsWith("module-info.class")) {
                byte[] b = baseline.readClass(entry);
                if (b.length >= 8) {
                    newest = Math.max(newest, ((b[6] & 0xFF) << 8) | (b[7] & 0xFF));
                }
            }
        }
        return newest;
    }

    static String packageOf(String internalName) {
        int slash = internalName.lastIndexOf('/');
        return slash < 0 ? "" : internalName.substring(0, slash);
    }

    /** Resolves every class and member the fix-up refers to in the fixed jar or the JDK the builder runs on. */
    private static final class References {
        private final String self;
        private final ClassNode selfNode;
        private final JarSource patched;
        private final Map<String, ClassNode> cache = new HashMap<>();
        private final Set<String> missing = new LinkedHashSet<>();

        References(String self, ClassNode selfNode, JarSource patched) {
            this.self = self;
            this.selfNode = selfNode;
            this.patched = patched;
        }

        void check() {
            for (MethodNode m : selfNode.methods) {
                for (AbstractInsnNode i : m.instructions) {
                    if (i instanceof MethodInsnNode mi) {
                        method(mi.owner, mi.name, mi.desc);
                    } else if (i instanceof FieldInsnNode fi) {
                        field(fi.owner, fi.name, fi.desc);
                    } else if (i instanceof TypeInsnNode ti) {
                        type(ti.desc);
                    } else if (i instanceof LdcInsnNode li && li.cst instanceof Type t && t.getSort() == Type.OBJECT) {
                        type(t.getInternalName());
                    } else if (i instanceof InvokeDynamicInsnNode di) {
                        handle(di.bsm);
                        for (Object a : di.bsmArgs) {
                            if (a instanceof Handle h) {
                                handle(h);
                            }
                        }
                    }
                }
            }
            if (!missing.isEmpty()) {
                throw new BuilderException("--fixup " + self + " refers to what exists in neither the fixed jar nor the JDK: "
                        + String.join(", ", missing) + ". The fix-up runs against the fixed code and the JDK alone; compile it"
                        + " against the fixed jar and use only its classes and the JDK's");
            }
        }

        private void handle(Handle h) {
            if (h.getTag() <= Opcodes.H_PUTSTATIC) {
                field(h.getOwner(), h.getName(), h.getDesc());
            } else {
                method(h.getOwner(), h.getName(), h.getDesc());
            }
        }

        private void type(String internal) {
            if (internal.startsWith("[")) {
                Type t = Type.getType(internal).getElementType();
                if (t.getSort() == Type.OBJECT) {
                    type(t.getInternalName());
                }
                return;
            }
            if (node(internal) == null) {
                missing.add("class " + internal.replace('/', '.'));
            }
        }

        private void method(String owner, String name, String desc) {
            if (owner.startsWith("[")) {
                return;
            }
            if (node(owner) == null) {
                missing.add("class " + owner.replace('/', '.'));
            } else if (!has(owner, name, desc, true, new java.util.HashSet<>())) {
                missing.add("method " + owner.replace('/', '.') + "." + name + desc);
            }
        }

        private void field(String owner, String name, String desc) {
            if (node(owner) == null) {
                missing.add("class " + owner.replace('/', '.'));
            } else if (!has(owner, name, desc, false, new java.util.HashSet<>())) {
                missing.add("field " + owner.replace('/', '.') + "." + name + " " + desc);
            }
        }

        /** Whether {@code owner} or one of its supertypes declares the member (signature-polymorphic handles match any descriptor). */
        private boolean has(String owner, String name, String desc, boolean isMethod, Set<String> seen) {
            if (owner == null || !seen.add(owner)) {
                return false;
            }
            ClassNode c = node(owner);
            if (c == null) {
                return false;
            }
            if (isMethod) {
                for (MethodNode m : c.methods) {
                    if (m.name.equals(name) && (m.desc.equals(desc) || (m.access & Opcodes.ACC_VARARGS) != 0 && (m.access & Opcodes.ACC_NATIVE) != 0
                            && (owner.equals("java/lang/invoke/MethodHandle") || owner.equals("java/lang/invoke/VarHandle")))) {
                        return true;
                    }
                }
            } else {
                for (FieldNode f : c.fields) {
                    if (f.name.equals(name) && f.desc.equals(desc)) {
                        return true;
                    }
                }
            }
            if (has(c.superName, name, desc, isMethod, seen)) {
                return true;
            }
            for (String i : c.interfaces) {
                if (has(i, name, desc, isMethod, seen)) {
                    return true;
                }
            }
            return false;
        }

        /** The class from the fix-up itself, the fixed jar or the JDK; null when none has it. */
        private ClassNode node(String internal) {
            if (internal.equals(self)) {
                return selfNode;
            }
            if (cache.containsKey(internal)) {
                return cache.get(internal);
            }
            byte[] b = null;
            if (patched.contains(internal + ".class")) {
                b = patched.readClass(internal + ".class");
            } else {
                // The platform loader sees the JDK's modules only, not the builder's own class path.
                try (InputStream in = ClassLoader.getPlatformClassLoader().getResourceAsStream(internal + ".class")) {
                    b = in == null ? null : in.readAllBytes();
                } catch (IOException e) {
                    b = null;
                }
            }
            ClassNode n = null;
            if (b != null) {
                n = new ClassNode();
                new ClassReader(b).accept(n, ClassReader.SKIP_CODE | ClassReader.SKIP_DEBUG | ClassReader.SKIP_FRAMES);
            }
            cache.put(internal, n);
            return n;
        }
    }
}
