package dev.hotpatch.testkit;

import java.lang.reflect.AnnotatedElement;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Parameter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The declaration of a loaded class as sorted text lines: its modifiers, supertypes and runtime
 * annotations, and every declared field, constructor and method (synthetic ones included) with
 * modifiers, types, parameters and annotations.
 *
 * <p>Two classes with equal shapes differ at most in method bodies and constant pool, which is
 * what HotSpot can redefine; tests compare a fixed class with its baseline this way to check that
 * a sample fix stays hotpatchable. Reflection sees what the JVM loaded, so a new lambda shows up
 * as a new synthetic method. Comparing lists gives readable diffs in AssertJ failures.
 */
public final class ClassShape {
    private ClassShape() {
    }

    /** The shape of {@code c}, one line per declaration, sorted. */
    public static List<String> of(Class<?> c) {
        List<String> lines = new ArrayList<>();
        lines.add("class " + modifiers(c.getModifiers()) + c.getName()
                + " extends " + (c.getSuperclass() == null ? "-" : c.getSuperclass().getName())
                + " implements " + Arrays.stream(c.getInterfaces()).map(Class::getName).collect(Collectors.toList())
                + annotations(c));
        for (Field f : c.getDeclaredFields()) {
            lines.add("field " + modifiers(f.getModifiers()) + synthetic(f.isSynthetic())
                    + f.getGenericType().getTypeName() + " " + f.getName() + annotations(f));
        }
        for (Constructor<?> k : c.getDeclaredConstructors()) {
            lines.add("constructor " + modifiers(k.getModifiers()) + synthetic(k.isSynthetic())
                    + parameters(k) + annotations(k));
        }
        for (Method m : c.getDeclaredMethods()) {
            lines.add("method " + modifiers(m.getModifiers()) + synthetic(m.isSynthetic())
                    + (m.isBridge() ? "bridge " : "") + m.getGenericReturnType().getTypeName() + " "
                    + m.getName() + parameters(m) + annotations(m));
        }
        lines.sort(null);
        return lines;
    }

    private static String parameters(Executable e) {
        List<String> out = new ArrayList<>();
        for (Parameter p : e.getParameters()) {
            // Names and modifiers are real only when compiled with -parameters; otherwise argN on both sides.
            out.add(modifiers(p.getModifiers()) + p.getParameterizedType().getTypeName() + " " + p.getName()
                    + annotations(p));
        }
        return "(" + String.join(", ", out) + ")";
    }

    private static String modifiers(int mods) {
        String s = Modifier.toString(mods);
        return s.isEmpty() ? "" : s + " ";
    }

    private static String synthetic(boolean synthetic) {
        return synthetic ? "synthetic " : "";
    }

    private static String annotations(AnnotatedElement e) {
        return e.getDeclaredAnnotations().length == 0 ? ""
                : " " + Arrays.stream(e.getDeclaredAnnotations()).map(Object::toString).sorted()
                        .collect(Collectors.toList());
    }
}
