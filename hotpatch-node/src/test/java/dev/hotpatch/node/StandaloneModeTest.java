package dev.hotpatch.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpatch.attach.AgentClient;
import dev.hotpatch.attach.InstalledHotpatch;
import dev.hotpatch.attach.LocalJvms;
import dev.hotpatch.format.Sha256;
import dev.hotpatch.format.SigningKey;
import dev.hotpatch.node.command.Action;
import dev.hotpatch.node.command.Artifact;
import dev.hotpatch.node.command.CommandResult;
import dev.hotpatch.node.command.Status;
import dev.hotpatch.node.standalone.History;
import dev.hotpatch.testkit.Jdks;
import dev.hotpatch.testkit.TargetJvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StandaloneModeTest {
    private static final ZoneId PARIS = ZoneId.of("Europe/Paris");

    @TempDir
    Path dir;

    private Path jar;
    private Path catalog;
    private Path keyDir;
    private String name;

    @BeforeEach
    void packages() throws Exception {
        jar = TestApp.jar(dir.resolve("app/fees.jar"), "1.0", 10, -1);
        keyDir = dir.resolve("key");
        SigningKey key = SigningKey.generate(keyDir, "CN=Node Test Publisher");
        catalog = Files.createDirectories(dir.resolve("catalog"));
        TestApp.hotpatch(catalog.resolve("KB-T-0001.hotpatch"), "KB-T-0001", jar, 20, key, dir);
        Path otherBuild = TestApp.jar(dir.resolve("other/fees.jar"), "9.0", 7, -1);
        TestApp.hotpatch(catalog.resolve("KB-T-0009.hotpatch"), "KB-T-0009", otherBuild, 3, key, dir);
        name = TestApp.machineName("alone");
    }

    private Node node(LocalDateTime parisTime) throws Exception {
        Path config = Files.writeString(dir.resolve("node.properties"), "node.manage = configured\n"
                + "node.trust = " + keyDir + "\n"
                + "machine." + name + ".timeZone = Europe/Paris\n"
                + "machine." + name + ".window = Sat 02:00-04:00\n");
        Clock clock = Clock.fixed(parisTime.atZone(PARIS).toInstant(), ZoneOffset.UTC);
        return Node.fromOptions(NodeOptions.standalone(catalog).withConfig(config).withDataDir(dir.resolve("data")).withClock(clock));
    }

    @Test
    void standalone_appliesInWindowOnly_andLogsEveryDecision() throws Exception {
        try (TargetJvm target = TargetJvm.builder(Jdks.java17()).classpath(jar)
                .jvmArgs("-Dhotpatch.machine=" + name, "-Dhotpatch.state=" + dir.resolve("agent-state"))
                .mainClass(TestApp.MAIN).start()) {
            target.await(l -> l.startsWith("fees 1.0 started"), Duration.ofSeconds(20));

            // 2026-03-21 is a Saturday: 05:00 in Paris is after the 02:00-04:00 window.
            try (Node outside = node(LocalDateTime.parse("2026-03-21T05:00"))) {
                outside.runOnce();
                outside.runOnce();
            }
            assertThat(target.request("fee", "fee=")).isEqualTo("fee=10");
            assertThat(LocalJvms.find(target.pid()).orElseThrow().agentPresent()).as("nothing was loaded outside the window").isFalse();
            List<History.Entry> before = History.open(dir.resolve("data")).read();
            assertThat(before).filteredOn(e -> "KB-T-0001".equals(e.kbId())).singleElement()
                    .satisfies(e -> {
                        assertThat(e.outcome()).isEqualTo("deferred");
                        assertThat(e.machine()).isEqualTo(name);
                        assertThat(e.message()).contains("Sat 02:00-04:00").contains("Europe/Paris");
                    });
            assertThat(before).filteredOn(e -> "KB-T-0009".equals(e.kbId())).singleElement()
                    .satisfies(e -> assertThat(e.outcome()).isEqualTo("not_applicable"));

            try (Node inside = node(LocalDateTime.parse("2026-03-21T03:00"))) {
                inside.runOnce();
                assertThat(target.request("fee", "fee=")).isEqualTo("fee=5");
                try (AgentClient agent = AgentClient.connect(target.pid())) {
                    assertThat(agent.list()).extracting(InstalledHotpatch::id).containsExactly("KB-T-0001");
                }
                List<History.Entry> after = History.open(dir.resolve("data")).read();
                History.Entry install = after.stream().filter(e -> "install_hotpatch".equals(e.action())).findFirst().orElseThrow();
                assertThat(install.kbId()).isEqualTo("KB-T-0001");
                assertThat(install.outcome()).isEqualTo("succeeded");
                assertThat(install.actor()).startsWith("standalone-policy@");
                assertThat(install.command()).startsWith("local-");

                inside.runOnce();
                assertThat(History.open(dir.resolve("data")).read()).as("an installed package is not installed again")
                        .filteredOn(e -> "install_hotpatch".equals(e.action())).hasSize(1);

                // The agent's own check: a package for another build is refused as not applicable, not as an error.
                Path other = catalog.resolve("KB-T-0009.hotpatch");
                CommandResult r = inside.run(name, new Action.InstallHotpatch("KB-T-0009",
                        new Artifact(other.getFileName().toString(), Sha256.hex(other), other.toUri())), "test");
                assertThat(r.status()).isEqualTo(Status.NOT_APPLICABLE);
                assertThat(r.message()).contains("does not match the baseline");
                assertThat(target.request("fee", "fee=")).isEqualTo("fee=5");
            }
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("data/history.jsonl"))))
                    .isEqualTo("rw-------");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("data")))).isEqualTo("rwx------");
        }
    }

    @Test
    void standalone_refusesUntrustedPackageAndRecordsWhy() throws Exception {
        Files.delete(catalog.resolve("KB-T-0001.hotpatch"));
        Files.delete(catalog.resolve("KB-T-0009.hotpatch"));
        // A package signed by a publisher the node does not trust.
        SigningKey stranger = SigningKey.generate(dir.resolve("stranger"), "CN=Stranger");
        TestApp.hotpatch(catalog.resolve("KB-T-0002.hotpatch"), "KB-T-0002", jar, 20, stranger, dir);
        try (TargetJvm target = TargetJvm.builder(Jdks.java17()).classpath(jar)
                .jvmArgs("-Dhotpatch.machine=" + name, "-Dhotpatch.state=" + dir.resolve("agent-state"))
                .mainClass(TestApp.MAIN).start();
             Node node = node(LocalDateTime.parse("2026-03-21T03:00"))) {
            target.await(l -> l.startsWith("fees 1.0 started"), Duration.ofSeconds(20));
            node.runOnce();
            assertThat(target.request("fee", "fee=")).isEqualTo("fee=10");
            List<History.Entry> h = History.open(dir.resolve("data")).read();
            assertThat(h).anySatisfy(e -> {
                assertThat(e.outcome()).isEqualTo("refused");
                assertThat(e.message()).contains("KB-T-0002.hotpatch").contains("not a trusted publisher");
            });
            assertThat(h).noneMatch(e -> "install_hotpatch".equals(e.action()));
        }
    }
}
