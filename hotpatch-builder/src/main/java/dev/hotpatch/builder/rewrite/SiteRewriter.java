package dev.hotpatch.builder.rewrite;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.IntSupplier;
import org.objectweb.asm.Handle;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;
import org.objectweb.asm.tree.AbstractInsnNode;
import org.objectweb.asm.tree.FieldInsnNode;
import org.objectweb.asm.tree.InsnList;
import org.objectweb.asm.tree.InsnNode;
import org.objectweb.asm.tree.InvokeDynamicInsnNode;
import org.objectweb.asm.tree.LdcInsnNode;
import org.objectweb.asm.tree.MethodInsnNode;
import org.objectweb.asm.tree.MethodNode;
import org.objectweb.asm.tree.VarInsnNode;

/**
 * Rewrites the instructions of one method, in the patched class or in its helper, so that they
 * reach what the {@link Plan} moved: calls to moved methods, accesses to shadowed fields, lambdas
 * whose bodies moved, constants that were inlined, and members renamed back. In the patched class
 * a call to moved code becomes {@code ldc} of a constant method handle and {@code invokeExact};
 * the operands already on the stack are first stored in fresh locals past the method's own (the
 * handle must sit below them), which adds no branch and so leaves the stack map frames valid.
 * In the helper such calls are plain {@code invokestatic}, and members the helper cannot access
 * directly (inherited protected members, superclass calls) go through handles made with the
 * patched class's lookup. Not thread-safe.
 */
final class SiteRewriter {
    private static final String LMF = "java/lang/invoke/LambdaMetafactory";
    private static final int FLAG_SERIALIZABLE = 1;
    private static final int FLAG_MARKERS = 2;
    private static final int FLAG_BRIDGES = 4;

    private final Plan plan;
    private final HelperSet helpers;
    private final Renames renames;
    private final Bootstrap bootstrap;
    private final boolean inHelper;
    private final ClassIndex index;
    private final IntSupplier lambdaSerial;
    private final List<byte[]> proxies;
    private MethodNode method;
    private int spillBase;
    private int spillMax;

    /**
     * @param inHelper     whether the methods rewritten live in the helper
     * @param lambdaSerial numbers generated lambda classes uniquely within the patched class
     * @param proxies      collects the generated lambda classes (for size accounting)
     */
    SiteRewriter(Plan plan, HelperSet helpers, Renames renames, Bootstrap bootstrap, boolean inHelper, ClassIndex index,
                 IntSupplier lambdaSerial, List<byte[]> proxies) {
        this.plan = plan;
        this.helpers = helpers;
        this.renames = renames;
        this.bootstrap = bootstrap;
        this.inHelper = inHelper;
        this.index = index;
        this.lambdaSerial = lambdaSerial;
        this.proxies = proxies;
    }

    void rewrite(MethodNode m) {
        this.method = m;
        this.spillBase = m.maxLocals;
        this.spillMax = 0;
        for (AbstractInsnNode insn : m.instructions.toArray()) {
            if (insn instanceof MethodInsnNode) {
                method((MethodInsnNode) insn);
            } else if (insn instanceof FieldInsnNode) {
                field((FieldInsnNode) insn);
            } else if (insn instanceof InvokeDynamicInsnNode) {
                indy((InvokeDynamicInsnNode) insn);
            } else if (insn instanceof LdcInsnNode && ((LdcInsnNode) insn).cst instanceof Handle) {
                ((LdcInsnNode) insn).cst = handle((Handle) ((LdcInsnNode) insn).cst);
            }
        }
        m.maxLocals = spillBase + spillMax;
    }

    /** The plan of {@code owner}: this class's own, another rewritten class's, or null. */
    private Plan planOf(String owner) {
        return owner.equals(plan.target) ? plan : helpers.plan(owner);
    }

    /**
     * The plan that rewrites member {@code key} reached through {@code owner}: the owner's own, or,
     * when the owner is a subclass that does not declare the member, that of the rewritten class the
     * JVM's resolution lands on (the fix added the member there; Rewriting refused the class when it
     * could not prove where resolution lands). Else {@link #planOf(String)}.
     */
    private Plan planFor(String owner, String key, boolean field) {
        Plan p = planOf(owner);
        if ((p != null && p.rewrites(key, field)) || !helpers.anyRewrites(key, field)) {
            return p;
        }
        Optional<ClassIndex.Declaration> d = index.resolve(owner, key, field);
        if (d.isPresent() && !d.get().owner().equals(owner)) {
            Plan declaring = planOf(d.get().owner());
            if (declaring != null && declaring.rewrites(key, field)) {
                return declaring;
            }
        }
        return p;
    }

    private boolean ownHelper(Plan p) {
        return inHelper && p == plan;
    }

