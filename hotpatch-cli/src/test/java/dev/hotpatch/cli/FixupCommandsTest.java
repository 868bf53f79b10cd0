package dev.hotpatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.testkit.JarMaker;
import dev.hotpatch.testkit.Jdks;
import dev.hotpatch.testkit.TargetJvm;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code hotpatch build --fixup} from the command line (report, --json, inspect, usage errors), and
 * a fix-up whose {@code afterApply()} does not return: the tool's deadline reports it as any hung
 * step ("timed out", exit 1); the new code runs meanwhile, nothing is persisted, and the apply
 * completes when the hook returns within the agent's {@code fixupTimeout} (60 s; past it the agent
 * rolls the apply back, see the agent's FixupTest). Java 17 and 25.
 */
class FixupCommandsTest {
    static final String APP = """
            package acme;
            public class App {
                public static void main(String[] a) throws Exception {
                    System.out.println("ready");
                    java.io.BufferedReader r = new java.io.BufferedReader(new java.io.InputStreamReader(System.in));
                    for (String line; (line = r.readLine()) != null; ) System.out.println("quote=" + Quotes.quote(Long.parseLong(line.trim())));
                }
            }
            """;
    static final String QUOTES_V1 = "package acme; public class Quotes { static final long[] RATE = {rate()};"
            + " static long rate() { return 40; } public static long quote(long c) { return c / RATE[0]; } }";
    static final String QUOTES_V2 = "package acme; public class Quotes { static final long[] RATE = {rate()};"
            + " static long rate() { return 50; } public static long quote(long c) { return (c + RATE[0] / 2) / RATE[0]; } }";
    static final String FIXUP = "package acme; public final class QuotesFixup {"
            + " public static void afterApply() { Quotes.RATE[0] = Quotes.rate(); } }";
    /** Waits for a file named by a system property of the target before it repairs the rate. */
    static final String FIXUP_HANGING = "package acme; public final class QuotesFixup {"
            + " public static void afterApply() throws InterruptedException {"
            + "   java.nio.file.Path go = java.nio.file.Path.of(System.getProperty(\"fixup.go\"));"
            + "   while (!java.nio.file.Files.exists(go)) Thread.sleep(20);"
            + "   Quotes.RATE[0] = Quotes.rate(); } }";

    @TempDir
    static Path tmp;
    static Path keys;
    static Path baseline;
    static Path fixed;

    @BeforeAll
    static void jars() {
        keys = tmp.resolve("keys");
        assertThat(CliRun.of("keygen", "--out", keys.toString()).exit()).isZero();
        baseline = JarMaker.compile(tmp.resolve("quotes-1.0.jar"), Map.of("acme.App", APP, "acme.Quotes", QUOTES_V1), List.of(), 11);
        fixed = JarMaker.compile(tmp.resolve("quotes-1.1.jar"), Map.of("acme.App", APP, "acme.Quotes", QUOTES_V2), List.of(), 11);
    }

    /** The one class {@code name} of {@code source}, compiled against the fixed jar for Java 11. */
    static Path classFile(String name, String source) throws IOException {
        Path jar = JarMaker.compile(tmp.resolve(name + "-" + System.nanoTime() + ".jar"), Map.of(name, source), List.of(fixed), 11);
        Path out = tmp.resolve(name + "-" + System.nanoTime() + ".class");
        try (JarFile j = new JarFile(jar.toFile()); InputStream in = j.getInputStream(j.getEntry(name.replace('.', '/') + ".class"))) {
            Files.write(out, in.readAllBytes());
        }
        return out;
    }

