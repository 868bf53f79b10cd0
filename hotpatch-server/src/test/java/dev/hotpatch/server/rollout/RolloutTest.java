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

    /**
     * Planning resolves every machine's policy with one resolver, which reuses a resolution for
     * machines with the same inputs: machines that differ only in their own policy, their ring tag
     * or their node's patch mode must still be told apart.
     */
    @BothStores
    void oneRolloutsPlanning_resolvesEachMachinesOwnPolicy(TestServer s) throws Exception {
        try (Rig rig = new Rig(s)) {
            rig.publishKb1();
            rig.policy("fleet", Rig.always());
            rig.policy("image/acme:fees:1.x", Map.of("rings", List.of("canary", "broad"), "ringTag", "tier"));
            Map<String, Map<String, Object>> ms = new LinkedHashMap<>();
            for (String n : List.of("a-1", "a-2", "a-own", "a-disabled-node")) {
                ms.put(n, SimFleet.config("eu-west", "1", "web", 0, "web", n.equals("a-disabled-node") ? "Disabled" : "Manual", "Europe/Paris",
                        Map.of("tier", "broad")));
            }
            ms.put("a-canary", SimFleet.config("eu-west", "1", "web", 0, "web", "Manual", "Europe/Paris", Map.of("tier", "canary")));
            rig.fleet.machines(rig.scene.jar10, ms);
            rig.policy("machine/a-own", Map.of("patchMode", "Disabled"));

            JsonNode broad = rig.start(Map.of("update", KB, "ring", "broad"));
            List<String> members = rig.machines(broad.get("id").asText()).stream().map(m -> m.get("machine").asText()).sorted().toList();
            assertThat(members).containsExactly("a-1", "a-2");
            String created = broad.get("events").findValuesAsText("message").stream().filter(m -> m.startsWith("hotpatch")).findFirst().orElseThrow();
            assertThat(created).contains("patch mode Disabled (from machine) (a-own)").contains("patch mode Disabled (from node config) (a-disabled-node)");
            JsonNode canary = rig.start(Map.of("update", KB, "ring", "canary"));
            assertThat(rig.machines(canary.get("id").asText())).extracting(m -> m.get("machine").asText()).containsExactly("a-canary");
        }
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

    @BothStores
    void errorBudget_toleratesItsCountOfFailures_andHaltsOnTheNext_aFailureSurgeIncluded(TestServer s) throws Exception {
        try (Rig rig = new Rig(s)) {
            rig.publishKb1();
            Map<String, Object> p = new LinkedHashMap<>(Rig.always());
            p.put("maxFailures", 0);
            p.put("maxFailurePercent", 10.0); // a tenth of 12 machines: one failure tolerated
            rig.policy("fleet", p);
            rig.fleet.machines(rig.scene.jar10, webSet(12));
            rig.fleet.machine("web-03").breaksOn.add(KB); // wave 1 (UD 0)
            rig.fleet.machine("web-04").flakyOn.add(KB);  // wave 3 (UD 1): half its probes fail, the check still ends passing
            String id = rig.start(Map.of("update", KB)).get("id").asText();
            assertThat(rig.rollout(id).get("errorBudget").asInt()).isEqualTo(1);

            JsonNode r = rig.drive(id, Duration.ofMinutes(3), 60);
            assertThat(r.get("state").asText()).as(r.toString()).isEqualTo("halted");
            assertThat(r.get("currentWave").asInt()).isEqualTo(3);
            assertThat(r.get("failures").asInt()).isEqualTo(2);
            assertThat(r.get("haltReason").asText()).contains("2 machine(s) failed (budget 1)").contains("web-04: health gate failed: failure surge")
                    .containsPattern("failure surge: \\d+ of \\d+ health probes failed during the soak \\(4\\d\\.\\d%\\), against 0.0% before the patch");
            r = rig.finishInFlight(id, Duration.ofMinutes(3), 30);
            assertThat(r.at("/waves/0/state").asText()).isEqualTo("completed");
            assertThat(r.at("/waves/1/state").asText()).isEqualTo("completed");
            assertThat(r.at("/waves/2/state").asText()).isEqualTo("halted");
            Map<String, String> st = rig.states(id);
            assertThat(st).containsEntry("web-03", "rolled_back").containsEntry("web-04", "rolled_back").containsEntry("web-00", "healthy")
                    .containsEntry("web-06", "healthy").containsEntry("web-09", "healthy").containsEntry("web-01", "healthy")
                    .containsEntry("web-07", "pending");
            assertThat(rig.fleet.machine("web-04").live()).isEmpty();
            assertThat(rig.fleet.machine("web-07").commands()).isEmpty();

            // Cancel: the machines not started stay untouched.
            TestServer.Response c = rig.call("POST", "/api/v1/rollouts/" + id + "/cancel", Map.of("note", "fix the flaky check first"));
            assertThat(c.status()).as(c.body()).isEqualTo(200);
            assertThat(c.json().get("state").asText()).isEqualTo("canceled");
            assertThat(rig.states(id).values().stream().filter("canceled"::equals).count()).isEqualTo(6);
            assertThat(rig.call("POST", "/api/v1/rollouts/" + id + "/resume", null).status()).isEqualTo(409);
        }
    }

    @BothStores
    void workThatDoesNotFitTheWindow_isNotAttempted_andRetriedInTheNextWindow_withoutApplyingTwice(TestServer s) throws Exception {
        try (Rig rig = new Rig(s)) {
            rig.publishKb1();
            rig.policy("fleet", Map.of("window", "daily 01:00 1h", "soakMinutes", 10, "hotpatchMinutes", 15, "maxAttempts", 2));
            Map<String, Map<String, Object>> ms = new LinkedHashMap<>();
            ms.put("solo", SimFleet.config("eu-west", "1", null, null, "a", "Manual", "Europe/Paris", null));
            ms.put("ghost", SimFleet.config("eu-west", "1", null, null, "b", "Manual", "Europe/Paris", null));
            rig.fleet.machines(rig.scene.jar10, ms);
            String id = rig.start(Map.of("update", KB)).get("id").asText();
            assertThat(rig.rollout(id).get("waveCount").asInt()).isEqualTo(1);

            // 11:00 in Paris: both wait for 01:00.
            rig.tick();
            JsonNode solo = machine(rig, id, "solo");
            assertThat(solo.get("state").asText()).isEqualTo("pending");
            assertThat(solo.get("reason").asText()).contains("waiting for its maintenance window 'daily 01:00 1h'").contains("Fri 2026-01-16 01:00");
            assertThat(solo.get("nextTryAt").asText()).isEqualTo("2026-01-16T00:00:00Z");

            // 01:50: ten minutes left, a hotpatch needs fifteen: not attempted tonight.
            s.clock.set(java.time.Instant.parse("2026-01-16T00:50:00Z"));
            rig.tick();
            solo = machine(rig, id, "solo");
            assertThat(solo.get("state").asText()).isEqualTo("not_attempted");
            assertThat(solo.get("attempts").asInt()).isEqualTo(1);
            assertThat(solo.get("reason").asText()).contains("only 10 min left of its window").contains("needs 15 min")
                    .contains("tried again in its next window (Sat 2026-01-17 01:00");
            assertThat(rig.history("solo")).anyMatch(h -> h.get("outcome").asText().equals("not-attempted"));

            // The ghost's JVM stops: its node no longer reports it.
            rig.fleet.machine("ghost").present = false;
            rig.fleet.checkInNamed(List.of("ghost"));

            // Next night, 01:00: solo starts, but its node does not check in before the window closes.
            s.clock.set(java.time.Instant.parse("2026-01-17T00:00:00Z"));
            rig.tick();
            assertThat(machine(rig, id, "solo").get("state").asText()).isEqualTo("installing");
            JsonNode ghost = machine(rig, id, "ghost");
            assertThat(ghost.get("state").asText()).isEqualTo("not_attempted");
            assertThat(ghost.get("done").asBoolean()).as("given up after 2 windows").isTrue();
            assertThat(ghost.get("reason").asText()).contains("not present").contains("given up after 2 window(s)");
            s.clock.set(java.time.Instant.parse("2026-01-17T01:01:00Z"));
            rig.tick();
            solo = machine(rig, id, "solo");
            assertThat(solo.get("state").asText()).isEqualTo("not_attempted");
            assertThat(solo.get("reason").asText()).contains("did not pick the work up before the window closed");
            assertThat(solo.get("done").asBoolean()).isTrue();
            assertThat(rig.rollout(id).get("state").asText()).isEqualTo("completed");
            // The expired command was never delivered: nothing ran.
            rig.fleet.checkInNamed(List.of("solo"));
            assertThat(rig.fleet.machine("solo").commands()).isEmpty();

            // With more attempts allowed, an operator's new rollout picks solo up in its next window and patches it once.
            rig.policy("fleet", Map.of("maxAttempts", 3));
            String again = rig.start(Map.of("update", KB, "machines", List.of("solo"))).get("id").asText();
            s.clock.set(java.time.Instant.parse("2026-01-18T00:05:00Z"));
            JsonNode r = rig.drive(again, Duration.ofMinutes(4), 20);
            assertThat(r.get("state").asText()).as(r.toString()).isEqualTo("completed");
            assertThat(rig.states(again)).containsEntry("solo", "healthy");
            assertThat(rig.fleet.machine("solo").commands()).containsExactly("install_hotpatch " + KB);
        }
    }

    @BothStores
    void serverRestart_inTheMiddleOfARollout_resumesWithoutApplyingTwiceOrSkippingAMachine(TestServer s) throws Exception {
        try (Rig rig = new Rig(s)) {
            rig.publishKb1();
            rig.policy("fleet", Rig.always());
            rig.fleet.machines(rig.scene.jar10, webSet(6)); // under 10 in the set: one machine per wave
            String id = rig.start(Map.of("update", KB)).get("id").asText();
            assertThat(rig.rollout(id).get("waveCount").asInt()).isEqualTo(6);
            rig.tick();
            rig.pollBusy(id);
            rig.tick();
            s.clock.advance(Duration.ofMinutes(11));
            rig.pollBusy(id);
            rig.tick(); // wave 1 healthy; wave 2's install is queued, not yet delivered
            JsonNode mid = rig.rollout(id);
            assertThat(mid.get("currentWave").asInt()).isEqualTo(2);
            assertThat(mid.at("/machines/installing").asInt()).isEqualTo(1);

            rig.restartServer();

            JsonNode r = rig.drive(id, Duration.ofMinutes(6), 60);
            assertThat(r.get("state").asText()).as(r.toString()).isEqualTo("completed");
            assertThat(rig.states(id).values()).containsOnly("healthy").hasSize(6);
            for (String m : webSet(6).keySet()) {
                assertThat(rig.fleet.machine(m).commands()).as(m).containsExactly("install_hotpatch " + KB);
            }
        }
    }

    @BothStores
    void unplannedBaseline_machinesBehindRestartInTheirWindow_andAFailedRestartPutsTheLastKnownGoodBaselineBack(TestServer s) throws Exception {
        try (Rig rig = new Rig(s)) {
            rig.policy("fleet", Map.of("patchMode", "AutomaticByPlatform", "window", "always", "soakMinutes", 10));
            Map<String, Map<String, Object>> ms = new LinkedHashMap<>();
            for (int i = 0; i < 3; i++) {
                ms.put("web-0" + i, SimFleet.config("eu-west", "1", "web", i, "web", null, "Europe/Paris", null));
            }
            rig.fleet.machines(rig.scene.jar10, ms);
            byte[] jar11 = dev.hotpatch.server.testing.Fixtures.jar(dev.hotpatch.server.testing.Fixtures.orderedMap("acme/Fees", rig.scene.feesV2,
                    "acme/Util", rig.scene.util));
            rig.fleet.machine("web-01").restartFailsOn.add(dev.hotpatch.server.testing.Fixtures.sha(jar11));
            TestServer.Response b = rig.scene.publishBaseline("1.1", "unplanned", "2026-02-03", jar11, false);
            assertThat(b.status()).as(b.body()).isEqualTo(201);
            s.clock.set(java.time.Instant.parse("2026-02-04T09:00:00Z"));
            rig.fleet.checkInAll();
            assertThat(rig.get("/api/v1/machines/web-00").get("status").asText()).isEqualTo("ActionRequired");

            rig.tick();
            JsonNode list = rig.get("/api/v1/rollouts?origin=automatic");
            assertThat(list.get("total").asInt()).isEqualTo(1);
            JsonNode ro = list.at("/items/0");
            String id = ro.get("id").asText();
            assertThat(ro.get("kind").asText()).isEqualTo("baseline");
            assertThat(ro.get("target").asText()).isEqualTo(b.json().get("id").asText());
            assertThat(ro.get("machineCount").asInt()).isEqualTo(3);

            JsonNode r = rig.drive(id, Duration.ofMinutes(4), 40);
            assertThat(r.get("state").asText()).as(r.toString()).isEqualTo("halted");
            r = rig.finishInFlight(id, Duration.ofMinutes(4), 20);
            assertThat(r.get("haltReason").asText()).contains("web-01: baseline restart failed").contains("the JVM did not come back");
            assertThat(rig.states(id)).containsEntry("web-00", "healthy").containsEntry("web-01", "rolled_back").containsEntry("web-02", "pending");
            assertThat(rig.fleet.machine("web-00").commands()).containsExactly("install_baseline 1.1", "restart");
            assertThat(rig.fleet.machine("web-01").commands()).containsExactly("install_baseline 1.1", "restart", "rollback_baseline 1.0");
            assertThat(rig.fleet.machine("web-01").jarSha).isEqualTo(dev.hotpatch.server.testing.Fixtures.sha(rig.scene.jar10));
            assertThat(rig.fleet.machine("web-02").commands()).isEmpty();
            assertThat(rig.get("/api/v1/machines/web-01").get("baselineVersion").asText()).isEqualTo("1.0");
            assertThat(rig.history("web-01")).anyMatch(h -> h.get("action").asText().equals("rollback-baseline")
                    && h.get("outcome").asText().equals("succeeded") && h.get("actor").asText().equals("rollout:" + id));

            // Canceled, an automatic rollout is not started again for the same baseline.
            assertThat(rig.call("POST", "/api/v1/rollouts/" + id + "/cancel", null).status()).isEqualTo(200);
            s.clock.advance(Duration.ofHours(1));
            rig.tick();
            assertThat(rig.get("/api/v1/rollouts").get("total").asInt()).isEqualTo(1);
            assertThat(rig.fleet.machine("web-02").commands()).isEmpty();
        }
    }

    private static JsonNode machine(Rig rig, String rollout, String name) {
        return rig.machines(rollout).stream().filter(m -> m.get("machine").asText().equals(name)).findFirst().orElseThrow();
    }
}
