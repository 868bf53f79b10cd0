package dev.hotpatch.builder.rewrite;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.objectweb.asm.ConstantDynamic;
import org.objectweb.asm.Handle;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

/**
 * Dynamic constants (condy) through which a class reaches code the builder moved out of it.
 *
 * <p>Every bootstrap method named here lives in {@code java.base}, so the constants resolve in any
 * class loader, including loaders that delegate nothing but {@code java.*}, and with no agent code:
 * <ol>
 * <li>{@code MethodHandles.lookup()} as a method handle constant is bound to the class whose
 *     constant pool resolves it (on Java 17 to a hidden invoker in the same package, hence the
 *     next step), and {@code MethodHandles.privateLookupIn(Target.class, that)} turns it into a
 *     full-privilege lookup on the patched class;</li>
 * <li>the hidden helper's class file travels in the constant pool as Latin-1 strings (each at most
 *     64 KiB once encoded, joined with {@code String.join}), turned into bytes with
 *     {@code String.getBytes("ISO-8859-1")};</li>
 * <li>a small hidden linker ({@link LinkerTemplate}) defines the helper as a nestmate of the patched
 *     class, in its loader and package, once per class copy however many classes reach it, handing it
 *     the target's lookup as class data;</li>
 * <li>{@code findStatic} on the helper's lookup gives a constant {@code MethodHandle}, which call
 *     sites invoke with {@code invokeExact}; the JIT folds a constant handle into a direct call.</li>
 * </ol>
 * Each constant resolves once per class copy, lazily, so classes that load later or after a
 * restart reach their own helper. Inside the helper, the same constants start from the class data.
 * Not thread-safe; one instance per class being written.
 */
final class Bootstrap {
    static final String LOOKUP = "java/lang/invoke/MethodHandles$Lookup";
    static final String LOOKUP_D = "L" + LOOKUP + ";";
    static final String MH = "java/lang/invoke/MethodHandle";
    static final String MH_D = "L" + MH + ";";
    private static final String CB = "java/lang/invoke/ConstantBootstraps";
    private static final Handle INVOKE = new Handle(Opcodes.H_INVOKESTATIC, CB, "invoke",
            "(" + LOOKUP_D + "Ljava/lang/String;Ljava/lang/Class;" + MH_D + "[Ljava/lang/Object;)Ljava/lang/Object;", false);
    private static final Handle STATIC_FINAL = new Handle(Opcodes.H_INVOKESTATIC, CB, "getStaticFinal",
            "(" + LOOKUP_D + "Ljava/lang/String;Ljava/lang/Class;)Ljava/lang/Object;", false);
    private static final Handle PRIMITIVE = new Handle(Opcodes.H_INVOKESTATIC, CB, "primitiveClass",
            "(" + LOOKUP_D + "Ljava/lang/String;Ljava/lang/Class;)Ljava/lang/Class;", false);
    private static final Handle CLASS_DATA = new Handle(Opcodes.H_INVOKESTATIC, "java/lang/invoke/MethodHandles", "classData",
            "(" + LOOKUP_D + "Ljava/lang/String;Ljava/lang/Class;)Ljava/lang/Object;", false);
    /** The longest string constant a class file holds, in modified UTF-8 bytes. */
    private static final int MAX_UTF8 = 65535;

    private final String target;
    private final boolean inHelper;
    private final String helper;
    private final HelperSet helpers;
    private ConstantDynamic caller;
    private final Map<String, ConstantDynamic> lookups = new HashMap<>();
    private final Map<String, Object> helperClasses = new HashMap<>();
    private int serial;

    /**
     * Constants for code in the patched class {@code target} itself or ({@code inHelper}) in its
     * hidden helper {@code helper}; {@code helpers} supplies the helpers of every rewritten class.
     */
    Bootstrap(String target, String helper, boolean inHelper, HelperSet helpers) {
        this.target = target;
        this.helper = helper;
        this.inHelper = inHelper;
        this.helpers = helpers;
    }

    /** Whether any constant was handed out (the class then needs a class-file version with condy). */
    boolean used() {
        return serial > 0 || caller != null || !lookups.isEmpty();
    }

    /** A full-privilege lookup on the patched class this code belongs to. */
    ConstantDynamic targetLookup() {
        return lookupOn(target);
    }

    /**
     * A lookup with private access on {@code owner}: inside a helper, its target's lookup comes as
     * class data; anything else is {@code privateLookupIn(owner, ...)} (every class of a jar is in
     * one module, so that is allowed).
     */
    ConstantDynamic lookupOn(String owner) {
        ConstantDynamic l = lookups.get(owner);
        if (l == null) {
            Object from;
            if (inHelper) {
                ConstantDynamic data = lookups.computeIfAbsent("\u0000data", x -> new ConstantDynamic("_", LOOKUP_D, CLASS_DATA));
                if (owner.equals(target)) {
                    lookups.put(owner, data);
                    return data;
                }
                from = data;
            } else {
                if (caller == null) {
                    caller = invoke("hp$caller", LOOKUP_D,
                            new Handle(Opcodes.H_INVOKESTATIC, "java/lang/invoke/MethodHandles", "lookup", "()" + LOOKUP_D, false));
                }
                from = caller;
            }
            l = invoke(next("hp$lookup"), LOOKUP_D, new Handle(Opcodes.H_INVOKESTATIC, "java/lang/invoke/MethodHandles",
                    "privateLookupIn", "(Ljava/lang/Class;" + LOOKUP_D + ")" + LOOKUP_D, false), Type.getObjectType(owner), from);
            lookups.put(owner, l);
        }
        return l;
    }

