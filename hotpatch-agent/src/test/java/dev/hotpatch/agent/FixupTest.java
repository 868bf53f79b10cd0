package dev.hotpatch.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpatch.format.ClassPatch;
import dev.hotpatch.format.Classification;
import dev.hotpatch.format.PackageManifest;
import dev.hotpatch.format.PackageWriter;
import dev.hotpatch.format.Sha256;
import dev.hotpatch.format.channel.Message;
import dev.hotpatch.testkit.JarMaker;
import dev.hotpatch.testkit.TargetJvm;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * State fix-ups through the real agent in real JVMs (Java 17 and 25). The library keeps a rate
 * that its static initialiser computed (40 in v1, 50 in v2); v2 also rounds. A JVM that ran v1
 * keeps 40 after a plain redefinition, so the fix needs its fix-up class: {@code afterApply()}
 * recomputes the rate with the fixed code, once per class loader that has the library, with that
 * loader as the thread's context class loader; {@code afterUninstall()} recomputes it with the
 * restored code. quote(1030): v1 code → 25, v2 code with the old rate → 26, v2 with its own → 21.
 */
class FixupTest {
    static final String APP = String.join("\n",
            "package acme;",
            "import java.net.*;",
            "public class App {",
            "  static final java.util.Map<String, ClassLoader> loaders = new java.util.HashMap<>();",
            "  public static void main(String[] a) throws Exception {",
            "    System.out.println(\"ready\");",
            "    java.io.BufferedReader r = new java.io.BufferedReader(new java.io.InputStreamReader(System.in));",
            "    for (String line; (line = r.readLine()) != null; ) {",
            "      String[] p = line.split(\" \");",
            "      if (p[0].equals(\"quote\")) System.out.println(\"quote=\" + Quotes.quote(Long.parseLong(p[1])));",
            "      else if (p[0].equals(\"log\")) System.out.println(\"log=\" + System.getProperty(\"fixups\", \"\"));",
            "      else if (p[0].equals(\"in\")) {",
            // A loader of its own per name (e.g. iso), which delegates only to the platform loader.
            "        ClassLoader l = loaders.computeIfAbsent(p[1], n -> new URLClassLoader(n,",
            "            new URL[] {App.class.getProtectionDomain().getCodeSource().getLocation()}, ClassLoader.getPlatformClassLoader()));",
            "        System.out.println(p[1] + \"=\" + l.loadClass(\"acme.Quotes\").getMethod(\"quote\", long.class).invoke(null, Long.parseLong(p[2])));",
            "      } else System.out.println(\"error \" + line);",
            "    }",
            "  }",
            "}");
    static final String QUOTES_V1 = "package acme; public class Quotes { static final long[] RATE = {rate()};"
            + " static long rate() { return 40; } public static long quote(long c) { return c / RATE[0]; } }";
    static final String QUOTES_V2 = "package acme; public class Quotes { static final long[] RATE = {rate()};"
            + " static long rate() { return 50; } public static long quote(long c) { return (c + RATE[0] / 2) / RATE[0]; } }";
    /** Writes where each hook ran (its class's loader) and the thread's context class loader then. */
    static final String LOG = " static void log(String what) { System.setProperty(\"fixups\", System.getProperty(\"fixups\", \"\") + what"
            + " + \"@\" + QuotesFixup.class.getClassLoader().getName() + \"/\" + Thread.currentThread().getContextClassLoader().getName() + \";\"); }";
    static final String FIXUP = "package acme; public final class QuotesFixup {" + LOG
            + " public static void afterApply() { Quotes.RATE[0] = Quotes.rate(); log(\"apply\"); }"
            + " public static void afterUninstall() { Quotes.RATE[0] = Quotes.rate(); log(\"uninstall\"); } }";
    static final String FIXUP_THROWING = "package acme; public final class QuotesFixup {" + LOG
            + " public static void afterApply() { log(\"apply\"); throw new IllegalStateException(\"rates table is locked\"); }"
            + " public static void afterUninstall() { log(\"uninstall\"); } }";

