package dev.hotpatch.server.assessment;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.server.testing.BothStores;
import dev.hotpatch.server.testing.Fixtures;
import dev.hotpatch.server.testing.Fixtures.Node;
import dev.hotpatch.server.testing.Fixtures.Scene;
import dev.hotpatch.server.testing.TestServer;
import java.util.List;
import java.util.Map;

/** Re-assessment after catalog changes, which reads the catalog through a cache: each change must be seen by the next one. */
class ReassessmentTest {

    @BothStores
    void everyCatalogChange_isSeenByTheReassessmentAfterIt(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        Node node = Node.enroll(s, "host-1");
        Map<String, Object> plain = Fixtures.machine("plain-1", scene.jar10, List.of(), null);
        // Runs the baseline's jar with KB2026-0002 applied live (say by a standalone node) before this server
        // published it: acme/Fees runs bytes no published update has produced yet.
        Map<String, Object> ahead = Fixtures.machine("ahead-1", scene.jar10,
                List.of(Fixtures.installed("KB2026-0002", "acme/Fees", scene.feesV3, java.time.Instant.parse("2026-01-20T00:00:00Z"))), null);
        ahead.put("classes", List.of(Map.of("name", "acme/Fees", "sha256", Fixtures.sha(scene.feesV3)),
                Map.of("name", "acme/Util", "sha256", Fixtures.sha(scene.util))));
        node.checkIn(plain, ahead);
        assertThat(machine(s, "plain-1").get("status").asText()).isEqualTo("Enabled");
        assertThat(machine(s, "ahead-1").get("status").asText()).isEqualTo("NotSupported");

        assertThat(scene.publishHotpatch("KB2026-0001", "1.0", "2026-02-10", scene.feesV1, scene.feesV2, List.of(), false).status())
                .isEqualTo(201);
        assertThat(missingKbs(s, "plain-1")).containsExactly("KB2026-0001");
        assertThat(machine(s, "ahead-1").get("statusReason").asText()).contains("acme.Fees");

        assertThat(scene.publishHotpatch("KB2026-0002", "1.0", "2026-03-10", scene.feesV1, scene.feesV3, List.of("KB2026-0001"), false)
                .status()).isEqualTo(201);
        assertThat(missingKbs(s, "plain-1")).containsExactly("KB2026-0002");
        assertThat(machine(s, "ahead-1").get("status").asText()).isEqualTo("Enabled");
        assertThat(missingKbs(s, "ahead-1")).as("its live patch is now a published one, and installed").isEmpty();

        assertThat(s.patch("/api/v1/images/" + scene.imageId, s.adminToken, Map.of("hotpatchSupported", false)).status()).isEqualTo(200);
        assertThat(machine(s, "plain-1").get("statusReason").asText()).contains("not hotpatch-supported");
        assertThat(machine(s, "ahead-1").get("status").asText()).isEqualTo("NotSupported");
        assertThat(s.patch("/api/v1/images/" + scene.imageId, s.adminToken, Map.of("hotpatchSupported", true)).status()).isEqualTo(200);
        assertThat(machine(s, "plain-1").get("status").asText()).isEqualTo("Enabled");
        assertThat(machine(s, "ahead-1").get("status").asText()).isEqualTo("Enabled");
        assertThat(missingKbs(s, "plain-1")).containsExactly("KB2026-0002");
    }

