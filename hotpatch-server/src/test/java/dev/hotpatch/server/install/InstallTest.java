package dev.hotpatch.server.install;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.server.testing.BothStores;
import dev.hotpatch.server.testing.Fixtures;
import dev.hotpatch.server.testing.Fixtures.Node;
import dev.hotpatch.server.testing.Fixtures.Scene;
import dev.hotpatch.server.testing.TestServer;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

class InstallTest {

    @BothStores
    void installNow_nodeRunsTheCommand_historyAndGetHotFixShowIt_thenUninstall(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        scene.publishHotpatch("KB2026-0001", "1.0", "2026-02-10", scene.feesV1, scene.feesV2, List.of(), false);
        Node node = Node.enroll(s, "host-1");
        Map<String, Object> before = Fixtures.machine("billing-1", scene.jar10, List.of(), null);
        node.checkIn(before);

        TestServer.Response op = s.post("/api/v1/machines/billing-1/install", s.adminToken,
                Map.of("classifications", List.of("Critical", "Security"), "reboot", "IfRequired", "maxDurationMinutes", 60));
        assertThat(op.status()).as(op.body()).isEqualTo(202);
        String opId = op.json().get("id").asText();
        assertThat(op.json().get("state").asText()).isEqualTo("queued");
        assertThat(op.json().at("/items/0/kbId").asText()).isEqualTo("KB2026-0001");
        assertThat(op.json().at("/items/0/state").asText()).isEqualTo("pending");
        assertThat(op.json().get("commands")).hasSize(1);

        List<JsonNode> cmds = Node.commands(node.checkIn(before));
        assertThat(cmds).hasSize(1);
        JsonNode cmd = cmds.get(0);
        assertThat(cmd.get("type").asText()).isEqualTo("install_hotpatch");
        assertThat(cmd.get("machine").asText()).isEqualTo("billing-1");
        assertThat(cmd.get("operationId").asText()).isEqualTo(opId);
        String url = cmd.at("/payload/package/downloadUrl").asText();
        byte[] pkg = s.download(url, node.credential);
        assertThat(Fixtures.sha(pkg)).isEqualTo(cmd.at("/payload/package/sha256").asText());
        // Delivered once: the next check-in does not hand it out again while its lease runs.
        assertThat(Node.commands(node.checkIn(before))).isEmpty();

        Instant installedAt = s.clock.instant();
        Map<String, Object> after = Fixtures.machine("billing-1", scene.jar10,
                List.of(Fixtures.installed("KB2026-0001", "acme/Fees", scene.feesV2, installedAt)), null);
        TestServer.Response ack = node.result(cmd.get("id").asText(), "succeeded", "applied to 1 class in 1 loader", after);
        assertThat(ack.status()).as(ack.body()).isEqualTo(200);
        assertThat(node.result(cmd.get("id").asText(), "succeeded", "again", after).json().get("duplicate").asBoolean()).isTrue();

        JsonNode done = s.get("/api/v1/operations/" + opId, s.adminToken).json();
        assertThat(done.get("state").asText()).isEqualTo("succeeded");
        assertThat(done.at("/items/0/state").asText()).isEqualTo("installed");
        JsonNode a = s.get("/api/v1/machines/billing-1/assessment", s.adminToken).json();
        assertThat(a.at("/missing/total").asInt()).isZero();

        JsonNode history = s.get("/api/v1/machines/billing-1/history", s.adminToken).json();
        assertThat(history).hasSize(2);
        assertThat(history.at("/0/action").asText()).isEqualTo("install");
        assertThat(history.at("/0/kbId").asText()).isEqualTo("KB2026-0001");
        assertThat(history.at("/0/outcome").asText()).isEqualTo("succeeded");
        assertThat(history.at("/0/actor").asText()).isEqualTo("token:admin");
        assertThat(history.at("/0/node").asText()).isEqualTo("host-1");
        assertThat(history.at("/0/details").asText()).contains("applied to 1 class");
        assertThat(history.at("/1/outcome").asText()).isEqualTo("requested");

        JsonNode hotfixes = s.get("/api/v1/machines/billing-1/hotfixes", s.adminToken).json();
        assertThat(hotfixes).hasSize(1);
        assertThat(hotfixes.at("/0/hotFixId").asText()).isEqualTo("KB2026-0001");
        assertThat(hotfixes.at("/0/description").asText()).isEqualTo("Security Update: Fix for KB2026-0001");
        assertThat(hotfixes.at("/0/verified").asBoolean()).isTrue();

        TestServer.Response un = s.post("/api/v1/machines/billing-1/uninstall", s.adminToken, "");
        assertThat(un.status()).as(un.body()).isEqualTo(202);
        JsonNode ucmd = Node.commands(node.checkIn(after)).get(0);
        assertThat(ucmd.get("type").asText()).isEqualTo("uninstall_hotpatch");
        assertThat(ucmd.at("/payload/kbId").asText()).isEqualTo("KB2026-0001");
        node.result(ucmd.get("id").asText(), "succeeded", "original bytes restored", before);
        assertThat(s.get("/api/v1/operations/" + un.json().get("id").asText(), s.adminToken).at("/items/0/state").asText()).isEqualTo("uninstalled");
        assertThat(s.get("/api/v1/machines/billing-1/hotfixes", s.adminToken).json()).isEmpty();
        assertThat(s.get("/api/v1/machines/billing-1/assessment", s.adminToken).at("/missing/total").asInt()).isEqualTo(1);
        assertThat(s.get("/api/v1/machines/billing-1/history?action=uninstall", s.adminToken).json()).hasSize(2);
    }

