package dev.hotpatch.builder.rewrite;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.tree.ClassNode;

/**
 * What rewriting knows about classes other than the one it rewrites: declarations (access flags,
 * supertypes, members) from the patched jar, then from the JDK running the builder, then from the
 * dependency jars given with {@code --classpath}. Classes of other jars are unknown, and every
 * question whose answer depends on them says so, so that callers can decide conservatively. Not
 * thread-safe.
 */
final class ClassIndex {
    /** A class's declaration: its flags, supertypes and members (name + descriptor → access flags). */
    record Info(String name, int access, String superName, List<String> interfaces, Map<String, Integer> methods,
                Map<String, Integer> fields) {
        boolean isInterface() {
            return (access & Opcodes.ACC_INTERFACE) != 0;
        }
    }

    /** Where a member is declared, as far as the index can tell. */
    record Declaration(String owner, int access) {
    }

    /** A three-valued answer: the index may not see the whole hierarchy. */
    enum Answer { YES, NO, UNKNOWN }

    private final ClassSource jar;
    private final Map<String, Optional<Info>> cache = new HashMap<>();
    private Map<String, List<String>> subclasses;

    ClassIndex(ClassSource jar) {
        this.jar = jar;
    }

    /** The declaration of {@code name}, or empty when neither the patched jar nor the JDK has it. */
    Optional<Info> info(String name) {
        Optional<Info> known = cache.get(name);
        if (known == null) {
            known = Optional.ofNullable(load(name));
            cache.put(name, known);
        }
        return known;
    }

    private Info load(String name) {
        byte[] bytes = jar.patched(name);
        if (bytes == null) {
            bytes = jdkClass(name);
        }
        if (bytes == null) {
            bytes = jar.dependency(name);
        }
        if (bytes == null) {
            return null;
        }
        ClassNode n = new ClassNode();
        try {
            new ClassReader(bytes).accept(n, ClassReader.SKIP_CODE | ClassReader.SKIP_DEBUG | ClassReader.SKIP_FRAMES);
        } catch (RuntimeException e) {
            return null;
        }
        Map<String, Integer> methods = new HashMap<>();
        n.methods.forEach(m -> methods.put(m.name + m.desc, m.access));
        Map<String, Integer> fields = new HashMap<>();
        n.fields.forEach(f -> fields.put(f.name + " " + f.desc, f.access));
        return new Info(n.name, n.access, n.superName, n.interfaces, methods, fields);
    }

