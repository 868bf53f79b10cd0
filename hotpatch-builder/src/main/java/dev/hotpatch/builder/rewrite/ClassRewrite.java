package dev.hotpatch.builder.rewrite;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;
import org.objectweb.asm.tree.AbstractInsnNode;
import org.objectweb.asm.tree.ClassNode;
import org.objectweb.asm.tree.FieldInsnNode;
import org.objectweb.asm.tree.FieldNode;
import org.objectweb.asm.tree.FrameNode;
import org.objectweb.asm.tree.InsnList;
import org.objectweb.asm.tree.JumpInsnNode;
import org.objectweb.asm.tree.LabelNode;
import org.objectweb.asm.tree.LookupSwitchInsnNode;
import org.objectweb.asm.tree.MethodInsnNode;
import org.objectweb.asm.tree.MethodNode;
import org.objectweb.asm.tree.RecordComponentNode;
import org.objectweb.asm.tree.TableSwitchInsnNode;
import org.objectweb.asm.tree.TryCatchBlockNode;
import org.objectweb.asm.tree.TypeInsnNode;
import org.objectweb.asm.tree.VarInsnNode;
import org.objectweb.asm.tree.analysis.Analyzer;
import org.objectweb.asm.tree.analysis.AnalyzerException;
import org.objectweb.asm.tree.analysis.BasicInterpreter;
import org.objectweb.asm.tree.analysis.BasicValue;
import org.objectweb.asm.tree.analysis.Frame;

/**
 * Plans and writes the rewrite of one class that plain redefinition refuses: decides, member by
 * member, what to keep, move, shadow, inline or refuse (see docs/rewriting.md for the rules and
 * why), then writes the patched class and its hidden helper. One instance per class; not thread-safe.
 */
final class ClassRewrite {
    private static final int CLASS_FLAGS = Opcodes.ACC_PUBLIC | Opcodes.ACC_FINAL | Opcodes.ACC_SUPER | Opcodes.ACC_INTERFACE
            | Opcodes.ACC_ABSTRACT | Opcodes.ACC_SYNTHETIC | Opcodes.ACC_ANNOTATION | Opcodes.ACC_ENUM | Opcodes.ACC_MODULE;
    private static final int FIELD_FLAGS = Opcodes.ACC_PUBLIC | Opcodes.ACC_PRIVATE | Opcodes.ACC_PROTECTED | Opcodes.ACC_STATIC
            | Opcodes.ACC_FINAL | Opcodes.ACC_VOLATILE | Opcodes.ACC_TRANSIENT | Opcodes.ACC_SYNTHETIC | Opcodes.ACC_ENUM;
    private static final int METHOD_FLAGS = Opcodes.ACC_PUBLIC | Opcodes.ACC_PRIVATE | Opcodes.ACC_PROTECTED | Opcodes.ACC_STATIC
            | Opcodes.ACC_FINAL | Opcodes.ACC_SYNCHRONIZED | Opcodes.ACC_BRIDGE | Opcodes.ACC_VARARGS | Opcodes.ACC_NATIVE
            | Opcodes.ACC_ABSTRACT | Opcodes.ACC_STRICT | Opcodes.ACC_SYNTHETIC;
    private static final int ACCESS = Opcodes.ACC_PUBLIC | Opcodes.ACC_PRIVATE | Opcodes.ACC_PROTECTED;
    private static final Set<String> SERIALIZATION = Set.of("readObject(Ljava/io/ObjectInputStream;)V",
            "writeObject(Ljava/io/ObjectOutputStream;)V", "readObjectNoData()V", "readResolve()Ljava/lang/Object;",
            "writeReplace()Ljava/lang/Object;");

    /** The outcome: rewritten bytes (null when anything was refused), verdicts by member, warnings. */
    record Result(String name, byte[] bytes, List<Verdict> verdicts, List<String> warnings) {
        boolean refused() {
            return bytes == null;
        }
    }

    private final String name;
    private final ClassNode old;
    private final ClassNode neu;
    private final ClassIndex index;
    private final Renames renames;
    private final References references;
    private final RewritePolicy policy;
    private final Plan plan;
    private final List<Verdict> verdicts = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();
    private final Map<String, InitialValue> initial = new HashMap<>();
    private final Set<String> synchronize = new HashSet<>();
    private final Set<String> declaredUsed = new HashSet<>();
    private final List<MethodNode> kept = new ArrayList<>();
    private final Map<String, MethodNode> movedNodes = new LinkedHashMap<>();
    private final InsnList staticInits = new InsnList();
    private final List<byte[]> proxies = new ArrayList<>();
    private boolean keepInterfaceOrder;
    private int lambdaSerial;

    ClassRewrite(byte[] baseline, byte[] patched, ClassIndex index, Renames renames, References references, RewritePolicy policy) {
        this.old = parse(baseline);
        this.neu = parse(patched);
        this.name = neu.name;
        this.index = index;
        this.renames = renames;
        this.references = references;
        this.policy = policy;
        this.plan = new Plan(name, (neu.access & Opcodes.ACC_INTERFACE) != 0);
    }

    static ClassNode parse(byte[] bytes) {
        ClassNode n = new ClassNode();
        new ClassReader(bytes).accept(n, ClassReader.EXPAND_FRAMES);
        return n;
    }

    String name() {
        return name;
    }

    Plan plan() {
        return plan;
    }

    /** The {@code --shadow-init} fields ({@code class.field}) this class's rewrite used. */
    Set<String> declaredUsed() {
        return declaredUsed;
    }

    /** Decides member by member; afterwards {@link #refused()} tells whether the class can be written. */
    void decide() {
        classShape();
        fields();
        methods();
    }

    boolean refused() {
        return verdicts.stream().anyMatch(Verdict::refused);
    }

    /** Refuses the class as a whole for a reason found outside it (how other classes use it). */
    void refuse(String reason) {
        verdicts.add(new Verdict(name, "", Verdict.Kind.REFUSED, reason));
    }

