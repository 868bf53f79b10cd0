package dev.hotpatch.builder;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpatch.builder.rewrite.RewritePolicy;
import dev.hotpatch.builder.rewrite.Verdict;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each rewrite kind, proven by difference: a library at v1 and v2 and a scenario compiled against
 * v1; the scenario's output on v2 started fresh must equal its output on v1 patched live with the
 * builder's rewritten classes (objects created before the patch included), on this JDK and on
 * Java 25. Raw {@code redefineClasses} in a probe JVM; the agent's own path is covered by the
 * CLI's {@code RewriteHarnessTest}.
 */
class RewriteDifferentialTest {
    @TempDir
    static Path dir;
    static Map<String, RewriteProbe.Outcome> on17;
    static Map<String, RewriteProbe.Outcome> on25;

    static final String PARSER_V1 = """
            package lib;
            public class Parser {
                private final String name;
                public Parser(String name) { this.name = name; }
                public String parse(String s) { return name + ":" + s.length(); }
                private String unused() { return "old"; }
            }
            """;
    static final String PARSER_V2 = """
            package lib;
            import java.util.function.Function;
            public class Parser {
                private static final int MAX_DEPTH = 3;
                private static final java.util.Set<String> BLOCKED = new java.util.HashSet<>(java.util.Arrays.asList("evil", "bad"));
                private static int parsed;
                private final String name;
                private int depth;
                private int limit = 2;
                private final java.util.List<String> seen = new java.util.ArrayList<>();
                public Parser(String name) { this.name = name; }
                public String parse(String s) {
                    parsed++;
                    if (blocked(s)) { return name + ":blocked"; }
                    enter();
                    try {
                        seen.add(s);
                        Function<String, String> f = x -> name + ":" + x.length() + "/" + depth + "/" + limit;
                        return check(s) ? f.apply(s) : name + ":too deep";
                    } finally {
                        depth--;
                    }
                }
                private void enter() { depth++; }
                private boolean check(String s) { return depth <= MAX_DEPTH && s.length() < 100; }
                private static boolean blocked(String s) { return BLOCKED.contains(s); }
                public static int parsed() { return parsed; }
                public int seen() { return seen.size(); }
            }
            """;
    static final String PARSER_SCENARIO = """
            import lib.Parser;
            public class Scenario {
                static Parser before;
                public static String run(int phase) {
                    if (phase == 0) { before = new Parser("old"); return before.parse("x"); }
                    Parser after = new Parser("new");
                    return before.parse("abc") + " " + before.parse("evil") + " " + after.parse("abcd") + " " + after.parse("bad");
                }
            }
            """;

    static final String SHAPES_V1 = """
            package lib;
            public class Base { public String who() { return "base"; } public String greet() { return "hello"; } }
            """;
    static final String ACCOUNT_V1 = """
            package lib;
            public class Account extends Base {
                private long balance = 10;
                public long balance() { return balance; }
                public void add(long x) { balance += x; }
                public String greet() { return "account"; }
                String secret() { return "secret"; }
                private String helper() { return "h1"; }
                public String who() { return helper(); }
            }
            """;
    static final String ACCOUNT_V2 = """
            package lib;
            public class Account extends Base {
                private long balance = 10;
                public long balance() { return balance; }
                public synchronized void add(long x) { if (x < 0) { throw new IllegalArgumentException("negative"); } balance += x; }
                public String who() { return "w2"; }
            }
            """;
    static final String ACCOUNT_SCENARIO = """
            import lib.Account;
            public class Scenario {
                static Account a;
                public static String run(int phase) {
                    if (phase == 0) { a = new Account(); a.add(5); return "" + a.balance(); }
                    String neg;
                    try { a.add(-1); neg = "accepted"; } catch (IllegalArgumentException e) { neg = "refused"; }
                    String secret;
                    try { secret = String.valueOf(Account.class.getDeclaredMethod("greet").invoke(a)); } catch (Exception e) { secret = "no greet"; }
                    return a.balance() + " " + neg + " " + a.greet() + " " + a.who() + " " + new Account().greet();
                }
            }
            """;

