package dev.hotpatch.server.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.server.testing.BothStores;
import dev.hotpatch.server.testing.SimFleet;
import dev.hotpatch.server.testing.TestServer;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

class RolloutTest {
    private static final String KB = "KB2026-0001";

    /** Twelve machines in one availability set over three update domains: waves of 2 (20% of 12), one UD at a time. */
    private static Map<String, Map<String, Object>> webSet(int n) {
        Map<String, Map<String, Object>> out = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            out.put(String.format("web-%02d", i), SimFleet.config("eu-west", "1", "web", i % 3, "web", "Manual", "Europe/Paris", null));
        }
        return out;
    }

    @BothStores
    void gateFailure_haltsAfterTheFirstWave_andUninstallsLiveOnlyOnTheFailingMachine(TestServer s) throws Exception {
        try (Rig rig = new Rig(s)) {
            rig.publishKb1();
            rig.policy("fleet", Rig.always());
            rig.fleet.machines(rig.scene.jar10, webSet(12));
            // web-03 is in update domain 0 with web-00, web-06 and web-09: the first wave is web-00 and web-03.
            rig.fleet.machine("web-03").breaksOn.add(KB);

            JsonNode started = rig.start(Map.of("update", KB));
            String id = started.get("id").asText();
            assertThat(started.get("state").asText()).isEqualTo("running");
            assertThat(started.get("machineCount").asInt()).isEqualTo(12);
            assertThat(started.get("waveCount").asInt()).isEqualTo(6);
            assertThat(started.at("/waves/0/description").asText()).contains("set web UD 0 (2 of 12)");
            assertThat(started.get("origin").asText()).isEqualTo("operator");

            JsonNode r = rig.drive(id, Duration.ofMinutes(2), 30);
            assertThat(r.get("state").asText()).as(r.toString()).isEqualTo("halted");
            // Halted: nobody new starts, but the wave's other machine is still judged.
            r = rig.finishInFlight(id, Duration.ofMinutes(2), 30);
            assertThat(r.get("currentWave").asInt()).isEqualTo(1);
            assertThat(r.get("haltReason").asText()).contains("error budget exceeded").contains("web-03").contains("health check failing")
                    .contains("HTTP 503");
            Map<String, String> states = rig.states(id);
            assertThat(states).containsEntry("web-00", "healthy").containsEntry("web-03", "rolled_back");
            assertThat(states.entrySet().stream().filter(e -> !e.getKey().equals("web-00") && !e.getKey().equals("web-03"))
                    .map(Map.Entry::getValue).collect(Collectors.toSet())).containsExactly("pending");
            // Rolled back live on the failing machine only; the healthy one keeps the fix; nobody else was touched.
            assertThat(rig.fleet.machine("web-03").live()).isEmpty();
            assertThat(rig.fleet.machine("web-03").commands()).containsExactly("install_hotpatch " + KB, "uninstall_hotpatch " + KB);
            assertThat(rig.fleet.machine("web-00").live()).containsExactly(KB);
            assertThat(rig.fleet.machine("web-00").commands()).containsExactly("install_hotpatch " + KB);
            for (String other : List.of("web-01", "web-06", "web-09", "web-11")) {
                assertThat(rig.fleet.machine(other).commands()).isEmpty();
            }
            // History says who did what and why.
            List<JsonNode> h = rig.history("web-03");
            assertThat(h).extracting(e -> e.get("action").asText() + ":" + e.get("outcome").asText() + ":" + e.get("actor").asText())
                    .contains("health-gate:failed:rollout:" + id, "uninstall:succeeded:rollout:" + id, "install:succeeded:rollout:" + id);
            assertThat(h.stream().filter(e -> e.get("action").asText().equals("health-gate")).findFirst().orElseThrow().get("details").asText())
                    .contains("health check failing");
            JsonNode m03 = rig.machines(id).stream().filter(m -> m.get("machine").asText().equals("web-03")).findFirst().orElseThrow();
            assertThat(m03.get("reason").asText()).contains("health gate failed").contains("uninstalled " + KB + " live");
            assertThat(r.get("events")).anyMatch(e -> e.get("kind").asText().equals("halted"));

            // The halt holds: more automation runs start nobody.
            s.clock.advance(Duration.ofHours(1));
            rig.tick();
            assertThat(rig.rollout(id).get("state").asText()).isEqualTo("halted");
            assertThat(rig.fleet.machine("web-01").commands()).isEmpty();

            // Resume acknowledges the failure and goes on; web-03 stays rolled back and is not retried.
            rig.fleet.machine("web-03").breaksOn.clear();
            TestServer.Response resumed = s.post("/api/v1/rollouts/" + id + "/resume", s.adminToken, Map.of("note", "web-03's check was flaky"));
            assertThat(resumed.status()).as(resumed.body()).isEqualTo(200);
            JsonNode done = rig.drive(id, Duration.ofMinutes(2), 100);
            assertThat(done.get("state").asText()).as(done.toString()).isEqualTo("completed");
            assertThat(rig.states(id).values().stream().filter("healthy"::equals).count()).isEqualTo(11);
            assertThat(rig.fleet.machine("web-03").commands()).hasSize(2);
            assertThat(done.get("events")).anyMatch(e -> e.get("kind").asText().equals("resumed") && e.get("message").asText().contains("flaky"));
        }
    }
}
