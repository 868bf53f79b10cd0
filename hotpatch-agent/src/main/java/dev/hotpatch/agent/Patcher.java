package dev.hotpatch.agent;

import dev.hotpatch.format.ClassPatch;
import dev.hotpatch.format.Sha256;
import java.io.IOException;
import java.lang.instrument.ClassDefinition;
import java.lang.instrument.Instrumentation;
import java.lang.instrument.UnmodifiableClassException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The state model and the redefinition: brings every loaded copy of the patched classes to the
 * bytes an installed set dictates, and keeps the {@link PatchTransformer}'s plan for classes that
 * load later in step with it.
 *
 * <p>A package is <em>active</em> unless a later installed package supersedes it; a class copy runs
 * the bytes of the active package that replaces its baseline, else its baseline. Apply, supersede
 * and uninstall are one mechanism: compute the copies whose bytes must change, check every one
 * against the bytes it is expected to run now, and redefine them all in one
 * {@code redefineClasses} call, which HotSpot applies to all classes or none.
 *
 * <p>Not thread-safe: the engine serialises calls (the transformer reads an immutable plan).
 */
final class Patcher {
    private final Instrumentation inst;
    private final LoadedClasses loaded;
    private final CodeSourceLedger ledger;
    private final PatchTransformer transformer;
    private final AddedClasses added;

    Patcher(Instrumentation inst, CodeSourceLedger ledger) {
        this.inst = inst;
        this.ledger = ledger;
        this.loaded = new LoadedClasses();
        this.added = new AddedClasses(inst, loaded);
        this.transformer = new PatchTransformer(loaded, ledger, added);
        inst.addTransformer(transformer, false);
        for (Class<?> k : inst.getAllLoadedClasses()) {
            ledger.loaded(k.getProtectionDomain());
        }
    }

    /**
     * Outcome for one class name: how many loaded copies now run new bytes or, for a class a
     * hotpatch adds, how many loaders hold it.
     */
    static final class ClassOutcome {
        int copies;
        boolean added;
    }

    /** One loaded copy of a class and the SHA-256 of the bytes it runs (as the agent last defined them). */
    static final class Copy {
        final String loader;
        final String sha256;

        Copy(String loader, String sha256) {
            this.loader = loader;
            this.sha256 = sha256;
        }
    }

    /** One class copy to redefine, with the state it moves to. */
    private static final class Change {
        final ClassDefinition definition;
        final String internalName;
        final String baselineSha;
        final String newSha;

        Change(ClassDefinition definition, String internalName, String baselineSha, String newSha) {
            this.definition = definition;
            this.internalName = internalName;
            this.baselineSha = baselineSha;
            this.newSha = newSha;
        }
    }

    /**
     * Brings every loaded copy of {@code names} (all names with an installed patch when empty) to
     * the bytes {@code installed} dictates, in one redefinition. {@code adding}, when not null, is
     * the package being applied: its copies must run its baseline or a superseded patch, and unless
     * {@code allowPending} at least one of its classes must be found in this JVM (loaded, or on its
     * class path with the baseline's bytes).
     *
     * @throws Refusal when a check fails or the JVM refuses the redefinition; nothing changed then
     */
    Map<String, ClassOutcome> converge(List<Installed> installed, Set<String> names, Installed adding, boolean allowPending) {
        return converge(installed, names, adding, allowPending, null);
    }

