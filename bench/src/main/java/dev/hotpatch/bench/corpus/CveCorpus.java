package dev.hotpatch.bench.corpus;

import dev.hotpatch.builder.DiffReport;
import dev.hotpatch.builder.PatchBuilder;
import dev.hotpatch.builder.Refusal;
import dev.hotpatch.builder.rewrite.RewritePolicy;
import dev.hotpatch.builder.rewrite.Verdict;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The builder against real security fixes: for each CVE, the last vulnerable and the first fixed
 * release of a library from Maven Central (copied by {@code bench/pom.xml} into
 * {@code bench/target/corpus} at {@code package}; never committed), diffed with rewriting on and with
 * plain redefinition. Prints, in Markdown for {@code docs/rewriting.md}: per release pair the changed
 * classes and what became of them (redefined as is, rewritten by kind, refused by reason), and per
 * CVE whether the fix ships as a hotpatch.
 *
 * <p>Usage: {@code java -cp bench/target/hotpatch-bench.jar dev.hotpatch.bench.corpus.CveCorpus [DIR] [--details]}
 */
public final class CveCorpus {
    private CveCorpus() {
    }

    /**
     * One fix. {@code scope}: the classes a publisher would ship (the fix's), as {@code --include}
     * globs, when the release also carries unrelated work; empty for the whole release.
     */
    record Cve(String id, String artifact, String vulnerable, String fixed, List<String> scope, String what) {
        Path jar(Path dir, String version) {
            return dir.resolve(artifact + "-" + version + ".jar");
        }
    }

    /** The corpus; bench/pom.xml copies exactly these jars. */
    static final List<Cve> CORPUS = List.of(
            new Cve("CVE-2020-36518", "jackson-databind", "2.13.2", "2.13.2.1", List.of(),
                    "deeply nested arrays overflow the stack of UntypedObjectDeserializer"),
            new Cve("CVE-2023-1370", "json-smart", "2.4.8", "2.4.9", List.of("net/minidev/json/parser/**"),
                    "deeply nested arrays overflow the parser's stack"),
            new Cve("CVE-2019-10086", "commons-beanutils", "1.9.3", "1.9.4", List.of(),
                    "the 'class' property is readable, reaching the class loader"),
            new Cve("CVE-2022-22965", "spring-beans", "5.3.17", "5.3.18", List.of(),
                    "Spring4Shell: data binding reaches class.module.classLoader"),
            new Cve("CVE-2020-13956", "httpclient", "4.5.12", "4.5.13", List.of(),
                    "a malformed authority makes URIUtils.extractHost pick the wrong host"),
            new Cve("CVE-2021-44832", "log4j-core", "2.17.0", "2.17.1",
                    List.of("org/apache/logging/log4j/core/net/JndiManager*",
                            "org/apache/logging/log4j/core/appender/db/jdbc/DataSourceConnectionSource"),
                    "JDBC appender configuration can reach JNDI with non-java: URIs"),
            new Cve("CVE-2022-42889", "commons-text", "1.9", "1.10.0", List.of("org/apache/commons/text/lookup/**"),
                    "Text4Shell: default interpolation includes script, dns and url lookups"),
            new Cve("CVE-2022-25857", "snakeyaml", "1.30", "1.31", List.of("org/yaml/snakeyaml/composer/**", "org/yaml/snakeyaml/LoaderOptions"),
                    "no limit on the nesting depth of collections"),
            new Cve("CVE-2023-24998", "commons-fileupload", "1.4", "1.5", List.of(),
                    "no limit on the number of parts in a multipart request"),
            new Cve("CVE-2015-7501", "commons-collections", "3.2.1", "3.2.2", List.of("org/apache/commons/collections/functors/**"),
                    "InvokerTransformer and friends deserialize into arbitrary method calls"),
            new Cve("CVE-2022-40152", "woodstox-core", "6.3.1", "6.4.0", List.of(),
                    "no limit on DTD nesting depth"),
            new Cve("CVE-2022-41966", "xstream", "1.4.19", "1.4.20", List.of(),
                    "recursive collections overflow the stack while hashing"),
            new Cve("CVE-2021-37714", "jsoup", "1.14.1", "1.14.2", List.of(),
                    "crafted HTML makes the tokeniser loop or throw unexpectedly"),
            new Cve("CVE-2024-1597", "postgresql", "42.7.1", "42.7.2", List.of("org/postgresql/core/v3/SimpleParameterList"),
                    "simple query mode: a negative number next to '-' starts a line comment (SQL injection)"));