    static final String LAMBDAS_V1 = """
            package lib;
            import java.util.function.Supplier;
            public class Lambdas {
                public Supplier<String> first() { return () -> "first"; }
                public Supplier<String> second() { return () -> "second"; }
            }
            """;
    static final String LAMBDAS_V2 = """
            package lib;
            import java.util.function.Supplier;
            public class Lambdas {
                public Supplier<String> first() { Supplier<String> extra = () -> "extra"; return () -> "first!" + extra.get().length(); }
                public Supplier<String> second() { return () -> "second!"; }
            }
            """;
    static final String LAMBDAS_SCENARIO = """
            import lib.Lambdas;
            import java.util.function.Supplier;
            public class Scenario {
                static Supplier<String> a, b;
                public static String run(int phase) {
                    Lambdas l = new Lambdas();
                    if (phase == 0) { a = l.first(); b = l.second(); return a.get() + b.get(); }
                    return a.get() + " " + b.get() + " " + l.first().get() + " " + l.second().get();
                }
            }
            """;

    static final String RENAMED_V1 = """
            package lib;
            public class Cookie {
                private final String[] datepatterns;
                public Cookie(String... p) { this.datepatterns = p; }
                public int count() { return datepatterns.length; }
            }
            """;
    static final String RENAMED_V2 = """
            package lib;
            public class Cookie {
                private final String[] datePatterns;
                public Cookie(String... p) { this.datePatterns = p.clone(); }
                public int count() { return datePatterns.length + 100; }
            }
            """;
    static final String RENAMED_SCENARIO = """
            import lib.Cookie;
            public class Scenario {
                static Cookie c;
                public static String run(int phase) {
                    if (phase == 0) { c = new Cookie("a", "b"); return "" + c.count(); }
                    return c.count() + " " + new Cookie("z").count();
                }
            }
            """;

    static final String COUNTER_V1 = """
            package lib;
            public class Counter {
                private final String label;
                public Counter(String label) { this.label = label; }
                public String next() { return label; }
            }
            """;
    static final String COUNTER_V2 = """
            package lib;
            public class Counter {
                private final String label;
                private final int start;
                public Counter(String label) { this.label = label; this.start = label.length(); }
                public String next() { return label + start; }
            }
            """;
    static final String COUNTER_SCENARIO = """
            import lib.Counter;
            public class Scenario {
                static Counter c;
                public static String run(int phase) {
                    if (phase == 0) { c = new Counter("abc"); return c.next(); }
                    return new Counter("hello").next();
                }
            }
            """;

    static final String OPTIONS_V1 = """
            package lib;
            public class Options {
                private int limit0 = 1;
                public int limit0() { return limit0; }
            }
            """;
    static final String READER_V1 = """
            package lib;
            public class Reader {
                public String read(Options o, String s) { return s; }
                public Runnable task(StringBuilder out) { return new Runnable() { public void run() { out.append("task"); } }; }
            }
            """;
    static final String OPTIONS_V2 = """
            package lib;
            public class Options {
                private int limit0 = 1;
                private int depthLimit = 2;
                public int limit0() { return limit0; }
                public int getDepthLimit() { return depthLimit; }
                public void setDepthLimit(int d) { depthLimit = d; }
                static boolean isSafe(String s) { return !s.contains("<"); }
            }
            """;
    static final String READER_V2 = """
            package lib;
            public class Reader {
                private int reads;
                public String read(Options o, String s) { if (!Options.isSafe(s)) { return "unsafe"; } return s.length() > o.getDepthLimit() ? "too long" : s; }
                public Runnable task(StringBuilder out) { return new Runnable() { public void run() { out.append("task" + count()); } }; }
                private int count() { return ++reads; }
            }
            """;
    static final String CROSS_SCENARIO = """
            import lib.Options;
            import lib.Reader;
            public class Scenario {
                static Options o;
                static Reader r;
                public static String run(int phase) {
                    if (phase == 0) { o = new Options(); r = new Reader(); return r.read(o, "abc"); }
                    if (phase == 2) { return r.read(o, "ab") + new Reader().read(new Options(), "<x"); }
                    StringBuilder b = new StringBuilder();
                    r.task(b).run();
                    new Reader().task(b).run();
                    return r.read(o, "ab") + " " + r.read(o, "abc") + " " + r.read(new Options(), "<x") + " " + b;
                }
            }
            """;