    @BothStores
    void installNow_filtersByClassificationAndKbLists_andRefusesUnknownKbs(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        scene.publishHotpatch("KB2026-0001", "1.0", "2026-02-10", scene.feesV1, scene.feesV2, List.of(), false);
        Fixtures.publishRestartUpdate(s, Map.of("kbId", "KB2026-0100", "image", Scene.IMAGE, "title", "Non-security update",
                "classification", "Updates", "rebootBehavior", "CanRequestReboot", "publishedAt", "2026-02-11T00:00:00Z"), null, null);
        Node node = Node.enroll(s, "host-1");
        Map<String, Object> report = Fixtures.machine("billing-1", scene.jar10, List.of(), null);
        node.checkIn(report);
        JsonNode a = s.get("/api/v1/machines/billing-1/assessment", s.adminToken).json();
        assertThat(a.at("/missing/total").asInt()).isEqualTo(2);
        assertThat(a.at("/missing/security").asInt()).isEqualTo(1);
        assertThat(a.at("/missing/other").asInt()).isEqualTo(1);

        TestServer.Response bad = s.post("/api/v1/machines/billing-1/install", s.adminToken, Map.of("includeKbs", List.of("KB0000-0000")));
        assertThat(bad.status()).isEqualTo(422);
        assertThat(bad.json().get("error").asText()).isEqualTo("unknown-kb");
        assertThat(s.get("/api/v1/operations?machine=billing-1", s.adminToken).json()).isEmpty();

        TestServer.Response op = s.post("/api/v1/machines/billing-1/install", s.adminToken,
                Map.of("classifications", List.of("Updates"), "excludeKbs", List.of("KB2026-0001"), "reboot", "Never"));
        assertThat(op.status()).isEqualTo(202);
        assertThat(op.json().get("items")).hasSize(1);
        assertThat(op.json().at("/items/0/kbId").asText()).isEqualTo("KB2026-0100");
        List<JsonNode> cmds = Node.commands(node.checkIn(report));
        assertThat(cmds).extracting(c -> c.get("type").asText()).containsExactly("install_update");
        assertThat(cmds.get(0).at("/payload/restart").asBoolean()).isFalse();
        node.result(cmds.get(0).get("id").asText(), "pending_restart", "staged", null);
        JsonNode done = s.get("/api/v1/operations/" + op.json().get("id").asText(), s.adminToken).json();
        assertThat(done.get("state").asText()).isEqualTo("succeeded");
        assertThat(done.at("/items/0/state").asText()).isEqualTo("pending_restart");
    }

