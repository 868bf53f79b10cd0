package dev.hotpatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpatch.testkit.JarMaker;
import dev.hotpatch.testkit.Jdks;
import dev.hotpatch.testkit.TargetJvm;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A rewritten hotpatch through the real agent ({@code hotpatch apply} and {@code uninstall}), in
 * the situations the rewrite must survive: objects created before the patch, the same library in
 * three class loaders (the application's, an isolated one whose parent is the bootstrap loader, and
 * a child-first one that never asks its parent for the library), classes and loaders that appear
 * after the patch, and an enrolled JVM's restart. The fixed release started fresh answers the same
 * script: its answers are the expectation, so the test compares behaviour, not our guesses about it.
 * The fix also adds classes (an exception with an added superclass, a holder), which the agent
 * defines into each loader before the patched code uses them. On Java 17 and 25.
 */
class RewriteHarnessTest {
    /** v1: echoes its input. */
    static final String SANITIZER_V1 = """
            package lib;
            public class Sanitizer {
                private final String name;
                public Sanitizer(String name) { this.name = name; }
                public String clean(String s) { return name + ":" + s; }
                private String legacy() { return "legacy"; }
                public String raw(String s) { return name + ":" + s; }
            }
            """;
    /**
     * v2 (the fix): an added constant, field, method and lambda; legacy() and the public raw() (the
     * unchecked way in) removed; and added classes:
     * an exception (whose superclass is added too) thrown and caught, and a holder it instantiates.
     */
    static final String SANITIZER_V2 = """
            package lib;
            import java.util.function.Predicate;
            public class Sanitizer {
                static final String BLOCKED = "blocked";
                private final String name;
                private int calls;
                public Sanitizer(String name) { this.name = name; }
                public String clean(String s) {
                    calls++;
                    String r;
                    try { r = check(s); } catch (MarkupException e) { r = e.getMessage(); }
                    return new Cleaned(name + ":" + r + "#" + calls).text();
                }
                static String mark(String text) { return text; }
                private static String check(String s) {
                    Predicate<String> p = x -> x.indexOf('<') >= 0;
                    if (p.test(s)) { throw new MarkupException(BLOCKED); }
                    return s;
                }
            }
            """;
    /** Added by the fix: the superclass of the exception it throws. */
    static final String LIB_EXCEPTION = """
            package lib;
            class LibException extends RuntimeException {
                LibException(String message) { super(message); }
            }
            """;
    static final String MARKUP_EXCEPTION = """
            package lib;
            final class MarkupException extends LibException {
                MarkupException(String message) { super(message); }
            }
            """;
    /** Added by the fix: a holder that both patched classes instantiate; it calls mark(), a method the fix added (moved). */
    static final String CLEANED = """
            package lib;
            final class Cleaned {
                private final String text;
                Cleaned(String text) { this.text = text; }
                String text() { return Sanitizer.mark(text); }
            }
            """;
    /** Loaded only when the script first asks for it, after the patch. */
    static final String ESCAPER_V1 = """
            package lib;
            public class Escaper {
                public static String escape(String s) { return s; }
            }
            """;
    static final String ESCAPER_V2 = """
            package lib;
            public class Escaper {
                private static int escaped;
                public static String escape(String s) { return new Cleaned(replaceAll(s) + "/" + (++escaped)).text(); }
                private static String replaceAll(String s) { return s.replace("<", "&lt;"); }
            }
            """;
    /**
     * Reads commands: {@code new OBJ LOADER} makes a Sanitizer in a loader ({@code app}, or a fresh
     * {@code isolated-*} or {@code childfirst-*} one made on first use), {@code clean OBJ TEXT}
     * calls it, {@code raw OBJ TEXT} calls the method the fix removed (by reflection, as a gadget
     * would), {@code escape LOADER TEXT} calls the Escaper of a loader. Answers "CMD -> RESULT".
     */
    static final String APP = """
            package app;
            import java.io.*;
            import java.net.*;
            import java.nio.file.*;
            import java.util.*;
            public class App {
                static final Map<String, ClassLoader> loaders = new HashMap<>();
                static final Map<String, Object> objects = new HashMap<>();
                static URL lib;
                public static void main(String[] args) throws Exception {
                    lib = Paths.get(args[0]).toUri().toURL();
                    loaders.put("app", App.class.getClassLoader());
                    BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
                    System.out.println("ready");
                    for (String line; (line = in.readLine()) != null; ) {
                        String[] w = line.split(" ", 3);
                        String result;
                        try {
                            if (w[0].equals("new")) {
                                Class<?> c = Class.forName("lib.Sanitizer", true, loader(w[2]));
                                objects.put(w[1], c.getConstructor(String.class).newInstance(w[1]));
                                result = "made in " + c.getClassLoader().getClass().getSimpleName();
                            } else if (w[0].equals("clean")) {
                                Object o = objects.get(w[1]);
                                result = (String) o.getClass().getMethod("clean", String.class).invoke(o, w[2]);
                            } else if (w[0].equals("raw")) {
                                Object o = objects.get(w[1]);
                                try {
                                    result = (String) o.getClass().getMethod("raw", String.class).invoke(o, w[2]);
                                } catch (java.lang.reflect.InvocationTargetException e) {
                                    result = "refused: " + e.getCause().getClass().getSimpleName() + ": " + e.getCause().getMessage();
                                }
                            } else {
                                Class<?> c = Class.forName("lib.Escaper", true, loader(w[1]));
                                result = (String) c.getMethod("escape", String.class).invoke(null, w[2]);
                            }
                        } catch (Throwable e) {
                            Throwable t = e instanceof java.lang.reflect.InvocationTargetException ? e.getCause() : e;
                            result = "FAILED " + t;
                            t.printStackTrace();
                        }
                        System.out.println(line + " -> " + result);
                    }
                }
                static ClassLoader loader(String name) {
                    return loaders.computeIfAbsent(name, n -> n.startsWith("isolated") ? new URLClassLoader(new URL[] {lib}, null)
                            : new ChildFirst(lib, App.class.getClassLoader()));
                }
            }
            """;
    /** Defines lib.* from the jar itself even though its parent (the application loader) has it too. */
    static final String CHILD_FIRST = """
            package app;
            import java.io.*;
            import java.net.*;
            import java.security.*;
            import java.security.cert.Certificate;
            import java.util.jar.*;
            final class ChildFirst extends ClassLoader {
                private final URL jar;
                ChildFirst(URL jar, ClassLoader parent) { super(parent); this.jar = jar; }
                @Override
                protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
                    synchronized (getClassLoadingLock(name)) {
                        if (!name.startsWith("lib.")) {
                            return super.loadClass(name, resolve);
                        }
                        Class<?> c = findLoadedClass(name);
                        if (c == null) {
                            try (JarFile f = new JarFile(new File(jar.toURI()))) {
                                JarEntry e = f.getJarEntry(name.replace('.', '/') + ".class");
                                if (e == null) { throw new ClassNotFoundException(name); }
                                byte[] b;
                                try (InputStream in = f.getInputStream(e)) { b = in.readAllBytes(); }
                                c = defineClass(name, b, 0, b.length, new ProtectionDomain(new CodeSource(jar, (Certificate[]) null), null, this, null));
                            } catch (IOException | URISyntaxException e) {
                                throw new ClassNotFoundException(name, e);
                            }
                        }
                        return c;
                    }
                }
            }
            """;

