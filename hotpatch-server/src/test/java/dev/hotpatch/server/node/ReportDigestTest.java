package dev.hotpatch.server.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.server.testing.BothStores;
import dev.hotpatch.server.testing.Fixtures;
import dev.hotpatch.server.testing.Fixtures.Node;
import dev.hotpatch.server.testing.Fixtures.Scene;
import dev.hotpatch.server.testing.TestServer;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The check-in's report digests (docs/api.md, "Report digests"): a node reports a machine whose
 * report the server holds by digest and health; the server stores nothing but moved health,
 * asks for the full report when it does not hold that digest, and still takes full reports
 * from nodes that send no digests.
 */
class ReportDigestTest {
    private static final String D1 = "1".repeat(64);
    private static final String D2 = "2".repeat(64);

    @BothStores
    void unchangedDigest_writesNoMachineRow_butStoresMovedHealthAndKeepsTheMachineSeen(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        Node node = Node.enroll(s, "host-1");
        Map<String, Object> report = withHealth(Fixtures.machine("billing-1", scene.jar10, List.of(), null), 10, 0);
        JsonNode first = checkIn(s, node, List.of(report), Map.of("billing-1", D1), List.of());
        assertThat(first.get("reportDigests").asBoolean()).isTrue();
        assertThat(first.get("sendFull")).isEmpty();
        Map<String, Object> row = row(s, "billing-1");
        assertThat(row.get("report_digest")).isEqualTo(D1);
        Object reportBefore = row.get("report");
        Object lastSeenBefore = row.get("last_seen_at");
        // A marker only this test writes: a report stored again would overwrite it.
        s.sql("UPDATE machine_reports SET report = REPLACE(report, '17.0.12', '17.0.99')"
                + " WHERE machine_id = (SELECT id FROM machines WHERE name = 'billing-1')");

        s.clock.advance(Duration.ofMinutes(1));
        JsonNode second = checkIn(s, node, List.of(), Map.of(), List.of(unchanged("billing-1", D1, 20, 1)));
        assertThat(second.get("sendFull")).isEmpty();

        Map<String, Object> after = row(s, "billing-1");
        assertThat(String.valueOf(after.get("report"))).contains("17.0.99").isNotEqualTo(reportBefore);
        assertThat(after.get("last_seen_at")).isEqualTo(lastSeenBefore);
        assertThat(number(after.get("health_samples"))).isEqualTo(20);
        assertThat(number(after.get("health_failures"))).isEqualTo(1);
        JsonNode m = s.get("/api/v1/machines/billing-1", s.adminToken).json();
        assertThat(m.get("present").asBoolean()).isTrue();
        assertThat(Instant.parse(m.get("lastSeenAt").asText())).isEqualTo(s.clock.instant());
        assertThat(m.at("/jvm/version").asText()).isEqualTo("17.0.99");
        assertThat(m.get("status").asText()).isEqualTo("Enabled");
    }

    @BothStores
    void changedReport_sentInFullWithANewDigest_isStoredAndReassessed(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        assertThat(scene.publishHotpatch("KB2026-0001", "1.0", "2026-02-10", scene.feesV1, scene.feesV2, List.of(), false).status())
                .isEqualTo(201);
        Node node = Node.enroll(s, "host-1");
        checkIn(s, node, List.of(Fixtures.machine("billing-1", scene.jar10, List.of(), null)), Map.of("billing-1", D1), List.of());
        assertThat(s.get("/api/v1/machines/billing-1/assessment", s.adminToken).json().at("/missing/total").asInt()).isEqualTo(1);

        s.clock.advance(Duration.ofMinutes(1));
        Map<String, Object> patched = Fixtures.machine("billing-1", scene.jar10,
                List.of(Fixtures.installed("KB2026-0001", "acme/Fees", scene.feesV2, s.clock.instant())), null);
        JsonNode answer = checkIn(s, node, List.of(patched), Map.of("billing-1", D2), List.of());
        assertThat(answer.get("sendFull")).isEmpty();
        assertThat(row(s, "billing-1").get("report_digest")).isEqualTo(D2);
        JsonNode a = s.get("/api/v1/machines/billing-1/assessment", s.adminToken).json();
        assertThat(a.at("/missing/total").asInt()).isZero();
        assertThat(Instant.parse(a.get("lastAssessedAt").asText())).isEqualTo(s.clock.instant());

        // The old digest no longer names what the server holds.
        JsonNode stale = checkIn(s, node, List.of(), Map.of(), List.of(unchanged("billing-1", D1, 1, 0)));
        assertThat(stale.get("sendFull")).extracting(JsonNode::asText).containsExactly("billing-1");
    }