    static final String NODE_V1 = """
            package lib;
            public class Node {
                protected final java.util.List<String> attrs = new java.util.ArrayList<>();
                public Node add(String a) { attrs.add(a); return this; }
            }
            """;
    static final String NODE_V2 = """
            package lib;
            public class Node {
                protected final java.util.List<String> attrs = new java.util.ArrayList<>();
                int reads;
                public Node add(String a) { if (attrs.size() < limit()) { attrs.add(a); } return this; }
                public int attributesSize() { reads++; return attrs.size(); }
                static int limit() { return 3; }
            }
            """;
    static final String ELEMENT = """
            package lib;
            public class Element extends Node { public String tag() { return "p"; } }
            """;
    static final String LEAF = """
            package lib;
            public class Leaf extends Element { public String tag() { return "leaf"; } }
            """;
    static final String COPIER_V1 = """
            package lib;
            public class Copier {
                public String copy(Element e) { return e.tag() + e.attrs.size(); }
                public String copyLeaf(Leaf l) { return copy(l); }
            }
            """;
    static final String COPIER_V2 = """
            package lib;
            public class Copier {
                public String copy(Element e) {
                    e.reads += 10;
                    java.util.function.ToIntFunction<Element> size = Element::attributesSize;
                    return e.tag() + (e.attributesSize() > 0 ? size.applyAsInt(e) : 0) + "/" + Element.limit() + "/" + e.reads;
                }
                public String copyLeaf(Leaf l) { return l.tag() + l.attributesSize() + "/" + Leaf.limit() + "/" + l.reads; }
            }
            """;
    static final String SUBCLASS_SCENARIO = """
            import lib.Copier;
            import lib.Element;
            import lib.Leaf;
            public class Scenario {
                static Element e;
                static Leaf l;
                public static String run(int phase) {
                    if (phase == 0) { e = new Element(); e.add("a").add("b"); l = new Leaf(); l.add("x"); return "made"; }
                    Element fresh = new Element();
                    fresh.add("1").add("2").add("3").add("4");
                    l.add("y");
                    return new Copier().copy(e) + " " + new Copier().copy(fresh) + " " + new Copier().copyLeaf(l);
                }
            }
            """;

    static final String OPTS_V1 = """
            package lib;
            public class Opts { }
            """;
    static final String WALKER_V1 = """
            package lib;
            public class Walker {
                private final Opts opts;
                public Walker(Opts o) { this.opts = o; }
                public String walk(int d) { return d <= 0 ? "leaf" : "(" + walk(d - 1) + ")"; }
            }
            """;
    static final String OPTS_V2 = """
            package lib;
            public class Opts {
                private int depthLimit = 3;
                public int getDepthLimit() { return depthLimit; }
                public Opts setDepthLimit(int d) { depthLimit = d; return this; }
            }
            """;
    /** As snakeyaml 1.31's Composer: the added limit is computed from the options, so the publisher declares its pre-patch value. */
    static final String WALKER_V2 = """
            package lib;
            public class Walker {
                private final Opts opts;
                private final int limit;
                public Walker(Opts o) { this.opts = o; this.limit = o.getDepthLimit(); }
                public String walk(int d) { return d > limit ? "too deep for " + limit : d <= 0 ? "leaf" : "(" + walk(d - 1) + ")"; }
            }
            """;
    static final String WALKER_SCENARIO = """
            import lib.Opts;
            import lib.Walker;
            public class Scenario {
                static Walker w;
                static Opts o;
                public static String run(int phase) {
                    if (phase == 0) { o = new Opts(); w = new Walker(o); return "made"; }
                    return w.walk(2) + " " + w.walk(5) + " " + new Walker(o).walk(4) + " " + new Walker(new Opts()).walk(1);
                }
            }
            """;