    /** The helper class of {@code owner}: itself inside that helper, else found or defined through the linker. */
    private Object helperClass(String owner) {
        if (inHelper && owner.equals(target)) {
            return Type.getObjectType(helper);
        }
        Object c = helperClasses.get(owner);
        if (c == null) {
            ConstantDynamic on = lookupOn(owner);
            ConstantDynamic linker = invoke(next("hp$linker"), LOOKUP_D, virtual(LOOKUP, "defineHiddenClass",
                    "([BZ[L" + LOOKUP + "$ClassOption;)" + LOOKUP_D), on, bytes(next("hp$lb"), helpers.linkerBytes(owner)),
                    new ConstantDynamic("TRUE", "Ljava/lang/Boolean;", STATIC_FINAL));
            ConstantDynamic linkerClass = invoke(next("hp$lc"), "Ljava/lang/Class;", virtual(LOOKUP, "lookupClass", "()Ljava/lang/Class;"),
                    linker);
            ConstantDynamic link = invoke(next("hp$link"), MH_D, findStatic(), linker, linkerClass, "helper",
                    Type.getMethodType("(" + LOOKUP_D + "[BLjava/lang/String;[B)Ljava/lang/Class;"));
            c = invoke(next("hp$helper"), "Ljava/lang/Class;", link, on, bytes(next("hp$hb"), helpers.helperBytes(owner)),
                    helpers.anchorName(owner), bytes(next("hp$ab"), helpers.anchorBytes(owner)));
            helperClasses.put(owner, c);
        }
        return c;
    }

    /** A constant {@code MethodHandle} on a static method of the helper of the patched class {@code owner}. */
    ConstantDynamic helperMethod(String owner, String name, String desc) {
        return invoke(next("hp$m"), MH_D, findStatic(), lookupOn(owner), helperClass(owner), name, Type.getMethodType(desc));
    }

    /**
     * A constant handle with the patched class's access rights on a member reached through
     * {@code owner}, adapted to exactly {@code siteDesc}: how helper code reaches inherited
     * protected members and superclass methods. {@code kind} is one of the {@code Opcodes.H_*} kinds.
     */
    ConstantDynamic targetMember(int kind, String owner, String name, String desc, String siteDesc) {
        Object lookup = targetLookup();
        Type ownerType = Type.getObjectType(owner);
        ConstantDynamic raw;
        switch (kind) {
            case Opcodes.H_INVOKESTATIC:
                raw = invoke(next("hp$r"), MH_D, findStatic(), lookup, ownerType, name, Type.getMethodType(desc));
                break;
            case Opcodes.H_INVOKEVIRTUAL:
            case Opcodes.H_INVOKEINTERFACE:
                raw = invoke(next("hp$r"), MH_D, virtual(LOOKUP, "findVirtual", "(Ljava/lang/Class;Ljava/lang/String;Ljava/lang/invoke/MethodType;)" + MH_D),
                        lookup, ownerType, name, Type.getMethodType(desc));
                break;
            case Opcodes.H_INVOKESPECIAL:
                raw = invoke(next("hp$r"), MH_D, virtual(LOOKUP, "findSpecial",
                        "(Ljava/lang/Class;Ljava/lang/String;Ljava/lang/invoke/MethodType;Ljava/lang/Class;)" + MH_D),
                        lookup, ownerType, name, Type.getMethodType(desc), Type.getObjectType(target));
                break;
            case Opcodes.H_NEWINVOKESPECIAL:
                raw = invoke(next("hp$r"), MH_D, virtual(LOOKUP, "findConstructor", "(Ljava/lang/Class;Ljava/lang/invoke/MethodType;)" + MH_D),
                        lookup, ownerType, Type.getMethodType(desc));
                break;
            case Opcodes.H_GETFIELD:
            case Opcodes.H_PUTFIELD:
            case Opcodes.H_GETSTATIC:
            case Opcodes.H_PUTSTATIC:
                String finder = kind == Opcodes.H_GETFIELD ? "findGetter" : kind == Opcodes.H_PUTFIELD ? "findSetter"
                        : kind == Opcodes.H_GETSTATIC ? "findStaticGetter" : "findStaticSetter";
                raw = invoke(next("hp$r"), MH_D, virtual(LOOKUP, finder, "(Ljava/lang/Class;Ljava/lang/String;Ljava/lang/Class;)" + MH_D),
                        lookup, ownerType, name, classConstant(Type.getType(desc)));
                break;
            default:
                throw new IllegalArgumentException("handle kind " + kind);
        }
        return asType(raw, siteDesc);
    }

