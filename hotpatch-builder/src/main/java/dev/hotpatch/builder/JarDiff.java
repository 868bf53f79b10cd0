package dev.hotpatch.builder;

import dev.hotpatch.builder.rewrite.ClassSource;
import dev.hotpatch.builder.rewrite.RewritePolicy;
import dev.hotpatch.builder.rewrite.Rewriting;
import dev.hotpatch.builder.rewrite.Verdict;
import dev.hotpatch.format.Sha256;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.tree.ClassNode;

/**
 * The comparison of a baseline jar with a patched jar, entry by entry.
 *
 * <p>Entries are paired by path. A class entry whose bytes are identical is unchanged and is not
 * parsed at all, which keeps large jars fast; a changed one is parsed on both sides and put to
 * {@link RedefinitionCheck}. A class only in the patched jar is new: it ships as an added class,
 * is left out or is refused as {@link NewClasses} decides. One only in the baseline is removed and
 * refused, since a hotpatch cannot unload a class. {@code module-info.class} is ignored; a changed {@code META-INF/versions/N/} class is
 * refused, because packages are built from a jar's base classes only. Changed resources become
 * warnings: a hotpatch carries classes only. Classes the check refuses go, all together once every
 * entry was compared, to the rewriting stage ({@link Rewriting}) unless the policy turns it off;
 * each rewritten class is checked again, so what ships is what HotSpot accepts. Stateless.
 */
final class JarDiff {
    private static final Pattern VERSIONED = Pattern.compile("META-INF/versions/(\\d+)/(.+)");
    private static final int LISTED_IN_ERRORS = 20;
    static final String ADDED_DETAIL = "a new class: the agent defines it into the class loader of the replaced classes of its"
            + " package before their new code runs; it stays defined after an uninstall, unreferenced";

    /** A report together with the patched bytes of every included changed class, keyed by class name. */
    record Analysis(DiffReport report, Map<String, byte[]> patchedBytes) {
    }

    private JarDiff() {
    }

    static Analysis analyse(Path baselineJar, Path patchedJar, List<String> includes, JarSource.Limits limits) {
        return analyse(baselineJar, patchedJar, includes, limits, RewritePolicy.DEFAULT);
    }

    static Analysis analyse(Path baselineJar, Path patchedJar, List<String> includes, JarSource.Limits limits, RewritePolicy policy) {
        long start = System.nanoTime();
        IncludeFilter filter = IncludeFilter.of(includes);
        RewritePolicy p = policy == null ? RewritePolicy.DEFAULT : policy;
        List<JarSource> classpath = new ArrayList<>();
        try (JarSource old = JarSource.open(baselineJar, "baseline jar", limits);
             JarSource neu = JarSource.open(patchedJar, "patched jar", limits)) {
            for (Path jar : p.classpath()) {
                classpath.add(JarSource.open(jar, "--classpath jar", limits));
            }
            return new Run(old, neu, filter, p, classpath).compare(start);
        } finally {
            classpath.forEach(JarSource::close);
        }
    }

    /** The mutable state of one comparison. */
    private static final class Run {
        private final JarSource old;
        private final JarSource neu;
        private final IncludeFilter filter;
        private final List<ClassChange> changed = new ArrayList<>();
        private final List<Refusal> refusals = new ArrayList<>();
        private final Set<String> excluded = new LinkedHashSet<>();
        private final List<String> warnings = new ArrayList<>();
        private final Set<String> changedNames = new TreeSet<>();
        private final Map<String, byte[]> patchedBytes = new HashMap<>();
        private final Map<String, String> entryOfClass = new HashMap<>();
        private final RewritePolicy policy;
        private final List<JarSource> classpath;
        private final List<Rewriting.Change> refusedChanges = new ArrayList<>();
        private final List<Rewriting.Change> acceptedChanges = new ArrayList<>();
        private final Map<String, List<Refusal>> plainRefusals = new HashMap<>();
        private final List<Verdict> verdicts = new ArrayList<>();
        /** New classes the include patterns select, by name; then those that ship. */
        private final Map<String, byte[]> newClasses = new TreeMap<>();
        /** New classes the include patterns leave out, by name: shipped code must not use them. */
        private final Map<String, byte[]> newClassesLeftOut = new TreeMap<>();
        private Map<String, byte[]> addedBytes = new TreeMap<>();
        private int compared;