    /** Run before the patch: objects a (used after it) and v (shows the vulnerable answer) in each loader. */
    static final List<String> BEFORE = List.of(
            "new a app", "new b isolated-1", "new c childfirst-1", "new va app", "new vb isolated-1", "new vc childfirst-1",
            "clean va <x>", "clean vb <x>", "clean vc <x>");
    /** Run after the patch: old objects, new objects, new loaders, a class loaded for the first time. */
    static final List<String> AFTER = List.of(
            "clean a <x>", "clean b <x>", "clean c <x>", "clean a ok", "new n app", "clean n <y>",
            "new d isolated-2", "clean d <x>", "new e childfirst-2", "clean e <x>", "new f isolated-1", "clean f <z>",
            "escape app <x>", "escape isolated-1 <x>", "escape isolated-3 <x>", "escape childfirst-1 <x>", "escape app <q>");

    @TempDir
    static Path dir;
    static Path keys;
    static Path libV1;
    static Path libV2;
    static Path app;
    static Path fix;

    @BeforeAll
    static void build() {
        keys = dir.resolve("keys");
        assertThat(CliRun.of("keygen", "--out", keys.toString()).exit()).isZero();
        // The library is compiled for Java 8, as many real ones are: the rewritten classes need Java 17's format.
        libV1 = JarMaker.compile(dir.resolve("lib-1.jar"), Map.of("lib.Sanitizer", SANITIZER_V1, "lib.Escaper", ESCAPER_V1), List.of(), 8);
        libV2 = JarMaker.compile(dir.resolve("lib-2.jar"), Map.of("lib.Sanitizer", SANITIZER_V2, "lib.Escaper", ESCAPER_V2,
                "lib.LibException", LIB_EXCEPTION, "lib.MarkupException", MARKUP_EXCEPTION, "lib.Cleaned", CLEANED), List.of(), 8);
        app = JarMaker.compile(dir.resolve("app.jar"), Map.of("app.App", APP, "app.ChildFirst", CHILD_FIRST), List.of(), 11);
        fix = dir.resolve("KB2026-0801.hotpatch");
        CliRun build = CliRun.of("build", "--baseline", libV1.toString(), "--patched", libV2.toString(), "--id", "KB2026-0801",
                "--title", "Block markup in Sanitizer", "--classification", "Security", "--key", keys.toString(), "--out", fix.toString());
        assertThat(build.exit()).as(build.toString()).isZero();
        assertThat(build.out()).contains("rewritten: moved", "rewritten: shadowed", "rewritten: inlined", "rewritten: kept",
                "Added:\n  lib/Cleaned  ", "  lib/LibException  ", "  lib/MarkupException  ", "added — a new class");
    }