    private void method(MethodInsnNode mi) {
        String key = Plan.key(mi.name, mi.desc);
        Plan p = planFor(mi.owner, key, false);
        if (p != null) {
            String moved = p.moved.get(key);
            if (moved != null) {
                String desc = p.helperDesc(key);
                if (ownHelper(p)) {
                    replace(mi, new MethodInsnNode(Opcodes.INVOKESTATIC, plan.helper, moved, desc, false));
                } else {
                    callHandle(mi, bootstrap.helperMethod(p.target, moved, desc), desc);
                }
                return;
            }
        }
        if (mi.owner.equals(plan.target)) {
            String renamed = plan.methodRenames.get(key);
            if (renamed != null) {
                mi.name = renamed;
                key = Plan.key(mi.name, mi.desc);
            }
        }
        String global = renames.get(mi.owner, mi.name, mi.desc);
        if (global != null) {
            mi.name = global;
            key = Plan.key(mi.name, mi.desc);
        }
        if (!inHelper || "<init>".equals(mi.name)) {
            return;
        }
        if (mi.getOpcode() == Opcodes.INVOKESPECIAL) {
            if (mi.owner.equals(plan.target) && plan.declared.contains(key)) {
                mi.setOpcode(plan.targetIsInterface ? Opcodes.INVOKEINTERFACE : Opcodes.INVOKEVIRTUAL);
                mi.itf = plan.targetIsInterface;
            } else {
                String site = "(L" + plan.target + ";" + mi.desc.substring(1);
                callHandle(mi, bootstrap.targetMember(Opcodes.H_INVOKESPECIAL, mi.owner, mi.name, mi.desc, site), site);
            }
            return;
        }
        boolean isStatic = mi.getOpcode() == Opcodes.INVOKESTATIC;
        if (routed(mi.owner, key, false)) {
            String site = isStatic ? mi.desc : "(L" + mi.owner + ";" + mi.desc.substring(1);
            int kind = isStatic ? Opcodes.H_INVOKESTATIC : mi.itf ? Opcodes.H_INVOKEINTERFACE : Opcodes.H_INVOKEVIRTUAL;
            callHandle(mi, bootstrap.targetMember(kind, mi.owner, mi.name, mi.desc, site), site);
        }
    }

    private void field(FieldInsnNode fi) {
        String key = Plan.fieldKey(fi.name, fi.desc);
        int op = fi.getOpcode();
        Plan p = planFor(fi.owner, key, true);
        if (p != null) {
            String renamed = p.fieldRenames.get(key);
            if (renamed != null) {
                fi.name = renamed;
                return;
            }
            if (p.inlined.containsKey(key)) {
                if (op == Opcodes.GETSTATIC) {
                    replace(fi, new LdcInsnNode(p.inlined.get(key)));
                } else if (op == Opcodes.PUTSTATIC) {
                    replace(fi, new InsnNode(Type.getType(fi.desc).getSize() == 2 ? Opcodes.POP2 : Opcodes.POP));
                } else {
                    throw new Unsupported("uses constant " + fi.name + " as an instance field");
                }
                return;
            }
            Plan.Shadow s = p.shadowed.get(key);
            if (s != null) {
                boolean get = op == Opcodes.GETFIELD || op == Opcodes.GETSTATIC;
                String name = get ? s.getter() : s.setter();
                String desc = get ? s.getterDesc(p.target) : s.setterDesc(p.target);
                if (ownHelper(p)) {
                    replace(fi, new MethodInsnNode(Opcodes.INVOKESTATIC, plan.helper, name, desc, false));
                } else {
                    callHandle(fi, bootstrap.helperMethod(p.target, name, desc), desc);
                }
                return;
            }
        }
        if (inHelper && routed(fi.owner, key, true)) {
            int kind;
            String site;
            switch (op) {
                case Opcodes.GETFIELD:
                    kind = Opcodes.H_GETFIELD;
                    site = "(L" + fi.owner + ";)" + fi.desc;
                    break;
                case Opcodes.PUTFIELD:
                    kind = Opcodes.H_PUTFIELD;
                    site = "(L" + fi.owner + ";" + fi.desc + ")V";
                    break;
                case Opcodes.GETSTATIC:
                    kind = Opcodes.H_GETSTATIC;
                    site = "()" + fi.desc;
                    break;
                default:
                    kind = Opcodes.H_PUTSTATIC;
                    site = "(" + fi.desc + ")V";
                    break;
            }
            callHandle(fi, bootstrap.targetMember(kind, fi.owner, fi.name, fi.desc, site), site);
        }
    }

    /**
     * Whether helper code must reach a member through the patched class's lookup: it is declared
     * in a supertype in another package as protected, or the index cannot tell and the owner may
     * be a supertype of the patched class.
     */
    private boolean routed(String owner, String key, boolean isField) {
        if (owner.equals(plan.helper) || (owner.equals(plan.target) && plan.declared.contains(key))) {
            return false;
        }
        if (owner.startsWith("[")) {
            return false;
        }
        Optional<ClassIndex.Declaration> d = index.find(owner, key, isField);
        if (d.isPresent()) {
            if (d.get().owner().equals(plan.target)) {
                return false;
            }
            return (d.get().access() & Opcodes.ACC_PROTECTED) != 0
                    && !ClassIndex.packageOf(d.get().owner()).equals(ClassIndex.packageOf(plan.target));
        }
        return owner.equals(plan.target) || index.isSubtype(plan.target, owner) != ClassIndex.Answer.NO;
    }

