package dev.hotpatch.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpatch.format.Sha256;
import dev.hotpatch.format.SigningKey;
import dev.hotpatch.node.command.Action;
import dev.hotpatch.node.command.Artifact;
import dev.hotpatch.node.command.CommandResult;
import dev.hotpatch.node.command.Status;
import dev.hotpatch.node.inventory.MachineInventory;
import dev.hotpatch.testkit.Jdks;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Baseline installs on a machine the node launches and supervises itself: swap, restart, confirm, or put back. */
class BaselineInstallTest {
    @TempDir
    Path dir;

    private String name;
    private Path appJar;
    private Node node;
    private SigningKey key;

    @BeforeEach
    void startSupervisedMachine() throws Exception {
        name = TestApp.machineName("base");
        appJar = TestApp.jar(dir.resolve("app/fees.jar"), "1.0", 10, -1);
        key = SigningKey.generate(dir.resolve("key"), "CN=Baseline Test");
        Path config = Files.writeString(dir.resolve("node.properties"), "node.manage = configured\n"
                + "node.trust = " + dir.resolve("key") + "\n"
                + "machine." + name + ".launch = " + Jdks.java17() + " -cp " + appJar + " " + TestApp.MAIN + "\n"
                + "machine." + name + ".jars = " + appJar + "\n"
                + "machine." + name + ".settle = 1s\n"
                + "machine." + name + ".restartTimeout = 60s\n");
        node = Node.fromOptions(NodeOptions.standalone(Files.createDirectories(dir.resolve("catalog")))
                .withConfig(config).withDataDir(dir.resolve("data")));
        node.runOnce();
        awaitRunning("1.0");
    }

    @AfterEach
    void stop() {
        if (node != null) {
            node.supervisor().stopAll();
            node.close();
        }
    }

    @Test
    void installBaseline_swapsJarRestartsAndConfirms() throws Exception {
        long before = awaitRunning("1.0").pid();
        Path v2 = TestApp.jar(dir.resolve("dist/fees-2.0.jar"), "2.0", 10, -1);

        CommandResult r = node.run(name, baseline("2.0", v2, true), "test");

        assertThat(r.status()).as(r.message()).isEqualTo(Status.SUCCEEDED);
        assertThat(r.message()).contains("runs baseline 2.0");
        assertThat(Sha256.hex(appJar)).isEqualTo(Sha256.hex(v2));
        MachineInventory now = r.report();
        assertThat(now.pid()).isNotEqualTo(before);
        assertThat(now.jars()).extracting(MachineInventory.Hash::sha256).containsExactly(Sha256.hex(v2));
        assertThat(log()).contains("fees 2.0 started, fee=10");
        String v1 = Sha256.hex(TestApp.jar(dir.resolve("v1-again.jar"), "1.0", 10, -1));
        assertThat(dir.resolve("data/artifacts").resolve(name)).as("the old jar is kept")
                .isDirectoryContaining(p -> p.getFileName().toString().startsWith(v1));
    }

    @Test
    void installBaseline_thatDoesNotStart_putsOldJarBackAndRestartsIt() throws Exception {
        String oldSha = Sha256.hex(appJar);
        Path broken = TestApp.jar(dir.resolve("dist/fees-3.0.jar"), "3.0", 10, 3);

        CommandResult r = node.run(name, baseline("3.0", broken, true), "test");

        assertThat(r.status()).isEqualTo(Status.FAILED);
        assertThat(r.message()).contains("baseline 3.0 did not come up").contains("exited while starting with code 3")
                .contains("the old jars were put back and machine " + name + " restarted on them");
        assertThat(r.details()).containsEntry("rolledBack", true);
        assertThat(Sha256.hex(appJar)).isEqualTo(oldSha);
        MachineInventory back = awaitRunning("1.0");
        assertThat(back.jars()).extracting(MachineInventory.Hash::sha256).containsExactly(oldSha);
        assertThat(log()).contains("fees 3.0 started").contains("broken build, exiting");
        assertThat(log().lines().filter(l -> l.startsWith("fees 1.0 started")).count()).isEqualTo(2);
    }