    static List<Path> javas() {
        return Jdks.all();
    }

    @ParameterizedTest
    @MethodSource("javas")
    void rewrittenPatch_behavesAsTheFixedRelease_inEveryLoader_andUninstallRestoresTheOldBehaviour(Path java) {
        List<String> expected = fresh(java);
        assertThat(expected).as("the fixed release blocks markup").contains("clean a <x> -> a:blocked#1", "escape app <x> -> &lt;x>/1");
        try (TargetJvm target = start(java, libV1, "-Dhotpatch.state=" + dir.resolve("state-" + Jdks.featureVersion(java)))) {
            List<String> before = run(target, BEFORE);
            assertThat(before).as("vulnerable before the patch").contains("clean va <x> -> va:<x>", "clean vc <x> -> vc:<x>");
            assertThat(run(target, List.of("raw va <x>"))).containsExactly("raw va <x> -> va:<x>");
            String pid = Long.toString(target.pid());

            CliRun apply = CliRun.of("apply", "--pid", pid, fix.toString(), "--trust", keys.toString());

            assertThat(apply.exit()).as(apply.toString()).isZero();
            assertThat(apply.out()).contains("3 loaders patched", "lib/MarkupException  added: defined in 3 loaders");
            CliRun list = CliRun.of("list", "--pid", pid);
            assertThat(list.out()).contains("lib/LibException", "added class, defined in 3 loaders", "stays defined after an uninstall");
            assertThat(run(target, AFTER)).isEqualTo(expected);
            // raw() is the way around the fix: once patched, no object in any loader runs its baseline body any more.
            assertThat(run(target, List.of("raw a <x>", "raw b <x>", "raw c <x>")))
                    .as("the removed public method throws instead of running its baseline code")
                    .allSatisfy(line -> assertThat(line).contains("-> refused: NoSuchMethodError: 'lib.Sanitizer.raw(",
                            "was removed by the fix this hotpatch carries"));

            CliRun uninstall = CliRun.of("uninstall", "--pid", pid);

            assertThat(uninstall.exit()).as(uninstall.toString()).isZero();
            assertThat(run(target, List.of("clean a <x>", "clean c <x>", "new g isolated-4", "clean g <x>", "escape app <x>",
                    "escape childfirst-5 <x>")))
                    .as("the baseline's behaviour is back in old and new loaders")
                    .containsExactly("clean a <x> -> a:<x>", "clean c <x> -> c:<x>", "new g isolated-4 -> made in URLClassLoader",
                            "clean g <x> -> g:<x>", "escape app <x> -> <x>", "escape childfirst-5 <x> -> <x>");
            assertThat(run(target, List.of("raw a <x>", "raw c <x>"))).as("uninstall brings the removed method's baseline body back")
                    .containsExactly("raw a <x> -> a:<x>", "raw c <x> -> c:<x>");
            assertThat(target.output()).noneMatch(RewriteHarnessTest::failure);
        }
    }