    @BothStores
    void machinesOfOneCode_shareTheirReassessment_andEachKeepsItsOwnName_andMachinesOfOtherCodeTheirOwn(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        Node node = Node.enroll(s, "host-1");
        List<Map<String, Object>> reports = new java.util.ArrayList<>();
        for (int i = 1; i <= 30; i++) {
            reports.add(Fixtures.machine("same-" + i, scene.jar10, List.of(), null));
        }
        Map<String, Object> restarting = Fixtures.machine("restarting-1", scene.jar10, List.of(), null);
        restarting.put("restartPending", Map.of("since", "2026-01-15T09:00:00Z", "reason", "fees.jar changed on disk"));
        Map<String, Object> restartingToo = Fixtures.machine("restarting-2", scene.jar10, List.of(), null);
        restartingToo.put("restartPending", Map.of("since", "2026-01-15T09:00:00Z", "reason", "util.jar changed on disk"));
        Map<String, Object> off = Fixtures.machine("off-1", scene.jar10, List.of(), Map.of("timeZone", "UTC", "hotpatch", false));
        reports.addAll(List.of(restarting, restartingToo, off));
        node.checkInAll(reports);

        assertThat(scene.publishHotpatch("KB2026-0001", "1.0", "2026-02-10", scene.feesV1, scene.feesV2, List.of(), false).status())
                .isEqualTo(201);
        for (int i = 1; i <= 30; i++) {
            JsonNode a = s.get("/api/v1/machines/same-" + i + "/assessment", s.adminToken).json();
            assertThat(a.get("machineName").asText()).isEqualTo("same-" + i);
            assertThat(a.get("updates").findValuesAsText("kbId")).containsExactly("KB2026-0001");
        }
        assertThat(machine(s, "restarting-1").get("statusReason").asText()).contains("fees.jar changed on disk");
        assertThat(machine(s, "restarting-2").get("statusReason").asText()).contains("util.jar changed on disk");
        assertThat(missingKbs(s, "restarting-1")).isEmpty();
        assertThat(machine(s, "off-1").get("status").asText()).isEqualTo("Disabled");
        assertThat(machine(s, "same-7").get("status").asText()).isEqualTo("Enabled");
    }

    @BothStores
    void machinesOfOneCode_reassessedTogether_eachKeepTheirOwnLastGoodBaseline(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        byte[] jar11 = Fixtures.jar(Fixtures.orderedMap("acme/Fees", scene.feesV2, "acme/Util", scene.util));
        TestServer.Response published = scene.publishBaseline("1.1", "unplanned", "2026-02-05", jar11, false);
        assertThat(published.status()).as(published.body()).isEqualTo(201);
        Node node = Node.enroll(s, "host-1");
        node.checkIn(Fixtures.machine("moved-1", scene.jar10, List.of(), null));
        s.clock.advance(java.time.Duration.ofMinutes(1));
        // moved-1 now runs 1.1 after 1.0 (its last good baseline); fresh-1 has only run 1.1; their reports are alike.
        node.checkIn(Fixtures.machine("moved-1", jar11, List.of(), null), Fixtures.machine("fresh-1", jar11, List.of(), null));
        assertThat(lastGood(s, "moved-1")).isEqualTo(scene.baseline10);
        assertThat(lastGood(s, "fresh-1")).isNull();

        TestServer.Response hotpatch = scene.publishHotpatch("KB2026-0011", "1.1", "2026-03-10", scene.feesV2, scene.feesV3, List.of(), false);
        assertThat(hotpatch.status()).as(hotpatch.body()).isEqualTo(201);
        assertThat(missingKbs(s, "moved-1")).containsExactly("KB2026-0011");
        assertThat(missingKbs(s, "fresh-1")).containsExactly("KB2026-0011");
        assertThat(s.query("SELECT COUNT(*) AS n FROM stale_machines").get(0).get("n").toString()).isEqualTo("0");
        assertThat(lastGood(s, "moved-1")).isEqualTo(scene.baseline10);
        assertThat(lastGood(s, "fresh-1")).isNull();
    }

    private static Object lastGood(TestServer s, String name) {
        return s.query("SELECT last_good_baseline FROM machines WHERE name = '" + name + "'").get(0).get("last_good_baseline");
    }

    private static JsonNode machine(TestServer s, String name) {
        return s.get("/api/v1/machines/" + name, s.adminToken).json();
    }

    private static List<String> missingKbs(TestServer s, String name) {
        JsonNode a = s.get("/api/v1/machines/" + name + "/assessment", s.adminToken).json();
        return a.get("updates").findValuesAsText("kbId");
    }
}
