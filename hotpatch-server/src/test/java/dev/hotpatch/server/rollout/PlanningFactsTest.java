package dev.hotpatch.server.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.server.testing.BothStores;
import dev.hotpatch.server.testing.SimFleet;
import dev.hotpatch.server.testing.TestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Rollout planning reads each machine's planning facts (machine_planning) instead of its full
 * report: a machine recorded before the facts existed is planned exactly as one with facts, and
 * the facts follow every changed report.
 */
class PlanningFactsTest {
    private static final String KB = "KB2026-0001";

    /**
     * Machines that differ in everything planning reads from a report: placement (waves), group (the
     * rollout's filter), patch mode (an exclusion).
     */
    private static Map<String, Map<String, Object>> mixedFleet() {
        Map<String, Map<String, Object>> out = new LinkedHashMap<>();
        for (int i = 0; i < 6; i++) {
            out.put("web-0" + i, SimFleet.config(i < 3 ? "eu-west" : "us-east", String.valueOf(1 + i % 2), "web", i % 3, "web", "Manual",
                    "Europe/Paris", Map.of("tier", "front")));
        }
        out.put("web-off", SimFleet.config("eu-west", "1", "web", 0, "web", "Disabled", "Europe/Paris", null));
        out.put("batch-00", SimFleet.config("eu-west", "2", "batch", 1, "batch", "Manual", "UTC", null));
        return out;
    }

    /** Starts an operator rollout of KB for group web and returns its plan: every member's wave and placement, and its events. */
    private static List<String> plan(TestServer s, boolean recordedBeforeFacts) throws Exception {
        try (Rig rig = new Rig(s)) {
            rig.publishKb1();
            rig.policy("fleet", Rig.always());
            rig.fleet.machines(rig.scene.jar10, mixedFleet());
            assertThat(count(s, "machine_planning")).isEqualTo(8);
            if (recordedBeforeFacts) {
                // As a store migrated to V22_1 holds them: reports, no facts (unchanged reports are never rewritten).
                s.sql("DELETE FROM machine_planning");
                rig.fleet.checkInAll();
                assertThat(count(s, "machine_planning")).isZero();
            }
            JsonNode started = rig.start(Map.of("update", KB, "group", "web"));
            List<String> out = new ArrayList<>();
            for (Map<String, Object> m : s.query("SELECT machine_name, wave, position, region, zone, availability_set, update_domain, grp"
                    + " FROM rollout_machines ORDER BY wave, position")) {
                out.add(m.values().toString());
            }
            started.get("waves").forEach(w -> out.add(w.get("description").asText()));
            started.get("events").forEach(e -> out.add(e.get("kind").asText() + ": " + e.get("message").asText()));
            return out;
        }
    }

    private static int count(TestServer s, String table) {
        return ((Number) s.query("SELECT COUNT(*) AS n FROM " + table).get(0).get("n")).intValue();
    }

    @BothStores
    void aMachineRecordedBeforeItsPlanningFacts_isPlannedExactlyAsOneWithThem(TestServer s) throws Exception {
        List<String> withFacts = plan(s, false);
        List<String> withoutFacts;
        try (TestServer before = new TestServer(s.store)) {
            withoutFacts = plan(before, true);
        }
        assertThat(withoutFacts).isEqualTo(withFacts);
        // The plan is not trivially equal: six members in waves by placement, batch-00 outside the group, web-off left out.
        assertThat(withFacts.stream().filter(l -> l.startsWith("[web-0"))).hasSize(6);
        assertThat(withFacts).noneMatch(l -> l.contains("batch-00"));
        assertThat(withFacts).anyMatch(l -> l.contains("web-off") && l.contains("patch mode Disabled"));
    }

    @BothStores
    void planningFacts_followAChangedReport_andAreFilledInForMachinesRecordedBefore(TestServer s) throws Exception {
        try (Rig rig = new Rig(s)) {
            rig.publishKb1();
            rig.policy("fleet", Rig.always());
            Map<String, Map<String, Object>> ms = new LinkedHashMap<>();
            for (int i = 0; i < 2; i++) {
                ms.put("web-0" + i, SimFleet.config("eu-west", "1", "web", i, "web", "Manual", "Europe/Paris", null));
            }
            rig.fleet.machines(rig.scene.jar10, ms);
            assertThat(facts(s, "web-00").get("hotpatches")).isEmpty();

            String id = rig.start(Map.of("update", KB)).get("id").asText();
            assertThat(rig.drive(id, Duration.ofMinutes(2), 30).get("state").asText()).isEqualTo("completed");
            // The reports now carry KB, and so do the facts: planning KB again finds both machines fixed.
            for (String m : List.of("web-00", "web-01")) {
                assertThat(facts(s, m).get("hotpatches")).extracting(JsonNode::asText).containsExactly(KB);
            }
            TestServer.Response again = rig.call("POST", "/api/v1/rollouts", Map.of("update", KB));
            assertThat(again.status()).as(again.body()).isEqualTo(409);
            assertThat(again.body()).contains("2 already fixed");

            // Machines without facts (recorded before them) get them from their report in the upgraded server's first automation run.
            String before = facts(s, "web-01").toString();
            s.sql("DELETE FROM machine_planning");
            rig.restartServer();
            s.clock.advance(Duration.ofMinutes(5)); // the stopped server's automation lease runs out
            rig.tick();
            assertThat(count(s, "machine_planning")).isEqualTo(2);
            assertThat(facts(s, "web-01").toString()).isEqualTo(before);
        }
    }

    private static JsonNode facts(TestServer s, String machine) throws Exception {
        List<Map<String, Object>> rows = s.query("SELECT p.facts FROM machine_planning p JOIN machines m ON m.id = p.machine_id WHERE m.name = '"
                + machine + "'");
        assertThat(rows).as("planning facts of " + machine).hasSize(1);
        return TestServer.JSON.readTree((String) rows.get(0).get("facts"));
    }
}