    @ParameterizedTest
    @MethodSource("javas")
    void rewrittenPatch_isReappliedAtAnEnrolledRestart_inEveryLoader(Path java) {
        Path agent = Path.of(CliRun.of("agent-path").out().trim());
        String enrol = "-javaagent:" + agent + "=name=rewrite-" + Jdks.featureVersion(java) + ",trust=" + keys + ",state="
                + dir.resolve("enrolled-" + Jdks.featureVersion(java));
        try (TargetJvm target = start(java, libV1, enrol)) {
            run(target, BEFORE);
            CliRun apply = CliRun.of("apply", "--pid", Long.toString(target.pid()), fix.toString(), "--trust", keys.toString());
            assertThat(apply.exit()).as(apply.toString()).isZero();
            assertThat(apply.out()).contains("re-applied when the JVM restarts");
            target.stop(TargetJvm.REQUEST_TIMEOUT);
        }
        List<String> expected = fresh(java);
        try (TargetJvm target = start(java, libV1, enrol)) {
            // Every class now loads with the rewritten bytes: the helper is defined on first use in each loader.
            List<String> restarted = run(target, BEFORE);
            assertThat(restarted).as("fixed from the first call after the restart")
                    .contains("clean va <x> -> va:blocked#1", "clean vb <x> -> vb:blocked#1", "clean vc <x> -> vc:blocked#1");
            assertThat(restarted).isEqualTo(runFresh(java, BEFORE));
            assertThat(run(target, AFTER)).isEqualTo(expected);

            CliRun uninstall = CliRun.of("uninstall", "--pid", Long.toString(target.pid()));

            assertThat(uninstall.exit()).as(uninstall.toString()).isZero();
            assertThat(run(target, List.of("clean a <x>", "clean e <x>", "escape isolated-9 <x>")))
                    .containsExactly("clean a <x> -> a:<x>", "clean e <x> -> e:<x>", "escape isolated-9 <x> -> <x>");
            assertThat(target.output()).noneMatch(RewriteHarnessTest::failure);
        }
    }

    /**
     * A line of the target's output that shows a failure. The agent's note that a client hung up
     * before its answer ("agent channel: could not answer a request: … Broken pipe") is not one: on
     * a shared machine another tool probing every local JVM gives up on a busy agent now and then.
     */
    private static boolean failure(String line) {
        return line.contains("FAILED") || (line.contains("Exception") && !line.startsWith("[hotpatch] agent channel: could not answer"));
    }

    /** The AFTER script's answers on the fixed release started fresh (after the same BEFORE script). */
    private static List<String> fresh(Path java) {
        try (TargetJvm v2 = start(java, libV2)) {
            run(v2, BEFORE);
            return run(v2, AFTER);
        }
    }

    private static List<String> runFresh(Path java, List<String> script) {
        try (TargetJvm v2 = start(java, libV2)) {
            return run(v2, script);
        }
    }

    private static TargetJvm start(Path java, Path lib, String... jvmArgs) {
        TargetJvm t = TargetJvm.builder(java).classpath(app, lib).mainClass("app.App").args(lib.toString())
                .dynamicAgentLoading(jvmArgs.length == 0 || !jvmArgs[0].startsWith("-javaagent")).jvmArgs(jvmArgs).start();
        t.await("ready"::equals, TargetJvm.REQUEST_TIMEOUT);
        return t;
    }

    private static List<String> run(TargetJvm target, List<String> script) {
        List<String> out = new ArrayList<>();
        for (String command : script) {
            out.add(target.request(command, command + " -> "));
        }
        return out;
    }
}