    /** As {@link #converge(List, Set, Installed, boolean)}, timing the scan and the redefinition in {@code phases} when given. */
    Map<String, ClassOutcome> converge(List<Installed> installed, Set<String> names, Installed adding, boolean allowPending,
            Phases phases) {
        Set<String> wanted = names.isEmpty() ? patchedNames(installed) : names;
        Map<String, ClassOutcome> outcome = new HashMap<>();
        List<Change> changes = new ArrayList<>();
        Map<AdditionKey, Addition> additions = new LinkedHashMap<>();
        Set<String> seen = new HashSet<>();
        List<Installed> active = active(installed);
        int matches = 0;
        Map<String, String> byBinaryName = binaryNames(wanted);
        try (CodeSources sources = new CodeSources(ledger)) {
            for (Class<?> k : inst.getAllLoadedClasses()) {
                String internal = byBinaryName.get(k.getName());
                if (internal == null || k.isArray()) {
                    continue;
                }
                seen.add(internal);
                LoadedClasses.Tracked t;
                try {
                    t = loaded.track(k, sources);
                } catch (ChangedCodeSourceException e) {
                    if (adding != null && adding.classes.containsKey(internal)) {
                        throw new Refusal(e.getMessage() + " (" + internal + " in loader " + LoadedClasses.describe(k.getClassLoader()) + ")", e);
                    }
                    continue;
                } catch (IOException e) {
                    if (adding != null && adding.classes.containsKey(internal)) {
                        throw new Refusal("cannot check " + internal + " in loader " + LoadedClasses.describe(k.getClassLoader())
                                + ": " + e.getMessage() + "; nothing was changed");
                    }
                    continue;
                }
                if (adding != null) {
                    ClassPatch mine = adding.classes.get(internal);
                    if (mine != null && !t.baselineSha.equals(mine.baselineSha256())) {
                        throw new Refusal("class " + internal + " in loader " + LoadedClasses.describe(k.getClassLoader())
                                + " does not match the baseline of " + adding.id() + ": expected bytes " + mine.baselineSha256()
                                + ", found " + t.baselineSha + ". This JVM runs a different build than the package was made for;"
                                + " nothing was changed");
                    }
                    if (mine != null) {
                        matches++;
                    }
                }
                String desired = desired(active, internal, t.baselineSha);
                if (desired.equals(t.currentSha)) {
                    if (!desired.equals(t.baselineSha)) {
                        outcomeOf(outcome, internal).copies++;
                    }
                    continue;
                }
                byte[] bytes = bytesFor(installed, desired);
                if (bytes == null) {
                    throw new Refusal("internal: no bytes known for " + internal + " sha " + desired + "; nothing was changed");
                }
                Installed provider = provider(active, internal, t.baselineSha);
                if (provider != null) {
                    List<ClassPatch> adds = provider.addedFor(packageOf(internal));
                    if (!adds.isEmpty()) {
                        additions.putIfAbsent(new AdditionKey(k.getClassLoader(), provider.id(), packageOf(internal)), new Addition(k, adds));
                    }
                }
                changes.add(new Change(new ClassDefinition(k, bytes), internal, t.baselineSha, desired));
                if (!desired.equals(t.baselineSha)) {
                    outcomeOf(outcome, internal).copies++;
                }
            }
            if (adding != null) {
                matches += checkNotYetLoaded(adding, seen, sources);
                if (matches == 0 && !allowPending) {
                    throw noneFound(adding);
                }
            }
            // The classes the fix adds go in first, supertypes first: the redefined code may resolve them at once.
            for (Addition a : additions.values()) {
                added.defineNextTo(a.anchor, a.classes, sources);
                for (ClassPatch c : a.classes) {
                    ClassOutcome o = outcomeOf(outcome, c.name());
                    o.added = true;
                    o.copies++;
                }
            }
        }
        List<ClassDefinition> defs = new ArrayList<>();
        for (Change c : changes) {
            defs.add(c.definition);
        }
        if (phases != null) {
            phases.end("scan");
        }
        redefine(defs);
        if (phases != null) {
            phases.end("redefine");
        }
        for (Change c : changes) {
            loaded.record(c.definition.getDefinitionClass().getClassLoader(), c.internalName, c.baselineSha, c.newSha);
        }
        return outcome;
    }

    private static ClassOutcome outcomeOf(Map<String, ClassOutcome> outcome, String name) {
        ClassOutcome o = outcome.get(name);
        if (o == null) {
            o = new ClassOutcome();
            outcome.put(name, o);
        }
        return o;
    }