    @BothStores
    void installNow_restartRequiringUpdate_isFollowedByOneRestart_andFailuresAreReported(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        scene.publishHotpatch("KB2026-0001", "1.0", "2026-02-10", scene.feesV1, scene.feesV2, List.of(), false);
        Fixtures.publishRestartUpdate(s, Map.of("kbId", "KB2026-0100", "image", Scene.IMAGE, "title", "Driver",
                "classification", "Critical", "rebootBehavior", "AlwaysRequiresReboot"), null, null);
        Node node = Node.enroll(s, "host-1");
        Map<String, Object> report = Fixtures.machine("billing-1", scene.jar10, List.of(), null);
        node.checkIn(report);
        String opId = s.post("/api/v1/machines/billing-1/install", s.adminToken, Map.of()).json().get("id").asText();
        List<JsonNode> cmds = Node.commands(node.checkIn(report));
        assertThat(cmds).extracting(c -> c.get("type").asText()).containsExactly("install_hotpatch", "install_update", "restart");
        node.result(cmds.get(0).get("id").asText(), "refused", "class acme.Fees in loader app does not match", null);
        node.result(cmds.get(1).get("id").asText(), "succeeded", "staged", null);
        assertThat(s.get("/api/v1/operations/" + opId, s.adminToken).at("/items/1/state").asText()).isEqualTo("pending_restart");
        node.result(cmds.get(2).get("id").asText(), "succeeded", "restarted in 2.1 s", null);
        JsonNode op = s.get("/api/v1/operations/" + opId, s.adminToken).json();
        assertThat(op.get("state").asText()).isEqualTo("partially_succeeded");
        assertThat(op.at("/items/0/state").asText()).isEqualTo("failed");
        assertThat(op.at("/items/0/reason").asText()).contains("does not match");
        assertThat(op.at("/items/1/state").asText()).isEqualTo("installed");
        JsonNode history = s.get("/api/v1/machines/billing-1/history", s.adminToken).json();
        assertThat(history).extracting(h -> h.get("action").asText() + ":" + h.get("outcome").asText())
                .containsExactly("restart:succeeded", "install:pending-restart", "install:refused", "install:requested");
    }

    @BothStores
    void installNow_whatTheWindowDoesNotReach_isNotAttempted(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        scene.publishHotpatch("KB2026-0001", "1.0", "2026-02-10", scene.feesV1, scene.feesV2, List.of(), false);
        Node node = Node.enroll(s, "host-1");
        Map<String, Object> report = Fixtures.machine("billing-1", scene.jar10, List.of(), null);
        node.checkIn(report);
        String opId = s.post("/api/v1/machines/billing-1/install", s.adminToken, Map.of("maxDurationMinutes", 30)).json().get("id").asText();
        s.clock.advance(Duration.ofMinutes(31));
        assertThat(Node.commands(node.checkIn(report))).isEmpty();
        JsonNode op = s.get("/api/v1/operations/" + opId, s.adminToken).json();
        assertThat(op.get("state").asText()).isEqualTo("timed_out");
        assertThat(op.at("/items/0/state").asText()).isEqualTo("not_attempted");
        assertThat(op.at("/items/0/reason").asText()).contains("30 min");
        assertThat(s.get("/api/v1/machines/billing-1/history?action=install", s.adminToken).at("/0/outcome").asText()).isEqualTo("not-attempted");
    }

    @BothStores
    void unansweredCommand_isDeliveredAgainAfterItsLease(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        scene.publishHotpatch("KB2026-0001", "1.0", "2026-02-10", scene.feesV1, scene.feesV2, List.of(), false);
        Node node = Node.enroll(s, "host-1");
        Map<String, Object> report = Fixtures.machine("billing-1", scene.jar10, List.of(), null);
        node.checkIn(report);
        s.post("/api/v1/machines/billing-1/install", s.adminToken, Map.of());
        JsonNode first = Node.commands(node.checkIn(report)).get(0);
        s.clock.advance(Duration.ofMinutes(11));
        JsonNode again = Node.commands(node.checkIn(report)).get(0);
        assertThat(again.get("id").asText()).isEqualTo(first.get("id").asText());
        assertThat(again.get("attempt").asInt()).isEqualTo(2);
    }