    /**
     * Issue 8 item 1: the fix removes the public method that was the vulnerability. Code outside the
     * class compiled against v1 (the scenario, and a gadget reaching it by reflection) must never run
     * the baseline's body after the patch: it fails as it would on v2.
     */
    static final String SESSION_V1 = """
            package lib;
            public class Session {
                private String user = "guest";
                public String user() { return user; }
                public void login(String u, String p) { if ("secret".equals(p)) { user = u; } }
                public void impersonate(String u) { user = u; }
                public static String dump(Session s) { return "dump:" + s.user; }
            }
            """;
    static final String SESSION_V2 = """
            package lib;
            public class Session {
                private String user = "guest";
                public String user() { return user; }
                public void login(String u, String p) { if (u != null && "secret".equals(p)) { user = u; } }
            }
            """;
    /** The outputs name what happened, not the exception's text: a live patch and v2 fail the same way with other messages. */
    static final String SESSION_SCENARIO = """
            import lib.Session;
            public class Scenario {
                static Session s;
                public static String run(int phase) {
                    if (phase == 0) { s = new Session(); s.login("alice", "secret"); s.impersonate("alice"); return s.user(); }
                    String direct;
                    try { s.impersonate("mallory"); direct = "ran"; } catch (NoSuchMethodError e) { direct = "NoSuchMethodError"; }
                    String dump;
                    try { dump = Session.dump(s); } catch (NoSuchMethodError e) { dump = "NoSuchMethodError"; }
                    String reflected = Gadget.reach(s);
                    Session fresh = new Session();
                    fresh.login("bob", "wrong");
                    return direct + " " + dump + " " + reflected + " " + s.user() + " " + fresh.user() + " " + Gadget.reach(fresh) + " " + fresh.user();
                }
            }
            class Gadget {
                /** As a deserialization gadget would: finds the method by name and calls it. */
                static String reach(Session target) {
                    try {
                        Session.class.getMethod("impersonate", String.class).invoke(target, "root");
                        return "reflect:ran";
                    } catch (NoSuchMethodException e) {
                        return "reflect:gone";
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        return e.getCause() instanceof NoSuchMethodError ? "reflect:gone" : "reflect:" + e.getCause();
                    } catch (IllegalAccessException e) {
                        return "reflect:" + e;
                    }
                }
            }
            """;

    /** The fix drops an override of a default method of the class's own interface: calls reach the default again. */
    static final String GREETER = """
            package lib;
            public interface Greeter { default String hello() { return "default hello"; } }
            """;
    static final String POLITE_V1 = """
            package lib;
            public class Polite implements Greeter {
                public String hello() { return "override hello"; }
            }
            """;
    static final String POLITE_V2 = """
            package lib;
            public class Polite implements Greeter {
                public String name() { return "polite"; }
            }
            """;
    static final String POLITE_SCENARIO = """
            import lib.Greeter;
            import lib.Polite;
            public class Scenario {
                static Polite p;
                public static String run(int phase) {
                    if (phase == 0) { p = new Polite(); return p.hello(); }
                    Greeter g = p;
                    return p.hello() + " " + g.hello() + " " + new Polite().hello();
                }
            }
            """;

    static List<RewriteProbe.Case> cases() {
        List<RewriteProbe.Case> cases = new ArrayList<>();
        for (int release : new int[] {8, 17}) {
            cases.add(new RewriteProbe.Case("parser-" + release, release, new String[] {PARSER_V1}, new String[] {PARSER_V2}, PARSER_SCENARIO));
            cases.add(new RewriteProbe.Case("account-" + release, release, new String[] {SHAPES_V1, ACCOUNT_V1},
                    new String[] {SHAPES_V1, ACCOUNT_V2}, ACCOUNT_SCENARIO));
            cases.add(new RewriteProbe.Case("lambdas-" + release, release, new String[] {LAMBDAS_V1}, new String[] {LAMBDAS_V2}, LAMBDAS_SCENARIO));
            cases.add(new RewriteProbe.Case("renamed-" + release, release, new String[] {RENAMED_V1}, new String[] {RENAMED_V2}, RENAMED_SCENARIO));
            cases.add(new RewriteProbe.Case("removed-public-" + release, release, new String[] {SESSION_V1}, new String[] {SESSION_V2},
                    SESSION_SCENARIO));
            cases.add(new RewriteProbe.Case("removed-override-" + release, release, new String[] {GREETER, POLITE_V1},
                    new String[] {GREETER, POLITE_V2}, POLITE_SCENARIO));
        }
        cases.add(new RewriteProbe.Case("cross-class-8", 8, new String[] {OPTIONS_V1, READER_V1}, new String[] {OPTIONS_V2, READER_V2},
                CROSS_SCENARIO));
        cases.add(new RewriteProbe.Case("cross-class-17", 17, new String[] {OPTIONS_V1, READER_V1}, new String[] {OPTIONS_V2, READER_V2},
                CROSS_SCENARIO));
        for (int release : new int[] {8, 17}) {
            cases.add(new RewriteProbe.Case("through-subclass-" + release, release, new String[] {NODE_V1, ELEMENT, LEAF, COPIER_V1},
                    new String[] {NODE_V2, ELEMENT, LEAF, COPIER_V2}, SUBCLASS_SCENARIO));
        }
        cases.add(new RewriteProbe.Case("computed-field-declared", 17, new String[] {OPTS_V1, WALKER_V1}, new String[] {OPTS_V2, WALKER_V2},
                WALKER_SCENARIO, new RewritePolicy(true, Set.of(), Map.of("lib/Walker.limit", "3"), List.of())));
        cases.add(new RewriteProbe.Case("computed-field-declared-8", 8, new String[] {OPTS_V1, WALKER_V1}, new String[] {OPTS_V2, WALKER_V2},
                WALKER_SCENARIO, new RewritePolicy(true, Set.of(), Map.of("lib/Walker.limit", "3"), List.of())));
        cases.add(new RewriteProbe.Case("computed-field-accepted", 17, new String[] {COUNTER_V1}, new String[] {COUNTER_V2}, COUNTER_SCENARIO,
                new RewritePolicy(true, Set.of("lib/Counter.start"))));
        return cases;
    }