    /** A hand-made package (the builder refuses this) whose fix-up has no afterApply(). */
    /** afterApply() blocks for good (on a lock nobody releases); afterUninstall() would undo it. */
    static final String FIXUP_HANGING = "package acme; public final class QuotesFixup {" + LOG
            + " public static void afterApply() throws InterruptedException { log(\"apply\");"
            + " Object never = new Object(); synchronized (never) { while (true) { never.wait(); } } }"
            + " public static void afterUninstall() { log(\"uninstall\"); } }";
    /** afterApply() returns; afterUninstall() blocks for good. */
    static final String FIXUP_HANGING_UNINSTALL = "package acme; public final class QuotesFixup {" + LOG
            + " public static void afterApply() { Quotes.RATE[0] = Quotes.rate(); log(\"apply\"); }"
            + " public static void afterUninstall() throws InterruptedException { log(\"uninstall\");"
            + " Object never = new Object(); synchronized (never) { while (true) { never.wait(); } } } }";
    static final String FIXUP_WITHOUT_HOOK = "package acme; public final class QuotesFixup { public static void afterUninstall() { } }";

    @TempDir
    static Path dir;
    static AgentHarness h;
    static Path appJar;
    static Path fix;
    static Path throwing;
    static Path hookless;
    static Path hanging;
    static Path hangingUninstall;
    static Path plain;

    @TempDir
    Path state;

    @BeforeAll
    static void setUp() throws IOException {
        h = new AgentHarness(dir);
        appJar = JarMaker.compile(dir.resolve("quotes-1.0.jar"), Map.of("acme.App", APP, "acme.Quotes", QUOTES_V1), List.of(), 11);
        fix = fixupPackage("KB2026-0951", FIXUP);
        throwing = fixupPackage("KB2026-0952", FIXUP_THROWING);
        hookless = fixupPackage("KB2026-0953", FIXUP_WITHOUT_HOOK);
        hanging = fixupPackage("KB2026-0954", FIXUP_HANGING);
        hangingUninstall = fixupPackage("KB2026-0955", FIXUP_HANGING_UNINSTALL);
        plain = plainPackage("KB2026-0956");
    }

    static Path fixupPackage(String id, String fixup) throws IOException {
        Map<String, byte[]> v1 = AgentHarness.classes(appJar);
        Map<String, String> sources = new LinkedHashMap<>();
        sources.put("acme.Quotes", QUOTES_V2);
        sources.put("acme.QuotesFixup", fixup);
        Map<String, byte[]> v2 = AgentHarness.classes(JarMaker.compile(dir.resolve(id + "-patched.jar"), sources, List.of(), 11));
        PackageManifest m = PackageManifest.builder().id(id).title("Recompute the rate " + id).classification(Classification.SECURITY)
                .cves(List.of("CVE-2026-1234")).published(Instant.now())
                .addClass(ClassPatch.replace("acme/Quotes", Sha256.hex(v1.get("acme/Quotes")), v2.get("acme/Quotes")))
                .addClass(ClassPatch.added("acme/QuotesFixup", v2.get("acme/QuotesFixup")))
                .fixup("acme/QuotesFixup").build();
        Path out = dir.resolve(id + ".hotpatch");
        PackageWriter.write(m, h.key, out);
        return out;
    }

    /** Quotes v2 alone, no fix-up. */
    static Path plainPackage(String id) throws IOException {
        Map<String, byte[]> v1 = AgentHarness.classes(appJar);
        Map<String, byte[]> v2 = AgentHarness.classes(JarMaker.compile(dir.resolve(id + "-patched.jar"), Map.of("acme.Quotes", QUOTES_V2),
                List.of(), 11));
        PackageManifest m = PackageManifest.builder().id(id).title("Quotes v2 " + id).classification(Classification.SECURITY)
                .cves(List.of("CVE-2026-1234")).published(Instant.now())
                .addClass(ClassPatch.replace("acme/Quotes", Sha256.hex(v1.get("acme/Quotes")), v2.get("acme/Quotes"))).build();
        Path out = dir.resolve(id + ".hotpatch");
        PackageWriter.write(m, h.key, out);
        return out;
    }

    private static TargetJvm start(Path java, Path state, String... jvmArgs) {
        return h.start(java, appJar, state, jvmArgs);
    }