    @BothStores
    void rollbackBaseline_returnsToTheLastKnownGoodOne_withARestart(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        byte[] jar20 = Fixtures.jar(Fixtures.orderedMap("acme/Fees", scene.feesV3, "acme/Util", scene.util));
        scene.publishBaseline("2.0", "planned", "2026-04-01", jar20, false);
        Node node = Node.enroll(s, "host-1");
        node.checkIn(Fixtures.machine("billing-1", scene.jar10, List.of(), null));
        TestServer.Response none = s.post("/api/v1/machines/billing-1/rollback-baseline", s.adminToken, "");
        assertThat(none.status()).isEqualTo(409);
        assertThat(none.json().get("error").asText()).isEqualTo("no-last-known-good");

        // The machine installs baseline 2.0 (install now: baseline + restart) and comes back on it.
        String opId = s.post("/api/v1/machines/billing-1/install", s.adminToken, Map.of()).json().get("id").asText();
        List<JsonNode> cmds = Node.commands(node.checkIn(Fixtures.machine("billing-1", scene.jar10, List.of(), null)));
        assertThat(cmds).extracting(c -> c.get("type").asText()).containsExactly("install_baseline", "restart");
        assertThat(cmds.get(0).at("/payload/jars/0/sha256").asText()).isEqualTo(Fixtures.sha(jar20));
        node.result(cmds.get(0).get("id").asText(), "succeeded", "jar swapped", null);
        node.result(cmds.get(1).get("id").asText(), "succeeded", "restarted", Fixtures.machine("billing-1", jar20, List.of(), null));
        assertThat(s.get("/api/v1/operations/" + opId, s.adminToken).at("/items/0/state").asText()).isEqualTo("installed");
        assertThat(s.get("/api/v1/machines/billing-1", s.adminToken).json().get("baselineVersion").asText()).isEqualTo("2.0");

        TestServer.Response rb = s.post("/api/v1/machines/billing-1/rollback-baseline", s.adminToken, "");
        assertThat(rb.status()).as(rb.body()).isEqualTo(202);
        JsonNode cmd = Node.commands(node.checkIn(Fixtures.machine("billing-1", jar20, List.of(), null))).get(0);
        assertThat(cmd.get("type").asText()).isEqualTo("install_baseline");
        assertThat(cmd.at("/payload/version").asText()).isEqualTo("1.0");
        assertThat(cmd.at("/payload/rollback").asBoolean()).isTrue();
        assertThat(cmd.at("/payload/restart").asBoolean()).isTrue();
        node.result(cmd.get("id").asText(), "succeeded", "rolled back", Fixtures.machine("billing-1", scene.jar10, List.of(), null));
        JsonNode m = s.get("/api/v1/machines/billing-1", s.adminToken).json();
        assertThat(m.get("baselineVersion").asText()).isEqualTo("1.0");
        assertThat(m.get("status").asText()).isEqualTo("ActionRequired");
        assertThat(s.get("/api/v1/machines/billing-1/history?action=rollback-baseline", s.adminToken).at("/0/outcome").asText())
                .isEqualTo("succeeded");
    }

    @BothStores
    void assessNow_andPeriodicAssessment_askTheNodeForAFreshReport(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        Node node = Node.enroll(s, "host-1");
        Map<String, Object> report = Fixtures.machine("billing-1", scene.jar10, List.of(), null);
        node.checkIn(report);
        TestServer.Response op = s.post("/api/v1/machines/billing-1/assess", s.adminToken, "");
        assertThat(op.status()).isEqualTo(202);
        JsonNode cmd = Node.commands(node.checkIn(report)).get(0);
        assertThat(cmd.get("type").asText()).isEqualTo("assess");
        s.clock.advance(Duration.ofMinutes(5));
        node.result(cmd.get("id").asText(), "succeeded", null, report);
        assertThat(s.get("/api/v1/operations/" + op.json().get("id").asText(), s.adminToken).json().get("state").asText()).isEqualTo("succeeded");
        assertThat(s.get("/api/v1/machines/billing-1/assessment", s.adminToken).json().get("lastAssessedAt").asText()).isEqualTo("2026-01-15T10:05:00Z");

        s.clock.advance(Duration.ofHours(25));
        JsonNode periodic = Node.commands(node.checkIn(report)).get(0);
        assertThat(periodic.get("type").asText()).isEqualTo("assess");
        assertThat(periodic.at("/payload/periodic").asBoolean()).isTrue();
    }
}
