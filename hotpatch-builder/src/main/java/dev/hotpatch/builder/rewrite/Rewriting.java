package dev.hotpatch.builder.rewrite;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.tree.ClassNode;
import org.objectweb.asm.tree.MethodNode;

/**
 * The rewriting stage of the builder: turns classes whose changes plain redefinition refuses into
 * equivalent classes that HotSpot accepts, plus the hidden helpers they carry, and says member by
 * member what it did (see docs/rewriting.md). Works on a whole jar at once, because compiler-made
 * accessors are numbered across classes and one class's change can depend on another's.
 * Stateless; thread-safe.
 */
public final class Rewriting {
    private Rewriting() {
    }

    /** A changed class: its baseline bytes and its bytes in the fixed release. */
    public record Change(String name, byte[] baseline, byte[] patched) {
    }

    /**
     * One class after rewriting.
     *
     * @param name     internal name
     * @param bytes    the bytes to ship, or null when anything was refused
     * @param verdicts what was done per member ({@link Verdict.Kind#REFUSED} ones explain a refusal)
     * @param warnings things a publisher should know although the class ships
     */
    public record Outcome(String name, byte[] bytes, List<Verdict> verdicts, List<String> warnings) {
        public boolean refused() {
            return bytes == null;
        }
    }

    /** Everything rewriting produced for a jar. */
    public record Result(List<Outcome> rewritten, Map<String, byte[]> adjusted) {
    }

    /**
     * Rewrites {@code refused} (classes plain redefinition refuses). {@code accepted} are the other
     * changed classes; one of them can come back in {@link Result#adjusted()} with new bytes when
     * it calls a compiler-made accessor whose number the fix changed, so that it calls it by its
     * baseline name.
     */
    public static Result rewrite(List<Change> refused, List<Change> accepted, ClassSource jar, RewritePolicy policy) {
        ClassIndex index = new ClassIndex(jar);
        Renames renames = new Renames();
        for (Change c : refused) {
            accessors(c, renames);
        }
        References references = new References();
        List<Change> all = new ArrayList<>(refused);
        all.addAll(accepted);
        for (Change c : all) {
            ClassNode n = new ClassNode();
            new ClassReader(c.patched()).accept(n, ClassReader.SKIP_DEBUG | ClassReader.SKIP_FRAMES);
            references.scan(n, renames);
        }
        List<Outcome> out = new ArrayList<>();
        for (Change c : refused) {
            ClassRewrite.Result r;
            try {
                r = new ClassRewrite(c.baseline(), c.patched(), index, renames, references, policy).run();
            } catch (Unsupported e) {
                r = new ClassRewrite.Result(c.name(), null, List.of(new Verdict(c.name(), "", Verdict.Kind.REFUSED, e.getMessage())),
                        List.of());
            }
            out.add(new Outcome(r.name(), r.bytes(), r.verdicts(), r.warnings()));
        }
        Map<String, byte[]> adjusted = new LinkedHashMap<>();
        if (!renames.isEmpty()) {
            for (Change c : accepted) {
                byte[] b = applyRenames(c.patched(), renames);
                if (b != null) {
                    adjusted.put(c.name(), b);
                }
            }
        }
        return new Result(out, adjusted);
    }

    /**
     * Pairs the fixed release's synthetic accessors ({@code access$NNN}) with the baseline's by
     * their code; one that javac numbered differently takes its baseline name everywhere.
     */
    private static void accessors(Change c, Renames renames) {
        ClassNode before = ClassRewrite.parse(c.baseline());
        ClassNode after = ClassRewrite.parse(c.patched());
        List<MethodNode> olds = new ArrayList<>();
        before.methods.stream().filter(Rewriting::isAccessor).forEach(olds::add);
        Set<String> newNames = new HashSet<>();
        after.methods.forEach(m -> newNames.add(m.name + m.desc));
        Set<String> taken = new HashSet<>();
        List<MethodNode> unpaired = new ArrayList<>();
        for (MethodNode n : after.methods) {
            if (!isAccessor(n)) {
                continue;
            }
            MethodNode match = null;
            for (MethodNode o : olds) {
                if (o.desc.equals(n.desc) && Bodies.sameCode(o, n)) {
                    match = o;
                    break;
                }
            }
            if (match == null) {
                unpaired.add(n);
                continue;
            }
            olds.remove(match);
            taken.add(match.name + match.desc);
            if (!match.name.equals(n.name)) {
                renames.put(c.name(), n.name, n.desc, match.name);
            }
        }
        int serial = 0;
        for (MethodNode n : unpaired) {
            if (taken.contains(n.name + n.desc)) {
                renames.put(c.name(), n.name, n.desc, "access$hp" + (serial++));
            }
        }
    }

    private static boolean isAccessor(MethodNode m) {
        return m.name.startsWith("access$") && (m.access & Opcodes.ACC_SYNTHETIC) != 0 && (m.access & Opcodes.ACC_STATIC) != 0;
    }

    /** The class with calls to renamed accessors renamed, or null when it calls none. */
    private static byte[] applyRenames(byte[] bytes, Renames renames) {
        ClassNode n = new ClassNode();
        new ClassReader(bytes).accept(n, 0);
        boolean[] changed = {false};
        for (MethodNode m : n.methods) {
            for (var i : m.instructions) {
                if (i instanceof org.objectweb.asm.tree.MethodInsnNode) {
                    var mi = (org.objectweb.asm.tree.MethodInsnNode) i;
                    String r = renames.get(mi.owner, mi.name, mi.desc);
                    if (r != null) {
                        mi.name = r;
                        changed[0] = true;
                    }
                }
            }
        }
        if (!changed[0]) {
            return null;
        }
        ClassWriter cw = new ClassWriter(0);
        n.accept(cw);
        return cw.toByteArray();
    }
}
