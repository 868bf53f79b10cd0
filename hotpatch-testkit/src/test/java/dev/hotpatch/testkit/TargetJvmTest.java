package dev.hotpatch.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class TargetJvmTest {
    /** A target that answers each line it reads, so the tests can observe what the JVM was given. */
    private static final String ECHO = String.join("\n",
            "package t;",
            "public class Echo {",
            "  public static void main(String[] args) throws Exception {",
            "    System.out.println(\"ready \" + System.getProperty(\"java.specification.version\"));",
            "    System.err.println(\"flags \" + java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments());",
            "    java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(System.in));",
            "    for (String line; (line = in.readLine()) != null; ) {",
            "      if (line.equals(\"exit\")) System.exit(7);",
            "      System.out.println(\"echo \" + line + \" env=\" + System.getenv(\"ECHO_ENV\"));",
            "    }",
            "  }",
            "}");

    @TempDir
    static Path dir;
    static Path echoJar;

    @BeforeAll
    static void compileEcho() {
        echoJar = JarMaker.compile(dir.resolve("echo.jar"), Map.of("t.Echo", ECHO), List.of(), 11);
    }

    static List<Path> jdks() {
        return Jdks.all();
    }

    @ParameterizedTest
    @MethodSource("jdks")
    void roundTripsALine(Path java) {
        try (TargetJvm jvm = echo(java).env("ECHO_ENV", "set").start()) {
            String ready = jvm.await(l -> l.startsWith("ready "), Duration.ofSeconds(20));
            assertThat(ready).isEqualTo("ready " + Jdks.featureVersion(java));

            assertThat(jvm.request("hello there", "echo ")).isEqualTo("echo hello there env=set");
            assertThat(jvm.pid()).isNotEqualTo(ProcessHandle.current().pid());
            assertThat(jvm.isAlive()).isTrue();
        }
    }

    @ParameterizedTest
    @MethodSource("jdks")
    void enablesDynamicAgentLoadingOnlyWhereTheJdkWarnsAboutIt(Path java) {
        try (TargetJvm jvm = echo(java).start()) {
            String flags = jvm.await(l -> l.startsWith("flags "), Duration.ofSeconds(20));
            assertThat(flags).contains("-Xshare:auto");
            if (Jdks.featureVersion(java) >= 21) {
                assertThat(flags).contains("-XX:+EnableDynamicAgentLoading");
            } else {
                assertThat(flags).doesNotContain("EnableDynamicAgentLoading");
            }
        }
        try (TargetJvm jvm = echo(java).dynamicAgentLoading(false).start()) {
            assertThat(jvm.await(l -> l.startsWith("flags "), Duration.ofSeconds(20)))
                    .doesNotContain("EnableDynamicAgentLoading");
        }
    }

    @Test
    void awaitConsumesLinesSoEachCallSeesOnlyNewOnes() {
        try (TargetJvm jvm = echo(Jdks.java17()).start()) {
            jvm.send("one");
            jvm.send("two");
            assertThat(jvm.await(l -> l.startsWith("echo "), Duration.ofSeconds(20))).startsWith("echo one");
            assertThat(jvm.await(l -> l.startsWith("echo "), Duration.ofSeconds(20))).startsWith("echo two");
            assertThat(jvm.output()).contains("echo one env=null", "echo two env=null");
        }
    }

    @Test
    void awaitFailsWithTheWholeOutputWhenNothingMatches() {
        try (TargetJvm jvm = echo(Jdks.java17()).start()) {
            jvm.request("first", "echo first");
            assertThatThrownBy(() -> jvm.await(l -> l.equals("never"), Duration.ofMillis(300)))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("within PT0.3S")
                    .hasMessageContaining("| ready 17")
                    .hasMessageContaining("| echo first env=null");
        }
    }

    @Test
    void awaitFailsAtOnceWhenTheTargetExits() {
        try (TargetJvm jvm = echo(Jdks.java17()).start()) {
            jvm.send("exit");
            assertThat(jvm.waitForExit(Duration.ofSeconds(20))).isEqualTo(7);
            long start = System.nanoTime();
            assertThatThrownBy(() -> jvm.await(l -> l.equals("never"), Duration.ofSeconds(30)))
                    .hasMessageContaining("exited with 7")
                    .hasMessageContaining("its output ended");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
        }
    }

    @Test
    void closeDestroysTheTarget() {
        TargetJvm jvm = echo(Jdks.java17()).start();
        jvm.await(l -> l.startsWith("ready"), Duration.ofSeconds(20));
        jvm.close();
        assertThat(jvm.isAlive()).isFalse();
        assertThat(ProcessHandle.of(jvm.pid()).filter(ProcessHandle::isAlive)).isEmpty();
    }

    private static TargetJvm.Builder echo(Path java) {
        return TargetJvm.builder(java).classpath(echoJar).mainClass("t.Echo");
    }
}
