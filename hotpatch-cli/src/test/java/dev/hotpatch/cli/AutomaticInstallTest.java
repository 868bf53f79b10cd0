package dev.hotpatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.testkit.Jdks;
import dev.hotpatch.testkit.TargetJvm;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.LinkedHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Automatic installation in a maintenance window, with real components: {@code hotpatch server}
 * in this JVM, a real node, real fees-app JVMs. The fleet's window opened an hour ago in Tokyo
 * (computed from the current time, so it is open whenever the test runs). Machines in patch mode
 * AutomaticByPlatform in Tokyo (Java 17 and 25) get the published Security hotpatch by themselves,
 * with no operator install nor rollout; one in São Paulo, whose same local window is hours away,
 * waits for it; a Manual machine beside them only shows it missing.
 */
class AutomaticInstallTest {
    private static final String KB = FeesCatalog.KB;
    private static final Duration BOUND = Duration.ofSeconds(180);

    @TempDir
    Path tmp;

    @Test
    void automaticMachines_inTheirOpenWindow_installASecurityHotpatchByThemselves_manualOnesOnlyShowItMissing() {
        try (CliServer server = CliServer.start(tmp.resolve("server"), "--check-in-interval", "1s")) {
            Path keys = FeesCatalog.publish(server, tmp);
            // Tokyo and São Paulo keep no daylight-saving time: 12 hours apart all year.
            LocalTime tokyo = ZonedDateTime.now(ZoneId.of("Asia/Tokyo")).toLocalTime().minusHours(1);
            String window = "daily " + tokyo.format(DateTimeFormatter.ofPattern("HH:mm")) + " 3h";
            CliRun set = server.cli("policy", "set", "--fleet", "--window", window, "--soak-minutes", "0");
            assertThat(set.exit()).as(set.toString()).isZero();

            Map<String, Path> machines = new LinkedHashMap<>();
            for (Path java : Jdks.all()) {
                machines.put(FeesApp.name("auto-" + Jdks.featureVersion(java)), java);
            }
            String later = FeesApp.name("auto-saopaulo");
            String manual = FeesApp.name("manual");
            machines.put(later, Jdks.java17());
            machines.put(manual, Jdks.java17());
            List<String> automatic = new ArrayList<>(machines.keySet()).subList(0, Jdks.all().size());
            StringBuilder config = new StringBuilder();
            for (String name : automatic) {
                config.append("machine.").append(name).append(".patchMode = AutomaticByPlatform\n");
                config.append("machine.").append(name).append(".timeZone = Asia/Tokyo\n");
            }
            config.append("machine.").append(later).append(".patchMode = AutomaticByPlatform\n");
            config.append("machine.").append(later).append(".timeZone = America/Sao_Paulo\n");
            config.append("machine.").append(manual).append(".patchMode = Manual\n");

            Map<String, TargetJvm> apps = new LinkedHashMap<>();
            try {
                machines.forEach((name, java) -> apps.put(name, FeesApp.start(java, FeesApp.V1, name, tmp.resolve(name).resolve("agent-state"))));
                Path file = writeConfig(tmp.resolve("node"), "node.name = auto-node\nnode.manage = configured\nnode.trust = " + keys + "\n" + config);
                try (TestNode node = TestNode.start(server, tmp.resolve("node"), file)) {
                    machines.keySet().forEach(server::awaitAssessed);
                    JsonNode policy = server.json("policy", "show", "--machine", automatic.get(0)).path("policy");
                    assertThat(policy.path("automatic").asBoolean()).as(policy.toString()).isTrue();
                    assertThat(policy.path("windowOpen").asBoolean()).as(policy.toString()).isTrue();
                    assertThat(policy.path("timeZone").asText()).isEqualTo("Asia/Tokyo");
                    JsonNode laterPolicy = server.json("policy", "show", "--machine", later).path("policy");
                    assertThat(laterPolicy.path("windowOpen").asBoolean()).as(laterPolicy.toString()).isFalse();

                    for (String name : automatic) {
                        awaitFee(apps.get(name), "fee 100 = 3", name);
                    }

                    JsonNode rollouts = server.json("rollout", "list", "--target", KB).path("rollouts").path("items");
                    assertThat(rollouts).as(rollouts.toString()).hasSize(1);
                    JsonNode rollout = rollouts.get(0);
                    assertThat(rollout.path("origin").asText()).isEqualTo("automatic");
                    String id = rollout.path("id").asText();
                    for (String name : automatic) {
                        assertThat(server.cli("history", "--machine", name).out()).containsPattern("install +" + KB + " +succeeded +rollout:" + id)
                                .doesNotContain("token:");
                    }
                    Map<String, JsonNode> ms = HealthGatedRolloutTest.settled(server, id);
                    List<String> inRollout = new ArrayList<>(automatic);
                    inRollout.add(later);
                    assertThat(ms.keySet()).as("the machines patched automatically, and no other").containsExactlyInAnyOrderElementsOf(inRollout);
                    assertThat(ms.get(later).path("state").asText()).isEqualTo("pending");
                    assertThat(ms.get(later).path("reason").asText()).contains("waiting for its maintenance window");
                    assertThat(FeesApp.fee(apps.get(later))).isEqualTo("fee 100 = 2");

                    JsonNode missing = server.json("updates", "--machine", manual).path("assessment");
                    assertThat(missing.at("/missing/total").asInt()).isEqualTo(1);
                    assertThat(missing.path("updates").get(0).path("kbId").asText()).isEqualTo(KB);
                    assertThat(FeesApp.fee(apps.get(manual))).as("a Manual machine is only assessed").isEqualTo("fee 100 = 2");
                    assertThat(server.cli("history", "--machine", manual).out()).doesNotContain("install ");
                }
            } finally {
                apps.values().forEach(TargetJvm::close);
            }
        }
    }

    private static Path writeConfig(Path dir, String text) {
        try {
            java.nio.file.Files.createDirectories(dir);
            return java.nio.file.Files.writeString(dir.resolve("node.properties"), text);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void awaitFee(TargetJvm app, String want, String name) {
        long deadline = System.nanoTime() + BOUND.toNanos();
        String got = null;
        while (System.nanoTime() < deadline) {
            got = FeesApp.fee(app);
            if (got.equals(want)) {
                return;
            }
            CliServer.sleep(500);
        }
        throw new AssertionError(name + " answers '" + got + "', not '" + want + "', after " + BOUND.toSeconds() + " s");
    }
}
