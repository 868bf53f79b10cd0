package dev.hotpatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpatch.testkit.Jdks;
import dev.hotpatch.testkit.TargetJvm;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code hotpatch node --standalone}: the seed's local orchestration, a folder of signed packages and a policy, no server. */
class NodeCommandTest {
    @TempDir
    Path tmp;

    @Test
    void standaloneOnce_installsTheCatalogsHotpatchByTheLocalPolicy() throws Exception {
        Path keys = tmp.resolve("keys");
        assertThat(CliRun.of("keygen", "--out", keys.toString()).exit()).isZero();
        Path catalog = Files.createDirectories(tmp.resolve("catalog"));
        CliRun build = CliRun.of("build", "--baseline", FeesApp.V1.toString(), "--patched", FeesApp.V101.toString(), "--id", "KB2026-0201",
                "--title", "Round card fees half-up", "--classification", "Security", "--key", keys.toString(),
                "--out", catalog.resolve("KB2026-0201.hotpatch").toString());
        assertThat(build.exit()).as(build.toString()).isZero();
        String name = FeesApp.name("standalone");
        Path config = Files.writeString(tmp.resolve("node.properties"), "node.manage = configured\n"
                + "node.trust = " + keys + "\n"
                + "policy.classifications = Critical, Security\n"
                + "machine." + name + ".timeZone = Europe/Paris\n", StandardCharsets.UTF_8);
        try (TargetJvm app = FeesApp.start(Jdks.java17(), FeesApp.V1, name, tmp.resolve("agent-state"))) {
            assertThat(FeesApp.fee(app)).isEqualTo("fee 100 = 2");

            CliRun node = CliRun.of("node", "--standalone", "--catalog", catalog.toString(), "--config", config.toString(),
                    "--data", tmp.resolve("node-data").toString(), "--once");

            assertThat(node.exit()).as(node.toString()).isZero();
            assertThat(node.out()).contains("one round done").contains(name);
            assertThat(FeesApp.fee(app)).isEqualTo("fee 100 = 3");
            CliRun list = CliRun.of("list", "--pid", Long.toString(app.pid()));
            assertThat(list.out()).contains("KB2026-0201").contains(name);
            assertThat(Files.readString(tmp.resolve("node-data/history.jsonl"))).contains("KB2026-0201");
        }
    }

    @Test
    void badConfig_isAUsageErrorNamingTheKey() throws Exception {
        Path config = Files.writeString(tmp.resolve("node.properties"), "machine.x.timeZone = Mars/Olympus\n", StandardCharsets.UTF_8);
        CliRun r = CliRun.of("node", "--standalone", "--catalog", tmp.toString(), "--config", config.toString(),
                "--data", tmp.resolve("d").toString(), "--once");
        assertThat(r.exit()).as(r.toString()).isEqualTo(2);
        assertThat(r.err()).contains("machine.x.timeZone");
    }
}