        Run(JarSource old, JarSource neu, IncludeFilter filter, RewritePolicy policy, List<JarSource> classpath) {
            this.old = old;
            this.neu = neu;
            this.filter = filter;
            this.policy = policy;
            this.classpath = classpath;
        }

        Analysis compare(long start) {
            TreeSet<String> paths = new TreeSet<>(old.names());
            paths.addAll(neu.names());
            for (String path : paths) {
                if (path.equals("module-info.class") || path.endsWith("/module-info.class")) {
                    continue;
                }
                Matcher versioned = VERSIONED.matcher(path);
                if (path.endsWith(".class") && versioned.matches()) {
                    compared++;
                    versionedClass(path, versioned.group(1), versioned.group(2));
                } else if (path.endsWith(".class")) {
                    compared++;
                    baseClass(path);
                } else {
                    resource(path);
                }
            }
            if (!filter.includesAll()) {
                List<String> unmatched = filter.unmatched(changedNames);
                if (!unmatched.isEmpty()) {
                    throw new BuilderException(noMatchMessage(unmatched));
                }
            }
            decideNewClasses();
            rewrite();
            changed.sort((a, b) -> a.className().compareTo(b.className()));
            verdicts.sort((a, b) -> a.className().compareTo(b.className()));
            List<AddedClass> added = new ArrayList<>();
            addedBytes.forEach((name, bytes) -> {
                added.add(new AddedClass(name, Sha256.hex(bytes)));
                patchedBytes.put(name, bytes);
            });
            DiffReport report = new DiffReport(changed, refusals, new ArrayList<>(excluded), warnings, compared,
                    System.nanoTime() - start, verdicts, added);
            return new Analysis(report, patchedBytes);
        }

        /** Which new classes ship as added classes ({@link NewClasses}); those that do join the rewriting stage's scan. */
        private void decideNewClasses() {
            if (newClasses.isEmpty() && newClassesLeftOut.isEmpty()) {
                return;
            }
            Map<String, byte[]> replaced = new HashMap<>();
            for (ClassChange c : changed) {
                replaced.put(c.className(), patchedBytes.get(c.className()));
            }
            NewClasses.Decision d = NewClasses.decide(newClasses, replaced, n -> neu.contains(n + ".class") ? neu.readClass(n + ".class") : null);
            List<Refusal> refused = new ArrayList<>(d.refusals());
            if (!newClassesLeftOut.isEmpty()) {
                Set<String> used = new HashSet<>();
                replaced.values().forEach(b -> used.addAll(NewClasses.references(b)));
                d.shipped().values().forEach(b -> used.addAll(NewClasses.references(b)));
                newClassesLeftOut.keySet().stream().filter(used::contains).forEach(n -> refused.add(new Refusal(n, "",
                        "new class that the shipped code uses, but --include leaves it out — add --include " + n)));
            }
            warnings.addAll(d.notes());
            refusals.addAll(refused);
            for (Refusal r : refused) {
                verdicts.add(new Verdict(r.className(), "", Verdict.Kind.REFUSED, r.rule()));
            }
            addedBytes = new TreeMap<>(d.shipped());
            addedBytes.forEach((name, bytes) -> {
                verdicts.add(new Verdict(name, "", Verdict.Kind.ADDED, ADDED_DETAIL));
                // Added classes may use members the fix added to changed classes: the rewriting stage adjusts them too.
                acceptedChanges.add(new Rewriting.Change(name, bytes, bytes));
            });
        }

