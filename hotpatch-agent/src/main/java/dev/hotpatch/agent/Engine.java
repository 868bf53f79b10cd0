package dev.hotpatch.agent;

import dev.hotpatch.format.ClassPatch;
import dev.hotpatch.format.HotpatchPackage;
import dev.hotpatch.format.PackageException;
import dev.hotpatch.format.RebootBehavior;
import dev.hotpatch.format.Sha256;
import dev.hotpatch.format.TrustStore;
import dev.hotpatch.format.channel.Message;
import java.io.IOException;
import java.lang.instrument.ClassDefinition;
import java.lang.instrument.Instrumentation;
import java.lang.instrument.UnmodifiableClassException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The patch engine: applies, uninstalls and lists hotpatches in this JVM.
 *
 * <p>State model: the bytes every class copy should run are a function of the installed set. A
 * package is <em>active</em> unless a later installed package supersedes it; a class copy runs the
 * bytes of the active package that replaces its baseline, else its baseline. Apply and uninstall
 * compute the copies whose bytes must change, check every one of them against the bytes they are
 * expected to run now (baseline, or a superseded hotpatch), and redefine them all in one
 * {@code redefineClasses} call: HotSpot applies such a call to all classes or none. Classes that
 * load later are handled by {@link PatchTransformer} from the same plan.
 *
 * <p>Thread-safety: operations are serialised by synchronising on the engine.
 */
final class Engine {
    private final Instrumentation inst;
    private final AgentOptions options;
    private final HotpatchAgent.Mode mode;
    private final LoadedClasses loaded = new LoadedClasses();
    private final PatchTransformer transformer = new PatchTransformer(loaded);
    private final StateStore store;
    private final List<Installed> installed = new ArrayList<>();
    private final List<String> restoreProblems = new ArrayList<>();
    private Path staging;

    Engine(Instrumentation inst, AgentOptions options, HotpatchAgent.Mode mode) {
        if (!inst.isRedefineClassesSupported()) {
            throw new IllegalStateException("this JVM does not support class redefinition");
        }
        this.inst = inst;
        this.options = options;
        this.mode = mode;
        this.store = StateStore.open(options.stateDir());
        inst.addTransformer(transformer, false);
        publishProperties();
    }

    String machine() {
        return options.name;
    }

    HotpatchAgent.Mode mode() {
        return mode;
    }

    /** Folder where packages are copied before verification; owner-only, set by the channel. */
    synchronized void stagingDir(Path dir) {
        this.staging = dir;
    }

    /**
     * Re-activates the hotpatches persisted by earlier runs. In enrolled mode this runs before the
     * application's classes load, so they are patched by the transformer as they load.
     */
    synchronized void restore() {
        if (store == null) {
            return;
        }
        TrustStore trust = store.trust(options.trust);
        for (StateStore.Record r : store.load(restoreProblems)) {
            try {
                if (trust == null) {
                    throw new Refusal("no trusted certificates (agent option trust= or " + store.dir() + "/trust)");
                }
                HotpatchPackage pkg = HotpatchPackage.read(r.file, trust);
                if (!pkg.sha256().equals(r.sha256)) {
                    throw new Refusal("stored package file changed since it was accepted (sha " + pkg.sha256() + ")");
                }
                installed.add(new Installed(pkg, r.file, r.installedOn, r.installedBy));
            } catch (RuntimeException e) {
                String problem = "persisted hotpatch " + r.id + " not restored: " + e.getMessage();
                restoreProblems.add(problem);
                System.err.println("[hotpatch] " + problem);
            }
        }
        if (!installed.isEmpty()) {
            try {
                converge(Collections.<String>emptySet(), null);
            } catch (Refusal e) {
                // Never half-restored: without its loaded classes, a restored patch is not installed.
                restoreProblems.add("persisted hotpatches " + ids(installed) + " not re-applied: " + e.getMessage()
                        + "; apply them again after fixing the cause");
                System.err.println("[hotpatch] " + restoreProblems.get(restoreProblems.size() - 1));
                installed.clear();
            }
            transformer.plan(plan());
        }
        publishProperties();
    }

