package dev.hotpatch.server.history;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpatch.server.testing.BothStores;
import dev.hotpatch.server.testing.Fixtures;
import dev.hotpatch.server.testing.Fixtures.Node;
import dev.hotpatch.server.testing.Fixtures.Scene;
import dev.hotpatch.server.testing.TestServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;

class HistoryTest {

    @BothStores
    void history_defaultsToThirtyDays_andRetentionPrunesOnlyWhatIsOlderThanAYear(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        Node node = Node.enroll(s, "host-1");
        Map<String, Object> report = Fixtures.machine("billing-1", scene.jar10, List.of(), null);
        node.checkIn(report);
        s.post("/api/v1/machines/billing-1/restart", s.adminToken, "");
        s.clock.advance(Duration.ofDays(40));
        s.post("/api/v1/machines/billing-1/restart", s.adminToken, "");

        assertThat(s.get("/api/v1/machines/billing-1/history", s.adminToken).json()).hasSize(1);
        assertThat(s.get("/api/v1/machines/billing-1/history?days=60", s.adminToken).json()).hasSize(2);
        assertThat(s.get("/api/v1/history?machine=billing-1&days=60&action=restart", s.adminToken).json()).hasSize(2);

        s.clock.advance(Duration.ofDays(340));
        s.server.runMaintenance();
        assertThat(s.get("/api/v1/machines/billing-1/history?days=3650", s.adminToken).json()).hasSize(1);
    }

    @BothStores
    void maintenance_settlesOperationsWhoseMachineNeverCameBack(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        scene.publishHotpatch("KB2026-0001", "1.0", "2026-02-10", scene.feesV1, scene.feesV2, List.of(), false);
        Node node = Node.enroll(s, "host-1");
        node.checkIn(Fixtures.machine("billing-1", scene.jar10, List.of(), null));
        String op = s.post("/api/v1/machines/billing-1/install", s.adminToken, Map.of("maxDurationMinutes", 10)).json().get("id").asText();
        s.clock.advance(Duration.ofMinutes(11));
        s.server.runMaintenance();
        assertThat(s.get("/api/v1/operations/" + op, s.adminToken).json().get("state").asText()).isEqualTo("timed_out");
        assertThat(s.get("/api/v1/operations?state=timed_out", s.adminToken).json()).hasSize(1);
    }
}