        private void baseClass(String path) {
            boolean inOld = old.contains(path);
            boolean inNew = neu.contains(path);
            if (inOld && inNew) {
                byte[] before = old.readClass(path);
                byte[] after = neu.readClass(path);
                if (!Arrays.equals(before, after)) {
                    changedClass(path, before, after);
                }
            } else if (inNew) {
                byte[] bytes = neu.readClass(path);
                String name = classNameOf(bytes, path);
                if (!select(name)) {
                    newClassesLeftOut.put(name, bytes);
                } else {
                    if (!path.equals(name + ".class")) {
                        refusals.add(new Refusal(name, "", "new class" + generatedHint(name) + " in entry " + JarSource.printable(path)
                                + ", which does not match its name — ship the fix as a baseline (restart)"));
                    } else {
                        newClasses.put(name, bytes);
                    }
                }
            } else {
                String name = classNameOf(old.readClass(path), path);
                if (select(name)) {
                    refusals.add(new Refusal(name, "", "removed class — a hotpatch cannot unload a class from running class "
                            + "loaders, so its old code would stay live; keep the class (empty its methods if need be) or ship "
                            + "the removal as a baseline (restart)"));
                }
            }
        }

        private void changedClass(String path, byte[] before, byte[] after) {
            ClassNode oldNode;
            ClassNode newNode;
            String name = classNameOf(before, path);
            try {
                oldNode = RedefinitionCheck.parse(before);
            } catch (RuntimeException e) {
                if (select(name)) {
                    refusals.add(new Refusal(name, "", "baseline entry " + JarSource.printable(path)
                            + " is not a class file this builder can read (" + e + ") — pass the baseline jar the running JVMs use"));
                }
                return;
            }
            if (!select(name)) {
                return;
            }
            try {
                newNode = RedefinitionCheck.parse(after);
            } catch (RuntimeException e) {
                refusals.add(new Refusal(name, "", "patched entry " + JarSource.printable(path)
                        + " is not a class file this builder can read (" + e + ") — rebuild the patched jar"));
                return;
            }
            String other = entryOfClass.putIfAbsent(name, path);
            if (other != null) {
                refusals.add(new Refusal(name, "", "changes in two entries, " + JarSource.printable(other) + " and "
                        + JarSource.printable(path) + " — a package carries one replacement per class name; "
                        + "build the hotpatch from a jar that holds the class once"));
                return;
            }
            RedefinitionCheck.Verdict verdict = RedefinitionCheck.compare(name, oldNode, newNode);
            warnings.addAll(verdict.warnings());
            changed.add(new ClassChange(name, Sha256.hex(before), Sha256.hex(after), verdict.changedMethods()));
            patchedBytes.put(name, after);
            if (verdict.refusals().isEmpty()) {
                acceptedChanges.add(new Rewriting.Change(name, before, after));
                verdicts.add(new Verdict(name, "", Verdict.Kind.AS_IS, ""));
            } else if (policy.enabled()) {
                refusedChanges.add(new Rewriting.Change(name, before, after));
                plainRefusals.put(name, verdict.refusals());
            } else {
                refusals.addAll(verdict.refusals());
                for (Refusal r : verdict.refusals()) {
                    verdicts.add(new Verdict(name, r.member(), Verdict.Kind.REFUSED, r.rule()));
                }
            }
            warnAboutVersionedVariants(path, name);
        }

        /** A {@code --shadow-init} that names no added instance field of a rewritten class is a usage error (a typo, or the wrong class). */
        private void unusedShadowInits(Set<String> used) {
            for (String f : policy.shadowInits().keySet()) {
                if (!used.contains(f)) {
                    throw new IllegalArgumentException("--shadow-init " + f + "=" + policy.shadowInits().get(f) + " names no instance field that "
                            + "the fix adds to a class this hotpatch rewrites; "
                            + "check the class (internal name, e.g. acme/Fees) and field name, and that --include selects the class");
                }
            }
        }