    /** The outcome: the rewritten class, or the refusal with every verdict. */
    Result result(HelperSet helpers) {
        if (refused()) {
            return new Result(name, null, verdicts, warnings);
        }
        try {
            return new Result(name, write(helpers), verdicts, warnings);
        } catch (Unsupported e) {
            verdicts.add(new Verdict(name, "", Verdict.Kind.REFUSED, e.getMessage()));
            return new Result(name, null, verdicts, warnings);
        }
    }

    private void verdict(String member, Verdict.Kind kind, String detail) {
        verdicts.add(new Verdict(name, member, kind, detail));
    }

    private void refuse(String member, String detail) {
        verdict(member, Verdict.Kind.REFUSED, detail);
    }

    // ---------------------------------------------------------------- class

    private void classShape() {
        if (!Objects.equals(old.superName, neu.superName)) {
            refuse("", "changes superclass " + old.superName + " → " + neu.superName
                    + " — a loaded class keeps its place in the hierarchy; no rewrite can change it");
        }
        if (!old.interfaces.equals(neu.interfaces)) {
            if (new TreeSet<>(old.interfaces).equals(new TreeSet<>(neu.interfaces)) && old.interfaces.size() == neu.interfaces.size()) {
                keepInterfaceOrder = true;
                verdict("", Verdict.Kind.KEPT, "interfaces in the baseline's order " + old.interfaces
                        + " (the order changes nothing the fixed code does)");
            } else {
                refuse("", "changes interfaces " + old.interfaces + " → " + neu.interfaces
                        + " — a loaded class keeps its place in the hierarchy; no rewrite can change it");
            }
        }
        if (!Objects.equals(old.nestHostClass, neu.nestHostClass) || !sameSet(old.nestMembers, neu.nestMembers)) {
            refuse("", "changes its nest (NestHost/NestMembers: a nested, local or anonymous class was added or removed)"
                    + " — nest membership is fixed when a class loads");
        }
        if (!Objects.equals(components(old.recordComponents), components(neu.recordComponents))) {
            refuse("", "changes record components — they are part of the class's shape, which no rewrite can change");
        }
        if (!sameSet(old.permittedSubclasses, neu.permittedSubclasses)) {
            refuse("", "changes which classes may extend this sealed class — fixed when the class loads");
        }
        int diff = (old.access ^ neu.access) & CLASS_FLAGS & ~Opcodes.ACC_SUPER;
        if ((diff & (Opcodes.ACC_INTERFACE | Opcodes.ACC_ABSTRACT | Opcodes.ACC_ENUM | Opcodes.ACC_ANNOTATION | Opcodes.ACC_MODULE)) != 0) {
            refuse("", "changes what kind of class it is (interface, abstract, enum or annotation) — no rewrite can change it");
        } else if ((diff & Opcodes.ACC_FINAL) != 0) {
            boolean nowFinal = (neu.access & Opcodes.ACC_FINAL) != 0;
            if (!nowFinal && !index.directSubtypes(name).isEmpty()) {
                refuse("", "is no longer final and the fixed release extends it (" + index.directSubtypes(name).get(0)
                        + ") — the running class stays final, so that subclass could not load");
            } else {
                verdict("", Verdict.Kind.KEPT, "class modifier final " + (nowFinal ? "left off" : "kept")
                        + " as in the baseline (nothing in the fixed release extends it)");
            }
        }
        if ((diff & (Opcodes.ACC_PUBLIC | Opcodes.ACC_SYNTHETIC)) != 0) {
            verdict("", Verdict.Kind.KEPT, "class access as in the baseline");
        }
        if ((neu.access & Opcodes.ACC_INTERFACE) != 0 && (neu.version & 0xFFFF) < Opcodes.V1_8) {
            refuse("", "is an interface older than Java 8 and cannot hold the rewritten code");
        }
    }

    // ---------------------------------------------------------------- fields

    private void fields() {
        Map<String, FieldNode> before = byKey(old.fields);
        Map<String, FieldNode> after = byKey(neu.fields);
        List<FieldNode> removed = new ArrayList<>();
        List<FieldNode> added = new ArrayList<>();
        before.forEach((k, f) -> {
            if (!after.containsKey(k)) {
                removed.add(f);
            }
        });
        after.forEach((k, f) -> {
            if (!before.containsKey(k)) {
                added.add(f);
            }
        });
        renamedFields(removed, added);
        for (FieldNode f : removed) {
            FieldNode sameName = added.stream().filter(a -> a.name.equals(f.name)).findFirst().orElse(null);
            if (sameName != null) {
                refuse("field " + f.name + " " + f.desc, "changes type of field " + f.name + " from " + f.desc + " to " + sameName.desc
                        + " — objects keep their layout; the value in the old field could not follow");
                added.remove(sameName);
                continue;
            }
            verdict("field " + f.name + " " + f.desc, Verdict.Kind.KEPT, "removed by the fix; stays in the class, unused by the fixed code");
        }
        for (FieldNode f : added) {
            addedField(f);
        }
        for (Map.Entry<String, FieldNode> e : after.entrySet()) {
            FieldNode b = before.get(e.getKey());
            if (b != null) {
                fieldModifiers(b, e.getValue());
            }
        }
        List<String> oldOrder = old.fields.stream().map(f -> f.name).filter(n -> after.keySet().stream().anyMatch(k -> k.startsWith(n + " "))).toList();
        List<String> newOrder = neu.fields.stream().map(f -> f.name).filter(oldOrder::contains).toList();
        if (!oldOrder.equals(newOrder)) {
            verdict("", Verdict.Kind.KEPT, "fields in the baseline's order (the order only fixes the object layout)");
        }
    }

    /** A field removed and one added with the same type and modifiers, whose names differ only in case or underscores. */
    private void renamedFields(List<FieldNode> removed, List<FieldNode> added) {
        for (FieldNode r : new ArrayList<>(removed)) {
            List<FieldNode> candidates = added.stream().filter(a -> a.desc.equals(r.desc)
                    && (a.access & FIELD_FLAGS) == (r.access & FIELD_FLAGS) && loose(a.name).equals(loose(r.name))).toList();
            if (candidates.size() == 1) {
                FieldNode a = candidates.get(0);
                plan.fieldRenames.put(Plan.fieldKey(a.name, a.desc), r.name);
                removed.remove(r);
                added.remove(a);
                verdict("field " + r.name + " " + r.desc, Verdict.Kind.KEPT, "renamed " + a.name
                        + " by the fix; the fixed code uses the baseline's field, so objects keep their value");
            }
        }
    }