    /**
     * What a publisher declares for some fixes ({@code hotpatch build --shadow-init}): the value objects
     * created before the patch read from an added field that the fixed constructors compute, here the
     * fixed release's default of the option it is computed from.
     */
    static final Map<String, Map<String, String>> SHADOW_INITS = Map.of(
            "CVE-2022-25857", Map.of("org/yaml/snakeyaml/composer/Composer.nestingDepthLimit", "50"),
            "CVE-2022-40152", Map.of("com/ctc/wstx/api/ReaderConfig.mMaxDtdDepth", "500"));

    /** The library's dependencies a publisher passes with {@code hotpatch build --classpath}, as jars of the corpus folder. */
    static final Map<String, List<String>> CLASSPATH = Map.of("CVE-2022-40152", List.of("stax2-api-4.2.1.jar"));

    /** Rewriting with the publisher's declarations and dependencies for {@code c}. */
    static RewritePolicy policy(Cve c, Path dir) {
        List<Path> cp = CLASSPATH.getOrDefault(c.id(), List.of()).stream().map(dir::resolve).toList();
        return new RewritePolicy(true, Set.of(), SHADOW_INITS.getOrDefault(c.id(), Map.of()), cp);
    }

    /** How a verdict for a removed method that code outside its class can reach begins (the rest says what a call does). */
    private static final String REMOVED_CALLABLE = "removed by the fix; stays callable from outside the class with a body that does "
            + "what a call does in the fixed release: ";

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 0 && !args[0].startsWith("--") ? args[0] : "bench/target/corpus");
        boolean details = List.of(args).contains("--details");
        for (Cve c : CORPUS) {
            for (String v : List.of(c.vulnerable(), c.fixed())) {
                if (!Files.isRegularFile(c.jar(dir, v))) {
                    System.err.println("missing " + c.jar(dir, v) + ": run 'mvn -pl bench -am package -DskipTests' first, which copies the "
                            + "corpus from Maven Central");
                    System.exit(2);
                }
            }
        }
        for (String jar : CLASSPATH.values().stream().flatMap(List::stream).toList()) {
            if (!Files.isRegularFile(dir.resolve(jar))) {
                System.err.println("missing " + dir.resolve(jar) + ": run 'mvn -pl bench -am package -DskipTests' first, which copies the "
                        + "corpus from Maven Central");
                System.exit(2);
            }
        }
        StringBuilder pairs = new StringBuilder("| CVE | release pair | changed classes | as is | rewritten | added | refused | left out |"
                + " plain redefinition refuses | rewritten members (kept/moved/shadowed/inlined) |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---|\n");
        StringBuilder ships = new StringBuilder("| CVE | what | shipped classes | ships as a hotpatch | why not |\n|---|---|---|---|---|\n");
        Map<String, Integer> reasons = new TreeMap<>();
        Map<String, Integer> removedCallable = new TreeMap<>();
        int[] total = new int[6];
        int shipped = 0;
        for (Cve c : CORPUS) {
            Path old = c.jar(dir, c.vulnerable());
            Path neu = c.jar(dir, c.fixed());
            Tally whole = Tally.of(PatchBuilder.analyse(old, neu, List.of(), policy(c, dir)));
            Tally plain = Tally.of(PatchBuilder.analyse(old, neu, List.of(), RewritePolicy.NONE));
            whole.reasons.forEach((k, n) -> reasons.merge(k, n, Integer::sum));
            total[0] += whole.classes;
            total[1] += whole.asIs;
            total[2] += whole.rewritten;
            total[3] += whole.refused.size();
            total[4] += whole.added;
            total[5] += whole.leftOut;
            pairs.append("| ").append(c.id()).append(" | ").append(c.artifact()).append(' ').append(c.vulnerable()).append(" → ")
                    .append(c.fixed()).append(" | ").append(whole.classes).append(" | ").append(whole.asIs).append(" | ").append(whole.rewritten)
                    .append(" | ").append(whole.added).append(" | ").append(whole.refused.size()).append(" | ").append(whole.leftOut)
                    .append(" | ").append(plain.refused.size()).append(" | ")
                    .append(whole.kinds.getOrDefault(Verdict.Kind.KEPT, 0)).append('/').append(whole.kinds.getOrDefault(Verdict.Kind.MOVED, 0))
                    .append('/').append(whole.kinds.getOrDefault(Verdict.Kind.SHADOWED, 0)).append('/')
                    .append(whole.kinds.getOrDefault(Verdict.Kind.INLINED, 0)).append(" |\n");
            Tally fix = c.scope().isEmpty() ? whole : Tally.of(PatchBuilder.analyse(old, neu, c.scope(), policy(c, dir)));
            boolean ok = fix.refused.isEmpty() && fix.classes > 0;
            shipped += ok ? 1 : 0;
            ships.append("| ").append(c.id()).append(" | ").append(c.what()).append(" | ")
                    .append(c.scope().isEmpty() ? "the whole release (" + fix.classes + ")" : String.join(", ", c.scope()) + " (" + fix.classes + ")")
                    .append(" | ").append(ok ? "**yes**" + shipsHow(fix) : "no")
                    .append(" | ").append(ok ? "" : String.join("; ", new TreeSet<>(fix.reasons.keySet()))).append(" |\n");
            if (details) {
                System.out.println("## " + c.id());
                fix.report.refusals().forEach(r -> System.out.println("  " + r));
                // Methods the release pair removed that code outside the class can still reach (issue 8 item 1): what a call
                // does after the patch.
                for (Verdict v : whole.report.verdicts()) {
                    if (v.kind() == Verdict.Kind.KEPT && v.detail().startsWith(REMOVED_CALLABLE)) {
                        String does = v.detail().substring(REMOVED_CALLABLE.length());
                        removedCallable.merge(does, 1, Integer::sum);
                        System.out.println("  removed, callable from outside: " + v.className() + " " + v.member() + " — " + does);
                    } else if (v.kind() == Verdict.Kind.KEPT && v.detail().startsWith("removed by the fix; stays with its baseline code")) {
                        removedCallable.merge("(private or synthetic: keeps its baseline code, reachable only from the class itself)", 1,
                                Integer::sum);
                    }
                }
            }
        }
        System.out.println("### Changed classes per release pair\n");
        System.out.print(pairs);
        System.out.printf("%nAll pairs: %d changed or added classes, %d redefined as is, %d rewritten, %d added, %d refused: %.1f %% can be"
                + " hotpatched; %d new classes left out (package-info, or unused in a package the fix does not change).%n%n",
                total[0], total[1], total[2], total[4], total[3], 100.0 * (total[1] + total[2] + total[4]) / Math.max(1, total[0]), total[5]);
        System.out.println("### Refused classes by reason (whole release pairs)\n");
        System.out.println("| reason | classes |\n|---|---:|");
        reasons.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                .forEach(e -> System.out.println("| " + e.getKey() + " | " + e.getValue() + " |"));
        System.out.println("\n### Per CVE\n");
        System.out.print(ships);
        System.out.printf("%n%d of %d CVEs ship as a hotpatch.%n", shipped, CORPUS.size());
        if (details) {
            System.out.println("\nRemoved methods (whole release pairs), by what a call does after the patch:");
            removedCallable.forEach((does, n) -> System.out.println("  " + n + "  " + does));
        }
    }

    /** How a shipping fix ships: how many classes were rewritten and added, or "as is". */
    private static String shipsHow(Tally t) {
        List<String> parts = new ArrayList<>();
        if (t.rewritten > 0) {
            parts.add(t.rewritten + " rewritten");
        }
        if (t.added > 0) {
            parts.add(t.added + " added");
        }
        return parts.isEmpty() ? " (as is)" : " (" + String.join(", ", parts) + ")";
    }

    /** What became of the classes of one diff. */
    static final class Tally {
        DiffReport report;
        int classes;
        int asIs;
        int rewritten;
        int added;
        int leftOut;
        final Set<String> refused = new TreeSet<>();
        final Map<Verdict.Kind, Integer> kinds = new LinkedHashMap<>();
        final Map<String, Integer> reasons = new TreeMap<>();

        static Tally of(DiffReport r) {
            Tally t = new Tally();
            t.report = r;
            Set<String> all = new TreeSet<>();
            r.changed().forEach(c -> all.add(c.className()));
            Set<String> addedNames = new TreeSet<>();
            r.added().forEach(a -> addedNames.add(a.className()));
            all.addAll(addedNames);
            t.leftOut = (int) r.warnings().stream().filter(w -> w.startsWith("new ") && w.contains(" left out")).count();
            Map<String, String> reasonOf = new LinkedHashMap<>();
            for (Refusal f : r.refusals()) {
                all.add(f.className());
                t.refused.add(f.className());
                reasonOf.putIfAbsent(f.className(), reason(f.rule()));
            }
            reasonOf.values().forEach(k -> t.reasons.merge(k, 1, Integer::sum));
            Set<String> rewritten = new TreeSet<>(r.rewrittenClasses());
            for (String c : all) {
                if (t.refused.contains(c)) {
                    continue;
                }
                if (addedNames.contains(c)) {
                    t.added++;
                    continue;
                }
                if (rewritten.contains(c)) {
                    t.rewritten++;
                    for (Verdict v : r.verdictsFor(c)) {
                        if (!v.member().isEmpty()) {
                            t.kinds.merge(v.kind(), 1, Integer::sum);
                        }
                    }
                } else {
                    t.asIs++;
                }
            }
            t.classes = all.size();
            return t;
        }

        /** The rule of a refusal as a category, without the class-specific parts. */
        static String reason(String rule) {
            List<String[]> categories = new ArrayList<>(List.of(
                    new String[] {"where this hotpatch replaces no class", "adds a class to a package the fix does not change, and uses it"},
                    new String[] {"extends or implements", "adds a class that extends a class the fix replaces"},
                    new String[] {"new class", "adds a class"},
                    new String[] {"removed class", "removes a class"},
                    new String[] {"adds a constructor", "adds a constructor"},
                    new String[] {"serialization finds", "adds a serialization hook (readObject, writeObject, readResolve)"},
                    new String[] {"computed value", "adds a field set to a computed value (needs --shadow-init or --accept-shadow)"},
                    new String[] {"supertype outside the jar", "adds a method that may override one of a supertype outside the jar (needs --classpath)"},
                    new String[] {"override", "adds a method that overrides another"},
                    new String[] {"through subclass", "an added member is reached through a subclass"},
                    new String[] {"default method", "adds a default method to an interface"},
                    new String[] {"abstract or native", "adds an abstract method"},
                    new String[] {"no longer final", "a field is no longer final and is assigned"},
                    new String[] {"stack map frames", "compiled before Java 6 (no stack map frames)"},
                    new String[] {"transient", "changes transient"},
                    new String[] {"volatile", "a field becomes volatile"}));
            for (String[] c : categories) {
                if (rule.contains(c[0])) {
                    return c[1];
                }
            }
            int dash = rule.indexOf(" — ");
            return dash > 0 ? rule.substring(dash + 3) : rule;
        }
    }
}