    @Test
    void installBaseline_refusesUnsignedUntrustedAndMismatchedReleases_beforeChangingAnything() throws Exception {
        long before = awaitRunning("1.0").pid();
        String oldSha = Sha256.hex(appJar);
        Path v2 = TestApp.jar(dir.resolve("dist/fees-2.0.jar"), "2.0", 10, -1);
        Path other = TestApp.jar(dir.resolve("dist/other-2.0.jar"), "2.0", 7, -1);
        SigningKey stranger = SigningKey.generate(dir.resolve("stranger"), "CN=Stranger");

        CommandResult unsigned = node.run(name, baseline("2.0", v2, true, null), "test");
        CommandResult untrusted = node.run(name, baseline("2.0", v2, true, TestApp.descriptor(dir.resolve("s.release"), "2.0", v2, stranger)), "test");
        CommandResult otherJar = node.run(name, baseline("2.0", v2, true, TestApp.descriptor(dir.resolve("o.release"), "2.0", other, key)), "test");
        CommandResult otherVersion = node.run(name, baseline("2.0", v2, true, TestApp.descriptor(dir.resolve("v.release"), "2.1", v2, key)), "test");

        assertThat(unsigned.status()).isEqualTo(Status.REFUSED);
        assertThat(unsigned.message()).contains("without the publisher's signed release descriptor").contains("nothing was changed");
        assertThat(untrusted.status()).isEqualTo(Status.REFUSED);
        assertThat(untrusted.message()).contains("failed verification on the node").contains("CN=Stranger")
                .contains(dev.hotpatch.format.CertificateFingerprint.of(stranger.certificate()));
        assertThat(otherJar.status()).isEqualTo(Status.REFUSED);
        assertThat(otherJar.message()).contains("is not a file the publisher signed");
        assertThat(otherVersion.status()).isEqualTo(Status.REFUSED);
        assertThat(otherVersion.message()).contains("signed for version 2.1");
        assertThat(Sha256.hex(appJar)).as("the jar on disk is untouched").isEqualTo(oldSha);
        assertThat(awaitRunning("1.0").pid()).as("never restarted").isEqualTo(before);
        assertThat(dir.resolve("data/artifacts").resolve(name)).as("nothing was even backed up").doesNotExist();
    }

    @Test
    void installBaseline_withoutRestart_isPendingUntilTheRestartConfirmsIt() throws Exception {
        long before = awaitRunning("1.0").pid();
        Path v2 = TestApp.jar(dir.resolve("dist/fees-2.0.jar"), "2.0", 10, -1);

        CommandResult staged = node.run(name, baseline("2.0", v2, false), "test");

        assertThat(staged.status()).isEqualTo(Status.PENDING_RESTART);
        assertThat(Sha256.hex(appJar)).isEqualTo(Sha256.hex(v2));
        assertThat(staged.report().pid()).as("the JVM keeps running the old jar until it restarts").isEqualTo(before);

        CommandResult restarted = node.run(name, new Action.Restart("test"), "test");

        assertThat(restarted.status()).as(restarted.message()).isEqualTo(Status.SUCCEEDED);
        assertThat(restarted.message()).contains("runs baseline 2.0");
        assertThat(restarted.report().pid()).isNotEqualTo(before);
        assertThat(log()).contains("fees 2.0 started");
    }

    private Action.InstallBaseline baseline(String version, Path jar, boolean restart) throws IOException {
        return baseline(version, jar, restart, TestApp.descriptor(dir.resolve(version + "-" + System.nanoTime() + ".release"), version, jar, key));
    }

    private static Action.InstallBaseline baseline(String version, Path jar, boolean restart, Artifact descriptor) throws IOException {
        return new Action.InstallBaseline("baseline-" + version, "KB-B-" + version, version,
                List.of(new Artifact(jar.getFileName().toString(), Sha256.hex(jar), jar.toUri())), restart, false, descriptor);
    }

    private MachineInventory awaitRunning(String version) throws Exception {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline) {
            for (MachineInventory m : node.inventory()) {
                if (m.name().equals(name) && m.problems().isEmpty() && log().contains("fees " + version + " started")) {
                    return m;
                }
            }
            Thread.sleep(200);
        }
        throw new AssertionError("machine " + name + " did not come up on " + version + "; log:\n" + log());
    }

    private String log() throws IOException {
        Path log = dir.resolve("data/logs").resolve(name + ".log");
        return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    }
}