    static CliRun build(String id, Path fixup, String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("build", "--baseline", baseline.toString(), "--patched", fixed.toString(),
                "--id", id, "--title", "Recompute the rate", "--classification", "Security", "--key", keys.toString(),
                "--out", tmp.resolve(id + ".hotpatch").toString(), "--fixup", fixup.toString()));
        args.addAll(List.of(more));
        return CliRun.of(args.toArray(String[]::new));
    }

    @Test
    void build_withFixup_saysSoInTheReport_theJson_andInspect() throws IOException {
        Path fixup = classFile("acme.QuotesFixup", FIXUP);

        CliRun text = build("KB2026-0081", fixup);
        CliRun json = build("KB2026-0082", fixup, "--json");

        assertThat(text.exit()).as(text.toString()).isZero();
        assertThat(text.out()).contains("fix-up: acme/QuotesFixup (afterApply)");
        assertThat(json.json().at("/fixup/line").asText()).isEqualTo("fix-up: acme/QuotesFixup (afterApply)");
        assertThat(json.json().at("/manifest/fixup/class").asText()).isEqualTo("acme/QuotesFixup");
        assertThat(json.json().at("/manifest/classes/1/kind").asText()).isEqualTo("added");
        CliRun inspect = CliRun.of("inspect", tmp.resolve("KB2026-0081.hotpatch").toString());
        assertThat(inspect.out()).contains("fix-up: acme/QuotesFixup (afterApply)");
        assertThat(CliRun.of("inspect", tmp.resolve("KB2026-0081.hotpatch").toString(), "--json").json().at("/manifest/fixup/hooks/0").asText())
                .isEqualTo("afterApply");
    }

    @Test
    void build_refusesABadFixupAsAUsageError_sayingHowToFixIt() throws IOException {
        Path noHook = classFile("acme.QuotesFixup", "package acme; public final class QuotesFixup { public static void run() { } }");

        CliRun r = build("KB2026-0083", noHook);
        CliRun missing = build("KB2026-0084", tmp.resolve("nothing.class"));

        assertThat(r.exit()).as(r.toString()).isEqualTo(2);
        assertThat(r.err()).contains("declares no 'public static void afterApply()'", "Add it");
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).contains("--fixup class file");
        assertThat(tmp.resolve("KB2026-0083.hotpatch")).doesNotExist();
    }

    static List<Path> javas() {
        return Jdks.all();
    }

    @ParameterizedTest
    @MethodSource("javas")
    void apply_whoseFixupHangs_timesOutLikeAHungStep_runsTheNewCode_andCompletesWhenTheHookReturns(Path java) throws IOException {
        String id = "KB2026-009" + Jdks.featureVersion(java) % 10;
        assertThat(build(id, classFile("acme.QuotesFixup", FIXUP_HANGING)).exit()).isZero();
        Path go = tmp.resolve("go-" + Jdks.featureVersion(java));
        Path agent = Path.of(CliRun.of("agent-path").out().trim());
        Path state = tmp.resolve("state-hang-" + Jdks.featureVersion(java));
        try (TargetJvm app = TargetJvm.builder(java).classpath(baseline).mainClass("acme.App")
                .jvmArgs("-javaagent:" + agent + "=name=hang-" + Jdks.featureVersion(java) + ",trust=" + keys + ",state=" + state,
                        "-Dfixup.go=" + go)
                .start()) {
            app.await("ready"::equals, TargetJvm.REQUEST_TIMEOUT);
            String pid = Long.toString(app.pid());
            assertThat(app.request("1030", "quote=")).isEqualTo("quote=25");

            CliRun apply = CliRun.of("apply", "--pid", pid, tmp.resolve(id + ".hotpatch").toString(), "--trust", keys.toString(),
                    "--timeout", "10s");

            assertThat(apply.exit()).as(apply.toString()).isEqualTo(1);
            assertThat(apply.err()).contains("timed out");
            assertThat(app.request("1030", "quote=")).as("redefined before the hook; the rate not yet repaired").isEqualTo("quote=26");
            assertThat(state.resolve("installed.properties").toFile().exists()
                    ? Files.readString(state.resolve("installed.properties")) : "").as("nothing persisted while the hook runs")
                    .doesNotContain(id);

            Files.createFile(go);

            JsonNode list = CliRun.of("list", "--pid", pid, "--json").json();
            assertThat(list.at("/installed/0/hotFixId").asText()).isEqualTo(id);
            assertThat(list.at("/installed/0/fixup/ran").asBoolean()).isTrue();
            assertThat(list.at("/installed/0/persisted").asBoolean()).isTrue();
            assertThat(app.request("1030", "quote=")).isEqualTo("quote=21");
            assertThat(CliRun.of("uninstall", "--pid", pid, "--id", id).exit()).isZero();
            assertThat(app.request("1030", "quote=")).as("no afterUninstall: the old code runs with the repaired rate").isEqualTo("quote=20");
        }
    }
}