    @BeforeAll
    static void runCases() throws Exception {
        RewriteProbe probe = new RewriteProbe(dir);
        on17 = probe.run(Path.of(System.getProperty("java.home")), cases());
        Path java25 = Path.of(System.getProperty("hotpatch.test.java25", "/usr/lib/jvm/temurin-25-jdk-amd64"));
        assertThat(java25.resolve("bin/java")).as("Java 25 is needed for this test; set -Dhotpatch.test.java25").isExecutable();
        on25 = probe.run(java25, cases());
    }

    private static void assertSame(String label) {
        for (Map<String, RewriteProbe.Outcome> on : List.of(on17, on25)) {
            RewriteProbe.Outcome o = on.get(label);
            assertThat(o.report().refusals()).as(label + " refusals").isEmpty();
            assertThat(o.verdict()).as(label + ": live " + o.live() + " vs fresh " + o.fresh()).isEqualTo("SAME");
        }
    }

    private static List<Verdict.Kind> kinds(String label) {
        return on17.get(label).report().verdicts().stream().map(Verdict::kind).toList();
    }

    @Test
    void addedMethodsFieldsConstantsAndLambda_behaveAsTheFixedRelease() {
        assertSame("parser-8");
        assertSame("parser-17");
        assertThat(kinds("parser-8")).contains(Verdict.Kind.MOVED, Verdict.Kind.SHADOWED, Verdict.Kind.INLINED);
        assertThat(on17.get("parser-8").fresh()).contains("old:blocked");
    }

    @Test
    void removedMethodsAndAddedSynchronized_behaveAsTheFixedRelease() {
        assertSame("account-8");
        assertSame("account-17");
        assertThat(on17.get("account-8").fresh()).contains("refused", "hello", "w2");
        assertThat(on17.get("account-8").report().verdicts()).filteredOn(v -> v.member().startsWith("method greet"))
                .singleElement().satisfies(v -> assertThat(v.detail()).contains("run the method it inherits, never the baseline's code"));
        assertThat(on17.get("account-8").report().verdicts()).filteredOn(v -> v.member().startsWith("method secret"))
                .singleElement().satisfies(v -> assertThat(v.detail()).contains("it inherits no such method"));
    }

    @Test
    void removedPublicMethod_isNeverCallableWithItsBaselineBody_directlyOrByReflection() {
        assertSame("removed-public-8");
        assertSame("removed-public-17");
        // v2 started fresh: the call sites compiled against v1 fail to link and reflection finds nothing; after the
        // live patch the kept methods throw NoSuchMethodError themselves, so the user never becomes mallory or root.
        assertThat(on17.get("removed-public-8").fresh()).isEqualTo(
                "NoSuchMethodError NoSuchMethodError reflect:gone alice guest reflect:gone guest");
        for (String label : List.of("removed-public-8", "removed-public-17")) {
            assertThat(on17.get(label).report().verdicts()).filteredOn(v -> v.member().startsWith("method impersonate")
                    || v.member().startsWith("method dump")).hasSize(2).allSatisfy(v -> {
                        assertThat(v.kind()).isEqualTo(Verdict.Kind.KEPT);
                        assertThat(v.detail()).contains("fail with NoSuchMethodError (it inherits no such method), never the baseline's code");
                    });
        }
    }