    /** {@code handle.asType(siteDesc)}, so that a site can use {@code invokeExact} with its own descriptor. */
    ConstantDynamic asType(Object handle, String siteDesc) {
        return invoke(next("hp$t"), MH_D, virtual(MH, "asType", "(Ljava/lang/invoke/MethodType;)" + MH_D),
                handle, Type.getMethodType(siteDesc));
    }

    /**
     * The factory of a generated lambda class: a handle of type {@code (captures) -> interface}
     * that creates an instance, or with no captures the one instance itself (a constant of the
     * interface type). {@code proxyBytes} is the class file from {@link LambdaProxy}; {@code impl}
     * is a constant handle on the lambda body, adapted to the proxy's erased signature.
     */
    ConstantDynamic lambda(byte[] proxyBytes, Object impl, String iface, Type[] captures) {
        ConstantDynamic proxyLookup = defineHidden(next("hp$lambda"), proxyBytes, impl);
        ConstantDynamic proxyClass = invoke(next("hp$lc"), "Ljava/lang/Class;", virtual(LOOKUP, "lookupClass", "()Ljava/lang/Class;"),
                proxyLookup);
        ConstantDynamic ctor = invoke(next("hp$ctor"), MH_D, virtual(LOOKUP, "findConstructor",
                "(Ljava/lang/Class;Ljava/lang/invoke/MethodType;)" + MH_D), proxyLookup, proxyClass,
                Type.getMethodType(Type.VOID_TYPE, captures));
        if (captures.length == 0) {
            return new ConstantDynamic(next("hp$instance"), "L" + iface + ";", INVOKE, ctor);
        }
        return asType(ctor, Type.getMethodDescriptor(Type.getObjectType(iface), captures));
    }

    /** A constant of {@code Class} for any type, primitives included. */
    static Object classConstant(Type t) {
        if (t.getSort() == Type.OBJECT || t.getSort() == Type.ARRAY) {
            return t;
        }
        return new ConstantDynamic(t.getDescriptor(), "Ljava/lang/Class;", PRIMITIVE);
    }

    private ConstantDynamic defineHidden(String name, byte[] bytes, Object classData) {
        ConstantDynamic data = bytes(name + "$bytes", bytes);
        ConstantDynamic yes = new ConstantDynamic("TRUE", "Ljava/lang/Boolean;", STATIC_FINAL);
        ConstantDynamic nestmate = new ConstantDynamic("NESTMATE", "L" + LOOKUP + "$ClassOption;", STATIC_FINAL);
        return invoke(name, LOOKUP_D, virtual(LOOKUP, "defineHiddenClassWithClassData",
                "([BLjava/lang/Object;Z[L" + LOOKUP + "$ClassOption;)" + LOOKUP_D), targetLookup(), data, classData, yes, nestmate);
    }

    /** Bytes carried as Latin-1 string constants, split to fit the class-file limit on one string. */
    private static ConstantDynamic bytes(String name, byte[] bytes) {
        List<Object> args = new ArrayList<>();
        int start = 0;
        while (start < bytes.length || args.isEmpty()) {
            int utf8 = 0;
            int end = start;
            while (end < bytes.length) {
                int b = bytes[end] & 0xFF;
                int len = b >= 1 && b <= 0x7F ? 1 : 2;
                if (utf8 + len > MAX_UTF8) {
                    break;
                }
                utf8 += len;
                end++;
            }
            args.add(new String(bytes, start, end - start, StandardCharsets.ISO_8859_1));
            start = end;
        }
        Object text;
        if (args.size() == 1) {
            text = args.get(0);
        } else {
            args.add(0, "");
            text = new ConstantDynamic(name + "$text", "Ljava/lang/String;", INVOKE, join(args));
        }
        return new ConstantDynamic(name, "[B", INVOKE,
                new Handle(Opcodes.H_INVOKEVIRTUAL, "java/lang/String", "getBytes", "(Ljava/lang/String;)[B", false), text, "ISO-8859-1");
    }

    private static Object[] join(List<Object> delimiterAndParts) {
        List<Object> all = new ArrayList<>();
        all.add(new Handle(Opcodes.H_INVOKESTATIC, "java/lang/String", "join",
                "(Ljava/lang/CharSequence;[Ljava/lang/CharSequence;)Ljava/lang/String;", false));
        all.addAll(delimiterAndParts);
        return all.toArray();
    }

    private static Handle findStatic() {
        return virtual(LOOKUP, "findStatic", "(Ljava/lang/Class;Ljava/lang/String;Ljava/lang/invoke/MethodType;)" + MH_D);
    }

    private static Handle virtual(String owner, String name, String desc) {
        return new Handle(Opcodes.H_INVOKEVIRTUAL, owner, name, desc, false);
    }

    private static ConstantDynamic invoke(String name, String desc, Object handle, Object... args) {
        Object[] all = new Object[args.length + 1];
        all[0] = handle;
        System.arraycopy(args, 0, all, 1, args.length);
        return new ConstantDynamic(name, desc, INVOKE, all);
    }

    private String next(String prefix) {
        return prefix + "$" + (serial++);
    }
}