    private static String loose(String s) {
        return s.replace("_", "").toLowerCase(java.util.Locale.ROOT);
    }

    private void addedField(FieldNode f) {
        String member = "field " + f.name + " " + f.desc;
        String key = Plan.fieldKey(f.name, f.desc);
        boolean isStatic = (f.access & Opcodes.ACC_STATIC) != 0;
        if (isStatic && (f.access & Opcodes.ACC_FINAL) != 0 && f.value != null) {
            plan.inlined.put(key, f.value);
            verdict(member, Verdict.Kind.INLINED, "added constant " + describe(f.value) + "; uses read the value itself");
            return;
        }
        if ((neu.access & Opcodes.ACC_INTERFACE) != 0) {
            refuse(member, "added interface field — an interface's constants cannot be shadowed");
            return;
        }
        boolean isVolatile = (f.access & Opcodes.ACC_VOLATILE) != 0;
        if (isStatic) {
            String how = staticInitialiser(f);
            if (how == null) {
                return;
            }
            plan.shadowed.put(key, new Plan.Shadow(f.name, f.desc, true, isVolatile));
            verdict(member, Verdict.Kind.SHADOWED, "added static field, held by the helper (" + how + ")");
            return;
        }
        String accepted = name + "." + f.name;
        String declared = policy.shadowInits().get(accepted);
        if (declared != null) {
            InitialValue d = InitialValue.ofConstant(ShadowInit.parse(accepted, declared, f.desc));
            declaredUsed.add(accepted);
            if (!d.isDefault(f.desc)) {
                initial.put(key, d);
            }
            plan.shadowed.put(key, new Plan.Shadow(f.name, f.desc, false, isVolatile));
            verdict(member, Verdict.Kind.SHADOWED, "added field in a weak side table; objects created before the patch read "
                    + d.describe(f.desc) + ", declared by the publisher (--shadow-init)");
            warnings.add(name + ": objects created before the patch read " + d.describe(f.desc) + " from added field " + f.name
                    + " (declared with --shadow-init)");
            return;
        }
        InitialValue v = constructorValue(f);
        if (v == UNPROVEN) {
            if (!policy.acceptedFields().contains(accepted)) {
                refuse(member, "added field that the fixed constructors set to a computed value; objects created before the patch "
                        + "would read " + InitialValue.defaultText(f.desc) + ", which could change what the fixed code decides. "
                        + "If no object created before the patch reaches that code, accept it with --accept-shadow " + accepted);
                return;
            }
            plan.shadowed.put(key, new Plan.Shadow(f.name, f.desc, false, isVolatile));
            verdict(member, Verdict.Kind.SHADOWED, "added field in a weak side table; objects created before the patch read "
                    + InitialValue.defaultText(f.desc) + " (accepted by the publisher with --accept-shadow)");
            warnings.add(name + ": objects created before the patch read " + InitialValue.defaultText(f.desc) + " from added field "
                    + f.name + " (accepted with --accept-shadow)");
            return;
        }
        if (v != null) {
            initial.put(key, v);
        }
        plan.shadowed.put(key, new Plan.Shadow(f.name, f.desc, false, isVolatile));
        verdict(member, Verdict.Kind.SHADOWED, "added field in a weak side table; objects created before the patch read "
                + (v == null ? InitialValue.defaultText(f.desc) + ", as the fixed constructors leave it" : v.describe(f.desc)
                + ", as the fixed constructors set it"));
    }

    private static final InitialValue UNPROVEN = InitialValue.ofConstant("\u0000unproven");

    /**
     * What every fixed constructor (that does not delegate to another) leaves in field {@code f}:
     * null for the default, a constant or new JDK object when all agree, {@link #UNPROVEN} otherwise.
     */
    private InitialValue constructorValue(FieldNode f) {
        InitialValue agreed = null;
        boolean first = true;
        for (MethodNode m : neu.methods) {
            if (!"<init>".equals(m.name) || delegatesToThis(m)) {
                continue;
            }
            InitialValue here = null;
            for (AbstractInsnNode i : m.instructions) {
                if (i.getOpcode() == Opcodes.PUTFIELD && isField((FieldInsnNode) i, f)) {
                    InitialValue v = assigned(i);
                    if (v == UNPROVEN || (here != null && !here.equals(v))) {
                        return UNPROVEN;
                    }
                    here = v;
                }
            }
            if (here != null && here.isDefault(f.desc)) {
                here = null;
            }
            if (first) {
                agreed = here;
                first = false;
            } else if (!Objects.equals(agreed, here)) {
                return UNPROVEN;
            }
        }
        return agreed;
    }

    private boolean isField(FieldInsnNode fi, FieldNode f) {
        return fi.owner.equals(name) && fi.name.equals(f.name) && fi.desc.equals(f.desc);
    }

    /** The value a {@code putfield} stores when it is {@code this.f = constant} or {@code this.f = new java.X(constants)}. */
    private static InitialValue assigned(AbstractInsnNode put) {
        AbstractInsnNode p = real(put.getPrevious());
        Object c = p == null ? InitialValue.NONE : InitialValue.constantOf(p);
        if (c != InitialValue.NONE) {
            AbstractInsnNode self = real(p.getPrevious());
            return self != null && self.getOpcode() == Opcodes.ALOAD && ((VarInsnNode) self).var == 0 ? InitialValue.ofConstant(c) : UNPROVEN;
        }
        if (p instanceof MethodInsnNode && p.getOpcode() == Opcodes.INVOKESPECIAL && "<init>".equals(((MethodInsnNode) p).name)) {
            MethodInsnNode init = (MethodInsnNode) p;
            if (!init.owner.startsWith("java/")) {
                return UNPROVEN;
            }
            List<Object> args = new ArrayList<>();
            AbstractInsnNode at = real(p.getPrevious());
            for (int n = Type.getArgumentTypes(init.desc).length; n > 0; n--) {
                Object a = at == null ? InitialValue.NONE : InitialValue.constantOf(at);
                if (a == InitialValue.NONE) {
                    return UNPROVEN;
                }
                args.add(0, a);
                at = real(at.getPrevious());
            }
            AbstractInsnNode dup = at;
            AbstractInsnNode nw = dup == null ? null : real(dup.getPrevious());
            AbstractInsnNode self = nw == null ? null : real(nw.getPrevious());
            if (dup != null && dup.getOpcode() == Opcodes.DUP && nw instanceof TypeInsnNode && nw.getOpcode() == Opcodes.NEW
                    && ((TypeInsnNode) nw).desc.equals(init.owner) && self != null && self.getOpcode() == Opcodes.ALOAD
                    && ((VarInsnNode) self).var == 0) {
                return InitialValue.ofNew(init.owner, init.desc, args);
            }
        }
        return UNPROVEN;
    }

