package dev.hotpatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.testkit.Jdks;
import dev.hotpatch.testkit.TargetJvm;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Automatic patching through the CLI against real components: {@code hotpatch server} in this JVM,
 * a real node, and a real fees-app JVM per test JDK. The operator sets the fleet's policy, starts a
 * rollout, follows it to its end (each JVM patched live, one wave after the other), and reads
 * compliance; bad input and refusals exit 2 and 3.
 */
class RolloutCliTest {
    static final String KB = FeesCatalog.KB;

    @TempDir
    Path tmp;

    @Test
    void rollout_throughTheCli_patchesRealJvmsWaveByWave_andComplianceShowsThemFixedInMemory() {
        try (CliServer server = CliServer.start(tmp.resolve("server"), "--check-in-interval", "1s")) {
            Path keys = FeesCatalog.publish(server, tmp);
            List<TargetJvm> apps = new ArrayList<>();
            List<String> names = new ArrayList<>();
            try {
                for (Path java : Jdks.all()) {
                    String name = FeesApp.name("ro-" + Jdks.featureVersion(java));
                    names.add(name);
                    apps.add(FeesApp.start(java, FeesApp.V1, name, tmp.resolve(name).resolve("agent-state")));
                }
                try (TestNode node = TestNode.start(server, tmp.resolve("node"), keys, names)) {
                    names.forEach(server::awaitAssessed);

                    CliRun set = server.cli("policy", "set", "--fleet", "--window", "always", "--soak-minutes", "0");
                    assertThat(set.exit()).as(set.toString()).isZero();
                    assertThat(set.out()).contains("\"window\":\"always\"");
                    CliRun show = server.cli("policy", "show", "--machine", names.get(0));
                    assertThat(show.exit()).as(show.toString()).isZero();
                    assertThat(show.out()).contains("not patched automatically: patch mode is Manual (from default)")
                            .containsPattern("window +always +fleet").containsPattern("timeZone +Europe/Paris +node config");
                    CliRun approvals = server.cli("rollout", "approvals", "--image", FeesCatalog.IMAGE);
                    assertThat(approvals.out()).contains(KB).contains("approved by the image's rules");

                    JsonNode started = server.json("rollout", "start", "--update", KB).path("rollout");
                    String id = started.path("id").asText();
                    assertThat(started.path("machineCount").asInt()).isEqualTo(names.size());
                    assertThat(started.path("waveCount").asInt()).as("a loose group of machines goes one at a time").isEqualTo(names.size());
                    JsonNode r = awaitEnd(server, id);
                    assertThat(r.path("state").asText()).as(r.toString()).isEqualTo("completed");
                    assertThat(r.path("machines").path("healthy").asInt()).isEqualTo(names.size());
                    for (TargetJvm app : apps) {
                        assertThat(FeesApp.fee(app)).as("patched live by the rollout").isEqualTo("fee 100 = 3");
                        assertThat(app.isAlive()).isTrue();
                    }

                    CliRun list = server.cli("rollout", "list");
                    assertThat(list.out()).contains(id).contains("completed").contains(names.size() + "/" + names.size() + " healthy");
                    CliRun detail = server.cli("rollout", "show", id, "--machines");
                    assertThat(detail.out()).contains("State: completed").contains("wave-completed").contains(names.get(0)).contains("healthy");
                    assertThat(server.cli("history", "--machine", names.get(0)).out()).containsPattern("install +" + KB + " +succeeded +rollout:" + id)
                            .containsPattern("health-gate +" + KB + " +succeeded +rollout:" + id);

                    CliRun compliance = server.cli("compliance");
                    assertThat(compliance.exit()).as(compliance.toString()).isZero();
                    assertThat(compliance.out()).contains(KB).containsPattern(KB + " .* " + names.size() + " +" + names.size() + " +0 +0 ");
                    CliRun perMachine = server.cli("compliance", "--kb", KB);
                    assertThat(perMachine.out()).contains("fixed in memory").contains("onto the baseline due");

                    // Refusals and usage errors.
                    CliRun again = server.cli("rollout", "start", "--update", KB);
                    assertThat(again.exit()).as("nothing left to patch\n" + again).isEqualTo(3);
                    assertThat(again.err()).contains("409 nothing-to-roll-out");
                    assertThat(server.cli("rollout", "start").exit()).isEqualTo(2);
                    CliRun badWindow = server.cli("policy", "set", "--fleet", "--window", "nightly 01:00 4h");
                    assertThat(badWindow.exit()).isEqualTo(2);
                    assertThat(badWindow.err()).contains("policy field window").contains("'nightly' is not daily, weekly or monthly");
                    assertThat(server.cli("rollout", "resume", id).exit()).as("a completed rollout is not halted").isEqualTo(3);
                    assertThat(server.cli("rollout", "show", "ro-nothing").exit()).isEqualTo(2);
                    assertThat(server.cli("quarantine", "list").out()).contains("No quarantines");
                    assertThat(server.cli("policy", "list").out()).contains("fleet").contains("soakMinutes");
                }
            } finally {
                apps.forEach(TargetJvm::close);
            }
        }
    }

    private static JsonNode awaitEnd(CliServer server, String id) {
        long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
        JsonNode r = null;
        while (System.nanoTime() < deadline) {
            r = server.json("rollout", "show", id).path("rollout");
            if (!r.path("state").asText().equals("running")) {
                return r;
            }
            CliServer.sleep(500);
        }
        throw new AssertionError("rollout " + id + " still running after 180 s: " + r);
    }
}
