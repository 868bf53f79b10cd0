package dev.hotpatch.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpatch.attach.AgentClient;
import dev.hotpatch.attach.InstalledHotpatch;
import dev.hotpatch.format.Sha256;
import dev.hotpatch.format.SigningKey;
import dev.hotpatch.node.command.Action;
import dev.hotpatch.node.command.Artifact;
import dev.hotpatch.node.command.Command;
import dev.hotpatch.node.command.Journal;
import dev.hotpatch.node.inventory.MachineInventory;
import dev.hotpatch.node.standalone.History;
import dev.hotpatch.testkit.Jdks;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node killed mid-command finishes or undoes it when it starts again. Each test leaves the
 * machine and the journal exactly as a node dying at one step would (the journal is what the node
 * had written before that step), starts a new node on the same data folder, and checks the outcome.
 */
class JournalResumeTest {
    @TempDir
    Path dir;

    private String name;
    private Path appJar;
    private Path data;
    private Path config;
    private Node first;
    private Node second;

    @BeforeEach
    void startSupervisedMachine() throws Exception {
        name = TestApp.machineName("resume");
        appJar = TestApp.jar(dir.resolve("app/fees.jar"), "1.0", 10, -1);
        data = dir.resolve("data");
        SigningKey.generate(dir.resolve("key"), "CN=Resume Test");
        config = Files.writeString(dir.resolve("node.properties"), "node.manage = configured\n"
                + "node.trust = " + dir.resolve("key") + "\n"
                + "machine." + name + ".launch = " + Jdks.java17() + " -Dhotpatch.state=" + dir.resolve("agent-state")
                + " -cp " + appJar + " " + TestApp.MAIN + "\n"
                + "machine." + name + ".jars = " + appJar + "\n"
                + "machine." + name + ".settle = 1s\n");
        first = node();
        first.runOnce();
        awaitLog("fees 1.0 started", 1);
    }

    @AfterEach
    void stop() {
        for (Node n : new Node[] {second, first}) {
            if (n != null) {
                n.supervisor().stopAll();
                n.close();
            }
        }
    }

    private Node node() throws IOException {
        return Node.fromOptions(NodeOptions.standalone(Files.createDirectories(dir.resolve("catalog"))).withConfig(config).withDataDir(data));
    }

    /** The node "dies": its data folder is released, its supervised JVM keeps running. */
    private void crashFirstNode() {
        first.close();
        first = null;
    }

    @Test
    void resume_afterCrashRightAfterTheSwap_restartsAndConfirmsTheNewBaseline() throws Exception {
        Path v2 = TestApp.jar(dir.resolve("dist/fees-2.0.jar"), "2.0", 10, -1);
        Journal.Swap swap = backupAndSwap(v2);
        Command c = new Command("cmd-crash-after-swap", name, baseline("2.0", v2), "test", Instant.now());
        Journal.open(data).write(new Journal.Entry(c, Journal.Phase.SWAPPED, Instant.now(), List.of(swap), Instant.now(), null, null,
                null, null));
        crashFirstNode();

        second = node();
        second.runOnce();

        assertThat(Journal.open(data).all()).as("the result was delivered (to history) and the entry forgotten").isEmpty();
        History.Entry h = history("cmd-crash-after-swap");
        assertThat(h.outcome()).as(h.message()).isEqualTo("succeeded");
        assertThat(h.message()).contains("runs baseline 2.0");
        awaitLog("fees 2.0 started", 1);
        assertThat(Sha256.hex(appJar)).isEqualTo(Sha256.hex(v2));
    }

