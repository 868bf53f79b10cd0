package dev.hotpatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.testkit.Jdks;
import dev.hotpatch.testkit.TargetJvm;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash quarantine across the whole chain, with real components: {@code hotpatch server} in this
 * JVM, a real node, and enrolled fees-app JVMs (the agent loaded at start, dynamic loading off) on
 * Java 17 and 25 in patch mode AutomaticByPlatform. The server installs the hotpatch by itself;
 * each JVM is killed (SIGKILL) within its probation and started again; its agent does not re-apply
 * the hotpatch, the node reports it quarantined, and the server blocks the update for the image:
 * no automatic install, an operator's rollout refused with {@code update-quarantined}, until
 * {@code hotpatch quarantine clear}, after which the server installs it again by itself. On
 * PostgreSQL (the health-gate and window tests beside it run on SQLite; the server's own rollout
 * tests cover both stores).
 */
class CrashQuarantineFleetTest {
    private static final String KB = FeesCatalog.KB;
    private static final Duration BOUND = Duration.ofSeconds(180);

    @TempDir
    Path tmp;

    @Test
    void jvmKilledWithinProbation_isNotPatchedAgain_andTheServerBlocksTheUpdate_untilAnOperatorClearsIt() {
        try (CliServer server = CliServer.start(tmp.resolve("server"), CliServer.storeArgs("postgresql", "--check-in-interval", "1s"))) {
            Path keys = FeesCatalog.publish(server, tmp);
            Path agent = Path.of(CliRun.of("agent-path").out().trim());
            assertThat(server.json("policy", "set", "--fleet", "--window", "always", "--soak-minutes", "0").toString())
                    .contains("\"window\":\"always\"");
            List<Path> javas = Jdks.all();
            List<String> names = new ArrayList<>();
            List<TargetJvm> apps = new ArrayList<>();
            StringBuilder config = new StringBuilder();
            for (Path java : javas) {
                String name = FeesApp.name("crash-" + Jdks.featureVersion(java));
                names.add(name);
                config.append("machine.").append(name).append(".patchMode = AutomaticByPlatform\n");
            }
            try {
                for (int i = 0; i < javas.size(); i++) {
                    apps.add(enrolled(javas.get(i), agent, keys, names.get(i)));
                }
                try (TestNode node = TestNode.start(server, tmp.resolve("node"),
                        HealthGatedRolloutTest.nodeConfig(tmp.resolve("node"), keys, names, config))) {
                    // Installed by the server itself: nobody calls install or starts a rollout.
                    JsonNode first = awaitRollout(server, r -> r.path("state").asText().equals("completed"), "an automatic rollout completed");
                    assertThat(first.path("origin").asText()).isEqualTo("automatic");
                    for (TargetJvm app : apps) {
                        assertThat(FeesApp.fee(app)).isEqualTo("fee 100 = 3");
                    }

                    // Killed within the probation (10 min by default), then started again on the same state.
                    List<Long> oldPids = new ArrayList<>();
                    for (int i = 0; i < apps.size(); i++) {
                        oldPids.add(apps.get(i).pid());
                        apps.get(i).kill();
                        apps.set(i, enrolled(javas.get(i), agent, keys, names.get(i)));
                    }
                    for (int i = 0; i < apps.size(); i++) {
                        assertThat(apps.get(i).pid()).isNotEqualTo(oldPids.get(i));
                        assertThat(FeesApp.fee(apps.get(i))).as("the agent did not re-apply it").isEqualTo("fee 100 = 2");
                        assertThat(apps.get(i).output()).anyMatch(l -> l.startsWith("[hotpatch] persisted hotpatch " + KB + " is quarantined"));
                    }

                    JsonNode q = awaitQuarantine(server, names.size());
                    String qid = q.path("id").asText();
                    assertThat(q.path("kbId").asText()).isEqualTo(KB);
                    assertThat(q.path("image").asText()).isEqualTo(FeesCatalog.IMAGE);
                    assertThat(q.path("reason").asText()).contains("stopped without a clean shutdown");
                    assertThat(names).contains(q.path("machine").asText());
                    assertThat(server.cli("history", "--machine", q.path("machine").asText()).out())
                            .containsPattern("quarantine +" + KB + " +quarantined +agent");
                    assertThat(server.cli("quarantine", "list").out()).contains(qid).contains(KB).contains("active");

                    // Blocked for the image: not approved, an operator's rollout refused, nothing installs by itself.
                    assertThat(server.cli("rollout", "approvals", "--image", FeesCatalog.IMAGE).out()).contains("quarantined since");
                    CliRun refused = server.cli("rollout", "start", "--update", KB, "--now");
                    assertThat(refused.exit()).as(refused.toString()).isEqualTo(3);
                    assertThat(refused.err()).contains("update-quarantined").contains(FeesCatalog.IMAGE);
                    JsonNode rollouts = server.json("rollout", "list", "--target", KB).path("rollouts");
                    assertThat(rollouts.path("items")).as(rollouts.toString()).hasSize(1);
                    for (TargetJvm app : apps) {
                        assertThat(FeesApp.fee(app)).isEqualTo("fee 100 = 2");
                    }

                    CliRun clear = server.cli("quarantine", "clear", qid, "--note", "the crash was the host's, not the fix's");
                    assertThat(clear.exit()).as(clear.toString()).isZero();
                    assertThat(server.cli("history", "--machine", q.path("machine").asText()).out())
                            .containsPattern("quarantine +" + KB + " +cleared");

                    // Cleared: the server installs it again by itself, on every machine.
                    JsonNode second = awaitRollout(server, r -> !r.path("id").asText().equals(first.path("id").asText())
                            && r.path("state").asText().equals("completed"), "a second automatic rollout completed");
                    assertThat(second.path("origin").asText()).isEqualTo("automatic");
                    for (TargetJvm app : apps) {
                        assertThat(FeesApp.fee(app)).as("applied again after the clearing").isEqualTo("fee 100 = 3");
                    }
                    assertThat(server.json("quarantine", "list", "--state", "active").path("quarantines").path("items")).isEmpty();
                }
            } finally {
                apps.forEach(TargetJvm::close);
            }
        }
    }

