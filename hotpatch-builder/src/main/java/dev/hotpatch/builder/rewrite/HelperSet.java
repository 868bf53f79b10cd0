package dev.hotpatch.builder.rewrite;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.commons.ClassRemapper;
import org.objectweb.asm.commons.SimpleRemapper;

/**
 * The plans and hidden helpers of every class rewritten in one build, so that any class can reach
 * another's helper: its bytes (written once, on demand), the name and bytes of its anchor class, and
 * the linker that defines both (see {@link LinkerTemplate}). Not thread-safe.
 */
final class HelperSet {
    private static final String LINKER = LinkerTemplate.class.getName().replace('.', '/');

    private final Map<String, Plan> plans;
    private final Function<String, byte[]> writer;
    private final Map<String, byte[]> helpers = new HashMap<>();
    private final Set<String> writing = new HashSet<>();
    private final Map<String, byte[]> linkers = new HashMap<>();

    /** {@code writer} writes the helper of a planned class; it may ask this set for other helpers. */
    HelperSet(Map<String, Plan> plans, Function<String, byte[]> writer) {
        this.plans = plans;
        this.writer = writer;
    }

    /** The plan of {@code owner} when it is rewritten and needs a helper, else null. */
    Plan plan(String owner) {
        return plans.get(owner);
    }

    /** Whether any rewritten class moved, shadowed, inlined or renamed a member with key {@code key}. */
    boolean anyRewrites(String key, boolean field) {
        for (Plan p : plans.values()) {
            if (p.rewrites(key, field)) {
                return true;
            }
        }
        return false;
    }

    byte[] helperBytes(String target) {
        byte[] b = helpers.get(target);
        if (b == null) {
            if (!writing.add(target)) {
                throw new Unsupported("moved code of " + target + " and of a class it calls call each other, and each helper "
                        + "would have to carry the other");
            }
            try {
                b = writer.apply(target);
            } finally {
                writing.remove(target);
            }
            helpers.put(target, b);
        }
        return b;
    }

    /** Binary name of the anchor class of {@code target}'s helper: unique to the helper's bytes. */
    String anchorName(String target) {
        return anchorInternalName(target).replace('/', '.');
    }

    private String anchorInternalName(String target) {
        return plans.get(target).helper + "$" + sha256(helperBytes(target)).substring(0, 16);
    }

    /** The anchor class: package-private, one static field holding the helper class weakly. */
    byte[] anchorBytes(String target) {
        ClassWriter cw = new ClassWriter(0);
        cw.visit(Opcodes.V17, Opcodes.ACC_FINAL | Opcodes.ACC_SUPER | Opcodes.ACC_SYNTHETIC, anchorInternalName(target), null,
                "java/lang/Object", null);
        cw.visitField(Opcodes.ACC_STATIC | Opcodes.ACC_SYNTHETIC, "helper", "Ljava/lang/ref/WeakReference;", null, null).visitEnd();
        cw.visitEnd();
        return cw.toByteArray();
    }

    /** The linker, renamed into {@code target}'s package. */
    byte[] linkerBytes(String target) {
        String pkg = ClassIndex.packageOf(target);
        return linkers.computeIfAbsent(pkg, p -> {
            byte[] template;
            try (InputStream in = HelperSet.class.getResourceAsStream("LinkerTemplate.class")) {
                if (in == null) {
                    throw new IllegalStateException("LinkerTemplate.class is missing from the builder's class path");
                }
                template = in.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the linker template", e);
            }
            ClassWriter cw = new ClassWriter(0);
            String name = (p.isEmpty() ? "" : p + "/") + "Hotpatch$Linker";
            new ClassReader(template).accept(new ClassRemapper(cw, new SimpleRemapper(LINKER, name)), 0);
            return cw.toByteArray();
        });
    }

    private static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