    @Test
    void resume_afterCrashMidRollback_putsTheOldJarBackAndRestartsIt() throws Exception {
        String oldSha = Sha256.hex(appJar);
        Path broken = TestApp.jar(dir.resolve("dist/fees-3.0.jar"), "3.0", 10, 3);
        Journal.Swap swap = backupAndSwap(broken);
        Command c = new Command("cmd-crash-mid-rollback", name, baseline("3.0", broken), "test", Instant.now());
        Journal.open(data).write(new Journal.Entry(c, Journal.Phase.ROLLING_BACK, Instant.now(), List.of(swap), Instant.now(), null,
                Instant.now(), "baseline 3.0 did not come up: it exited with code 3", null));
        crashFirstNode();

        second = node();
        second.runOnce();

        History.Entry h = history("cmd-crash-mid-rollback");
        assertThat(h.outcome()).isEqualTo("failed");
        assertThat(h.message()).contains("baseline 3.0 did not come up").contains("the old jars were put back and machine " + name
                + " restarted on them");
        assertThat(Sha256.hex(appJar)).isEqualTo(oldSha);
        awaitLog("fees 1.0 started", 2);
        assertThat(second.inventory()).filteredOn(m -> m.name().equals(name)).singleElement()
                .satisfies(m -> assertThat(m.jars()).extracting(MachineInventory.Hash::sha256).containsExactly(oldSha));
    }

    @Test
    void resume_afterCrashWhileApplyingHotpatch_sendsItAgainOnce() throws Exception {
        Path pkg = TestApp.hotpatch(dir.resolve("KB-R-0001.hotpatch"), "KB-R-0001", appJar, 20,
                SigningKey.load(dir.resolve("key")), dir);
        Command c = new Command("cmd-crash-applying", name, new Action.InstallHotpatch("KB-R-0001",
                new Artifact("KB-R-0001.hotpatch", Sha256.hex(pkg), pkg.toUri())), "test", Instant.now());
        Journal.open(data).write(new Journal.Entry(c, Journal.Phase.APPLYING, Instant.now(), List.of(), null, null, null, null, null));
        crashFirstNode();

        second = node();
        second.runOnce();

        History.Entry h = history("cmd-crash-applying");
        assertThat(h.outcome()).as(h.message()).isEqualTo("succeeded");
        long pid = second.inventory().stream().filter(m -> m.name().equals(name)).findFirst().orElseThrow().pid();
        try (AgentClient agent = AgentClient.connect(pid)) {
            assertThat(agent.list()).extracting(InstalledHotpatch::id).containsExactly("KB-R-0001");
        }
        assertThat(Journal.open(data).all()).isEmpty();
    }

    /** Backs the current jar up where the node keeps backups and swaps {@code newJar} in, as the node had done before dying. */
    private Journal.Swap backupAndSwap(Path newJar) throws IOException {
        String oldSha = Sha256.hex(appJar);
        Path backup = Files.createDirectories(data.resolve("artifacts").resolve(name)).resolve(oldSha + "-fees.jar");
        Files.copy(appJar, backup);
        Files.copy(newJar, appJar, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        return new Journal.Swap(appJar, newJar, Sha256.hex(newJar), backup, oldSha);
    }

    private static Action.InstallBaseline baseline(String version, Path jar) throws IOException {
        return new Action.InstallBaseline("baseline-" + version, null, version,
                List.of(new Artifact(jar.getFileName().toString(), Sha256.hex(jar), jar.toUri())), true, false,
                TestApp.descriptor(jar.resolveSibling(version + ".release"), version, jar, SigningKey.load(jar.getParent().getParent().resolve("key"))));
    }

    private History.Entry history(String command) {
        return History.open(data).read().stream().filter(e -> command.equals(e.command())).findFirst()
                .orElseThrow(() -> new AssertionError("no history entry for " + command + ": " + History.open(data).read()));
    }

    private void awaitLog(String line, int times) throws Exception {
        long deadline = System.nanoTime() + 30_000_000_000L;
        String log = "";
        while (System.nanoTime() < deadline) {
            Path f = data.resolve("logs").resolve(name + ".log");
            log = Files.exists(f) ? Files.readString(f, StandardCharsets.UTF_8) : "";
            if (log.lines().filter(l -> l.startsWith(line)).count() >= times) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("'" + line + "' not logged " + times + " time(s) by machine " + name + ":\n" + log);
    }
}