    @BothStores
    void digestTheServerDoesNotHold_asksForTheFullReport_andChangesNothing(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        Node node = Node.enroll(s, "host-1");
        checkIn(s, node, List.of(Fixtures.machine("billing-1", scene.jar10, List.of(), null)), Map.of("billing-1", D1), List.of());
        Map<String, Object> before = row(s, "billing-1");

        JsonNode answer = checkIn(s, node, List.of(), Map.of(), List.of(unchanged("billing-1", D2, 5, 0), unchanged("never-seen-1", D1, 1, 0)));
        assertThat(answer.get("sendFull")).extracting(JsonNode::asText).containsExactlyInAnyOrder("billing-1", "never-seen-1");
        Map<String, Object> after = row(s, "billing-1");
        assertThat(after.get("report")).isEqualTo(before.get("report"));
        assertThat(after.get("health_samples")).isEqualTo(before.get("health_samples"));
        assertThat(s.get("/api/v1/machines/billing-1", s.adminToken).json().get("present").asBoolean()).isTrue();
        assertThat(s.get("/api/v1/machines/never-seen-1", s.adminToken).status()).isEqualTo(404);
    }

    @BothStores
    void reportStoredWithoutADigest_asAfterAnUpgradeOrACommandResult_makesTheNextDigestAskForTheFullReport(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        Node node = Node.enroll(s, "host-1");
        checkIn(s, node, List.of(Fixtures.machine("billing-1", scene.jar10, List.of(), null)), Map.of("billing-1", D1), List.of());
        s.sql("UPDATE machines SET report_digest = NULL");

        JsonNode answer = checkIn(s, node, List.of(), Map.of(), List.of(unchanged("billing-1", D1, 1, 0)));
        assertThat(answer.get("sendFull")).extracting(JsonNode::asText).containsExactly("billing-1");
        checkIn(s, node, List.of(Fixtures.machine("billing-1", scene.jar10, List.of(), null)), Map.of("billing-1", D1), List.of());
        assertThat(row(s, "billing-1").get("report_digest")).isEqualTo(D1);
        assertThat(checkIn(s, node, List.of(), Map.of(), List.of(unchanged("billing-1", D1, 2, 0))).get("sendFull")).isEmpty();
    }

    @BothStores
    void serverRestart_keepsTheDigests_soNodesGoOnSendingThem(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        Node node = Node.enroll(s, "host-1");
        checkIn(s, node, List.of(Fixtures.machine("billing-1", scene.jar10, List.of(), null)), Map.of("billing-1", D1), List.of());
        s.server.stop();
        String url = s.dbUrl != null ? s.dbUrl : "jdbc:sqlite:" + s.dataDir.resolve("hotpatch.db");
        try (TestServer restarted = new TestServer(s.store, url, s.trustDir)) {
            JsonNode answer = checkIn(restarted, node, List.of(), Map.of(), List.of(unchanged("billing-1", D1, 3, 0)));
            assertThat(answer.get("sendFull")).isEmpty();
            assertThat(number(row(restarted, "billing-1").get("health_samples"))).isEqualTo(3);
        }
    }

    @BothStores
    void olderNode_sendingFullReportsOnly_isRecordedAsBefore(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        Node node = Node.enroll(s, "host-1");
        JsonNode first = node.checkIn(withHealth(Fixtures.machine("billing-1", scene.jar10, List.of(), null), 1, 0)).json();
        assertThat(first.get("reportDigests").asBoolean()).isTrue();
        assertThat(row(s, "billing-1").get("report_digest")).isNull();
        s.clock.advance(Duration.ofMinutes(1));
        node.checkIn(withHealth(Fixtures.machine("billing-1", scene.jar10, List.of(), null), 7, 2));
        Map<String, Object> row = row(s, "billing-1");
        assertThat(number(row.get("health_samples"))).isEqualTo(7);
        assertThat(String.valueOf(row.get("report"))).contains("\"samples\":7");
        JsonNode m = s.get("/api/v1/machines/billing-1", s.adminToken).json();
        assertThat(Instant.parse(m.get("lastSeenAt").asText())).isEqualTo(s.clock.instant());
        assertThat(m.get("status").asText()).isEqualTo("Enabled");
    }