    /** Applies the package at {@code file}, verified against {@code trustDir} or the agent's configured trust. */
    synchronized Message apply(Path file, Path trustDir, String actor) {
        long start = System.nanoTime();
        Path copy = stage(file);
        HotpatchPackage pkg;
        try {
            pkg = HotpatchPackage.read(copy, trust(trustDir));
        } catch (PackageException e) {
            deleteQuietly(copy);
            throw new Refusal(e.getMessage(), e);
        }
        String id = pkg.manifest().id();
        for (Installed i : installed) {
            if (i.id().equals(id)) {
                deleteQuietly(copy);
                if (i.manifest.classes().equals(pkg.manifest().classes())
                        && i.manifest.supersedes().equals(pkg.manifest().supersedes())) {
                    return reply("noop", id + " is already installed; nothing changed").put("id", id);
                }
                throw new Refusal("a different package with id " + id + " is already installed (other classes or"
                        + " supersedes); uninstall it first or give the new package its own id");
            }
        }
        if (pkg.manifest().rebootBehavior() != RebootBehavior.NEVER_REBOOTS) {
            deleteQuietly(copy);
            throw new Refusal(id + " is not a hotpatch (" + pkg.manifest().rebootBehavior().label()
                    + "): it must be installed as a baseline with a restart");
        }
        for (ClassPatch c : pkg.manifest().classes()) {
            if (c.kind() != ClassPatch.Kind.REPLACE) {
                deleteQuietly(copy);
                throw new Refusal(id + " adds class " + c.name() + "; this agent does not define new classes into running class loaders");
            }
        }
        Installed candidate = new Installed(pkg, copy, Instant.now(), actor == null ? "" : actor);
        Set<String> superseded = new HashSet<>(candidate.manifest.supersedes());
        for (ClassPatch c : candidate.manifest.classes()) {
            for (Installed other : active()) {
                if (!superseded.contains(other.id()) && other.patchFor(c.name(), c.baselineSha256()) != null) {
                    deleteQuietly(copy);
                    throw new Refusal("class " + c.name() + " is already patched by " + other.id() + ", which " + id
                            + " does not supersede; uninstall " + other.id() + " first or rebuild " + id + " with --supersedes " + other.id());
                }
            }
        }
        List<Installed> before = new ArrayList<>(installed);
        installed.add(candidate);
        Map<String, ClassOutcome> outcome;
        try {
            outcome = converge(classNames(candidate, superseded), candidate);
        } catch (RuntimeException e) {
            installed.clear();
            installed.addAll(before);
            deleteQuietly(copy);
            throw e;
        }
        transformer.plan(plan());
        catchUp();
        try {
            if (store != null) {
                Path kept = store.keep(candidate.id(), copy);
                installed.set(installed.indexOf(candidate), new Installed(pkg, kept, candidate.installedOn, candidate.installedBy));
                store.trustSigners(pkg.signers());
                store.save(installed);
            }
        } catch (IOException e) {
            // All or nothing: a fix that would silently vanish at the next restart is not installed.
            installed.clear();
            installed.addAll(before);
            converge(classNames(candidate, superseded), null);
            transformer.plan(plan());
            throw new IllegalStateException("applied " + id + " but could not persist it in " + store.dir() + " (" + e.getMessage()
                    + "); rolled it back. Fix the state folder's permissions or free disk space and retry", e);
        } finally {
            deleteQuietly(copy);
        }
        publishProperties();
        Message m = reply("ok", id + " applied: " + describe(outcome)).put("id", id)
                .put("durationMicros", (System.nanoTime() - start) / 1000);
        int n = 0;
        for (ClassPatch c : candidate.manifest.classes()) {
            ClassOutcome o = outcome.get(c.name());
            m.put("classes." + n + ".name", c.name());
            m.put("classes." + n + ".loaders", o == null ? 0 : o.copies);
            m.put("classes." + n + ".sha256", c.sha256());
            m.put("classes." + n + ".pending", o == null || o.copies == 0);
            n++;
        }
        return m.put("classes.count", n);
    }

