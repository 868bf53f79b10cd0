package dev.hotpatch.builder.rewrite;

import java.util.ArrayList;
import java.util.HashMap;
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

    /**
     * Everything rewriting produced for a jar.
     *
     * @param shadowInitsUsed the {@link RewritePolicy#shadowInits()} fields that the rewrite applied
     */
    public record Result(List<Outcome> rewritten, Map<String, byte[]> adjusted, Set<String> shadowInitsUsed) {
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
        Map<String, ClassRewrite> rewrites = new LinkedHashMap<>();
        List<Outcome> out = new ArrayList<>();
        for (Change c : refused) {
            try {
                ClassRewrite r = new ClassRewrite(c.baseline(), c.patched(), index, renames, references, policy);
                r.decide();
                rewrites.put(r.name(), r);
            } catch (Unsupported e) {
                out.add(new Outcome(c.name(), null, List.of(new Verdict(c.name(), "", Verdict.Kind.REFUSED, e.getMessage())), List.of()));
            }
        }
        Set<String> shadowInitsUsed = new HashSet<>();
        rewrites.values().forEach(r -> shadowInitsUsed.addAll(r.declaredUsed()));
        Map<String, Plan> plans = new HashMap<>();
        rewrites.forEach((n, r) -> plans.put(n, r.plan()));
        reachedThroughSubclasses(references, index, rewrites);
        HelperSet[] holder = new HelperSet[1];
        holder[0] = new HelperSet(plans, n -> rewrites.get(n).helper(holder[0]));
        for (ClassRewrite r : rewrites.values()) {
            ClassRewrite.Result res = r.result(holder[0]);
            out.add(new Outcome(res.name(), res.bytes(), res.verdicts(), res.warnings()));
        }
        Map<String, byte[]> adjusted = new LinkedHashMap<>();
        for (Change c : accepted) {
            try {
                byte[] b = adjust(c, renames, holder[0], index);
                if (b != null) {
                    adjusted.put(c.name(), b);
                }
            } catch (Unsupported e) {
                out.add(new Outcome(c.name(), null, List.of(new Verdict(c.name(), "", Verdict.Kind.REFUSED,
                        "uses members the fix added to other classes, and " + e.getMessage())), List.of()));
            }
        }
        return new Result(out, adjusted, shadowInitsUsed);
    }

    /**
     * Checks references to a member the fix added to a rewritten class that go through a subclass
     * which does not declare it ({@code invokevirtual Element.attributesSize} for a method added to
     * {@code Node}). The call sites are rewritten to reach the declaring class's helper
     * ({@link SiteRewriter}) when the JVM's resolution provably lands there: every class between them
     * is known and none declares the member. Nothing can override such a method: the checks of
     * {@link ClassRewrite} already refused a moved method that a class of the jar overrides or that
     * may override another; a class outside the jar could override it only by declaring, by chance,
     * the method the fix just added, the assumption every moved method rests on. Otherwise the
     * rewritten class is refused.
     */
    private static void reachedThroughSubclasses(References references, ClassIndex index, Map<String, ClassRewrite> rewrites) {
        references.forEach((owner, key, from) -> {
            boolean field = key.contains(" ");
            if (index.resolve(owner, key, field).isPresent()) {
                return; // resolution lands on one known class: its own plan, if any, rewrites the site
            }
            // unresolved: every rewritten class that added this member and that the owner may extend could be its target
            for (ClassRewrite r : rewrites.values()) {
                if (r.plan().rewrites(key, field) && !r.name().equals(owner) && index.isSubtype(owner, r.name()) != ClassIndex.Answer.NO) {
                    r.refuse(from + " reaches " + key + ", which the fix added here, through subclass " + owner
                            + ", and the builder cannot prove that the reference resolves to it (a class between them is "
                            + "outside the jar and the --classpath jars, or may declare it); such a reference cannot be rewritten");
                }
            }
        });
    }

    /**
     * A changed class that plain redefinition accepts, rewritten only where it uses what the fix
     * added to other classes (or calls accessors by their new numbers); null when it needs nothing.
     */
    private static byte[] adjust(Change c, Renames renames, HelperSet helpers, ClassIndex index) {
        ClassNode n = new ClassNode();
        new ClassReader(c.patched()).accept(n, ClassReader.EXPAND_FRAMES);
        Plan own = new Plan(n.name, (n.access & Opcodes.ACC_INTERFACE) != 0);
        Bootstrap bootstrap = new Bootstrap(n.name, own.helper, false, helpers);
        int[] serial = {0};
        SiteRewriter sites = new SiteRewriter(own, helpers, renames, bootstrap, false, index, () -> serial[0]++, new ArrayList<>());
        byte[] before = write(n);
        for (MethodNode m : n.methods) {
            sites.rewrite(m);
        }
        if (bootstrap.used()) {
            ClassRewrite.requireFrames(n);
            n.version = Math.max(n.version & 0xFFFF, Opcodes.V17);
        }
        byte[] after = write(n);
        if (java.util.Arrays.equals(before, after)) {
            return null;
        }
        if (n.attrs == null) {
            n.attrs = new ArrayList<>();
        }
        n.attrs.add(RewriteNote.of(List.of(new Verdict(n.name, "", Verdict.Kind.MOVED,
                "uses members the fix added to other classes, through their helpers"))));
        return write(n);
    }

    private static byte[] write(ClassNode n) {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        n.accept(cw);
        return cw.toByteArray();
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

}