    private TargetJvm enrolled(Path java, Path agent, Path keys, String name) {
        Path state = tmp.resolve(name).resolve("agent-state");
        TargetJvm t = TargetJvm.builder(java).classpath(FeesApp.V1).mainClass("acme.FeesApp").dynamicAgentLoading(false)
                .jvmArgs("-javaagent:" + agent + "=name=" + name + ",trust=" + keys + ",state=" + state, "-Dhotpatch.machine=" + name)
                .start();
        t.await(l -> l.startsWith("ready"), TargetJvm.REQUEST_TIMEOUT);
        // Serving: acme.Fees is loaded before any hotpatch comes (see the report: a class not loaded yet fails the gate).
        FeesApp.fee(t);
        return t;
    }

    /** The first rollout of {@value #KB} that {@code match} accepts, polled through {@code rollout list --json}. */
    private static JsonNode awaitRollout(CliServer server, Predicate<JsonNode> match, String what) {
        long deadline = System.nanoTime() + BOUND.toNanos();
        JsonNode list = null;
        while (System.nanoTime() < deadline) {
            list = server.json("rollout", "list", "--target", KB).path("rollouts");
            for (JsonNode r : list.path("items")) {
                if (match.test(r)) {
                    return r;
                }
            }
            CliServer.sleep(500);
        }
        throw new AssertionError("not: " + what + " within " + BOUND.toSeconds() + " s: " + list);
    }

    /** The active quarantine of {@value #KB} once {@code reporting} machines report it. */
    private static JsonNode awaitQuarantine(CliServer server, int reporting) {
        long deadline = System.nanoTime() + BOUND.toNanos();
        JsonNode list = null;
        while (System.nanoTime() < deadline) {
            list = server.json("quarantine", "list", "--state", "active").path("quarantines");
            for (JsonNode q : list.path("items")) {
                if (q.path("kbId").asText().equals(KB) && q.path("reporting").asInt() >= reporting) {
                    return q;
                }
            }
            CliServer.sleep(500);
        }
        throw new AssertionError("no active quarantine of " + KB + " reported by " + reporting + " machine(s) within " + BOUND.toSeconds()
                + " s: " + list);
    }
}