        /** Runs the rewriting stage on the classes plain redefinition refused, and checks what it wrote. */
        private void rewrite() {
            if (refusedChanges.isEmpty()) {
                unusedShadowInits(Set.of());
                return;
            }
            Rewriting.Result result = Rewriting.rewrite(refusedChanges, acceptedChanges, new PatchedClasses(neu, classpath), policy);
            unusedShadowInits(result.shadowInitsUsed());
            Map<String, byte[]> baselineBytes = new HashMap<>();
            refusedChanges.forEach(c -> baselineBytes.put(c.name(), c.baseline()));
            acceptedChanges.forEach(c -> baselineBytes.put(c.name(), c.baseline()));
            for (Rewriting.Outcome o : result.rewritten()) {
                warnings.addAll(o.warnings());
                if (o.refused()) {
                    if (addedBytes.remove(o.name()) != null) {
                        verdicts.removeIf(v -> v.className().equals(o.name()));
                    }
                    verdicts.addAll(o.verdicts());
                    for (Verdict v : o.verdicts()) {
                        if (v.refused()) {
                            // the rule names the member, as the redefinition rules do, so the printed line says which one
                            refusals.add(new Refusal(o.name(), v.member(), v.member().isEmpty() ? v.detail() : v.member() + ": " + v.detail()));
                        }
                    }
                    continue;
                }
                List<Refusal> left = RedefinitionCheck.compare(o.name(), RedefinitionCheck.parse(baselineBytes.get(o.name())),
                        RedefinitionCheck.parse(o.bytes())).refusals();
                if (!left.isEmpty()) {
                    for (Refusal r : left) {
                        refusals.add(new Refusal(o.name(), r.member(), "rewriting left a change HotSpot refuses (" + r.rule()
                                + "); please report this builder bug — the plain verdict was: " + plainRefusals.get(o.name())));
                    }
                    continue;
                }
                verdicts.addAll(o.verdicts());
                replaceBytes(o.name(), o.bytes());
            }
            result.adjusted().forEach((name, bytes) -> {
                if (addedBytes.containsKey(name)) {
                    addedBytes.put(name, bytes);
                    verdicts.removeIf(v -> v.className().equals(name));
                    verdicts.add(new Verdict(name, "", Verdict.Kind.ADDED, ADDED_DETAIL
                            + "; it uses members the fix added to other classes through their helpers"));
                    return;
                }
                replaceBytes(name, bytes);
                verdicts.removeIf(v -> v.className().equals(name) && v.kind() == Verdict.Kind.AS_IS);
                verdicts.add(new Verdict(name, "", Verdict.Kind.MOVED,
                        "uses members the fix added to other classes through their helpers, or their accessors by baseline names"));
            });
        }

        private void replaceBytes(String name, byte[] bytes) {
            patchedBytes.put(name, bytes);
            for (int i = 0; i < changed.size(); i++) {
                ClassChange c = changed.get(i);
                if (c.className().equals(name)) {
                    changed.set(i, new ClassChange(name, c.baselineSha256(), Sha256.hex(bytes), c.changedMethods()));
                }
            }
        }

        private void versionedClass(String path, String version, String basePath) {
            boolean inOld = old.contains(path);
            boolean inNew = neu.contains(path);
            if (inOld && inNew && Arrays.equals(old.readClass(path), neu.readClass(path))) {
                return;
            }
            String name = basePath.substring(0, basePath.length() - ".class".length());
            if (!select(name)) {
                return;
            }
            String what = inOld && inNew ? "changes" : inNew ? "adds" : "removes";
            refusals.add(new Refusal(name, "", what + " its Java " + version + " variant " + JarSource.printable(path)
                    + " — this version builds hotpatches from a jar's base classes only; ship it as a baseline (restart)"));
        }