    private static AbstractInsnNode real(AbstractInsnNode i) {
        while (i != null && i.getOpcode() < 0) {
            i = i.getPrevious();
        }
        return i;
    }

    /** Whether a constructor starts by calling another constructor of its own class ({@code this(...)}). */
    private boolean delegatesToThis(MethodNode ctor) {
        Map<String, Integer> pending = new HashMap<>();
        for (AbstractInsnNode i : ctor.instructions) {
            if (i.getOpcode() == Opcodes.NEW) {
                pending.merge(((TypeInsnNode) i).desc, 1, Integer::sum);
            } else if (i.getOpcode() == Opcodes.INVOKESPECIAL && "<init>".equals(((MethodInsnNode) i).name)) {
                String owner = ((MethodInsnNode) i).owner;
                int n = pending.getOrDefault(owner, 0);
                if (n > 0) {
                    pending.put(owner, n - 1);
                } else {
                    return owner.equals(name);
                }
            }
        }
        return false;
    }

    /**
     * Moves the initialiser of added static field {@code f} out of the fixed static initialiser
     * into the helper's; returns how it is initialised, or null after refusing.
     */
    private String staticInitialiser(FieldNode f) {
        MethodNode clinit = method(neu, "<clinit>");
        String member = "field " + f.name + " " + f.desc;
        if (clinit == null) {
            return "starts as " + InitialValue.defaultText(f.desc);
        }
        List<AbstractInsnNode> puts = new ArrayList<>();
        for (AbstractInsnNode i : clinit.instructions) {
            if (i.getOpcode() == Opcodes.PUTSTATIC && isField((FieldInsnNode) i, f)) {
                puts.add(i);
            }
        }
        if (puts.isEmpty()) {
            return "starts as " + InitialValue.defaultText(f.desc);
        }
        if (puts.size() > 1) {
            refuse(member, "added static field assigned more than once by the static initialiser, which cannot be split");
            return null;
        }
        Frame<BasicValue>[] frames;
        try {
            frames = new Analyzer<>(new BasicInterpreter()).analyze(name, clinit);
        } catch (AnalyzerException e) {
            refuse(member, "the static initialiser cannot be analysed (" + e.getMessage() + ")");
            return null;
        }
        AbstractInsnNode[] code = clinit.instructions.toArray();
        int p = clinit.instructions.indexOf(puts.get(0));
        int s = p;
        while (s > 0 && !(frames[s] != null && frames[s].getStackSize() == 0 && code[s].getOpcode() >= 0)) {
            s--;
        }
        while (s > 0 && code[s - 1].getOpcode() < 0) {
            s--;
        }
        Set<LabelNode> inside = new HashSet<>();
        for (int i = s; i <= p; i++) {
            if (code[i] instanceof LabelNode) {
                inside.add((LabelNode) code[i]);
            }
        }
        for (int i = 0; i < code.length; i++) {
            boolean in = i >= s && i <= p;
            AbstractInsnNode x = code[i];
            int op = x.getOpcode();
            if (in && (x instanceof VarInsnNode || op == Opcodes.IINC || Bodies.isReturn(op) || op == Opcodes.ATHROW
                    || (op == Opcodes.PUTSTATIC && x != puts.get(0)) || op == Opcodes.PUTFIELD)) {
                refuse(member, "its initialiser in the static initialiser uses local variables or other fields and cannot be moved");
                return null;
            }
            for (LabelNode target : targets(x)) {
                if (in != inside.contains(target)) {
                    refuse(member, "its initialiser in the static initialiser is entangled with other code (jumps) and cannot be moved");
                    return null;
                }
            }
        }
        for (TryCatchBlockNode t : clinit.tryCatchBlocks) {
            int a = clinit.instructions.indexOf(t.start);
            int b = clinit.instructions.indexOf(t.end);
            if (a <= p && b > s) {
                refuse(member, "its initialiser in the static initialiser is inside a try block and cannot be moved");
                return null;
            }
        }
        clinit.localVariables = null;
        for (int i = s; i <= p; i++) {
            clinit.instructions.remove(code[i]);
            if (code[i] instanceof FrameNode) {
                FrameNode fr = (FrameNode) code[i];
                fr.local = new ArrayList<>();
            }
            staticInits.add(code[i]);
        }
        return "initialised by the helper as the fixed static initialiser does, when first used";
    }

    private static List<LabelNode> targets(AbstractInsnNode x) {
        List<LabelNode> out = new ArrayList<>();
        if (x instanceof JumpInsnNode) {
            out.add(((JumpInsnNode) x).label);
        } else if (x instanceof TableSwitchInsnNode) {
            out.add(((TableSwitchInsnNode) x).dflt);
            out.addAll(((TableSwitchInsnNode) x).labels);
        } else if (x instanceof LookupSwitchInsnNode) {
            out.add(((LookupSwitchInsnNode) x).dflt);
            out.addAll(((LookupSwitchInsnNode) x).labels);
        }
        return out;
    }

