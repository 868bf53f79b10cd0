package dev.hotpatch.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpatch.node.command.Action;
import dev.hotpatch.node.command.CommandResult;
import dev.hotpatch.node.command.Status;
import dev.hotpatch.testkit.Jdks;
import dev.hotpatch.testkit.Processes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A machine that something else runs (here a shell script standing in for systemd), restarted by its restart command. */
class RestartCommandTest {
    @TempDir
    Path dir;

    private Path pidFile;

    @AfterEach
    void stopMachine() throws Exception {
        if (pidFile != null && Files.exists(pidFile)) {
            long pid = Long.parseLong(Files.readString(pidFile).trim());
            ProcessHandle.of(pid).ifPresent(jvm -> Processes.stop(jvm, Processes.GRACE));
        }
    }

    @Test
    void restart_runsTheRestartCommandAndWaitsForTheNewJvm() throws Exception {
        String name = TestApp.machineName("cmd");
        Path jar = TestApp.jar(dir.resolve("app/fees.jar"), "1.0", 10, -1);
        pidFile = dir.resolve("app.pid");
        Path log = dir.resolve("app.log");
        Path script = Files.writeString(dir.resolve("restart.sh"), "#!/bin/sh\n"
                + "if [ -f " + pidFile + " ]; then kill $(cat " + pidFile + ") 2>/dev/null; sleep 0.5; fi\n"
                + Jdks.java17() + " -Dhotpatch.machine=" + name + " -cp " + jar + " " + TestApp.MAIN
                + " </dev/null >>" + log + " 2>&1 &\n"
                + "echo $! > " + pidFile + "\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        Process start = new ProcessBuilder(script.toString()).start();
        assertThat(start.waitFor(30, TimeUnit.SECONDS)).isTrue();
        long first = Long.parseLong(Files.readString(pidFile).trim());
        // Held from now on: it tells the old JVM from a later process that is given the same pid.
        ProcessHandle firstJvm = ProcessHandle.of(first).orElseThrow();
        Path config = Files.writeString(dir.resolve("node.properties"), "node.manage = configured\n"
                + "machine." + name + ".restartCommand = " + script + "\n"
                + "machine." + name + ".settle = 1s\n");
        try (Node node = Node.fromOptions(NodeOptions.standalone(Files.createDirectories(dir.resolve("catalog")))
                .withConfig(config).withDataDir(dir.resolve("data")))) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (node.inventory().stream().noneMatch(m -> m.name().equals(name) && m.problems().isEmpty())) {
                assertThat(System.nanoTime()).as("machine %s did not appear", name).isLessThan(deadline);
                Thread.sleep(200);
            }

            CommandResult r = node.run(name, new Action.Restart("test"), "test");

            assertThat(r.status()).as(r.message()).isEqualTo(Status.SUCCEEDED);
            long second = Long.parseLong(Files.readString(pidFile).trim());
            assertThat(second).isNotEqualTo(first);
            assertThat(r.report().pid()).isEqualTo(second);
            assertThat(r.details()).containsEntry("oldPid", first).containsEntry("pid", second);
            // The restart command only sends SIGTERM: the old JVM may still be running its shutdown when the new one answers
            // (CI saw it once on a loaded machine), so it is given time to exit, not a deadline of zero.
            long exitDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (firstJvm.isAlive() && System.nanoTime() < exitDeadline) {
                Thread.sleep(100);
            }
            assertThat(firstJvm.isAlive()).as("old JVM %d still running 30 s after the restart", first).isFalse();
            assertThat(Files.readString(log, StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("fees 1.0 started")).count())
                    .isEqualTo(2);
        }
    }

    @Test
    void restart_withoutRestartCommandOrLaunch_isRefusedWithTheFix() throws Exception {
        String name = TestApp.machineName("norestart");
        Path config = Files.writeString(dir.resolve("node.properties"), "machine." + name + ".region = x\n");
        try (Node node = Node.fromOptions(NodeOptions.standalone(Files.createDirectories(dir.resolve("catalog")))
                .withConfig(config).withDataDir(dir.resolve("data")))) {
            CommandResult r = node.run(name, new Action.Restart("test"), "test");
            assertThat(r.status()).isEqualTo(Status.REFUSED);
            assertThat(r.message()).contains("machine." + name + ".restartCommand");
        }
    }
}