    private void indy(InvokeDynamicInsnNode indy) {
        for (int i = 0; i < indy.bsmArgs.length; i++) {
            if (indy.bsmArgs[i] instanceof Handle) {
                indy.bsmArgs[i] = handle((Handle) indy.bsmArgs[i]);
            }
        }
        if (!LMF.equals(indy.bsm.getOwner())) {
            return;
        }
        Object impl = indy.bsmArgs[1];
        boolean movedImpl = !(impl instanceof Handle);
        if (!movedImpl && !inHelper) {
            return;
        }
        lambda(indy, impl);
    }

    /** Replaces a metafactory call site by a generated lambda class (see {@link LambdaProxy}). */
    private void lambda(InvokeDynamicInsnNode indy, Object impl) {
        Type[] captures = Type.getArgumentTypes(indy.desc);
        String iface = Type.getReturnType(indy.desc).getInternalName();
        String erased = ((Type) indy.bsmArgs[0]).getDescriptor();
        List<String> markers = new ArrayList<>();
        if ("altMetafactory".equals(indy.bsm.getName())) {
            int flags = (Integer) indy.bsmArgs[3];
            if ((flags & (FLAG_SERIALIZABLE | FLAG_BRIDGES)) != 0) {
                throw new Unsupported("has a serializable lambda or one that needs bridge methods, which only the "
                        + "platform's lambda factory can create");
            }
            int at = 4;
            if ((flags & FLAG_MARKERS) != 0) {
                int count = (Integer) indy.bsmArgs[at++];
                for (int i = 0; i < count; i++) {
                    markers.add(((Type) indy.bsmArgs[at++]).getInternalName());
                }
            }
        }
        String adapted = LambdaProxy.handleDesc(erased, captures);
        Object body;
        if (impl instanceof Handle) {
            Handle h = (Handle) impl;
            String desc = h.getDesc();
            body = bootstrap.targetMember(h.getTag(), h.getOwner(), h.getName(), desc, adapted);
        } else {
            body = bootstrap.asType(impl, adapted);
        }
        String proxyName = plan.helper + "$Lambda" + lambdaSerial.getAsInt();
        byte[] proxy = LambdaProxy.write(proxyName, iface, markers, indy.name, erased, captures);
        proxies.add(proxy);
        Object factory = bootstrap.lambda(proxy, body, iface, captures);
        if (captures.length == 0) {
            replace(indy, new LdcInsnNode(factory));
        } else {
            callHandle(indy, factory, Type.getMethodDescriptor(Type.getObjectType(iface), captures));
        }
    }

    /** A method handle constant as rewritten: renamed, or a constant handle on the helper when it names moved code. */
    private Object handle(Handle h) {
        String key = Plan.key(h.getName(), h.getDesc());
        Plan p = h.getTag() <= Opcodes.H_PUTSTATIC ? planOf(h.getOwner()) : planFor(h.getOwner(), key, false);
        if (p != null && p.moved.containsKey(key)) {
            return bootstrap.helperMethod(p.target, p.moved.get(key), p.helperDesc(key));
        }
        if (h.getOwner().equals(plan.target)) {
            String renamed = plan.methodRenames.get(key);
            if (renamed != null) {
                return new Handle(h.getTag(), h.getOwner(), renamed, h.getDesc(), h.isInterface());
            }
        }
        String global = renames.get(h.getOwner(), h.getName(), h.getDesc());
        if (global != null) {
            return new Handle(h.getTag(), h.getOwner(), global, h.getDesc(), h.isInterface());
        }
        return h;
    }

    /** Replaces {@code at} by a call of the constant handle {@code handle} with descriptor {@code desc}, spilling its operands. */
    private void callHandle(AbstractInsnNode at, Object handle, String desc) {
        Type[] args = Type.getArgumentTypes(desc);
        int[] slots = new int[args.length];
        int size = 0;
        for (int i = 0; i < args.length; i++) {
            slots[i] = spillBase + size;
            size += args[i].getSize();
        }
        spillMax = Math.max(spillMax, size);
        InsnList seq = new InsnList();
        for (int i = args.length - 1; i >= 0; i--) {
            seq.add(new VarInsnNode(args[i].getOpcode(Opcodes.ISTORE), slots[i]));
        }
        seq.add(new LdcInsnNode(handle));
        for (int i = 0; i < args.length; i++) {
            seq.add(new VarInsnNode(args[i].getOpcode(Opcodes.ILOAD), slots[i]));
        }
        seq.add(new MethodInsnNode(Opcodes.INVOKEVIRTUAL, Bootstrap.MH, "invokeExact", desc, false));
        method.instructions.insertBefore(at, seq);
        method.instructions.remove(at);
    }

    private void replace(AbstractInsnNode at, AbstractInsnNode with) {
        method.instructions.set(at, with);
    }
}
