package dev.hotpatch.server.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.server.testing.BothStores;
import dev.hotpatch.server.testing.Fixtures;
import dev.hotpatch.server.testing.Fixtures.Node;
import dev.hotpatch.server.testing.Fixtures.Scene;
import dev.hotpatch.server.testing.TestServer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The long-poll of the node protocol (contract C2): a node waiting on
 * {@code GET /api/v1/node/commands/wait} gets a command queued while it waits without checking in
 * again, from this server or from another replica on the same database; a wait with nothing to
 * deliver answers empty at its timeout; a new wait of the same node ends the previous one; and a
 * command the node reports {@code timed_out} ends its operation timed out.
 */
class CommandWaitTest {

    @BothStores
    void wait_getsTheCommandOfAnInstallNowMadeWhileItWaits(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        scene.publishHotpatch("KB2026-0001", "1.0", "2026-02-10", scene.feesV1, scene.feesV2, List.of(), false);
        Node node = Node.enroll(s, "host-1");
        node.checkIn(Fixtures.machine("billing-1", scene.jar10, List.of(), null));

        CompletableFuture<TestServer.Response> waiting = CompletableFuture.supplyAsync(
                () -> s.get("/api/v1/node/commands/wait?timeoutSeconds=25", node.credential));
        TestServer.Response op = s.post("/api/v1/machines/billing-1/install", s.adminToken, Map.of("classifications", List.of("Security")));
        assertThat(op.status()).as(op.body()).isEqualTo(202);

        TestServer.Response answer = waiting.get(60, TimeUnit.SECONDS);
        assertThat(answer.status()).as(answer.body()).isEqualTo(200);
        List<JsonNode> cmds = Node.commands(answer);
        assertThat(cmds).as("a wait that times out answers without commands, so this one was answered by the install").hasSize(1);
        assertThat(cmds.get(0).get("type").asText()).isEqualTo("install_hotpatch");
        assertThat(cmds.get(0).get("operationId").asText()).isEqualTo(op.json().get("id").asText());
        assertThat(answer.json().get("nodeId").asText()).isEqualTo(node.nodeId);
        // Claimed once: neither a check-in nor another wait hands it out again while its lease runs.
        assertThat(Node.commands(node.checkIn(Fixtures.machine("billing-1", scene.jar10, List.of(), null)))).isEmpty();
        assertThat(Node.commands(s.get("/api/v1/node/commands/wait?timeoutSeconds=0", node.credential))).isEmpty();
    }