    /** Swaps the transformer's plan to {@code installed}'s active packages. */
    void plan(List<Installed> installed) {
        Map<String, Map<String, PatchTransformer.Replacement>> plan = new HashMap<>();
        for (Installed i : active(installed)) {
            for (ClassPatch c : i.classes.values()) {
                byte[] bytes = c.bytes();
                loaded.remember(c.sha256(), bytes);
                Map<String, PatchTransformer.Replacement> forName = plan.get(c.name());
                if (forName == null) {
                    forName = new HashMap<>();
                    plan.put(c.name(), forName);
                }
                forName.put(c.baselineSha256(), new PatchTransformer.Replacement(bytes, i.addedFor(packageOf(c.name()))));
            }
        }
        transformer.plan(Collections.unmodifiableMap(plan));
    }

    /** The Java package of an internal class name, in internal form ({@code acme} for {@code acme/Fees}). */
    static String packageOf(String internalName) {
        int slash = internalName.lastIndexOf('/');
        return slash < 0 ? "" : internalName.substring(0, slash);
    }

    /** Which loader, package and hotpatch a set of added classes is defined for (one definition per key). */
    private static final class AdditionKey {
        final ClassLoader loader;
        final String id;
        final String javaPackage;

        AdditionKey(ClassLoader loader, String id, String javaPackage) {
            this.loader = loader;
            this.id = id;
            this.javaPackage = javaPackage;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof AdditionKey && ((AdditionKey) o).loader == loader && ((AdditionKey) o).id.equals(id)
                    && ((AdditionKey) o).javaPackage.equals(javaPackage);
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(loader) * 31 + id.hashCode() * 17 + javaPackage.hashCode();
        }
    }

    /** Added classes to define next to a loaded class of their package before it is redefined. */
    private static final class Addition {
        final Class<?> anchor;
        final List<ClassPatch> classes;

        Addition(Class<?> anchor, List<ClassPatch> classes) {
            this.anchor = anchor;
            this.classes = classes;
        }
    }

    /**
     * After an operation was refused with its plan already live: puts {@code installed}'s plan back
     * and returns copies of {@code names} that loaded meanwhile (and were patched as they loaded) to
     * the bytes {@code installed} dictates.
     */
    void undoPlan(List<Installed> installed, Set<String> names) {
        plan(installed);
        try {
            converge(installed, names, null, true);
        } catch (Refusal e) {
            System.err.println("[hotpatch] undoing classes loaded during a refused operation failed: " + e.getMessage());
        }
    }

    /**
     * Every loaded copy of {@code names}, per class name: its loader and the SHA-256 of the bytes it
     * runs, which for a copy the agent redefined or whose load it transformed is the hash of the
     * bytes it handed to the JVM, and otherwise the hash of its class file.
     */
    Map<String, List<Copy>> copiesInUse(Set<String> names) {
        Map<String, List<Copy>> out = new LinkedHashMap<>();
        Map<String, String> byBinaryName = binaryNames(names);
        try (CodeSources sources = new CodeSources(ledger)) {
            for (Class<?> k : inst.getAllLoadedClasses()) {
                String internal = byBinaryName.get(k.getName());
                if (internal == null || k.isArray()) {
                    continue;
                }
                String sha;
                try {
                    sha = loaded.track(k, sources).currentSha;
                } catch (IOException e) {
                    sha = "";
                }
                List<Copy> copies = out.get(internal);
                if (copies == null) {
                    copies = new ArrayList<>();
                    out.put(internal, copies);
                }
                copies.add(new Copy(LoadedClasses.describe(k.getClassLoader()), sha));
            }
        }
        return out;
    }

    /**
     * Internal names keyed by binary name ({@code a.b.C}), so that a scan of the loaded classes
     * compares {@link Class#getName()} (cached by the JVM) instead of building a string per class.
     */
    private static Map<String, String> binaryNames(Set<String> internalNames) {
        Map<String, String> out = new HashMap<>();
        for (String n : internalNames) {
            out.put(n.replace('/', '.'), n);
        }
        return out;
    }

    /** Installed packages not superseded by another installed package, oldest first. */
    static List<Installed> active(List<Installed> installed) {
        Set<String> superseded = new HashSet<>();
        for (Installed i : installed) {
            superseded.addAll(i.manifest.supersedes());
        }
        List<Installed> out = new ArrayList<>();
        for (Installed i : installed) {
            if (!superseded.contains(i.id())) {
                out.add(i);
            }
        }
        return out;
    }

