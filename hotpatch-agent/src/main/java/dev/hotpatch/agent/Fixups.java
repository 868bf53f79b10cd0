package dev.hotpatch.agent;

import dev.hotpatch.format.ClassPatch;
import java.lang.instrument.Instrumentation;
import java.lang.ref.WeakReference;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs a package's fix-up class: the added class whose {@code public static void afterApply()}
 * repairs state that the vulnerable code built before a live apply (a cached introspection, a
 * singleton made with the old defaults), and whose optional {@code afterUninstall()} puts it back
 * after a live uninstall. Each hook is called once per class loader that has a replaced class of
 * the fix-up's Java package loaded (the loaders the apply redefined, where the agent defined the
 * fix-up class), with that loader as the thread's context class loader, since libraries key their
 * singletons by it.
 *
 * <p>Each call runs on a thread of its own, and the agent waits for a run's hooks at most the
 * agent option {@code fixupTimeout} (all loaders together): a hook that blocks (a lock the
 * application holds, a remote call) must not keep the agent's lock, and with it every later apply,
 * uninstall and list, forever. A hook still running at the deadline is reported as such and left to
 * end on its own; Java has no safe way to stop it.
 *
 * <p>Never at load time: a loader that loads the package after the apply, and a JVM that restored
 * the package at start (enrolled restart), build their state with the fixed code already.
 *
 * <p>Not thread-safe: the engine calls it under its lock.
 */
final class Fixups {
    static final String AFTER_APPLY = "afterApply";
    static final String AFTER_UNINSTALL = "afterUninstall";

    private final Instrumentation inst;
    private final long timeoutMillis;

    Fixups(Instrumentation inst, long timeoutMillis) {
        this.inst = inst;
        this.timeoutMillis = timeoutMillis;
    }

    /** What became of a package's fix-up in this JVM; the engine changes it under its lock. */
    static final class Run {
        /** The loaders whose {@code afterApply()} returned, held weakly: a loader may go away. */
        final List<WeakReference<ClassLoader>> loaders = new ArrayList<>();
        /** For {@code list}: ran, failed, not-run, undone. */
        String state;
        String detail;

        Run(String state, String detail) {
            this.state = state;
            this.detail = detail;
        }

        List<ClassLoader> liveLoaders() {
            List<ClassLoader> out = new ArrayList<>();
            for (WeakReference<ClassLoader> r : loaders) {
                ClassLoader l = r.get();
                if (l != null) {
                    out.add(l);
                }
            }
            return out;
        }
    }

    /**
     * A hook threw, is missing, or did not return in time; {@link #ran} lists the loaders where
     * {@code afterApply()} had returned before, {@link #stillRunning} says that the call in
     * {@link #failedIn} has not ended (its loader must not get {@code afterUninstall()} beside it).
     */
    static final class Failure extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final transient List<ClassLoader> ran;
        final transient ClassLoader failedIn;
        final boolean stillRunning;

