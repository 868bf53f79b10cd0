package dev.hotpatch.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpatch.attach.AgentClient;
import dev.hotpatch.attach.AgentJar;
import dev.hotpatch.attach.ApplyResult;
import dev.hotpatch.attach.Outcome;
import dev.hotpatch.format.HotpatchPackage;
import dev.hotpatch.format.SigningKey;
import dev.hotpatch.node.config.NodeConfig;
import dev.hotpatch.node.discovery.LocalMachine;
import dev.hotpatch.node.discovery.MachineDiscovery;
import dev.hotpatch.node.inventory.CodeHashes;
import dev.hotpatch.node.inventory.InventoryCollector;
import dev.hotpatch.node.inventory.MachineInventory;
import dev.hotpatch.testkit.Jdks;
import dev.hotpatch.testkit.TargetJvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What the node passes on from the agent at check-in (contracts C1 and C4), with real enrolled
 * JVMs on 17 and 25: quarantined hotpatches, a pending restart, and the hashes of the bytes each
 * patched class actually runs.
 */
class AgentReportTest {
    @TempDir
    Path dir;

    static List<Path> javas() {
        return Jdks.all();
    }

    @ParameterizedTest
    @MethodSource("javas")
    void checkIn_reportsAQuarantinedHotpatch_afterTheJvmWasKilledDuringItsProbation(Path java) throws Exception {
        Fixture f = new Fixture(java);
        try (TargetJvm app = f.start()) {
            ApplyResult r = f.apply(app);
            assertThat(r.outcome()).as(r.message()).isEqualTo(Outcome.OK);
            MachineInventory live = f.collect();
            assertThat(live.hotpatches()).singleElement().satisfies(h -> {
                assertThat(h.id()).isEqualTo("KB2026-0700");
                assertThat(h.state()).isEqualTo("active");
                assertThat(h.classes()).as("the bytes the patched class runs")
                        .containsExactly(new MachineInventory.Hash(TestApp.FEES, f.patchedSha()));
            });
            assertThat(live.quarantined()).isEmpty();
            app.kill();
        }
        try (TargetJvm app = f.start()) {
            MachineInventory report = f.collect();

            assertThat(report.hotpatches()).as("not running, so not reported installed").isEmpty();
            assertThat(report.quarantined()).singleElement().satisfies(q -> {
                assertThat(q.id()).isEqualTo("KB2026-0700");
                assertThat(q.since()).isNotNull();
                assertThat(q.reason()).contains("stopped without a clean shutdown", "not re-applied at start");
            });
            assertThat(report.restartPending()).isNull();
        }
    }

    @ParameterizedTest
    @MethodSource("javas")
    void checkIn_reportsRestartPending_whenTheJarTheJvmRunsWasReplaced(Path java) throws Exception {
        Fixture f = new Fixture(java);
        try (TargetJvm app = f.start()) {
            assertThat(f.collect().restartPending()).isNull();
            Path next = TestApp.jar(dir.resolve("fees-2.0.jar"), "2.0", 20, -1);
            Files.move(Files.copy(next, dir.resolve("app/.swap")), f.jar, StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);

            MachineInventory report = f.collect();

            assertThat(report.restartPending()).isNotNull();
            assertThat(report.restartPending().reason()).contains(f.jar.toString(), "changed on disk after the JVM loaded it");
            assertThat(report.restartPending().since()).isNotNull();
        }
    }

    /** An enrolled machine with its own jar, key, trust and state. */
    private final class Fixture {
        final Path java;
        final String name = TestApp.machineName("report");
        final Path jar;
        final Path keys;
        final Path pkg;

        Fixture(Path java) throws Exception {
            this.java = java;
            this.jar = TestApp.jar(Files.createDirectories(dir.resolve("app")).resolve("fees.jar"), "1.0", 10, -1);
            this.keys = dir.resolve("keys");
            SigningKey key = SigningKey.generate(keys, "CN=Report Test");
            this.pkg = TestApp.hotpatch(dir.resolve("KB2026-0700.hotpatch"), "KB2026-0700", jar, 5, key, dir);
        }

        TargetJvm start() {
            TargetJvm t = TargetJvm.builder(java).classpath(jar).mainClass(TestApp.MAIN).dynamicAgentLoading(false)
                    .jvmArgs("-javaagent:" + AgentJar.path() + "=name=" + name + ",trust=" + keys + ",state=" + dir.resolve("state"))
                    .start();
            t.await(l -> l.startsWith("fees 1.0 started"), Duration.ofSeconds(30));
            return t;
        }

        ApplyResult apply(TargetJvm app) {
            try (AgentClient c = AgentClient.connect(app.pid(), "", keys, null)) {
                return c.apply(pkg, keys, "test");
            }
        }

        String patchedSha() {
            return HotpatchPackage.read(pkg, false).manifest().classes().get(0).sha256();
        }

        MachineInventory collect() throws java.io.IOException {
            // The node manages only the machines its config lists.
            NodeConfig config = NodeConfig.load(Files.writeString(dir.resolve("node.properties"), "machine." + name + ".timeZone = UTC\n"));
            MachineDiscovery discovery = new MachineDiscovery(config, pid -> Optional.empty());
            LocalMachine m = discovery.discover().machine(name).orElseThrow(() -> new AssertionError("machine " + name + " not found"));
            return new InventoryCollector(config, new CodeHashes(), n -> List.of()).collect(m).report();
        }
    }
}