    @Test
    void removedOverrideOfADefaultMethod_runsTheInterfacesDefault() {
        assertSame("removed-override-8");
        assertSame("removed-override-17");
        assertThat(on17.get("removed-override-17").fresh()).isEqualTo("default hello default hello default hello");
        assertThat(on17.get("removed-override-17").report().verdicts()).filteredOn(v -> v.member().startsWith("method hello"))
                .singleElement().satisfies(v -> assertThat(v.detail()).contains("run the method it inherits"));
    }

    @Test
    void renumberedAndAddedLambdas_neverRunAnotherLambdasBody() {
        for (Map<String, RewriteProbe.Outcome> on : List.of(on17, on25)) {
            for (String label : List.of("lambdas-8", "lambdas-17")) {
                RewriteProbe.Outcome o = on.get(label);
                assertThat(o.report().refusals()).isEmpty();
                assertThat(o.fresh()).isEqualTo("first!5 second! first!5 second!");
                // second()'s lambda was renumbered (lambda$second$1 -> $2) and keeps its baseline name, so the lambda object
                // made before the patch runs its fixed body; first()'s gained a sibling, so which fixed body continues the
                // baseline one is ambiguous: the object made before the patch keeps the baseline body, new ones run the fix.
                assertThat(o.live()).as(label).isEqualTo("first second! first!5 second!");
            }
        }
        assertThat(on17.get("lambdas-8").report().verdicts()).anySatisfy(v -> assertThat(v.detail()).contains("renumbered"));
    }

    @Test
    void membersAddedToOneClass_areReachedFromOtherClassesAndInnerClasses_sharingOneHelper() {
        assertSame("cross-class-8");
        assertSame("cross-class-17");
        assertThat(on17.get("cross-class-8").fresh()).isEqualTo("ab too long unsafe task1task1");
    }

    @Test
    void addedMembersReachedThroughSubclasses_resolveToTheClassThatDeclaresThem() {
        assertSame("through-subclass-8");
        assertSame("through-subclass-17");
        assertThat(on17.get("through-subclass-8").fresh()).isEqualTo("p2/3/12 p3/3/12 leaf2/3/1");
        assertThat(on17.get("through-subclass-8").report().verdicts()).anySatisfy(v ->
                assertThat(v.detail()).contains("uses members the fix added to other classes"));
    }

    @Test
    void computedFieldWithADeclaredPrePatchValue_behavesAsTheFixedRelease_forObjectsCreatedBeforeThePatch() {
        assertSame("computed-field-declared");
        assertSame("computed-field-declared-8");
        assertThat(on17.get("computed-field-declared").fresh()).isEqualTo("((leaf)) too deep for 3 too deep for 3 (leaf)");
        assertThat(on17.get("computed-field-declared").report().verdicts()).anySatisfy(v ->
                assertThat(v.detail()).contains("objects created before the patch read 3, declared by the publisher"));
    }

    @Test
    void renamedField_keepsTheValueOfObjectsCreatedBeforeThePatch() {
        assertSame("renamed-8");
        assertSame("renamed-17");
    }

    @Test
    void computedFieldDefault_isRefusedUnlessAccepted() throws Exception {
        assertSame("computed-field-accepted");
        Path v1 = TestJars.compileJar(Files.createDirectories(dir.resolve("c1")).resolve("a.jar"), COUNTER_V1);
        Path v2 = TestJars.compileJar(Files.createDirectories(dir.resolve("c2")).resolve("a.jar"), COUNTER_V2);
        DiffReport report = PatchBuilder.analyse(v1, v2, List.of());
        assertThat(report.refusals()).singleElement().satisfies(r ->
                assertThat(r.rule()).contains("computed value", "--accept-shadow lib/Counter.start"));
    }
}
