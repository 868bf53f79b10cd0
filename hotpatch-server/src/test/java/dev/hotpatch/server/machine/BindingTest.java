package dev.hotpatch.server.machine;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.server.testing.BothStores;
import dev.hotpatch.server.testing.Fixtures;
import dev.hotpatch.server.testing.Fixtures.Node;
import dev.hotpatch.server.testing.Fixtures.Scene;
import dev.hotpatch.server.testing.TestServer;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** A machine belongs to the node that first reported it; other nodes cannot take it over, only an operator can move it. */
class BindingTest {

    @BothStores
    void anotherNodeReportingTheSameMachine_isRefusedAndRecorded_andGetsNeitherTheMachineNorItsCommands(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        scene.publishHotpatch("KB2026-0001", "1.0", "2026-02-10", scene.feesV1, scene.feesV2, List.of(), false);
        Node a = Node.enroll(s, "host-a");
        Node b = Node.enroll(s, "host-b");
        Map<String, Object> report = Fixtures.machine("billing-1", scene.jar10, List.of(), null);
        a.checkIn(report);

        // B claims billing-1 and says it is patched, while reporting its own machine too.
        Map<String, Object> faked = Fixtures.machine("billing-1", scene.jar10,
                List.of(Fixtures.installed("KB2026-0001", "acme/Fees", scene.feesV2, Instant.parse("2026-02-11T00:00:00Z"))), null);
        TestServer.Response r = b.checkIn(faked, Fixtures.machine("other-1", scene.jar10, List.of(), null));
        assertThat(r.json().at("/refused/0/machine").asText()).isEqualTo("billing-1");
        assertThat(r.json().at("/refused/0/reason").asText()).contains("belongs to node " + a.nodeId).contains("/move");
        b.checkIn(faked);

        JsonNode m = s.get("/api/v1/machines/billing-1", s.adminToken).json();
        assertThat(m.get("nodeId").asText()).isEqualTo(a.nodeId);
        assertThat(m.get("hotpatches")).as("B's report was not recorded").isEmpty();
        assertThat(m.get("present").asBoolean()).isTrue();
        assertThat(s.get("/api/v1/machines/other-1", s.adminToken).json().get("nodeId").asText()).isEqualTo(b.nodeId);
        JsonNode claims = s.get("/api/v1/machines/billing-1/claims", s.adminToken).json();
        assertThat(claims).hasSize(1);
        assertThat(claims.at("/0/node").asText()).isEqualTo(b.nodeId);
        assertThat(claims.at("/0/attempts").asInt()).isEqualTo(2);
        JsonNode history = s.get("/api/v1/machines/billing-1/history?action=claim", s.adminToken).json();
        assertThat(history).as("recorded once, not at every check-in").hasSize(1);
        assertThat(history.at("/0/outcome").asText()).isEqualTo("refused");
        assertThat(history.at("/0/actor").asText()).isEqualTo("node:" + b.nodeId);

        // Its commands go to A only, and B cannot answer them.
        s.post("/api/v1/machines/billing-1/install", s.adminToken, Map.of());
        assertThat(Node.commands(b.checkIn(faked))).isEmpty();
        List<JsonNode> cmds = Node.commands(a.checkIn(report));
        assertThat(cmds).extracting(c -> c.get("type").asText()).containsExactly("install_hotpatch");
        assertThat(b.result(cmds.get(0).get("id").asText(), "succeeded", "installed", faked).status()).isEqualTo(403);
    }

    @BothStores
    void anOperatorMovesAMachine_afterWhichOnlyTheNewNodeReportsIt(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        Node a = Node.enroll(s, "host-a");
        Node b = Node.enroll(s, "host-b");
        Map<String, Object> report = Fixtures.machine("billing-1", scene.jar10, List.of(), null);
        a.checkIn(report);
        b.checkIn(report);

        String reader = s.post("/api/v1/tokens", s.adminToken, Map.of("name", "viewer", "role", "reader")).json().get("token").asText();
        assertThat(s.post("/api/v1/machines/billing-1/move", reader, Map.of("node", b.nodeId)).status()).isEqualTo(403);
        assertThat(s.post("/api/v1/machines/billing-1/move", s.adminToken, Map.of("node", "node-nope")).status()).isEqualTo(404);
        // Both test nodes check in as host-1: a host name two nodes share does not say which one.
        TestServer.Response ambiguous = s.post("/api/v1/machines/billing-1/move", s.adminToken, Map.of("node", "host-1"));
        assertThat(ambiguous.status()).isEqualTo(409);
        assertThat(ambiguous.json().get("message").asText()).contains(a.nodeId).contains(b.nodeId);
        TestServer.Response moved = s.post("/api/v1/machines/billing-1/move", s.adminToken, Map.of("node", b.nodeId));
        assertThat(moved.status()).as(moved.body()).isEqualTo(200);
        assertThat(moved.json().get("nodeId").asText()).isEqualTo(b.nodeId);
        assertThat(s.post("/api/v1/machines/billing-1/move", s.adminToken, Map.of("node", b.nodeId)).status()).isEqualTo(409);
        assertThat(s.get("/api/v1/machines/billing-1/history?action=move", s.adminToken).at("/0/details").asText())
                .contains("from node " + a.nodeId).contains("to node " + b.nodeId);

        assertThat(b.checkIn(report).json().get("refused")).isEmpty();
        assertThat(a.checkIn(report).json().at("/refused/0/machine").asText()).isEqualTo("billing-1");
        JsonNode m = s.get("/api/v1/machines/billing-1", s.adminToken).json();
        assertThat(m.get("nodeId").asText()).isEqualTo(b.nodeId);
        assertThat(m.get("present").asBoolean()).isTrue();
        assertThat(s.get("/api/v1/machines/billing-1/claims", s.adminToken).json()).extracting(c -> c.get("node").asText())
                .containsExactly(a.nodeId);
    }
}