    static Set<String> patchedNames(List<Installed> installed) {
        Set<String> names = new HashSet<>();
        for (Installed i : installed) {
            names.addAll(i.classes.keySet());
        }
        return names;
    }

    /**
     * For package classes with no loaded copy: if the application class path holds the class, its
     * bytes must be the package's baseline, so a package for another build is refused now rather
     * than left pending forever. Returns how many were found there with the baseline's bytes.
     */
    private static int checkNotYetLoaded(Installed adding, Set<String> seen, CodeSources sources) {
        int found = 0;
        for (ClassPatch c : adding.classes.values()) {
            if (seen.contains(c.name())) {
                continue;
            }
            byte[] onClassPath;
            try {
                onClassPath = sources.readResource(ClassLoader.getSystemClassLoader(), c.name() + ".class");
            } catch (ChangedCodeSourceException e) {
                throw new Refusal(e.getMessage(), e);
            } catch (IOException e) {
                continue;
            }
            if (onClassPath == null) {
                continue;
            }
            if (!Sha256.hex(onClassPath).equals(c.baselineSha256())) {
                throw new Refusal("class " + c.name() + " on this JVM's class path does not match the baseline of "
                        + adding.id() + ": expected bytes " + c.baselineSha256() + ", found " + Sha256.hex(onClassPath)
                        + ". This JVM runs a different build than the package was made for; nothing was changed");
            }
            found++;
        }
        return found;
    }

    private static Refusal noneFound(Installed adding) {
        List<String> names = new ArrayList<>();
        for (String n : adding.classes.keySet()) {
            names.add(n.replace('/', '.'));
        }
        String baseline = adding.manifest.baseline() == null || adding.manifest.baseline().isEmpty() ? ""
                : " (" + adding.manifest.baseline() + ")";
        return new Refusal("none of the classes of " + adding.id() + " (" + String.join(", ", names) + ") is loaded in this"
                + " JVM or on its class path, so this JVM does not match the baseline" + baseline + " the package was built for:"
                + " it does not seem to contain that library. Nothing was changed. If the classes come later from another"
                + " class loader, install it anyway with --allow-pending; they are then patched when they load");
    }

    private void redefine(List<ClassDefinition> defs) {
        if (defs.isEmpty()) {
            return;
        }
        try {
            inst.redefineClasses(defs.toArray(new ClassDefinition[0]));
        } catch (ClassNotFoundException | UnmodifiableClassException | UnsupportedOperationException | LinkageError e) {
            StringBuilder which = new StringBuilder();
            for (ClassDefinition d : defs) {
                which.append(which.length() == 0 ? "" : ", ").append(d.getDefinitionClass().getName()).append(" in ")
                        .append(LoadedClasses.describe(d.getDefinitionClass().getClassLoader()));
            }
            throw new Refusal("the JVM refused to redefine " + which + ": " + e
                    + ". Nothing was changed; this fix needs a baseline (restart)", e);
        }
    }

    /** Class bytes by SHA-256: seen before (baselines, earlier states) or carried by an installed package. */
    private byte[] bytesFor(List<Installed> installed, String sha) {
        byte[] known = loaded.blob(sha);
        if (known != null) {
            return known;
        }
        for (Installed i : installed) {
            for (ClassPatch c : i.classes.values()) {
                if (c.sha256().equals(sha)) {
                    byte[] b = c.bytes();
                    loaded.remember(b);
                    return b;
                }
            }
        }
        return null;
    }

    /** The active package whose bytes a class copy with this baseline should run, or null for its baseline. */
    private static Installed provider(List<Installed> active, String internal, String baselineSha) {
        for (int i = active.size() - 1; i >= 0; i--) {
            if (active.get(i).patchFor(internal, baselineSha) != null) {
                return active.get(i);
            }
        }
        return null;
    }

    /** The SHA-256 a class copy with this baseline should run under the active set. */
    private static String desired(List<Installed> active, String internal, String baselineSha) {
        for (int i = active.size() - 1; i >= 0; i--) {
            ClassPatch c = active.get(i).patchFor(internal, baselineSha);
            if (c != null) {
                return c.sha256();
            }
        }
        return baselineSha;
    }
}