    private void fieldModifiers(FieldNode b, FieldNode a) {
        int diff = (b.access ^ a.access) & FIELD_FLAGS;
        if (diff == 0) {
            return;
        }
        String member = "field " + a.name + " " + a.desc;
        String key = Plan.fieldKey(a.name, a.desc);
        if ((diff & Opcodes.ACC_STATIC) != 0) {
            refuse(member, "changes static — a field cannot move between the class and its objects");
            return;
        }
        if ((diff & Opcodes.ACC_TRANSIENT) != 0) {
            refuse(member, "changes transient — the baseline's modifier would change what serialization writes");
            return;
        }
        if ((diff & Opcodes.ACC_VOLATILE) != 0 && (a.access & Opcodes.ACC_VOLATILE) != 0) {
            refuse(member, "becomes volatile — the running field's memory semantics cannot change, and the fix may rely on them");
            return;
        }
        if ((diff & Opcodes.ACC_FINAL) != 0 && (a.access & Opcodes.ACC_FINAL) == 0) {
            String writer = references.writerOutsideInitialisers(name, key);
            if (writer != null) {
                refuse(member, "is no longer final and " + writer + " assigns it — the running field stays final, so that write would fail");
                return;
            }
        }
        if ((diff & ACCESS) != 0 && wider(a.access, b.access)) {
            String user = references.userBeyond(name, key, b.access);
            if (user != null) {
                refuse(member, "becomes more visible and " + user + " uses it — the running field keeps the baseline's access");
                return;
            }
        }
        verdict(member, Verdict.Kind.KEPT, "baseline modifiers kept (" + describeFlags(b.access, diff) + " instead of "
                + describeFlags(a.access, diff) + "); the fixed code behaves the same");
    }

    // ---------------------------------------------------------------- methods

    private void methods() {
        Map<String, MethodNode> before = methodsByKey(old);
        Map<String, MethodNode> after = methodsByKey(neu);
        lambdas(before, after);
        for (MethodNode m : neu.methods) {
            String key = Plan.key(m.name, m.desc);
            String renamed = renames.get(name, m.name, m.desc);
            if (renamed != null) {
                plan.methodRenames.put(key, renamed);
            }
        }
        Set<String> present = new HashSet<>();
        for (MethodNode m : neu.methods) {
            String key = Plan.key(m.name, m.desc);
            String n = plan.methodRenames.getOrDefault(key, m.name);
            present.add(Plan.key(n, m.desc));
        }
        for (Map.Entry<String, MethodNode> e : before.entrySet()) {
            if (!present.contains(e.getKey())) {
                removedMethod(e.getValue());
            }
        }
        for (MethodNode m : neu.methods) {
            String key = Plan.key(m.name, m.desc);
            String n = plan.methodRenames.getOrDefault(key, m.name);
            MethodNode b = before.get(Plan.key(n, m.desc));
            if (b == null) {
                addedMethod(m);
            } else {
                methodModifiers(b, m);
            }
        }
        for (MethodNode m : neu.methods) {
            String key = Plan.key(m.name, m.desc);
            if (!plan.moved.containsKey(key)) {
                plan.declared.add(Plan.key(plan.methodRenames.getOrDefault(key, m.name), m.desc));
                plan.declared.add(key);
            }
        }
        kept.forEach(k -> plan.declared.add(Plan.key(k.name, k.desc)));
        old.fields.forEach(f -> plan.declared.add(Plan.fieldKey(f.name, f.desc)));
        neu.fields.forEach(f -> {
            String k = Plan.fieldKey(f.name, f.desc);
            if (!plan.shadowed.containsKey(k) && !plan.inlined.containsKey(k)) {
                plan.declared.add(k);
            }
        });
    }

    /**
     * Pairs the fixed release's lambda bodies with the baseline's, within each enclosing method:
     * bodies with the same code, then the only lambda of a method that has one on each side. A paired body
     * that javac numbered differently takes the baseline's name, so lambda objects created before
     * the patch run the fixed body of the same lambda, never another one's. Lambdas that cannot be
     * paired with certainty are moved, and the baseline's bodies stay for the objects made from them.
     */
    private void lambdas(Map<String, MethodNode> before, Map<String, MethodNode> after) {
        Map<String, List<MethodNode>> oldBy = lambdasByEnclosing(old);
        Map<String, List<MethodNode>> newBy = lambdasByEnclosing(neu);
        Set<MethodNode> paired = new HashSet<>();
        for (Map.Entry<String, List<MethodNode>> e : newBy.entrySet()) {
            List<MethodNode> olds = new ArrayList<>(oldBy.getOrDefault(e.getKey(), List.of()));
            List<MethodNode> news = new ArrayList<>(e.getValue());
            Map<MethodNode, MethodNode> pairs = new LinkedHashMap<>();
            for (MethodNode n : new ArrayList<>(news)) {
                for (MethodNode o : olds) {
                    if (o.desc.equals(n.desc) && Bodies.sameCode(o, n)) {
                        pairs.put(n, o);
                        olds.remove(o);
                        news.remove(n);
                        break;
                    }
                }
            }
            List<MethodNode> allOld = oldBy.getOrDefault(e.getKey(), List.of());
            if (allOld.size() == 1 && e.getValue().size() == 1 && news.size() == 1 && olds.size() == 1
                    && news.get(0).desc.equals(olds.get(0).desc)) {
                pairs.put(news.get(0), olds.get(0));
            }
            for (Map.Entry<MethodNode, MethodNode> p : pairs.entrySet()) {
                MethodNode n = p.getKey();
                MethodNode o = p.getValue();
                paired.add(n);
                if (!n.name.equals(o.name)) {
                    plan.methodRenames.put(Plan.key(n.name, n.desc), o.name);
                    verdict("method " + o.name + o.desc, Verdict.Kind.KEPT, "lambda body renumbered by the compiler (" + n.name
                            + " in the fixed release); keeps its baseline name so lambdas created before the patch run the fixed "
                            + "body of the same lambda");
                }
            }
        }
        // A lambda of the fixed release that could not be paired but has a baseline lambda's name is moved under
        // its own name, and the baseline's body of that name stays for lambda objects created before the patch.
        for (List<MethodNode> news : newBy.values()) {
            for (MethodNode n : news) {
                String key = Plan.key(n.name, n.desc);
                if (!paired.contains(n) && before.containsKey(key)) {
                    plan.methodRenames.put(key, n.name + "$hp");
                }
            }
        }
    }