        private void resource(String path) {
            boolean inOld = old.contains(path);
            boolean inNew = neu.contains(path);
            if (inOld && inNew) {
                if (!old.sameContent(path, neu)) {
                    warnings.add("resource " + JarSource.printable(path) + " changed — not shipped: a hotpatch replaces classes only");
                }
            } else {
                warnings.add("resource " + JarSource.printable(path) + (inNew ? " added" : " removed")
                        + " — not shipped: a hotpatch replaces classes only");
            }
        }

        private void warnAboutVersionedVariants(String path, String name) {
            for (String candidate : neu.names().subSet("META-INF/versions/", "META-INF/versions/\uffff")) {
                Matcher m = VERSIONED.matcher(candidate);
                if (m.matches() && m.group(2).equals(path)) {
                    warnings.add(name + ": the patched jar also has a Java " + m.group(1) + " variant (" + candidate
                            + ") — JVMs on Java " + m.group(1) + "+ run that variant when the jar is multi-release, so this "
                            + "hotpatch will not apply there");
                }
            }
        }

        /** Records {@code name} as a change and says whether the include patterns select it. */
        private boolean select(String name) {
            changedNames.add(name);
            if (filter.includes(name)) {
                return true;
            }
            excluded.add(name);
            return false;
        }

        private String noMatchMessage(List<String> unmatched) {
            StringBuilder b = new StringBuilder();
            b.append(unmatched.size() == 1 ? "--include pattern " : "--include patterns ");
            b.append(String.join(", ", unmatched.stream().map(u -> "'" + u + "'").toList()));
            b.append(unmatched.size() == 1 ? " matches" : " match").append(" no changed class; ");
            if (changedNames.isEmpty()) {
                b.append("no class differs between ").append(old.path()).append(" and ").append(neu.path())
                        .append(": check that --patched points at the fixed build");
            } else {
                List<String> names = new ArrayList<>(changedNames);
                b.append("the changed classes are ").append(String.join(", ", names.subList(0, Math.min(LISTED_IN_ERRORS, names.size()))));
                if (names.size() > LISTED_IN_ERRORS) {
                    b.append(" and ").append(names.size() - LISTED_IN_ERRORS).append(" more");
                }
                b.append(". Write class names as acme/Fees or acme.Fees; * stays within a package, ** crosses packages");
            }
            return b.toString();
        }
    }

    /** The patched jar's classes, and those of its {@code --classpath} dependencies, for the rewriting stage. */
    private static final class PatchedClasses implements ClassSource {
        private final JarSource jar;
        private final List<JarSource> classpath;

        PatchedClasses(JarSource jar, List<JarSource> classpath) {
            this.jar = jar;
            this.classpath = classpath;
        }

        @Override
        public byte[] dependency(String internalName) {
            String path = internalName + ".class";
            for (JarSource d : classpath) {
                if (d.contains(path)) {
                    return d.readClass(path);
                }
            }
            return null;
        }

        @Override
        public byte[] patched(String internalName) {
            String path = internalName + ".class";
            return jar.contains(path) ? jar.readClass(path) : null;
        }

        @Override
        public Collection<String> patchedNames() {
            List<String> out = new ArrayList<>();
            for (String n : jar.names()) {
                if (n.endsWith(".class") && !n.startsWith("META-INF/") && !n.endsWith("module-info.class")) {
                    out.add(n.substring(0, n.length() - ".class".length()));
                }
            }
            return out;
        }
    }

    /** The class name a class file declares, or the entry path without {@code .class} if the bytes cannot say. */
    private static String classNameOf(byte[] bytes, String path) {
        try {
            return new ClassReader(bytes).getClassName();
        } catch (RuntimeException e) {
            return path.substring(0, path.length() - ".class".length());
        }
    }

    /** A note for class names javac makes up for anonymous classes and switch maps ({@code Fees$1}). */
    private static String generatedHint(String name) {
        int dollar = name.lastIndexOf('$');
        if (dollar > 0 && dollar < name.length() - 1 && name.substring(dollar + 1).chars().allMatch(Character::isDigit)) {
            return " (an anonymous class or switch map the compiler generated)";
        }
        return "";
    }
}
