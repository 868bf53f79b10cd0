package dev.hotpatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpatch.testkit.JarMaker;
import dev.hotpatch.testkit.Jdks;
import dev.hotpatch.testkit.TargetJvm;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * After an uninstall, the hidden classes a rewritten hotpatch defined (the helper that holds the
 * moved code and the shadow field's side table, and its linker) become unreachable, and the JVM
 * unloads them: observed with the JVM's own class-unloading log, on Java 17 and 25. The fix here
 * adds no class; an added class stays defined after an uninstall (docs/rewriting.md), and so does
 * a helper whose moved code it calls.
 */
class RewriteUnloadTest {
    /** The fix: a shadowed instance field (written on an object made before the patch) and a moved method. */
    static final String SANITIZER_V2 = """
            package lib;
            public class Sanitizer {
                private final String name;
                private int calls;
                public Sanitizer(String name) { this.name = name; }
                public String clean(String s) { calls++; return name + ":" + check(s) + "#" + calls; }
                private static String check(String s) { return s.indexOf('<') >= 0 ? "blocked" : s; }
            }
            """;
    /** What the patch defines: the helpers ({@code lib.Sanitizer$Hotpatch/0x…}) and their linkers. */
    private static final Pattern HIDDEN = Pattern.compile("unloading class (lib\\.(Sanitizer\\$Hotpatch|Hotpatch\\$Linker)/0x[0-9a-f]+)");

    @TempDir
    static Path dir;
    static Path keys;
    static Path libV1;
    static Path app;
    static Path fix;

    @BeforeAll
    static void build() {
        keys = dir.resolve("keys");
        assertThat(CliRun.of("keygen", "--out", keys.toString()).exit()).isZero();
        libV1 = JarMaker.compile(dir.resolve("lib-1.jar"), Map.of("lib.Sanitizer", RewriteHarnessTest.SANITIZER_V1,
                "lib.Escaper", RewriteHarnessTest.ESCAPER_V1), List.of(), 8);
        Path libV2 = JarMaker.compile(dir.resolve("lib-2.jar"), Map.of("lib.Sanitizer", SANITIZER_V2,
                "lib.Escaper", RewriteHarnessTest.ESCAPER_V1), List.of(), 8);
        app = JarMaker.compile(dir.resolve("app.jar"), Map.of("app.App", RewriteHarnessTest.APP,
                "app.ChildFirst", RewriteHarnessTest.CHILD_FIRST), List.of(), 11);
        fix = dir.resolve("KB2026-0802.hotpatch");
        CliRun build = CliRun.of("build", "--baseline", libV1.toString(), "--patched", libV2.toString(), "--id", "KB2026-0802",
                "--title", "Block markup in Sanitizer", "--classification", "Security", "--key", keys.toString(), "--out", fix.toString());
        assertThat(build.exit()).as(build.toString()).isZero();
        assertThat(build.out()).contains("rewritten: moved", "rewritten: shadowed");
    }

    static List<Path> javas() {
        return Jdks.all();
    }

    @ParameterizedTest
    @MethodSource("javas")
    void afterUninstall_theHelperWithItsSideTable_andItsLinker_areUnloaded(Path java) throws Exception {
        try (TargetJvm target = TargetJvm.builder(java).classpath(app, libV1).mainClass("app.App").args(libV1.toString())
                .dynamicAgentLoading(true).jvmArgs("-Xlog:class+load=info,class+unload=info:stdout").start()) {
            target.await("ready"::equals, TargetJvm.REQUEST_TIMEOUT);
            String pid = Long.toString(target.pid());
            target.request("new a app", "new a app -> ");
            CliRun apply = CliRun.of("apply", "--pid", pid, fix.toString(), "--trust", keys.toString());
            assertThat(apply.exit()).as(apply.toString()).isZero();
            // The moved method and the shadow field, written on an object made before the patch and on one made after.
            assertThat(target.request("clean a <x>", "clean a <x> -> ")).endsWith("a:blocked#1");
            target.request("new b app", "new b app -> ");
            assertThat(target.request("clean b ok", "clean b ok -> ")).endsWith("b:ok#1");

            CliRun uninstall = CliRun.of("uninstall", "--pid", pid);
            assertThat(uninstall.exit()).as(uninstall.toString()).isZero();
            assertThat(target.request("clean a <y>", "clean a <y> -> ")).endsWith("a:<y>");
            Set<String> defined = defined(target.output());
            assertThat(defined).as("the helper and its linker were defined").anyMatch(n -> n.startsWith("lib.Sanitizer$Hotpatch/"))
                    .anyMatch(n -> n.startsWith("lib.Hotpatch$Linker/"));

            // The objects a and b, with their rows in the side table, stay alive in the application: only
            // the helper's reachability is at stake.
            Path jcmd = java.getParent().resolve("jcmd");
            Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
            Set<String> left = new TreeSet<>(defined);
            while (!left.isEmpty() && Instant.now().isBefore(deadline)) {
                Process gc = new ProcessBuilder(jcmd.toString(), pid, "GC.run").redirectErrorStream(true).start();
                gc.getInputStream().readAllBytes();
                gc.waitFor();
                left.removeAll(unloaded(target.output()));
                Thread.sleep(200);
            }
            assertThat(left).as("hidden classes of the patch still loaded 60 s after the uninstall (defined: " + defined + ")").isEmpty();
        }
    }

    /** The helpers and linkers the patch defined, by the name the JVM gives them ({@code name/0x…}). */
    private static Set<String> defined(List<String> output) {
        Set<String> names = new TreeSet<>();
        Pattern load = Pattern.compile("\\[class,load\\] (lib\\.(Sanitizer\\$Hotpatch|Hotpatch\\$Linker)/0x[0-9a-f]+) ");
        for (String line : output) {
            Matcher m = load.matcher(line);
            if (m.find()) {
                names.add(m.group(1));
            }
        }
        return names;
    }

    private static Set<String> unloaded(List<String> output) {
        Set<String> names = new TreeSet<>();
        for (String line : output) {
            Matcher m = HIDDEN.matcher(line);
            if (m.find()) {
                names.add(m.group(1));
            }
        }
        return names;
    }
}
