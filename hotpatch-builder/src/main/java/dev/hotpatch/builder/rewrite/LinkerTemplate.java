package dev.hotpatch.builder.rewrite;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.WeakReference;

/**
 * The template of the small hidden class through which every class reaches a patched class's
 * helper. Like {@link HelperTemplate} it is never used in the builder's JVM: the builder renames it
 * into the patched class's package and carries its bytes in constant pools. It may use
 * {@code java.base} only.
 *
 * <p>Several classes can need the same helper (the patched class itself, and other patched classes
 * that call what the fix added to it), and the helper holds state (added static fields, the side
 * table of added instance fields), so there must be one helper per class copy. The anchor is a tiny
 * named class defined into the patched class's own loader and package, named after the helper's
 * hash: whichever class gets there first defines it, and it holds the helper's class weakly (the
 * constant pools that resolved it hold it strongly), so that after uninstall the helper can be
 * unloaded. A later hotpatch with a different helper has a different anchor.
 */
final class LinkerTemplate {
    private LinkerTemplate() {
    }

    /**
     * The helper class for {@code target}'s class copy: found through the anchor class
     * {@code anchor} (binary name), defining the anchor and the helper when they do not exist yet.
     */
    static Class<?> helper(MethodHandles.Lookup target, byte[] helper, String anchor, byte[] anchorBytes) throws Throwable {
        Class<?> a;
        try {
            a = target.findClass(anchor);
        } catch (ClassNotFoundException e) {
            try {
                a = target.defineClass(anchorBytes);
            } catch (LinkageError raced) {
                a = target.findClass(anchor);
            }
        }
        VarHandle ref = target.findStaticVarHandle(a, "helper", WeakReference.class);
        synchronized (a) {
            WeakReference<?> w = (WeakReference<?>) ref.get();
            Class<?> h = w == null ? null : (Class<?>) w.get();
            if (h == null) {
                h = target.defineHiddenClassWithClassData(helper, target, true, MethodHandles.Lookup.ClassOption.NESTMATE).lookupClass();
                ref.set(new WeakReference<>(h));
            }
            return h;
        }
    }
}
