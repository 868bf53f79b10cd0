package dev.hotpatch.agent;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.security.ProtectionDomain;
import java.util.function.Supplier;

/**
 * Hands out {@code ClassLoader.defineClass(String, byte[], int, int, ProtectionDomain)} as a method
 * handle. The agent never uses this class where the application's loader defined it: it defines a
 * second copy in a class loader of its own (see {@link AddedClasses}), whose unnamed module is the
 * only one {@code java.lang} is opened to. The class path's unnamed module, which the agent shares
 * with the application, stays without deep access to {@code java.lang}, so libraries that test for
 * that access behave the same with and without the agent.
 */
public final class LoaderDefine implements Supplier<MethodHandle> {
    /** For the agent's reflective construction of the copy. */
    public LoaderDefine() {
    }

    @Override
    public MethodHandle get() {
        try {
            return MethodHandles.privateLookupIn(ClassLoader.class, MethodHandles.lookup()).findVirtual(ClassLoader.class, "defineClass",
                    MethodType.methodType(Class.class, String.class, byte[].class, int.class, int.class, ProtectionDomain.class));
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }
}
