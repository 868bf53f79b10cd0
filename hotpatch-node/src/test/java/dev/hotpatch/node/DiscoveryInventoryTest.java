package dev.hotpatch.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpatch.format.Sha256;
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
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiscoveryInventoryTest {
    @TempDir
    Path dir;

    @Test
    void discover_findsJvmNamedByProperty_andInventoryHashesItsJar() throws Exception {
        Path appDir = Files.createDirectories(dir.resolve("app"));
        Path jar = TestApp.jar(appDir.resolve("fees.jar"), "1.0", 10, -1);
        String name = TestApp.machineName("disc");
        // A relative class path entry, resolved against the JVM's working folder.
        try (TargetJvm target = TargetJvm.builder(Jdks.java17()).directory(appDir).classpath(Path.of("fees.jar"))
                .jvmArgs("-Dhotpatch.machine=" + name).mainClass(TestApp.MAIN).start()) {
            target.await(l -> l.startsWith("fees 1.0 started"), Duration.ofSeconds(20));
            NodeConfig all = NodeConfig.load(Files.writeString(dir.resolve("all.properties"), "node.manage = all\n"));
            MachineDiscovery discovery = new MachineDiscovery(all, pid -> Optional.empty());

            Optional<LocalMachine> found = discovery.discover().machine(name);

            assertThat(found).isPresent();
            LocalMachine m = found.get();
            assertThat(m.pid()).isEqualTo(target.pid());
            assertThat(m.source()).isEqualTo(LocalMachine.NameSource.PROPERTY);
            assertThat(m.problem()).isEmpty();
            assertThat(m.workingDir()).isEqualTo(appDir.toRealPath());
            assertThat(m.classPath()).containsExactly(appDir.toRealPath().resolve("fees.jar"));

            CodeHashes hashes = new CodeHashes();
            InventoryCollector collector = new InventoryCollector(all, hashes, n -> List.of());
            MachineInventory report = collector.collect(m).report();

            assertThat(report.name()).isEqualTo(name);
            assertThat(report.pid()).isEqualTo(target.pid());
            assertThat(report.jvm().version()).startsWith("17");
            assertThat(report.jvm().vendor()).isNotEmpty();
            assertThat(report.agent().present()).isFalse();
            assertThat(report.agent().mode()).isEqualTo("none");
            assertThat(report.hotpatchStatus()).isEqualTo("Enabled");
            assertThat(report.jars()).containsExactly(new MachineInventory.Hash("fees.jar", Sha256.hex(jar)));
            assertThat(report.classes()).contains(new MachineInventory.Hash(TestApp.FEES, Sha256.hex(TestApp.feesBytes(jar))));
            assertThat(report.startedAt()).isNotNull();
            assertThat(report.problems()).isEmpty();

            long computed = hashes.computed();
            collector.collect(m);
            assertThat(hashes.computed()).as("an unchanged jar is hashed once (cache by path, size, mtime)").isEqualTo(computed);
            Files.setLastModifiedTime(jar, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 5000));
            collector.collect(m);
            assertThat(hashes.computed()).as("a touched jar is hashed again").isEqualTo(computed + 1);
        }
    }

    @Test
    void discover_leavesUnnamedJvmsAlone_andAdoptsThemByConfigMatch() throws Exception {
        Path jar = TestApp.jar(dir.resolve("fees.jar"), "1.0", 10, -1);
        // A main class of its own, so that the match cannot meet another test's JVM of the same app on this host.
        String main = "demo.Match" + java.util.UUID.randomUUID().toString().replace("-", "");
        Path launcher = dev.hotpatch.testkit.JarMaker.compile(dir.resolve("launcher.jar"), Map.of(main, "package demo;\npublic class "
                + main.substring(5) + " {\n  public static void main(String[] a) throws Exception { App.main(a); }\n}\n"), List.of(jar), 11);
        String name = TestApp.machineName("match");
        Path config = Files.writeString(dir.resolve("node.properties"), "machine." + name + ".match = " + main + "\n"
                + "machine." + name + ".timeZone = Asia/Tokyo\nmachine." + name + ".region = ap-east\n");
        try (TargetJvm target = TargetJvm.builder(Jdks.java17()).classpath(jar, launcher).mainClass(main).start()) {
            target.await(l -> l.startsWith("fees 1.0 started"), Duration.ofSeconds(20));

            MachineDiscovery.Found plain = new MachineDiscovery(NodeConfig.defaults(), pid -> Optional.empty()).discover();
            assertThat(plain.machines()).noneMatch(m -> m.pid() == target.pid());
            assertThat(plain.unnamed()).anyMatch(j -> j.pid() == target.pid());

            NodeConfig cfg = NodeConfig.load(config);
            LocalMachine m = new MachineDiscovery(cfg, pid -> Optional.empty()).discover().machine(name).orElseThrow();
            assertThat(m.pid()).isEqualTo(target.pid());
            assertThat(m.source()).isEqualTo(LocalMachine.NameSource.CONFIG);
            MachineInventory report = new InventoryCollector(cfg, new CodeHashes(), n -> List.of("KB-R-1")).collect(m).report();
            assertThat(report.config().timeZone()).isEqualTo("Asia/Tokyo");
            assertThat(report.config().region()).isEqualTo("ap-east");
            assertThat(report.installedUpdates()).containsExactly("KB-R-1");
            assertThat(report.restart()).isEqualTo("none");
        }
    }

    @Test
    void discover_byDefault_doesNotAdoptANamedJvmItsConfigDoesNotList_andSaysHowTo() throws Exception {
        Path jar = TestApp.jar(dir.resolve("fees.jar"), "1.0", 10, -1);
        String name = TestApp.machineName("unasked");
        try (TargetJvm target = TargetJvm.builder(Jdks.java17()).classpath(jar).jvmArgs("-Dhotpatch.machine=" + name)
                .mainClass(TestApp.MAIN).start()) {
            target.await(l -> l.startsWith("fees 1.0 started"), Duration.ofSeconds(20));

            MachineDiscovery.Found found = new MachineDiscovery(NodeConfig.defaults(), pid -> Optional.empty()).discover();
            assertThat(found.machine(name)).as("a JVM that only names itself is not adopted by default").isEmpty();
            assertThat(found.notices()).anyMatch(n -> n.contains("'" + name + "'") && n.contains("machine." + name + ".")
                    && n.contains("node.manage = all"));

            Path config = Files.writeString(dir.resolve("node.properties"), "machine." + name + ".region = eu-west\n");
            assertThat(new MachineDiscovery(NodeConfig.load(config), pid -> Optional.empty()).discover().machine(name))
                    .as("listing it in the config adopts it").isPresent();
        }
    }

    /**
     * A hotpatch's fix-up reaches the fleet: the report says which class it is and whether its
     * afterApply() ran in the JVM, in the agent's words (the console and the API show it).
     */
    @Test
    void inventory_reportsAHotpatchsFixup_asTheAgentListsIt() throws Exception {
        Path jar = TestApp.jar(dir.resolve("fixup-fees.jar"), "1.0", 10, -1);
        String name = TestApp.machineName("fixup");
        Path keys = dir.resolve("keys");
        dev.hotpatch.format.SigningKey key = dev.hotpatch.format.SigningKey.generate(keys, "CN=Fix-up Test");
        Path pkg = TestApp.hotpatchWithFixup(dir.resolve("KB2026-7001.hotpatch"), "KB2026-7001", jar, 20, key, dir);
        NodeConfig config = NodeConfig.load(Files.writeString(dir.resolve("fixup.properties"), "machine." + name + ".timeZone = UTC\n"));
        try (TargetJvm target = TargetJvm.builder(Jdks.java17()).classpath(jar).jvmArgs("-Dhotpatch.machine=" + name)
                .mainClass(TestApp.MAIN).start()) {
            target.await(l -> l.startsWith("fees 1.0 started"), Duration.ofSeconds(30));
            try (dev.hotpatch.attach.AgentClient c = dev.hotpatch.attach.AgentClient.connect(target.pid(), name)) {
                dev.hotpatch.attach.ApplyResult r = c.apply(pkg, keys, "test");
                assertThat(r.outcome()).as(r.toString()).isEqualTo(dev.hotpatch.attach.Outcome.OK);
            }
            LocalMachine m = new MachineDiscovery(config, pid -> Optional.empty()).discover().machine(name).orElseThrow();

            MachineInventory report = new InventoryCollector(config, new CodeHashes(), n -> List.of()).collect(m).report();

            MachineInventory.Hotpatch hp = report.hotpatches().get(0);
            assertThat(hp.id()).isEqualTo("KB2026-7001");
            assertThat(hp.fixup()).as(report.toString()).isNotNull();
            assertThat(hp.fixup().className()).isEqualTo("demo.FeesFixup");
            assertThat(hp.fixup().state()).isEqualTo("ran");
            assertThat(hp.fixup().detail()).contains("afterApply() ran in 1 class loader");
            String json = new com.fasterxml.jackson.databind.ObjectMapper().findAndRegisterModules().writeValueAsString(report);
            assertThat(json).contains("\"fixup\":{\"className\":\"demo.FeesFixup\",\"state\":\"ran\"");
        }
    }

    /**
     * Found by the health-gated rollout test: a listing of the host's JVMs that comes back late
     * (another JVM on the host is stopped, or the host is loaded) holds what each JVM was before
     * an agent was loaded into it. A report built from it said "no agent, no hotpatch" right after
     * an install, so a rollout's gate failed a healthy machine and skipped the live rollback of a
     * broken one. An agent never leaves its JVM: the fresher look after the command wins.
     */
    @Test
    void agentLoadedAfterAListing_isStillReported_whenTheNextListingComesBackLate() throws Exception {
        Path jar = TestApp.jar(dir.resolve("fees.jar"), "1.0", 10, -1);
        String name = TestApp.machineName("late");
        NodeConfig config = NodeConfig.load(Files.writeString(dir.resolve("late.properties"), "machine." + name + ".timeZone = UTC\n"));
        try (TargetJvm target = TargetJvm.builder(Jdks.java17()).classpath(jar).jvmArgs("-Dhotpatch.machine=" + name)
                .mainClass(TestApp.MAIN).start();
             TargetJvm neighbour = TargetJvm.builder(Jdks.java17()).classpath(jar).mainClass(TestApp.MAIN).start()) {
            target.await(l -> l.startsWith("fees 1.0 started"), Duration.ofSeconds(30));
            neighbour.await(l -> l.startsWith("fees 1.0 started"), Duration.ofSeconds(30));
            MachineDiscovery discovery = new MachineDiscovery(config, pid -> Optional.empty());
            assertThat(discovery.discover().machine(name).orElseThrow().jvm().agentPresent()).isFalse();

            try (dev.hotpatch.attach.AgentClient c = dev.hotpatch.attach.AgentClient.connect(target.pid(), name)) {
                assertThat(c.pid()).isEqualTo(target.pid());
            }
            assertThat(discovery.machineNow(name).orElseThrow().jvm().agentPresent()).as("the look after a command").isTrue();
            Process stop = new ProcessBuilder("kill", "-STOP", Long.toString(neighbour.pid())).start();
            assertThat(stop.waitFor()).isZero();
            try {
                // The new listing waits on the stopped neighbour; discovery answers with the earlier listing meanwhile.
                LocalMachine m = discovery.discover().machine(name).orElseThrow();

                assertThat(m.jvm().agentPresent()).isTrue();
                MachineInventory report = new InventoryCollector(config, new CodeHashes(), n -> List.of()).collect(m).report();
                assertThat(report.agent().present()).as(report.toString()).isTrue();
            } finally {
                new ProcessBuilder("kill", "-CONT", Long.toString(neighbour.pid())).start().waitFor();
            }
        }
    }
}