    private static Map<String, List<MethodNode>> lambdasByEnclosing(ClassNode c) {
        Map<String, List<MethodNode>> out = new TreeMap<>();
        for (MethodNode m : c.methods) {
            if (m.name.startsWith("lambda$") && m.name.lastIndexOf('$') > 7) {
                out.computeIfAbsent(m.name.substring(7, m.name.lastIndexOf('$')), x -> new ArrayList<>()).add(m);
            }
        }
        out.values().forEach(l -> l.sort((x, y) -> Integer.compare(ordinal(x.name), ordinal(y.name))));
        return out;
    }

    private static int ordinal(String lambdaName) {
        try {
            return Integer.parseInt(lambdaName.substring(lambdaName.lastIndexOf('$') + 1));
        } catch (NumberFormatException e) {
            return Integer.MAX_VALUE;
        }
    }

    private void removedMethod(MethodNode m) {
        String member = "method " + m.name + m.desc;
        boolean isPrivate = (m.access & Opcodes.ACC_PRIVATE) != 0;
        boolean synthetic = (m.access & Opcodes.ACC_SYNTHETIC) != 0 && (m.access & Opcodes.ACC_BRIDGE) == 0;
        boolean body = (m.access & (Opcodes.ACC_ABSTRACT | Opcodes.ACC_NATIVE)) == 0;
        MethodNode copy = m;
        if ("<clinit>".equals(m.name)) {
            verdict(member, Verdict.Kind.KEPT, "static initializer removed by the fix; the baseline's stays for copies of the class "
                    + "that load later (it only initialises the class's own fields)");
        } else if (!body) {
            verdict(member, Verdict.Kind.KEPT, "removed by the fix; stays declared (abstract or native, no code)");
        } else if (isPrivate || synthetic) {
            verdict(member, Verdict.Kind.KEPT, "removed by the fix; stays with its baseline code, which nothing in the fixed "
                    + "release calls");
        } else if ((old.access & Opcodes.ACC_INTERFACE) != 0) {
            refuse(member, "removed from an interface — callers would keep reaching the baseline's default code");
            return;
        } else {
            // Code outside the class (other classes compiled against the baseline, reflection, deserialization gadgets) can
            // still reach the method: it must do what such a call does in the fixed release, never run the baseline's code.
            ClassIndex.Answer inherited = "<init>".equals(m.name) ? ClassIndex.Answer.NO
                    : (m.access & Opcodes.ACC_STATIC) != 0 ? inheritsStatic(Plan.key(m.name, m.desc))
                    : index.inheritsMethod(name, Plan.key(m.name, m.desc));
            String from = old.superName;
            boolean fromInterface = false;
            if (inherited == ClassIndex.Answer.YES && (m.access & Opcodes.ACC_STATIC) == 0
                    && index.find(old.superName, Plan.key(m.name, m.desc), false).isEmpty()) {
                // Inherited only as a default method of one of the class's own interfaces: invokespecial on the
                // superclass would not find it, so the kept method calls the interface's default directly.
                for (String itf : neu.interfaces) {
                    if (index.find(itf, Plan.key(m.name, m.desc), false).isPresent()) {
                        from = itf;
                        fromInterface = true;
                        break;
                    }
                }
            }
            Bodies.delegateToSuper(copy, name, inherited == ClassIndex.Answer.NO ? null : from, fromInterface);
            verdict(member, Verdict.Kind.KEPT, "removed by the fix; stays callable from outside the class with a body that does what a "
                    + "call does in the fixed release: " + ("<init>".equals(m.name) ? "fail (NoSuchMethodError)"
                    : inherited == ClassIndex.Answer.YES ? "run the method it inherits"
                    : inherited == ClassIndex.Answer.NO ? "fail with NoSuchMethodError (it inherits no such method)"
                    : "run the inherited method (or fail as linking would there)") + ", never the baseline's code");
        }
        kept.add(copy);
    }

    /**
     * Whether a superclass of the fixed release declares a static method {@code key} that a call
     * through this class resolves to (static methods of interfaces are not inherited).
     */
    private ClassIndex.Answer inheritsStatic(String key) {
        String at = neu.superName;
        for (int depth = 0; depth < 64 && at != null; depth++) {
            java.util.Optional<ClassIndex.Info> i = index.info(at);
            if (i.isEmpty()) {
                return ClassIndex.Answer.UNKNOWN;
            }
            Integer access = i.get().methods().get(key);
            if (access != null && (access & Opcodes.ACC_PRIVATE) == 0) {
                return ClassIndex.Answer.YES;
            }
            at = i.get().superName();
        }
        return at == null ? ClassIndex.Answer.NO : ClassIndex.Answer.UNKNOWN;
    }

    private void addedMethod(MethodNode m) {
        String key = Plan.key(m.name, m.desc);
        String member = "method " + key;
        boolean isStatic = (m.access & Opcodes.ACC_STATIC) != 0;
        boolean isPrivate = (m.access & Opcodes.ACC_PRIVATE) != 0;
        if ("<init>".equals(m.name)) {
            refuse(member, "adds a constructor — objects are made by constructors of the class itself, so it cannot move");
            return;
        }
        if ("<clinit>".equals(m.name)) {
            return; // decided when the class is written: it may hold only initialisers of added static fields
        }
        if ((m.access & (Opcodes.ACC_ABSTRACT | Opcodes.ACC_NATIVE)) != 0) {
            refuse(member, "adds an abstract or native method — it has no code to move and must be declared by the class");
            return;
        }
        if ((neu.access & Opcodes.ACC_INTERFACE) != 0 && !isStatic && !isPrivate) {
            refuse(member, "adds a default method to an interface — implementing classes would not see it");
            return;
        }
        if (!isStatic && SERIALIZATION.contains(key)) {
            refuse(member, "adds " + m.name + ", which serialization finds by reflection on the class itself, so it cannot move");
            return;
        }
        if (!isStatic && !isPrivate) {
            ClassIndex.Answer overrides = index.inheritsMethod(name, key);
            if (overrides == ClassIndex.Answer.YES) {
                refuse(member, "adds an override of an inherited method — moved code cannot take part in virtual dispatch");
                return;
            }
            if (overrides == ClassIndex.Answer.UNKNOWN) {
                refuse(member, "adds a method that may override one of a supertype outside the jar and the JDK, which the builder "
                        + "cannot check — moved code cannot take part in virtual dispatch; if the supertypes come from the library's "
                        + "dependencies, pass their jars with --classpath JAR so that the builder can check");
                return;
            }
            for (String sub : index.allSubtypes(name)) {
                if (index.info(sub).map(i -> i.methods().containsKey(key)).orElse(false)) {
                    refuse(member, "adds a method that " + sub + " overrides — moved code cannot take part in virtual dispatch");
                    return;
                }
            }
        }
        plan.moved.put(key, m.name);
        if (!isStatic) {
            plan.movedInstance.add(key);
        }
        movedNodes.put(key, m);
        verdict(member, Verdict.Kind.MOVED, (m.name.startsWith("lambda$") ? "lambda body" : "added method")
                + " moved into the hidden helper and called through a constant method handle");
    }