    /** Uninstalls {@code id}, or the latest active hotpatch when {@code id} is null, restoring the previous bytes live. */
    synchronized Message uninstall(String id, String actor) {
        if (installed.isEmpty()) {
            throw new Refusal("no hotpatch is installed in this JVM");
        }
        Installed target = null;
        if (id == null || id.isEmpty()) {
            List<Installed> act = active();
            target = act.get(act.size() - 1);
        } else {
            for (Installed i : installed) {
                if (i.id().equals(id)) {
                    target = i;
                }
            }
            if (target == null) {
                throw new Refusal(id + " is not installed in this JVM; 'hotpatch list' shows what is");
            }
            for (Installed i : installed) {
                if (i.manifest.supersedes().contains(id)) {
                    throw new Refusal(id + " is superseded by " + i.id() + "; uninstall " + i.id() + " first");
                }
            }
        }
        List<Installed> before = new ArrayList<>(installed);
        installed.remove(target);
        Set<String> names = classNames(target, new HashSet<>(target.manifest.supersedes()));
        try {
            converge(names, null);
        } catch (RuntimeException e) {
            installed.clear();
            installed.addAll(before);
            throw e;
        }
        transformer.plan(plan());
        catchUp();
        if (store != null) {
            try {
                store.save(installed);
                store.forget(target.id(), installed);
            } catch (IOException e) {
                System.err.println("[hotpatch] uninstalled " + target.id() + " but could not update " + store.dir() + ": " + e);
                publishProperties();
                return reply("ok", target.id() + " uninstalled, but the state folder could not be updated (" + e.getMessage()
                        + "): it may come back at the next restart").put("id", target.id());
            }
        }
        publishProperties();
        return reply("ok", target.id() + " uninstalled; previous code restored without restart").put("id", target.id())
                .put("actor", actor);
    }

    /** Get-HotFix: the installed hotpatches, oldest first, with the bytes in use per class. */
    synchronized Message list() {
        Message m = reply("ok", installed.size() + " hotpatch(es) installed");
        Map<String, Map<String, Integer>> copiesBySha = copiesInUse();
        Set<String> activeIds = new HashSet<>();
        for (Installed i : active()) {
            activeIds.add(i.id());
        }
        for (int n = 0; n < installed.size(); n++) {
            Installed i = installed.get(n);
            String p = "installed." + n + ".";
            m.put(p + "id", i.id()).put(p + "title", i.manifest.title())
                    .put(p + "classification", i.manifest.classification().label())
                    .put(p + "description", i.manifest.description())
                    .put(p + "installedOn", i.installedOn.toString()).put(p + "installedBy", i.installedBy)
                    .put(p + "supersedes", String.join(",", i.manifest.supersedes()))
                    .put(p + "cves", String.join(",", i.manifest.cves()))
                    .put(p + "active", activeIds.contains(i.id()))
                    .put(p + "persisted", store != null)
                    .put(p + "classes.count", i.classes.size());
            int c = 0;
            for (ClassPatch cp : i.classes.values()) {
                Map<String, Integer> bySha = copiesBySha.get(cp.name());
                Integer copies = bySha == null ? null : bySha.get(cp.sha256());
                m.put(p + "classes." + c + ".name", cp.name()).put(p + "classes." + c + ".sha256", cp.sha256())
                        .put(p + "classes." + c + ".loaders", copies == null ? 0 : copies);
                c++;
            }
        }
        m.put("installed.count", installed.size());
        if (!restoreProblems.isEmpty()) {
            m.put("problems", String.join(" | ", restoreProblems));
        }
        return m.put("stateDir", store == null ? "" : store.dir().toString());
    }

    synchronized Message ping() {
        return reply("ok", "hotpatch agent " + version() + " (" + mode.label + ")")
                .put("version", version()).put("mode", mode.label).put("machine", options.name)
                .put("javaVersion", System.getProperty("java.version"));
    }

    // ---- internals -------------------------------------------------------------------------

    /** One class copy to redefine, with the state it moves to. */
    static final class Change {
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

    /** Outcome for one class name: how many loaded copies now run new bytes. */
    static final class ClassOutcome {
        int copies;
    }