    @ParameterizedTest
    @MethodSource("dev.hotpatch.agent.AgentHarness#jdks")
    void apply_runsAfterApplyOncePerLoaderThatHasThePackage_withThatLoaderAsContext_andNotInLoadersMadeLater(Path java) {
        try (TargetJvm app = start(java, state)) {
            assertThat(app.request("quote 1030", "quote=")).isEqualTo("quote=25");
            assertThat(app.request("in iso 1030", "iso=")).isEqualTo("iso=25");

            Message r = h.apply(app, fix);

            assertThat(r.get("status")).as(r.toString()).isEqualTo("ok");
            assertThat(r.fields()).containsEntry("fixup", "acme.QuotesFixup").containsEntry("fixup.hooks", "afterApply,afterUninstall")
                    .containsEntry("fixup.state", "ran");
            assertThat(r.get("message")).contains("fix-up acme.QuotesFixup: afterApply() ran in 2 class loaders");
            assertThat(app.request("quote 1030", "quote=")).as("fixed code, state rebuilt by the fix-up").isEqualTo("quote=21");
            assertThat(app.request("in iso 1030", "iso=")).isEqualTo("iso=21");
            assertThat(app.request("log", "log=")).as("once per loader, with that loader as context")
                    .isIn("log=apply@app/app;apply@iso/iso;", "log=apply@iso/iso;apply@app/app;");

            // A loader made after the patch builds its state with the fixed code: the hook does not run there.
            assertThat(app.request("in late 1030", "late=")).isEqualTo("late=21");
            assertThat(app.request("log", "log=")).doesNotContain("@late");
            Message list = h.send(app, "op", "list");
            assertThat(list.fields()).containsEntry("installed.0.fixup", "acme.QuotesFixup").containsEntry("installed.0.fixup.state", "ran")
                    .containsEntry("installed.0.fixup.detail", "afterApply() ran in 2 class loaders at the live apply");

            Message u = h.send(app, "op", "uninstall", "actor", "test");

            assertThat(u.get("status")).as(u.toString()).isEqualTo("ok");
            assertThat(u.get("message")).contains("acme.QuotesFixup.afterUninstall() ran in 2 class loaders");
            assertThat(app.request("quote 1030", "quote=")).as("the old code with the state it builds").isEqualTo("quote=25");
            assertThat(app.request("in iso 1030", "iso=")).isEqualTo("iso=25");
            assertThat(app.request("log", "log=")).contains("uninstall@app/app;", "uninstall@iso/iso;").doesNotContain("uninstall@late");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.hotpatch.agent.AgentHarness#jdks")
    void enrolledRestart_doesNotRunAfterApply_theFixedCodeBuildsTheState(Path java) {
        try (TargetJvm app = start(java, state, h.enrolled())) {
            assertThat(app.request("quote 1030", "quote=")).isEqualTo("quote=25");
            assertThat(h.apply(app, fix).get("status")).isEqualTo("ok");
            assertThat(app.request("quote 1030", "quote=")).isEqualTo("quote=21");
            assertThat(app.request("log", "log=")).isEqualTo("log=apply@app/app;");
        }
        try (TargetJvm app = start(java, state, h.enrolled())) {
            assertThat(app.request("quote 1030", "quote=")).isEqualTo("quote=21");
            assertThat(app.request("in iso 1030", "iso=")).isEqualTo("iso=21");
            assertThat(app.request("log", "log=")).as("no hook at start or at load").isEqualTo("log=");
            Message list = h.send(app, "op", "list");
            assertThat(list.fields()).containsEntry("installed.0.fixup.state", "not-run");
            assertThat(list.get("installed.0.fixup.detail")).contains("re-applied at JVM start");
            assertThat(app.output()).noneMatch(l -> l.contains("left unpatched") || l.contains("Error"));
        }
    }

    @ParameterizedTest
    @MethodSource("dev.hotpatch.agent.AgentHarness#jdks")
    void apply_whoseAfterApplyThrows_isRolledBack_persistsNothing_andSaysWhy(Path java) {
        try (TargetJvm app = start(java, state, h.enrolled())) {
            assertThat(app.request("quote 1030", "quote=")).isEqualTo("quote=25");

            Message r = h.apply(app, throwing);

            assertThat(r.get("status")).as(r.toString()).isEqualTo("refused");
            assertThat(r.get("message")).contains("KB2026-0952 was not applied", "acme.QuotesFixup.afterApply() threw",
                    "java.lang.IllegalStateException: rates table is locked", "previous code runs again", "nothing was persisted",
                    "afterUninstall() ran in 1 class loader");
            assertThat(app.request("quote 1030", "quote=")).as("the old code runs").isEqualTo("quote=25");
            assertThat(app.request("log", "log=")).isEqualTo("log=apply@app/app;uninstall@app/app;");
            assertThat(h.send(app, "op", "list").get("installed.count")).isEqualTo("0");
        }
        try (TargetJvm app = start(java, state, h.enrolled())) {
            assertThat(app.request("quote 1030", "quote=")).as("nothing was persisted").isEqualTo("quote=25");
            assertThat(h.send(app, "op", "list").get("installed.count")).isEqualTo("0");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.hotpatch.agent.AgentHarness#jdks")
    void apply_whoseAfterApplyNeverReturns_isRolledBackAtTheFixupTimeout_andTheAgentAnswersAgain(Path java) {
        try (TargetJvm app = start(java, state, h.enrolled(), "-Dhotpatch.fixupTimeout=2s")) {
            assertThat(app.request("quote 1030", "quote=")).isEqualTo("quote=25");

            Message r = h.apply(app, hanging);

            assertThat(r.get("status")).as(r.toString()).isEqualTo("refused");
            assertThat(r.get("message")).contains("KB2026-0954 was not applied", "acme.QuotesFixup.afterApply() did not return within 2 s",
                    "agent option fixupTimeout", "still running on thread 'hotpatch-fixup acme.QuotesFixup.afterApply()'",
                    "previous code runs again", "nothing was persisted", "afterUninstall() was not called where afterApply() is still running");
            assertThat(app.request("quote 1030", "quote=")).as("the old code runs").isEqualTo("quote=25");
            assertThat(app.request("log", "log=")).as("no afterUninstall() beside the running afterApply()").isEqualTo("log=apply@app/app;");
            // The agent's lock is free: it answers, and a later change goes through.
            assertThat(h.send(app, "op", "list").get("installed.count")).isEqualTo("0");
            Message again = h.apply(app, plain);
            assertThat(again.get("status")).as(again.toString()).isEqualTo("ok");
            assertThat(app.request("quote 1030", "quote=")).as("v2 code, with the rate v1 computed").isEqualTo("quote=26");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.hotpatch.agent.AgentHarness#jdks")
    void uninstall_whoseAfterUninstallNeverReturns_isDone_andSaysTheHookIsStillRunning(Path java) {
        try (TargetJvm app = start(java, state, "-Dhotpatch.fixupTimeout=1500ms")) {
            assertThat(app.request("quote 1030", "quote=")).isEqualTo("quote=25");
            Message r = h.apply(app, hangingUninstall);
            assertThat(r.get("status")).as(r.toString()).isEqualTo("ok");
            assertThat(r.get("message")).contains("afterApply() ran in 1 class loader");
            assertThat(app.request("quote 1030", "quote=")).isEqualTo("quote=21");

            Message u = h.send(app, "op", "uninstall", "actor", "test");

            assertThat(u.get("status")).as(u.toString()).isEqualTo("ok");
            assertThat(u.get("message")).contains("acme.QuotesFixup.afterUninstall() did not return within 1500 ms",
                    "still running on thread 'hotpatch-fixup acme.QuotesFixup.afterUninstall()'");
            assertThat(app.request("quote 1030", "quote=")).as("the old code, with the rate afterApply() set: the hook that would"
                    + " put it back never returned").isEqualTo("quote=20");
            assertThat(app.request("log", "log=")).isEqualTo("log=apply@app/app;uninstall@app/app;");
            assertThat(h.send(app, "op", "list").get("installed.count")).isEqualTo("0");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.hotpatch.agent.AgentHarness#jdks")
    void apply_refusesAFixupWithoutAfterApply_beforeChangingAnything(Path java) {
        try (TargetJvm app = start(java, state)) {
            assertThat(app.request("quote 1030", "quote=")).isEqualTo("quote=25");

            Message r = h.apply(app, hookless);

            assertThat(r.get("status")).as(r.toString()).isEqualTo("refused");
            assertThat(r.get("message")).contains("KB2026-0953", "acme.QuotesFixup declares no public static void afterApply()",
                    "nothing was changed");
            assertThat(app.request("quote 1030", "quote=")).isEqualTo("quote=25");
            assertThat(app.request("log", "log=")).isEqualTo("log=");
        }
    }
}