    private void methodModifiers(MethodNode b, MethodNode a) {
        int diff = (b.access ^ a.access) & METHOD_FLAGS & ~Opcodes.ACC_NATIVE;
        if ("<clinit>".equals(a.name)) {
            diff &= Opcodes.ACC_STATIC;
        }
        if (diff == 0) {
            return;
        }
        String key = Plan.key(a.name, a.desc);
        String member = "method " + b.name + b.desc;
        if ((diff & (Opcodes.ACC_STATIC | Opcodes.ACC_ABSTRACT)) != 0) {
            refuse(member, "changes static or abstract — that changes how the method is called");
            return;
        }
        if ((diff & Opcodes.ACC_SYNCHRONIZED) != 0) {
            if ((a.access & Opcodes.ACC_SYNCHRONIZED) == 0) {
                refuse(member, "is no longer synchronized — the running method would still take the monitor, which can change "
                        + "how the fixed code locks");
                return;
            }
            synchronize.add(key);
        }
        if ((diff & ACCESS) != 0 && wider(a.access, b.access)) {
            String user = references.userBeyond(name, key, b.access);
            if (user != null) {
                refuse(member, "becomes more visible and " + user + " calls it — the running method keeps the baseline's access");
                return;
            }
            if ((b.access & Opcodes.ACC_PRIVATE) != 0 && (a.access & Opcodes.ACC_STATIC) == 0) {
                for (String sub : index.allSubtypes(name)) {
                    if (index.info(sub).map(i -> i.methods().containsKey(key)).orElse(false)) {
                        refuse(member, "is no longer private and " + sub + " overrides it — the running private method cannot be overridden");
                        return;
                    }
                }
            }
        }
        verdict(member, Verdict.Kind.KEPT, (diff & Opcodes.ACC_SYNCHRONIZED) != 0
                ? "became synchronized: the baseline's modifiers stay and the body holds the monitor of "
                + ((a.access & Opcodes.ACC_STATIC) != 0 ? "the class" : "'this'") + " as a synchronized method would"
                : "baseline modifiers kept (" + describeFlags(b.access, diff) + " instead of " + describeFlags(a.access, diff)
                + "); the fixed code behaves the same");
    }

    // ---------------------------------------------------------------- writing

    private byte[] write(HelperSet helpers) {
        MethodNode clinit = method(neu, "<clinit>");
        boolean baselineClinit = method(old, "<clinit>") != null;
        if (clinit != null && !baselineClinit) {
            if (!Bodies.trivial(clinit)) {
                throw new Unsupported("adds a static initializer that does more than initialise added fields; it would never run "
                        + "in a class that is already loaded");
            }
            neu.methods.remove(clinit);
            verdict("method <clinit>()V", Verdict.Kind.MOVED, "static initializer added by the fix only initialises added fields, "
                    + "which the helper does");
        }
        neu.methods.removeAll(movedNodes.values());
        Bootstrap targetBootstrap = new Bootstrap(name, plan.helper, false, helpers);
        SiteRewriter sites = new SiteRewriter(plan, helpers, renames, targetBootstrap, false, index, () -> lambdaSerial++, proxies);
        Map<String, MethodNode> before = methodsByKey(old);
        List<MethodNode> methods = new ArrayList<>();
        for (MethodNode m : neu.methods) {
            String key = Plan.key(m.name, m.desc);
            m.name = plan.methodRenames.getOrDefault(key, m.name);
            MethodNode b = before.get(Plan.key(m.name, m.desc));
            if (synchronize.contains(key)) {
                Bodies.synchronize(m, name, (m.access & Opcodes.ACC_STATIC) != 0);
            }
            if (b != null) {
                m.access = (m.access & ~METHOD_FLAGS) | (b.access & METHOD_FLAGS & ~Opcodes.ACC_NATIVE) | (m.access & Opcodes.ACC_NATIVE);
            }
            sites.rewrite(m);
            methods.add(m);
        }
        methods.addAll(kept);
        neu.methods = methods;
        neu.fields = baselineFields();
        neu.access = (neu.access & ~CLASS_FLAGS) | (old.access & CLASS_FLAGS);
        if (keepInterfaceOrder) {
            neu.interfaces = new ArrayList<>(old.interfaces);
        }
        if (targetBootstrap.used()) {
            requireFrames(neu);
            neu.version = Math.max(neu.version & 0xFFFF, Opcodes.V17);
            warnings.add(name + ": the rewritten class is compiled for Java 17 (class-file version 61): JVMs older than Java 17 "
                    + "refuse it, so installing the hotpatch fails there and changes nothing");
        }
        if (neu.attrs == null) {
            neu.attrs = new ArrayList<>();
        }
        neu.attrs.add(RewriteNote.of(verdicts));
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        neu.accept(cw);
        return cw.toByteArray();
    }

    /** Refuses a class compiled without stack map frames (before Java 6): the rewritten class needs Java 17's format. */
    static void requireFrames(ClassNode c) {
        int v = c.version & 0xFFFF;
        if (v < Opcodes.V1_6 || v == Opcodes.V1_6 && !hasFrames(c)) {
            throw new Unsupported("is compiled for Java " + (v - 44) + " without stack map frames, which the rewritten class needs");
        }
    }