    /**
     * Brings every loaded copy of {@code names} (all names with an installed patch when empty) to
     * the bytes the installed set dictates, in one redefinition. {@code adding}, when not null, is
     * the package being applied: its copies must currently run its baseline or a superseded patch.
     */
    private Map<String, ClassOutcome> converge(Set<String> names, Installed adding) {
        Set<String> wanted = names.isEmpty() ? allPatchedNames() : names;
        Map<String, ClassOutcome> outcome = new HashMap<>();
        List<Change> changes = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        try (CodeSources sources = new CodeSources()) {
            for (Class<?> k : inst.getAllLoadedClasses()) {
                String internal = k.getName().replace('.', '/');
                if (!wanted.contains(internal) || k.isArray()) {
                    continue;
                }
                seen.add(internal);
                LoadedClasses.Tracked t;
                try {
                    t = loaded.track(k, sources);
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
                }
                String desired = desired(internal, t.baselineSha);
                if (desired.equals(t.currentSha)) {
                    if (!desired.equals(t.baselineSha)) {
                        outcome.computeIfAbsent(internal, x -> new ClassOutcome()).copies++;
                    }
                    continue;
                }
                byte[] bytes = bytesFor(desired);
                if (bytes == null) {
                    throw new Refusal("internal: no bytes known for " + internal + " sha " + desired + "; nothing was changed");
                }
                changes.add(new Change(new ClassDefinition(k, bytes), internal, t.baselineSha, desired));
                if (!desired.equals(t.baselineSha)) {
                    outcome.computeIfAbsent(internal, x -> new ClassOutcome()).copies++;
                }
            }
            if (adding != null) {
                checkNotYetLoaded(adding, seen, sources);
            }
        }
        List<ClassDefinition> defs = new ArrayList<>();
        for (Change c : changes) {
            defs.add(c.definition);
        }
        redefine(defs);
        for (Change c : changes) {
            loaded.record(c.definition.getDefinitionClass().getClassLoader(), c.internalName, c.baselineSha, c.newSha);
        }
        return outcome;
    }

    /**
     * For package classes with no loaded copy: if the application class path holds the class, its
     * bytes must be the package's baseline, so a package for another build is refused now rather
     * than left pending forever. Classes found nowhere stay pending (another loader may bring them).
     */
    private static void checkNotYetLoaded(Installed adding, Set<String> seen, CodeSources sources) {
        for (ClassPatch c : adding.classes.values()) {
            if (seen.contains(c.name())) {
                continue;
            }
            byte[] onClassPath;
            try {
                onClassPath = sources.readResource(ClassLoader.getSystemClassLoader(), c.name() + ".class");
            } catch (IOException e) {
                continue;
            }
            if (onClassPath != null && !Sha256.hex(onClassPath).equals(c.baselineSha256())) {
                throw new Refusal("class " + c.name() + " on this JVM's class path does not match the baseline of "
                        + adding.id() + ": expected bytes " + c.baselineSha256() + ", found " + Sha256.hex(onClassPath)
                        + ". This JVM runs a different build than the package was made for; nothing was changed");
            }
        }
    }