    @BothStores
    void machineLeftOut_isAbsent_andKeepsItsLastSighting(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        Node node = Node.enroll(s, "host-1");
        checkIn(s, node, List.of(Fixtures.machine("billing-1", scene.jar10, List.of(), null), Fixtures.machine("billing-2", scene.jar10,
                List.of(), null)), Map.of("billing-1", D1, "billing-2", D2), List.of());
        s.clock.advance(Duration.ofMinutes(1));
        Instant lastWithBoth = s.clock.instant();
        checkIn(s, node, List.of(), Map.of(), List.of(unchanged("billing-1", D1, 1, 0), unchanged("billing-2", D2, 1, 0)));
        s.clock.advance(Duration.ofMinutes(1));
        checkIn(s, node, List.of(), Map.of(), List.of(unchanged("billing-1", D1, 2, 0)));

        JsonNode gone = s.get("/api/v1/machines/billing-2", s.adminToken).json();
        assertThat(gone.get("present").asBoolean()).isFalse();
        assertThat(Instant.parse(gone.get("lastSeenAt").asText())).isEqualTo(lastWithBoth);
        JsonNode kept = s.get("/api/v1/machines/billing-1", s.adminToken).json();
        assertThat(Instant.parse(kept.get("lastSeenAt").asText())).isEqualTo(s.clock.instant());

        // Back by digest: present again, nothing else rewritten.
        s.clock.advance(Duration.ofMinutes(1));
        checkIn(s, node, List.of(), Map.of(), List.of(unchanged("billing-1", D1, 3, 0), unchanged("billing-2", D2, 3, 0)));
        JsonNode back = s.get("/api/v1/machines/billing-2", s.adminToken).json();
        assertThat(back.get("present").asBoolean()).isTrue();
        assertThat(Instant.parse(back.get("lastSeenAt").asText())).isEqualTo(s.clock.instant());
    }

    @BothStores
    void badDigestsAndEntries_areRefusedWithTheFieldNamed_andChangeNothing(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        Node node = Node.enroll(s, "host-1");
        TestServer.Response notHex = post(s, node, List.of(Fixtures.machine("billing-1", scene.jar10, List.of(), null)),
                Map.of("billing-1", "xyz"), List.of());
        assertThat(notHex.status()).isEqualTo(400);
        assertThat(notHex.json().get("error").asText()).isEqualTo("invalid-digest");
        assertThat(notHex.json().get("message").asText()).contains("billing-1").contains("xyz");
        assertThat(s.get("/api/v1/machines/billing-1", s.adminToken).status()).isEqualTo(404);

        TestServer.Response orphan = post(s, node, List.of(), Map.of("billing-9", D1), List.of());
        assertThat(orphan.status()).isEqualTo(400);
        assertThat(orphan.json().get("message").asText()).contains("billing-9");

        TestServer.Response twice = post(s, node, List.of(Fixtures.machine("billing-1", scene.jar10, List.of(), null)), Map.of(),
                List.of(unchanged("billing-1", D1, 1, 0)));
        assertThat(twice.status()).isEqualTo(400);
        assertThat(twice.json().get("error").asText()).isEqualTo("duplicate-machine");

        TestServer.Response badHealth = post(s, node, List.of(), Map.of(), List.of(unchanged("billing-1", D1, 1, 5)));
        assertThat(badHealth.status()).isEqualTo(400);
        assertThat(badHealth.json().get("error").asText()).isEqualTo("invalid-health");
    }

    // ---- helpers ---------------------------------------------------------------------------------

    private static JsonNode checkIn(TestServer s, Node node, List<Map<String, Object>> full, Map<String, String> digests,
                                    List<Map<String, Object>> unchanged) {
        TestServer.Response r = post(s, node, full, digests, unchanged);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json();
    }

    private static TestServer.Response post(TestServer s, Node node, List<Map<String, Object>> full, Map<String, String> digests,
                                            List<Map<String, Object>> unchanged) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("hostname", "host-1");
        body.put("nodeVersion", "0.2.0");
        body.put("machines", full);
        body.put("digests", digests);
        body.put("unchanged", unchanged);
        return s.post("/api/v1/node/check-in", node.credential, body);
    }

    private static Map<String, Object> unchanged(String name, String digest, long samples, long failures) {
        return Map.of("name", name, "digest", digest, "health", health(samples, failures));
    }

    private static Map<String, Object> withHealth(Map<String, Object> report, long samples, long failures) {
        Map<String, Object> r = new LinkedHashMap<>(report);
        r.put("health", health(samples, failures));
        return r;
    }

    private static Map<String, Object> health(long samples, long failures) {
        return Map.of("state", failures > 0 ? "failing" : "passing", "checkedAt", Instant.parse("2026-01-15T09:00:00Z").plusSeconds(samples).toString(),
                "samples", samples, "failures", failures);
    }

    private static Map<String, Object> row(TestServer s, String name) {
        List<Map<String, Object>> rows = s.query("SELECT m.id, r.report, m.report_digest, m.last_seen_at, m.present, g.health_samples,"
                + " g.health_failures, g.health_detail FROM machines m JOIN machine_reports r ON r.machine_id = m.id"
                + " LEFT JOIN machine_signals g ON g.machine_id = m.id WHERE m.name = '" + name + "'");
        assertThat(rows).hasSize(1);
        return rows.get(0);
    }

    private static long number(Object v) {
        return ((Number) v).longValue();
    }
}