        Failure(String message, Throwable cause, List<ClassLoader> ran, ClassLoader failedIn, boolean stillRunning) {
            super(message, cause);
            this.ran = ran;
            this.failedIn = failedIn;
            this.stillRunning = stillRunning;
        }
    }

    /** A hook that had not returned when the run's time was up; it goes on running on the named thread. */
    static final class Overdue extends Exception {
        private static final long serialVersionUID = 1L;

        Overdue(String thread) {
            super("still running on thread '" + thread + "'");
        }
    }

    /** The hooks the package's fix-up declares ({@code afterApply}, {@code afterUninstall}); empty without a fix-up. */
    static List<String> hooks(Installed pkg) {
        ClassPatch c = pkg.fixupClass();
        if (c == null) {
            return Collections.emptyList();
        }
        List<String> out = new ArrayList<>();
        List<String> declared = ClassHeader.read(c.bytes()).publicStaticVoidMethods;
        for (String h : new String[] {AFTER_APPLY, AFTER_UNINSTALL}) {
            if (declared.contains(h)) {
                out.add(h);
            }
        }
        return out;
    }

    /**
     * Refuses a fix-up class that does not declare {@code public static void afterApply()}, before
     * anything changes.
     */
    static void check(Installed pkg) {
        ClassPatch c = pkg.fixupClass();
        if (c == null) {
            return;
        }
        List<String> hooks;
        try {
            hooks = hooks(pkg);
        } catch (IllegalArgumentException e) {
            throw new Refusal(pkg.id() + ": its fix-up class " + c.binaryName() + " is not a usable class file (" + e.getMessage()
                    + "); nothing was changed. Rebuild the package");
        }
        if (!hooks.contains(AFTER_APPLY)) {
            throw new Refusal(pkg.id() + ": its fix-up class " + c.binaryName() + " declares no public static void afterApply();"
                    + " nothing was changed. Rebuild the package with a fix-up that declares it");
        }
    }

    /**
     * Calls {@code afterApply()} once in every loader that has a replaced class of the fix-up's
     * package loaded and holds the fix-up class (a live apply defined it there).
     *
     * @return the run, with the loaders where it returned; null when the package has no fix-up
     * @throws Failure when a call throws; the loaders where it returned before are in the failure
     */
    Run afterApply(Installed pkg) {
        ClassPatch c = pkg.fixupClass();
        if (c == null) {
            return null;
        }
        List<ClassLoader> ran = new ArrayList<>();
        Run run = new Run("not-run", "");
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        for (Map.Entry<ClassLoader, Class<?>> e : fixupClasses(pkg, c)) {
            try {
                call(e.getValue(), AFTER_APPLY, e.getKey(), deadline);
            } catch (Overdue ex) {
                throw new Failure(c.binaryName() + "." + AFTER_APPLY + "() did not return within " + seconds(timeoutMillis)
                        + " (agent option fixupTimeout) in class loader " + LoadedClasses.describe(e.getKey()) + "; it is "
                        + ex.getMessage() + ", where a thread dump (jcmd <pid> Thread.print) shows what it waits for", ex, ran,
                        e.getKey(), true);
            } catch (InvocationTargetException | RuntimeException | LinkageError ex) {
                Throwable why = ex instanceof InvocationTargetException ? ex.getCause() : ex;
                throw new Failure(c.binaryName() + "." + AFTER_APPLY + "() threw " + why.getClass().getName()
                        + (why.getMessage() == null ? "" : ": " + why.getMessage()) + " in class loader "
                        + LoadedClasses.describe(e.getKey()), why, ran, e.getKey(), false);
            }
            ran.add(e.getKey());
            run.loaders.add(new WeakReference<>(e.getKey()));
        }
        run.detail = ran.isEmpty()
                ? "afterApply() not run: no class loader had a class of " + c.packageName().replace('/', '.') + " loaded; loaders"
                    + " that load it later build their state with the fixed code"
                : "afterApply() ran in " + ran.size() + " class loader" + (ran.size() == 1 ? "" : "s") + " at the live apply";
        run.state = ran.isEmpty() ? "not-run" : "ran";
        return run;
    }

    /**
     * Calls {@code afterUninstall()}, when the fix-up declares it, in {@code loaders} (those where
     * {@code afterApply()} ran). Failures do not stop the others.
     *
     * @return one line per failure; empty when all returned or there is no such hook
     */
    List<String> afterUninstall(Installed pkg, List<ClassLoader> loaders) {
        ClassPatch c = pkg.fixupClass();
        List<String> problems = new ArrayList<>();
        if (c == null || loaders.isEmpty() || !hooks(pkg).contains(AFTER_UNINSTALL)) {
            return problems;
        }
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        for (ClassLoader loader : loaders) {
            Class<?> k = definedIn(loader, c.binaryName());
            if (k == null) {
                continue;
            }
            try {
                call(k, AFTER_UNINSTALL, loader, deadline);
            } catch (Overdue ex) {
                problems.add(c.binaryName() + "." + AFTER_UNINSTALL + "() did not return within " + seconds(timeoutMillis)
                        + " (agent option fixupTimeout) in class loader " + LoadedClasses.describe(loader) + "; it is " + ex.getMessage());
            } catch (InvocationTargetException | RuntimeException | LinkageError ex) {
                Throwable why = ex instanceof InvocationTargetException ? ex.getCause() : ex;
                problems.add(c.binaryName() + "." + AFTER_UNINSTALL + "() threw " + why.getClass().getName()
                        + (why.getMessage() == null ? "" : ": " + why.getMessage()) + " in class loader " + LoadedClasses.describe(loader));
            }
        }
        return problems;
    }

    /**
     * Per loader that has a replaced class of the fix-up's package loaded, the fix-up class defined
     * there, in the order the JVM lists the loaded classes. Keyed by identity: a loader may override equals.
     */
    private List<Map.Entry<ClassLoader, Class<?>>> fixupClasses(Installed pkg, ClassPatch fixup) {
        Set<String> replaced = new HashSet<>();
        for (ClassPatch c : pkg.classes.values()) {
            if (c.packageName().equals(fixup.packageName())) {
                replaced.add(c.binaryName());
            }
        }
        Map<ClassLoader, Class<?>> out = new IdentityHashMap<>();
        List<Map.Entry<ClassLoader, Class<?>>> order = new ArrayList<>();
        for (Class<?> k : inst.getAllLoadedClasses()) {
            ClassLoader l = k.getClassLoader();
            if (l != null && !k.isArray() && replaced.contains(k.getName()) && !out.containsKey(l)) {
                Class<?> f = definedIn(l, fixup.binaryName());
                if (f != null) {
                    out.put(l, f);
                    order.add(new java.util.AbstractMap.SimpleImmutableEntry<ClassLoader, Class<?>>(l, f));
                }
            }
        }
        return order;
    }

    /** The class of that name that {@code loader} itself defined, or null. */
    private Class<?> definedIn(ClassLoader loader, String binaryName) {
        for (Class<?> k : inst.getInitiatedClasses(loader)) {
            if (k.getClassLoader() == loader && k.getName().equals(binaryName)) {
                return k;
            }
        }
        return null;
    }

    /**
     * Calls {@code k.hook()} on a new thread with {@code loader} as its context class loader and
     * waits for it until {@code deadline} ({@link System#nanoTime()}).
     *
     * @throws Overdue when it is still running at the deadline
     */
    private static void call(Class<?> k, String hook, ClassLoader loader, long deadline) throws InvocationTargetException, Overdue {
        Method m;
        try {
            m = k.getDeclaredMethod(hook);
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException("the fix-up class declares no " + hook + "()", e);
        }
        if (!Modifier.isStatic(m.getModifiers()) || !Modifier.isPublic(m.getModifiers()) || m.getReturnType() != void.class) {
            throw new IllegalStateException("the fix-up's " + hook + "() is not public static void");
        }
        // The class may be package-private; its unnamed module opens every package.
        m.setAccessible(true);
        final Method target = m;
        final Throwable[] outcome = new Throwable[1];
        // An anonymous class, not a lambda: see HotpatchAgent.
        Thread t = new Thread(new Runnable() {
            @Override
            public void run() {
                try {
                    target.invoke(null);
                } catch (InvocationTargetException | IllegalAccessException | RuntimeException | Error e) {
                    outcome[0] = e;
                }
            }
        }, "hotpatch-fixup " + k.getName() + "." + hook + "()");
        t.setDaemon(true);
        t.setContextClassLoader(loader);
        t.start();
        try {
            long left = deadline - System.nanoTime();
            if (left > 0) {
                t.join(Math.max(1, left / 1_000_000L));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (t.isAlive()) {
            throw new Overdue(t.getName());
        }
        Throwable e = outcome[0];
        if (e instanceof InvocationTargetException) {
            throw (InvocationTargetException) e;
        }
        if (e instanceof IllegalAccessException) {
            throw new IllegalStateException("the agent may not call " + k.getName() + "." + hook + "(): " + e, e);
        }
        if (e instanceof RuntimeException) {
            throw (RuntimeException) e;
        }
        if (e != null) {
            // An Error other than a linkage problem thrown by invoke itself: report it like a hook's own throw.
            throw new InvocationTargetException(e);
        }
    }

    private static String seconds(long millis) {
        return millis % 1000 == 0 ? (millis / 1000) + " s" : millis + " ms";
    }
}