    /** After a new plan is live, patches copies that loaded between the scan and the plan switch. */
    private void catchUp() {
        try {
            converge(Collections.<String>emptySet(), null);
        } catch (Refusal e) {
            System.err.println("[hotpatch] catching up classes loaded during the operation failed: " + e.getMessage());
        }
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
    private byte[] bytesFor(String sha) {
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

    private static String ids(List<Installed> list) {
        List<String> ids = new ArrayList<>();
        for (Installed i : list) {
            ids.add(i.id());
        }
        return String.join(", ", ids);
    }

    /** The SHA-256 a class copy with this baseline should run under the current installed set. */
    private String desired(String internal, String baselineSha) {
        List<Installed> act = active();
        for (int i = act.size() - 1; i >= 0; i--) {
            ClassPatch c = act.get(i).patchFor(internal, baselineSha);
            if (c != null) {
                return c.sha256();
            }
        }
        return baselineSha;
    }

    /** Installed packages not superseded by another installed package, oldest first. */
    private List<Installed> active() {
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

    private Map<String, Map<String, byte[]>> plan() {
        Map<String, Map<String, byte[]>> plan = new HashMap<>();
        for (Installed i : active()) {
            for (ClassPatch c : i.classes.values()) {
                byte[] bytes = c.bytes();
                loaded.remember(bytes);
                plan.computeIfAbsent(c.name(), x -> new HashMap<>()).put(c.baselineSha256(), bytes);
            }
        }
        return Collections.unmodifiableMap(plan);
    }

    private Set<String> allPatchedNames() {
        Set<String> names = new HashSet<>();
        for (Installed i : installed) {
            names.addAll(i.classes.keySet());
        }
        return names;
    }

    private Set<String> classNames(Installed pkg, Set<String> alsoFrom) {
        Set<String> names = new HashSet<>(pkg.classes.keySet());
        for (Installed i : installed) {
            if (alsoFrom.contains(i.id())) {
                names.addAll(i.classes.keySet());
            }
        }
        return names;
    }

    private Map<String, Map<String, Integer>> copiesInUse() {
        Set<String> names = allPatchedNames();
        Map<String, Map<String, Integer>> out = new HashMap<>();
        try (CodeSources sources = new CodeSources()) {
            for (Class<?> k : inst.getAllLoadedClasses()) {
                String internal = k.getName().replace('.', '/');
                if (names.contains(internal)) {
                    try {
                        LoadedClasses.Tracked t = loaded.track(k, sources);
                        out.computeIfAbsent(internal, x -> new HashMap<>()).merge(t.currentSha, 1, Integer::sum);
                    } catch (IOException ignored) {
                        // Unreadable copies were never patched: nothing to count.
                    }
                }
            }
        }
        return out;
    }

    private static String describe(Map<String, ClassOutcome> outcome) {
        int copies = 0;
        for (ClassOutcome o : outcome.values()) {
            copies += o.copies;
        }
        return copies + " loaded class cop" + (copies == 1 ? "y" : "ies") + " redefined";
    }

    private TrustStore trust(Path trustDir) {
        if (trustDir != null) {
            try {
                return TrustStore.fromDirectory(trustDir);
            } catch (PackageException e) {
                throw new Refusal(e.getMessage(), e);
            }
        }
        TrustStore t = store == null ? null : store.trust(options.trust);
        if (t == null && options.trust != null) {
            t = TrustStore.fromDirectory(options.trust);
        }
        if (t == null) {
            throw new Refusal("no trust configured: pass --trust DIR, or start the agent with trust=DIR");
        }
        return t;
    }

    /** Copies the package into the agent's private folder so it cannot change between check and use. */
    private Path stage(Path file) {
        try {
            if (!Files.isRegularFile(file)) {
                throw new Refusal("package file " + file + " does not exist or is not readable by the target JVM");
            }
            if (Files.size(file) > HotpatchPackage.MAX_FILE_BYTES) {
                throw new Refusal("package file " + file + " is larger than " + HotpatchPackage.MAX_FILE_BYTES + " bytes");
            }
            Path dir = staging != null ? staging : Files.createTempDirectory("hotpatch-stage-");
            Path copy = Files.createTempFile(dir, "pkg-", ".hotpatch");
            Files.copy(file, copy, StandardCopyOption.REPLACE_EXISTING);
            return copy;
        } catch (IOException e) {
            throw new Refusal("cannot read package file " + file + " from the target JVM: " + e, e);
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            if (p != null) {
                Files.deleteIfExists(p);
            }
        } catch (IOException ignored) {
            // Staging copies live in an owner-only folder removed at exit.
        }
    }

    private void publishProperties() {
        System.setProperty("hotpatch.agent.version", version());
        System.setProperty("hotpatch.agent.mode", mode.label);
        System.setProperty("hotpatch.agent.machine", options.name);
        System.setProperty("hotpatch.agent.installed", ids(installed).replace(", ", ","));
    }

    static String version() {
        String v = Engine.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    private static Message reply(String status, String message) {
        return Message.of("status", status, "message", message);
    }

}
