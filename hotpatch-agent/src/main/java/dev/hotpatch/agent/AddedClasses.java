package dev.hotpatch.agent;

import dev.hotpatch.format.ClassPatch;
import java.io.IOException;
import java.lang.instrument.Instrumentation;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.security.ProtectionDomain;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Defines the classes a hotpatch adds ({@link ClassPatch.Kind#ADDED}) into the class loaders of
 * the classes it replaces: into each loader that runs (or is about to run) a replaced class of a
 * Java package, the added classes of that package, with that class's protection domain, supertypes
 * first, before the replaced code can resolve them. A class already defined there with the same
 * bytes (an earlier apply of the same fix) is fine; one with other bytes is refused, since a class
 * can neither be redefined with other members nor unloaded. Added classes stay defined after an
 * uninstall, unreferenced by the restored code.
 *
 * <p>How: while a replaced class is loaded in the loader (always so when a patch is applied live,
 * and when a class of the same package is loaded already at load time), through a full-privilege
 * {@link MethodHandles.Lookup} on that class and {@code Lookup.defineClass}, which needs nothing
 * from the JVM's module system. When the first class of a package is loading in a loader (an
 * enrolled restart, a loader made after the patch), no class of the package exists yet to anchor a
 * lookup: then {@code ClassLoader.defineClass} is called through a method handle that a copy of
 * {@link LoaderDefine} in a loader of the agent's own obtains, after the agent opened {@code java.lang}
 * of {@code java.base} to that loader's unnamed module alone ({@link Instrumentation#redefineModule});
 * the class path's unnamed module, shared with the application, is not opened. The bootstrap loader is not
 * supported: a package whose replaced classes live there is refused.
 *
 * <p>Thread-safe. Defining takes no lock of ours (one taken inside class loading could deadlock
 * against the loader's own); two threads racing to define the same class end with one definition,
 * and the loser finds it defined.
 */
final class AddedClasses {
    private final Instrumentation inst;
    private final LoadedClasses loaded;
    /** Names (loader identity + class) this thread is defining now, so a nested load does not define them twice. */
    private final ThreadLocal<Set<String>> inProgress = new ThreadLocal<Set<String>>() {
        @Override
        protected Set<String> initialValue() {
            return new HashSet<>();
        }
    };
    private volatile MethodHandle loaderDefine;

    AddedClasses(Instrumentation inst, LoadedClasses loaded) {
        this.inst = inst;
        this.loaded = loaded;
    }

    /**
     * The added classes a replaced class of {@code javaPackage} may use: those of that package, and
     * their supertypes among {@code added} in other packages, supertypes first.
     */
    static List<ClassPatch> forPackage(Collection<ClassPatch> added, String javaPackage) {
        Map<String, ClassPatch> byName = new HashMap<>();
        for (ClassPatch c : added) {
            byName.put(c.name(), c);
        }
        Map<String, ClassPatch> wanted = new LinkedHashMap<>();
        List<ClassPatch> todo = new ArrayList<>();
        for (ClassPatch c : added) {
            if (c.packageName().equals(javaPackage)) {
                todo.add(c);
            }
        }
        while (!todo.isEmpty()) {
            ClassPatch c = todo.remove(todo.size() - 1);
            if (wanted.putIfAbsent(c.name(), c) == null) {
                for (String s : supertypes(c)) {
                    ClassPatch sup = byName.get(s);
                    if (sup != null) {
                        todo.add(sup);
                    }
                }
            }
        }
        return order(wanted.values());
    }

    /**
     * {@code classes} ordered so that each comes after its superclass and interfaces among them
     * (a class is resolved against its supertypes when it is defined).
     *
     * @throws IllegalArgumentException when they form a cycle, which no valid set of classes does
     */
    static List<ClassPatch> order(Collection<ClassPatch> classes) {
        Map<String, ClassPatch> byName = new LinkedHashMap<>();
        for (ClassPatch c : classes) {
            byName.put(c.name(), c);
        }
        List<ClassPatch> out = new ArrayList<>();
        Set<String> done = new HashSet<>();
        Set<String> visiting = new HashSet<>();
        for (ClassPatch c : byName.values()) {
            visit(c, byName, done, visiting, out);
        }
        return out;
    }

    private static void visit(ClassPatch c, Map<String, ClassPatch> byName, Set<String> done, Set<String> visiting, List<ClassPatch> out) {
        if (done.contains(c.name())) {
            return;
        }
        if (!visiting.add(c.name())) {
            throw new IllegalArgumentException("added class " + c.name() + " is its own supertype");
        }
        for (String s : supertypes(c)) {
            ClassPatch sup = byName.get(s);
            if (sup != null) {
                visit(sup, byName, done, visiting, out);
            }
        }
        visiting.remove(c.name());
        done.add(c.name());
        out.add(c);
    }

    /**
     * The supertypes a class file names; none when it cannot be read (apply refuses such a
     * package before this matters, and defining it fails with the JVM's reason).
     */
    private static List<String> supertypes(ClassPatch c) {
        try {
            return ClassHeader.read(c.bytes()).supertypes();
        } catch (IllegalArgumentException e) {
            return Collections.emptyList();
        }
    }

    /**
     * Defines {@code classes} (ordered by {@link #order}) into the loader of {@code anchor}, a
     * loaded class of their package, with its protection domain; a live apply does this before it
     * redefines. {@code sources} reads the bytes of a class of the same name that the agent did not
     * define, to tell whether it is the same class.
     *
     * @return how many classes were defined now (the others were there already with the same bytes)
     * @throws Refusal when one cannot be defined or exists with other bytes; those defined before it stay
     */
    int defineNextTo(Class<?> anchor, List<ClassPatch> classes, CodeSources sources) {
        ClassLoader loader = anchor.getClassLoader();
        requireLoader(loader, anchor.getName());
        return define(loader, classes, sources, lookupOn(anchor), null);
    }

    /**
     * Defines {@code classes} (ordered by {@link #order}) into {@code loader} with {@code domain}
     * while {@code loading}, a replaced class of their package, is being loaded there (from the
     * agent's transformer). Classes this thread is already defining (a nested load) are skipped.
     *
     * @throws Refusal when one cannot be defined or exists with other bytes
     */
    void defineWhileLoading(ClassLoader loader, ProtectionDomain domain, List<ClassPatch> classes, String loading) {
        requireLoader(loader, loading.replace('/', '.'));
        boolean all = true;
        for (ClassPatch c : classes) {
            all &= definedByUs(loader, c);
        }
        if (all) {
            return;
        }
        Class<?> anchor = anchorIn(loader, classes.get(0).packageName());
        define(loader, classes, null, anchor == null ? null : lookupOn(anchor), domain);
    }

    /** Defines through {@code lookup} when given, else through {@code ClassLoader.defineClass} with {@code domain}. */
    private int define(ClassLoader loader, List<ClassPatch> classes, CodeSources sources, MethodHandles.Lookup lookup,
                       ProtectionDomain domain) {
        Set<String> mine = inProgress.get();
        String loaderKey = Integer.toHexString(System.identityHashCode(loader)) + "/";
        int defined = 0;
        for (ClassPatch c : classes) {
            if (mine.contains(loaderKey + c.name()) || present(loader, c, sources)) {
                continue;
            }
            mine.add(loaderKey + c.name());
            try {
                byte[] b = c.bytes();
                if (lookup != null && lookup.lookupClass().getPackageName().equals(c.packageName().replace('/', '.'))) {
                    lookup.defineClass(b);
                } else {
                    loaderDefine().invoke(loader, c.binaryName(), b, 0, b.length, domain != null ? domain
                            : lookup == null ? null : lookup.lookupClass().getProtectionDomain());
                }
                defined++;
                loaded.remember(c.sha256(), b);
                loaded.record(loader, c.name(), c.sha256(), c.sha256());
            } catch (Refusal | VirtualMachineError e) {
                throw e;
            } catch (Throwable e) {
                // MethodHandle.invoke declares Throwable; what defineClass throws is a LinkageError or a SecurityException.
                if (present(loader, c, sources)) {
                    continue;
                }
                throw cannotDefine(c, loader, e, defined);
            } finally {
                mine.remove(loaderKey + c.name());
            }
        }
        return defined;
    }

    private static MethodHandles.Lookup lookupOn(Class<?> anchor) {
        try {
            return MethodHandles.privateLookupIn(anchor, MethodHandles.lookup());
        } catch (IllegalAccessException | SecurityException e) {
            throw new Refusal("cannot define the classes this hotpatch adds next to " + anchor.getName() + " in loader "
                    + LoadedClasses.describe(anchor.getClassLoader()) + ": its module " + anchor.getModule()
                    + " is not open to the agent (" + e + "); nothing was changed", e);
        }
    }

    /** A class of {@code javaPackage} that {@code loader} itself defined and has loaded, or null. */
    private Class<?> anchorIn(ClassLoader loader, String javaPackage) {
        String prefix = javaPackage.isEmpty() ? "" : javaPackage.replace('/', '.') + ".";
        for (Class<?> k : inst.getInitiatedClasses(loader)) {
            String n = k.getName();
            // A hidden class's name has a '/': it cannot anchor a lookup that defines named classes.
            if (k.getClassLoader() == loader && !k.isArray() && n.startsWith(prefix) && n.indexOf('.', prefix.length()) < 0
                    && n.indexOf('/') < 0 && k.getModule() == loader.getUnnamedModule()) {
                return k;
            }
        }
        return null;
    }

    /**
     * Whether {@code loader} holds {@code c} already with the same bytes.
     *
     * @throws Refusal when it resolves that name to another class
     */
    private boolean present(ClassLoader loader, ClassPatch c, CodeSources sources) {
        if (definedByUs(loader, c)) {
            return true;
        }
        Class<?> existing = null;
        for (Class<?> k : inst.getInitiatedClasses(loader)) {
            if (k.getName().equals(c.binaryName())) {
                existing = k;
                break;
            }
        }
        if (existing == null) {
            return false;
        }
        if (existing.getClassLoader() != loader) {
            throw new Refusal("loader " + LoadedClasses.describe(loader) + " already resolves " + c.binaryName() + ", a class this"
                    + " hotpatch adds, to a class of loader " + LoadedClasses.describe(existing.getClassLoader()) + "; the fix's"
                    + " own class cannot be defined there. This JVM does not match the baseline the package was built for;"
                    + " restart it to apply the package");
        }
        String sha = loaded.currentSha(loader, c.name());
        if (sha == null && sources != null) {
            try {
                sha = loaded.remember(sources.read(existing));
            } catch (IOException e) {
                sha = null;
            }
        }
        if (c.sha256().equals(sha)) {
            loaded.record(loader, c.name(), sha, sha);
            return true;
        }
        throw new Refusal("class " + c.binaryName() + ", which this hotpatch adds, is already defined in loader "
                + LoadedClasses.describe(loader) + " with other bytes (" + (sha == null ? "not known to the agent" : sha)
                + ", the package's are " + c.sha256() + "): an earlier hotpatch added another version of it, or the application"
                + " has a class of that name. A loaded class cannot be unloaded or given other members, so this package cannot"
                + " be applied to this JVM live; restart it to apply the package");
    }

    /**
     * Whether the agent defined (or found) {@code c} with these bytes in {@code loader} before: a
     * class stays defined as long as its loader lives, so no scan of the loader is needed then.
     */
    private boolean definedByUs(ClassLoader loader, ClassPatch c) {
        return c.sha256().equals(loaded.currentSha(loader, c.name()));
    }

    private static void requireLoader(ClassLoader loader, String patchedClass) {
        if (loader == null) {
            throw new Refusal(patchedClass + " is loaded by the bootstrap class loader, into which this agent does not define"
                    + " the classes a hotpatch adds; ship this fix as a baseline (restart)");
        }
    }

    private static Refusal cannotDefine(ClassPatch c, ClassLoader loader, Throwable e, int defined) {
        return new Refusal("cannot define " + c.binaryName() + ", which this hotpatch adds, in loader " + LoadedClasses.describe(loader)
                + ": " + e + (defined == 0 ? "" : "; " + defined + " added class(es) defined before it stay defined, unreferenced"),
                e);
    }

    /**
     * {@code ClassLoader.defineClass(String, byte[], int, int, ProtectionDomain)}. The first time, a
     * copy of {@link LoaderDefine} is defined in a class loader of the agent's own and {@code java.lang}
     * is opened to that loader's unnamed module alone, not to the class path's (which the
     * application shares with the agent).
     */
    private MethodHandle loaderDefine() {
        MethodHandle h = loaderDefine;
        if (h != null) {
            return h;
        }
        synchronized (this) {
            if (loaderDefine == null) {
                try {
                    byte[] bytes;
                    try (java.io.InputStream in = AddedClasses.class.getResourceAsStream("LoaderDefine.class")) {
                        if (in == null) {
                            throw new IllegalStateException("LoaderDefine.class is missing from the agent jar");
                        }
                        bytes = in.readAllBytes();
                    }
                    Class<?> copy = new PrivateLoader().define(bytes);
                    Module base = Object.class.getModule();
                    Module own = copy.getModule();
                    if (!base.isOpen("java.lang", own)) {
                        inst.redefineModule(base, Collections.<Module>emptySet(), Collections.<String, Set<Module>>emptyMap(),
                                Collections.singletonMap("java.lang", Collections.singleton(own)),
                                Collections.<Class<?>>emptySet(), Collections.<Class<?>, List<Class<?>>>emptyMap());
                    }
                    @SuppressWarnings("unchecked")
                    java.util.function.Supplier<MethodHandle> s = (java.util.function.Supplier<MethodHandle>) copy.getConstructor().newInstance();
                    loaderDefine = s.get();
                } catch (ReflectiveOperationException | java.io.IOException | RuntimeException e) {
                    throw new Refusal("this JVM does not let the agent define classes into a class loader (" + e + ")", e);
                }
            }
            return loaderDefine;
        }
    }

    /** The agent's own loader (its own unnamed module) for the copy of {@link LoaderDefine}; it delegates to the platform loader only. */
    private static final class PrivateLoader extends ClassLoader {
        PrivateLoader() {
            super("hotpatch-agent-define", ClassLoader.getPlatformClassLoader());
        }

        Class<?> define(byte[] b) {
            return defineClass(null, b, 0, b.length);
        }
    }
}
