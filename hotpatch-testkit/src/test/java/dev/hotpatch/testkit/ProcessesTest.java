package dev.hotpatch.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real JVMs, attached to with {@code jcmd} so that they have an attach socket, stopped and killed:
 * which signal they get shows in whether their shutdown hook runs, and none leaves its socket in /tmp.
 */
class ProcessesTest {
    /** Prints "ready" and sleeps; its shutdown hook says so and, given "stubborn", never returns, so SIGTERM cannot end it. */
    private static final String SLEEPER = String.join("\n",
            "public class Sleeper {",
            "  public static void main(String[] a) throws Exception {",
            "    boolean stubborn = a.length > 0 && a[0].equals(\"stubborn\");",
            "    Runtime.getRuntime().addShutdownHook(new Thread(() -> {",
            "      System.out.println(\"shutdown hook ran\");",
            "      System.out.flush();",
            "      while (stubborn) {",
            "        try { Thread.sleep(600_000); } catch (InterruptedException e) { }",
            "      }",
            "    }));",
            "    System.out.println(\"ready\");",
            "    System.out.flush();",
            "    Thread.sleep(600_000);",
            "  }",
            "}");

    @TempDir
    static Path dir;
    static Path jar;

    @BeforeAll
    static void compile() {
        jar = JarMaker.compile(dir.resolve("sleeper.jar"), Map.of("Sleeper", SLEEPER), List.of(), 11);
    }

    @Test
    void stop_endsAJvmWithSigterm_andItsAttachSocketGoesWithIt() throws Exception {
        Path log = dir.resolve("term.log");
        Process jvm = start(log, List.of());
        try {
            Path socket = attach(jvm, log);

            assertThat(Processes.stop(jvm, Processes.GRACE)).as("ended within the grace").isTrue();

            assertThat(jvm.isAlive()).isFalse();
            assertThat(Files.readString(log)).as("SIGTERM: the shutdown hook ran").contains("shutdown hook ran");
            assertThat(socket).doesNotExist();
        } finally {
            jvm.destroyForcibly();
        }
    }

    @Test
    void stop_killsAJvmStillRunningAfterTheGrace_andRemovesTheSocketItLeft() throws Exception {
        Path log = dir.resolve("stubborn.log");
        Process jvm = start(log, List.of("stubborn"));
        try {
            Path socket = attach(jvm, log);

            assertThat(Processes.stop(jvm, Duration.ofSeconds(1))).as("needed SIGKILL").isFalse();

            assertThat(jvm.isAlive()).isFalse();
            assertThat(Files.readString(log)).as("SIGTERM came first").contains("shutdown hook ran");
            assertThat(socket).as("left by the killed JVM, removed by Processes").doesNotExist();
        } finally {
            jvm.destroyForcibly();
        }
    }

    @Test
    void kill_isSigkill_noShutdownHookRuns_andTheSocketLeftBehindIsRemoved() throws Exception {
        Path log = dir.resolve("kill.log");
        Process jvm = start(log, List.of());
        try {
            Path socket = attach(jvm, log);

            Processes.kill(jvm);

            assertThat(jvm.isAlive()).isFalse();
            assertThat(jvm.exitValue()).as("128 + SIGKILL").isEqualTo(137);
            assertThat(Files.readString(log)).doesNotContain("shutdown hook ran");
            assertThat(socket).as("left by the killed JVM, removed by Processes").doesNotExist();
        } finally {
            jvm.destroyForcibly();
        }
    }

    @Test
    void stop_reachesTheJvmUnderALauncher() throws Exception {
        Path log = dir.resolve("launched.log");
        // sh forks the JVM and waits for it: the JVM is a child of the process the test holds.
        List<String> cmd = new ArrayList<>(List.of("sh", "-c", "\"$0\" \"$@\"; echo launcher done"));
        cmd.addAll(javaCommand(List.of()));
        Process launcher = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        awaitLine(log, "ready", launcher);
        ProcessHandle jvm = launcher.descendants().findFirst().orElseThrow();
        try {
            assertThat(Processes.stop(launcher, Processes.GRACE)).isTrue();

            assertThat(jvm.isAlive()).isFalse();
            assertThat(Files.readString(log)).as("the JVM got SIGTERM too").contains("shutdown hook ran");
        } finally {
            jvm.destroyForcibly();
            launcher.destroyForcibly();
        }
    }

    @Test
    void stop_refusesANegativeGrace_andLeavesTheProcessRunning() throws Exception {
        Process sleep = new ProcessBuilder("sleep", "60").start();
        try {
            assertThatThrownBy(() -> Processes.stop(sleep, Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("grace must be zero or more");
            assertThat(sleep.isAlive()).isTrue();
        } finally {
            Processes.stop(sleep, Processes.GRACE);
        }
    }

    private static Process start(Path log, List<String> args) throws IOException {
        Process p = new ProcessBuilder(javaCommand(args)).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        awaitLine(log, "ready", p);
        return p;
    }

    private static List<String> javaCommand(List<String> args) {
        List<String> cmd = new ArrayList<>(List.of(Jdks.java17().toString(), "-cp", jar.toString(), "Sleeper"));
        cmd.addAll(args);
        return cmd;
    }

    /** Attaches to {@code jvm} with {@code jcmd}, which makes it open its attach socket; returns the socket's path. */
    private static Path attach(Process jvm, Path log) throws Exception {
        Path jcmd = Jdks.java17().resolveSibling("jcmd");
        Process p = new ProcessBuilder(jcmd.toString(), Long.toString(jvm.pid()), "VM.version").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("jcmd finished").isTrue();
        assertThat(p.exitValue()).as(out + "\nJVM output:\n" + Files.readString(log)).isZero();
        Path socket = Path.of("/tmp/.java_pid" + jvm.pid());
        assertThat(socket).as("the attach socket, there while the JVM runs").exists();
        return socket;
    }

    private static void awaitLine(Path log, String line, Process p) throws IOException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!Files.readAllLines(log).contains(line)) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                Processes.stop(p, Processes.GRACE);
                throw new AssertionError("no '" + line + "' from pid " + p.pid() + ":\n" + Files.readString(log));
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}