    @BothStores
    void wait_withNothingToDeliver_answersEmptyAtItsTimeout_andRefusesABadTimeout(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        Node node = Node.enroll(s, "host-1");
        node.checkIn(Fixtures.machine("billing-1", scene.jar10, List.of(), null));

        TestServer.Response answer = s.get("/api/v1/node/commands/wait?timeoutSeconds=1", node.credential);
        assertThat(answer.status()).as(answer.body()).isEqualTo(200);
        assertThat(answer.json().get("commands")).isEmpty();
        assertThat(answer.json().get("checkInIntervalSeconds").asInt()).isPositive();

        TestServer.Response bad = s.get("/api/v1/node/commands/wait?timeoutSeconds=soon", node.credential);
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.json().get("error").asText()).isEqualTo("invalid-timeout");
        assertThat(s.get("/api/v1/node/commands/wait?timeoutSeconds=1", s.adminToken).status()).as("operators are not nodes").isEqualTo(403);
        assertThat(s.get("/api/v1/node/commands/wait?timeoutSeconds=1", null).status()).isEqualTo(401);
    }

    @BothStores
    void wait_ofTheSameNodeAgain_endsThePreviousWait_andTheNewOneGetsTheCommand(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        scene.publishHotpatch("KB2026-0001", "1.0", "2026-02-10", scene.feesV1, scene.feesV2, List.of(), false);
        Node node = Node.enroll(s, "host-1");
        node.checkIn(Fixtures.machine("billing-1", scene.jar10, List.of(), null));

        CompletableFuture<TestServer.Response> first = CompletableFuture.supplyAsync(
                () -> s.get("/api/v1/node/commands/wait?timeoutSeconds=25", node.credential));
        // The first wait is answered empty once the second arrives, well before its own timeout; keep asking until it is.
        CompletableFuture<TestServer.Response> second;
        do {
            second = CompletableFuture.supplyAsync(() -> s.get("/api/v1/node/commands/wait?timeoutSeconds=25", node.credential));
            try {
                first.get(2, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                first = second;
                continue;
            }
            break;
        } while (true);
        assertThat(first.get().json().get("commands")).isEmpty();

        s.post("/api/v1/machines/billing-1/install", s.adminToken, Map.of());
        List<JsonNode> cmds = Node.commands(second.get(60, TimeUnit.SECONDS));
        assertThat(cmds).hasSize(1);
        assertThat(cmds.get(0).get("type").asText()).isEqualTo("install_hotpatch");
    }

    @Test
    void wait_onOneReplica_seesACommandQueuedThroughAnother() throws Exception {
        try (TestServer a = new TestServer("postgresql");
             TestServer b = new TestServer("postgresql", a.dbUrl, a.trustDir)) {
            Scene scene = new Scene(a);
            scene.publishHotpatch("KB2026-0001", "1.0", "2026-02-10", scene.feesV1, scene.feesV2, List.of(), false);
            Node node = Node.enroll(a, "host-1");
            node.checkIn(Fixtures.machine("billing-1", scene.jar10, List.of(), null));

            CompletableFuture<TestServer.Response> waiting = CompletableFuture.supplyAsync(
                    () -> a.get("/api/v1/node/commands/wait?timeoutSeconds=25", node.credential));
            TestServer.Response op = b.post("/api/v1/machines/billing-1/install", a.adminToken, Map.of());
            assertThat(op.status()).as(op.body()).isEqualTo(202);

            List<JsonNode> cmds = Node.commands(waiting.get(60, TimeUnit.SECONDS));
            assertThat(cmds).as("replica a learns of b's command from the database within its wait").hasSize(1);
            assertThat(cmds.get(0).get("operationId").asText()).isEqualTo(op.json().get("id").asText());
        }
    }

    @BothStores
    void timedOutResult_endsTheOperationTimedOut_withTheNodesReason(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        scene.publishHotpatch("KB2026-0001", "1.0", "2026-02-10", scene.feesV1, scene.feesV2, List.of(), false);
        Node node = Node.enroll(s, "host-1");
        Map<String, Object> report = Fixtures.machine("billing-1", scene.jar10, List.of(), null);
        node.checkIn(report);
        String op = s.post("/api/v1/machines/billing-1/install", s.adminToken, Map.of()).json().get("id").asText();
        JsonNode cmd = Node.commands(node.checkIn(report)).get(0);

        String why = "machine billing-1: JVM 4242 did not answer the install of KB2026-0001 within 120 s: it is stopped (SIGSTOP or SIGTSTP)";
        TestServer.Response ack = node.result(cmd.get("id").asText(), "timed_out", why, report);
        assertThat(ack.status()).as(ack.body()).isEqualTo(200);

        JsonNode operation = s.get("/api/v1/operations/" + op, s.adminToken).json();
        assertThat(operation.get("state").asText()).as(operation.toString()).isEqualTo("timed_out");
        assertThat(operation.at("/items/0/state").asText()).isEqualTo("failed");
        assertThat(operation.at("/items/0/reason").asText()).contains("did not answer").contains("stopped");
        JsonNode history = s.get("/api/v1/machines/billing-1/history", s.adminToken).json();
        assertThat(history.at("/0/outcome").asText()).isEqualTo("timed-out");
        assertThat(history.at("/0/details").asText()).contains("did not answer");
    }
}