    private static byte[] jdkClass(String name) {
        if (!(name.startsWith("java/") || name.startsWith("javax/") || name.startsWith("jdk/") || name.startsWith("sun/")
                || name.startsWith("com/sun/") || name.startsWith("org/w3c/") || name.startsWith("org/xml/") || name.startsWith("org/ietf/"))) {
            return null;
        }
        try (InputStream in = ClassLoader.getPlatformClassLoader().getResourceAsStream(name + ".class")) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            return null;
        }
    }

    /** Whether {@code ancestor} is {@code name} or one of its supertypes. */
    Answer isSubtype(String name, String ancestor) {
        if (name.equals(ancestor) || "java/lang/Object".equals(ancestor)) {
            return Answer.YES;
        }
        Optional<Info> i = info(name);
        if (i.isEmpty()) {
            return Answer.UNKNOWN;
        }
        boolean unknown = false;
        List<String> supers = new ArrayList<>(i.get().interfaces());
        if (i.get().superName() != null) {
            supers.add(0, i.get().superName());
        }
        for (String s : supers) {
            Answer a = isSubtype(s, ancestor);
            if (a == Answer.YES) {
                return a;
            }
            unknown |= a == Answer.UNKNOWN;
        }
        return unknown ? Answer.UNKNOWN : Answer.NO;
    }

    /**
     * Whether a supertype of {@code name} (not {@code name} itself) declares a non-private method
     * {@code key} (name + descriptor) that a method of {@code name} with that key would override.
     */
    Answer inheritsMethod(String name, String key) {
        Optional<Info> i = info(name);
        if (i.isEmpty()) {
            return Answer.UNKNOWN;
        }
        boolean unknown = false;
        List<String> supers = new ArrayList<>(i.get().interfaces());
        if (i.get().superName() != null) {
            supers.add(0, i.get().superName());
        }
        for (String s : supers) {
            Optional<Info> si = info(s);
            if (si.isEmpty()) {
                unknown = true;
                continue;
            }
            Integer access = si.get().methods().get(key);
            if (access != null && (access & (Opcodes.ACC_PRIVATE | Opcodes.ACC_STATIC)) == 0) {
                return Answer.YES;
            }
            Answer up = inheritsMethod(s, key);
            if (up == Answer.YES) {
                return up;
            }
            unknown |= up == Answer.UNKNOWN;
        }
        return unknown ? Answer.UNKNOWN : Answer.NO;
    }

    /** Where a method or field ({@code isField}) reached through {@code owner} is declared, searching supertypes; empty when unknown. */
    Optional<Declaration> find(String owner, String key, boolean isField) {
        Optional<Info> i = info(owner);
        if (i.isEmpty()) {
            return Optional.empty();
        }
        Integer access = (isField ? i.get().fields() : i.get().methods()).get(key);
        if (access != null) {
            return Optional.of(new Declaration(owner, access));
        }
        List<String> supers = new ArrayList<>();
        if (i.get().superName() != null) {
            supers.add(i.get().superName());
        }
        supers.addAll(i.get().interfaces());
        for (String s : supers) {
            Optional<Declaration> d = find(s, key, isField);
            if (d.isPresent()) {
                return d;
            }
        }
        return Optional.empty();
    }

    /**
     * Where the JVM's resolution of a reference to method or field {@code key} through {@code owner}
     * lands: the class itself, then its superclasses; for a field, a superinterface comes before the
     * superclass (JVMS 5.4.3.2), so a field any superinterface may declare gives no answer. Empty when
     * no class on the way declares it or the index does not know a class on the way.
     */
    Optional<Declaration> resolve(String owner, String key, boolean isField) {
        String at = owner;
        for (int depth = 0; depth < 64 && at != null; depth++) {
            Optional<Info> i = info(at);
            if (i.isEmpty()) {
                return Optional.empty();
            }
            Integer access = (isField ? i.get().fields() : i.get().methods()).get(key);
            if (access != null) {
                return Optional.of(new Declaration(at, access));
            }
            if (isField) {
                for (String s : i.get().interfaces()) {
                    if (mayDeclareField(s, key, 0)) {
                        return Optional.empty();
                    }
                }
            }
            at = i.get().superName();
        }
        return Optional.empty();
    }

    private boolean mayDeclareField(String iface, String key, int depth) {
        Optional<Info> i = info(iface);
        if (i.isEmpty() || depth > 64 || i.get().fields().containsKey(key)) {
            return true;
        }
        for (String s : i.get().interfaces()) {
            if (mayDeclareField(s, key, depth + 1)) {
                return true;
            }
        }
        return false;
    }

    /** Classes of the patched jar whose superclass or interfaces name {@code name} directly. */
    List<String> directSubtypes(String name) {
        if (subclasses == null) {
            subclasses = new HashMap<>();
            for (String n : jar.patchedNames()) {
                Optional<Info> i = info(n);
                if (i.isPresent()) {
                    Set<String> supers = new TreeSet<>(i.get().interfaces());
                    if (i.get().superName() != null) {
                        supers.add(i.get().superName());
                    }
                    for (String s : supers) {
                        subclasses.computeIfAbsent(s, x -> new ArrayList<>()).add(n);
                    }
                }
            }
        }
        return subclasses.getOrDefault(name, List.of());
    }

    /** Every class of the patched jar below {@code name}, transitively. */
    List<String> allSubtypes(String name) {
        List<String> out = new ArrayList<>();
        List<String> todo = new ArrayList<>(directSubtypes(name));
        while (!todo.isEmpty()) {
            String n = todo.remove(todo.size() - 1);
            if (!out.contains(n)) {
                out.add(n);
                todo.addAll(directSubtypes(n));
            }
        }
        return out;
    }

    static String packageOf(String internalName) {
        int slash = internalName.lastIndexOf('/');
        return slash < 0 ? "" : internalName.substring(0, slash);
    }
}
