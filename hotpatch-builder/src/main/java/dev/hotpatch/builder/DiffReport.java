package dev.hotpatch.builder;

import dev.hotpatch.builder.rewrite.Verdict;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The verdict on a baseline jar and a patched jar: which classes changed, every reason the
 * change cannot be applied to a running JVM, what {@code --include} left out, and warnings about
 * changes a hotpatch does not carry. Immutable.
 *
 * <p>{@link #classesCompared()} and {@link #elapsedNanos()} let benchmarks compute classes per second.
 *
 * @param changed         included classes present in both jars whose bytes differ, by name
 * @param refusals        every reason the fix cannot be hotpatched; empty when it can
 * @param excluded        internal names of changed, added or removed classes that no include pattern selected
 * @param warnings        changes that are allowed but not shipped or not fully effective (resources,
 *                        static initialisers, constant values, class-file versions)
 * @param classesCompared class entries examined, each path counted once across both jars
 * @param elapsedNanos    wall time the analysis took
 * @param verdicts        per changed class, what was done: one {@link Verdict.Kind#AS_IS} verdict for a class
 *                        redefined as is, else one per member that was kept, moved, shadowed, inlined or refused;
 *                        one {@link Verdict.Kind#ADDED} verdict per added class
 * @param added           classes the fix adds that ship with it (see {@link NewClasses}), by name
 */
public record DiffReport(List<ClassChange> changed, List<Refusal> refusals, List<String> excluded,
                         List<String> warnings, int classesCompared, long elapsedNanos, List<Verdict> verdicts,
                         List<AddedClass> added) {

    /** The closing line of {@link #render()} whenever something was refused. */
    public static final String BASELINE_ADVICE = "This fix cannot be hotpatched: ship it as a baseline (restart) instead.";

    public DiffReport {
        changed = List.copyOf(changed);
        refusals = List.copyOf(refusals);
        excluded = List.copyOf(excluded);
        warnings = List.copyOf(warnings);
        verdicts = verdicts == null ? List.of() : List.copyOf(verdicts);
        added = added == null ? List.of() : List.copyOf(added);
    }

    /** A report without added classes. */
    public DiffReport(List<ClassChange> changed, List<Refusal> refusals, List<String> excluded,
                      List<String> warnings, int classesCompared, long elapsedNanos, List<Verdict> verdicts) {
        this(changed, refusals, excluded, warnings, classesCompared, elapsedNanos, verdicts, List.of());
    }

    /** A report without rewriting verdicts (plain redefinition). */
    public DiffReport(List<ClassChange> changed, List<Refusal> refusals, List<String> excluded,
                      List<String> warnings, int classesCompared, long elapsedNanos) {
        this(changed, refusals, excluded, warnings, classesCompared, elapsedNanos, List.of(), List.of());
    }

    /** The verdicts about {@code className}, in report order. */
    public List<Verdict> verdictsFor(String className) {
        return verdicts.stream().filter(v -> v.className().equals(className)).toList();
    }

    /** Classes whose bytes the builder rewrote (a verdict other than "as is", none refused). */
    public List<String> rewrittenClasses() {
        Map<String, Boolean> rewritten = new LinkedHashMap<>();
        for (Verdict v : verdicts) {
            if (v.kind() != Verdict.Kind.AS_IS && v.kind() != Verdict.Kind.ADDED) {
                rewritten.merge(v.className(), !v.refused(), Boolean::logicalAnd);
            }
        }
        List<String> out = new ArrayList<>();
        rewritten.forEach((k, ok) -> {
            if (ok) {
                out.add(k);
            }
        });
        return out;
    }

    /** Whether at least one class changed and nothing was refused, so a package can be built. */
    public boolean hotpatchable() {
        return refusals.isEmpty() && !changed.isEmpty();
    }

    /** A multi-line report for people; when anything was refused it ends with {@link #BASELINE_ADVICE}. */
    public String render() {
        StringBuilder b = new StringBuilder();
        b.append("Compared ").append(classesCompared).append(classesCompared == 1 ? " class" : " classes")
                .append(" in ").append(elapsedNanos / 1_000_000).append(" ms: ")
                .append(changed.size()).append(" changed");
        if (!excluded.isEmpty()) {
            b.append(", ").append(excluded.size()).append(" excluded by --include");
        }
        b.append(".\n");
        if (!changed.isEmpty()) {
            b.append("Changed:\n");
            for (ClassChange c : changed) {
                b.append("  ").append(c.className()).append("  ").append(c.baselineSha256(), 0, 12)
                        .append(" → ").append(c.patchedSha256(), 0, 12);
                if (!c.changedMethods().isEmpty()) {
                    b.append("  (").append(String.join(", ", c.changedMethods())).append(')');
                }
                b.append('\n');
                List<Verdict> vs = verdictsFor(c.className());
                if (vs.size() == 1 && vs.get(0).kind() == Verdict.Kind.AS_IS) {
                    b.append("    ").append(Verdict.Kind.AS_IS.label()).append('\n');
                }
                for (Verdict v : vs) {
                    if (v.kind() != Verdict.Kind.AS_IS && !v.refused()) {
                        b.append("    ").append(v.member().isEmpty() ? "class" : v.member()).append(": ").append(v.kind().label())
                                .append(v.detail().isEmpty() ? "" : " — " + v.detail()).append('\n');
                    }
                }
            }
        }
        if (!added.isEmpty()) {
            b.append("Added:\n");
            for (AddedClass a : added) {
                b.append("  ").append(a.className()).append("  ").append(a.sha256(), 0, 12).append('\n');
                for (Verdict v : verdictsFor(a.className())) {
                    b.append("    ").append(v.kind().label()).append(v.detail().isEmpty() ? "" : " — " + v.detail()).append('\n');
                }
            }
        }
        if (!excluded.isEmpty()) {
            b.append("Changed but excluded by --include:\n");
            excluded.forEach(e -> b.append("  ").append(e).append('\n'));
        }
        if (!warnings.isEmpty()) {
            b.append("Warnings:\n");
            warnings.forEach(w -> b.append("  ").append(w).append('\n'));
        }
        if (!refusals.isEmpty()) {
            b.append("Refused:\n");
            refusals.forEach(r -> b.append("  ").append(r).append('\n'));
            b.append(BASELINE_ADVICE);
        } else if (changed.isEmpty()) {
            b.append(excluded.isEmpty() ? "No class changed: there is nothing to hotpatch."
                    : "No included class changed: there is nothing to hotpatch.");
        } else {
            int rewritten = rewrittenClasses().size();
            if (rewritten == 0) {
                b.append("Hotpatchable: ").append(changed.size()).append(changed.size() == 1 ? " class changes" : " classes change")
                        .append(" only method bodies and constants.");
            } else {
                b.append("Hotpatchable: ").append(changed.size() - rewritten).append(" redefined as is, ").append(rewritten)
                        .append(" rewritten so that a running JVM accepts them.");
            }
            if (!added.isEmpty()) {
                b.append(" ").append(added.size()).append(added.size() == 1 ? " class" : " classes")
                        .append(" added (defined into the running class loaders; they stay defined after an uninstall).");
            }
        }
        return b.toString();
    }

    @Override
    public String toString() {
        return "DiffReport[" + changed.size() + " changed, " + added.size() + " added, " + refusals.size() + " refused, " + excluded.size()
                + " excluded, " + warnings.size() + " warnings, " + classesCompared + " compared]";
    }
}