    private static boolean hasFrames(ClassNode c) {
        for (MethodNode m : c.methods) {
            for (AbstractInsnNode i : m.instructions) {
                if (i instanceof FrameNode) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The baseline's fields, in its order and with its modifiers, carrying the fixed release's constant values. */
    private List<FieldNode> baselineFields() {
        Map<String, FieldNode> after = byKey(neu.fields);
        Map<String, String> renamedFrom = new HashMap<>();
        plan.fieldRenames.forEach((k, v) -> renamedFrom.put(v, k));
        List<FieldNode> out = new ArrayList<>();
        for (FieldNode b : old.fields) {
            FieldNode a = after.get(Plan.fieldKey(b.name, b.desc));
            if (a == null && renamedFrom.containsKey(b.name)) {
                a = after.get(renamedFrom.get(b.name));
                if (a != null) {
                    a.name = b.name;
                }
            }
            if (a == null) {
                out.add(b);
            } else {
                a.access = (a.access & ~FIELD_FLAGS) | (b.access & FIELD_FLAGS);
                out.add(a);
            }
        }
        return out;
    }

    /** Writes the helper: moved methods made static and rewritten to reach the target, and the shadow accessors. */
    byte[] helper(HelperSet helpers) {
        requireFrames(neu);
        Bootstrap helperBootstrap = new Bootstrap(name, plan.helper, true, helpers);
        SiteRewriter sites = new SiteRewriter(plan, helpers, renames, helperBootstrap, true, index, () -> lambdaSerial++, proxies);
        List<MethodNode> moved = new ArrayList<>();
        for (Map.Entry<String, MethodNode> e : movedNodes.entrySet()) {
            MethodNode m = e.getValue();
            boolean sync = (m.access & Opcodes.ACC_SYNCHRONIZED) != 0;
            boolean isStatic = (m.access & Opcodes.ACC_STATIC) != 0;
            Bodies.makeStatic(m, name);
            m.name = plan.moved.get(e.getKey());
            m.desc = plan.helperDesc(e.getKey());
            if (sync) {
                Bodies.synchronize(m, isStatic ? name : name, isStatic);
            }
            m.access &= ~Opcodes.ACC_SYNCHRONIZED;
            sites.rewrite(m);
            moved.add(m);
        }
        MethodNode inits = new MethodNode(Opcodes.ACC_STATIC, "<clinit>", "()V", null, null);
        inits.instructions = staticInits;
        inits.maxLocals = 0;
        sites.rewrite(inits);
        return HelperWriter.write(plan, neu.sourceFile, moved, initial, inits.instructions);
    }

    // ---------------------------------------------------------------- helpers

    private static Map<String, FieldNode> byKey(List<FieldNode> fields) {
        Map<String, FieldNode> m = new LinkedHashMap<>();
        fields.forEach(f -> m.put(Plan.fieldKey(f.name, f.desc), f));
        return m;
    }

    private static Map<String, MethodNode> methodsByKey(ClassNode c) {
        Map<String, MethodNode> m = new LinkedHashMap<>();
        c.methods.forEach(x -> m.put(Plan.key(x.name, x.desc), x));
        return m;
    }

    private static MethodNode method(ClassNode c, String name) {
        return c.methods.stream().filter(m -> m.name.equals(name)).findFirst().orElse(null);
    }

    private static boolean sameSet(List<String> a, List<String> b) {
        return new TreeSet<>(a == null ? List.of() : a).equals(new TreeSet<>(b == null ? List.of() : b))
                && (a == null ? 0 : a.size()) == (b == null ? 0 : b.size());
    }

    private static List<String> components(List<RecordComponentNode> rc) {
        return rc == null ? null : rc.stream().map(c -> c.name + " " + c.descriptor + " " + c.signature).toList();
    }

    /** Whether access flags {@code a} make a member visible to more classes than {@code b}. */
    static boolean wider(int a, int b) {
        return rank(a) > rank(b);
    }

    private static int rank(int access) {
        if ((access & Opcodes.ACC_PUBLIC) != 0) {
            return 3;
        }
        if ((access & Opcodes.ACC_PROTECTED) != 0) {
            return 2;
        }
        return (access & Opcodes.ACC_PRIVATE) != 0 ? 0 : 1;
    }

    private static String describeFlags(int access, int shown) {
        List<String> out = new ArrayList<>();
        int[] bits = {Opcodes.ACC_PUBLIC, Opcodes.ACC_PROTECTED, Opcodes.ACC_PRIVATE, Opcodes.ACC_FINAL, Opcodes.ACC_SYNCHRONIZED,
            Opcodes.ACC_VOLATILE, Opcodes.ACC_VARARGS, Opcodes.ACC_BRIDGE, Opcodes.ACC_SYNTHETIC, Opcodes.ACC_STRICT, Opcodes.ACC_ENUM};
        String[] names = {"public", "protected", "private", "final", "synchronized", "volatile", "varargs", "bridge", "synthetic",
            "strictfp", "enum"};
        int show = shown | ((shown & ACCESS) != 0 ? ACCESS : 0);
        for (int i = 0; i < bits.length; i++) {
            if ((show & bits[i]) != 0) {
                if ((access & bits[i]) != 0) {
                    out.add(names[i]);
                } else if (bits[i] != Opcodes.ACC_PUBLIC && bits[i] != Opcodes.ACC_PROTECTED && bits[i] != Opcodes.ACC_PRIVATE) {
                    out.add("not " + names[i]);
                }
            }
        }
        if ((shown & ACCESS) != 0 && (access & ACCESS) == 0) {
            out.add(0, "package-private");
        }
        return String.join(" ", out);
    }

    private static String describe(Object value) {
        return value instanceof String ? "\"" + value + "\"" : String.valueOf(value);
    }

    private static String first(Set<String> users) {
        return users.iterator().next() + (users.size() > 1 ? " (and " + (users.size() - 1) + " more)" : "");
    }
}
