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

class CheckInTest {

    @BothStores
    void enroll_isOneTime_andCheckInCreatesAnAssessedMachine(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        assertThat(scene.publishHotpatch("KB2026-0001", "1.0", "2026-02-10", scene.feesV1, scene.feesV2, List.of(), false).status()).isEqualTo(201);
        TestServer.Response t = s.post("/api/v1/enrollment-tokens", s.adminToken, Map.of("name", "host-1"));
        String enrollment = t.json().get("token").asText();
        TestServer.Response e = s.post("/api/v1/node/enroll", enrollment, Map.of("hostname", "host-1"));
        assertThat(e.status()).isEqualTo(201);
        assertThat(e.json().get("credential").asText()).startsWith("hpn_");
        TestServer.Response again = s.post("/api/v1/node/enroll", enrollment, Map.of("hostname", "host-2"));
        assertThat(again.status()).isEqualTo(401);
        assertThat(again.json().get("error").asText()).isEqualTo("unauthenticated");

        Node node = Node.enroll(s, "host-1");
        TestServer.Response ci = node.checkIn(Fixtures.machine("billing-1", scene.jar10, List.of(), null));
        assertThat(ci.json().get("checkInIntervalSeconds").asInt()).isEqualTo(60);

        JsonNode m = s.get("/api/v1/machines/billing-1", s.adminToken).json();
        assertThat(m.get("status").asText()).isEqualTo("Enabled");
        assertThat(m.get("image").asText()).isEqualTo("acme/fees/1.x");
        assertThat(m.get("baselineVersion").asText()).isEqualTo("1.0");
        assertThat(m.at("/config/timeZone").asText()).isEqualTo("Europe/Paris");
        assertThat(m.at("/jvm/version").asText()).isEqualTo("17.0.12");
        assertThat(m.at("/agent/present").asBoolean()).isTrue();

        JsonNode a = s.get("/api/v1/machines/billing-1/assessment", s.adminToken).json();
        assertThat(a.get("status").asText()).isEqualTo("Enabled");
        assertThat(a.get("lastAssessedAt").asText()).isEqualTo("2026-01-15T10:00:00Z");
        assertThat(a.at("/missing/total").asInt()).isEqualTo(1);
        assertThat(a.at("/missing/security").asInt()).isEqualTo(1);
        assertThat(a.at("/updates/0/kbId").asText()).isEqualTo("KB2026-0001");
        assertThat(a.at("/updates/0/classification").asText()).isEqualTo("Security");
        assertThat(a.at("/updates/0/rebootBehavior").asText()).isEqualTo("NeverReboots");
        assertThat(a.at("/updates/0/publishedDate").asText()).isEqualTo("2026-02-10T12:00:00Z");

        assertThat(s.get("/api/v1/machines?status=Enabled", s.adminToken).json()).hasSize(1);
        assertThat(s.get("/api/v1/machines?status=NotSupported", s.adminToken).json()).isEmpty();
        assertThat(s.get("/api/v1/nodes", s.adminToken).json()).hasSize(2);
    }

    @BothStores
    void customImage_isNotSupported_withTheReason(TestServer s) throws Exception {
        new Scene(s);
        Node node = Node.enroll(s, "host-1");
        byte[] custom = Fixtures.jar(Map.of("acme/Fees", Fixtures.cls("home-made Fees")));
        node.checkIn(Fixtures.machine("custom-1", custom, List.of(), null));
        JsonNode m = s.get("/api/v1/machines/custom-1", s.adminToken).json();
        assertThat(m.get("status").asText()).isEqualTo("NotSupported");
        assertThat(m.get("statusReason").asText()).contains("custom image").contains("fees.jar").contains(Fixtures.sha(custom).substring(0, 12));

        TestServer.Response install = s.post("/api/v1/machines/custom-1/install", s.adminToken, Map.of());
        assertThat(install.status()).isEqualTo(409);
        assertThat(install.json().get("error").asText()).isEqualTo("not-supported");
        JsonNode history = s.get("/api/v1/machines/custom-1/history", s.adminToken).json();
        assertThat(history).hasSize(1);
        assertThat(history.at("/0/outcome").asText()).isEqualTo("refused");
        assertThat(history.at("/0/actor").asText()).isEqualTo("token:admin");
    }

    @BothStores
    void classesModifiedAtRunTime_makeTheMachineACustomImage(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        Node node = Node.enroll(s, "host-1");
        Map<String, Object> report = new java.util.LinkedHashMap<>(Fixtures.machine("tampered-1", scene.jar10, List.of(), null));
        report.put("classes", List.of(Map.of("name", "acme/Fees", "sha256", Fixtures.sha(Fixtures.cls("redefined by someone")))));
        node.checkIn(report);
        JsonNode m = s.get("/api/v1/machines/tampered-1", s.adminToken).json();
        assertThat(m.get("status").asText()).isEqualTo("NotSupported");
        assertThat(m.get("statusReason").asText()).contains("acme.Fees");
    }

    @BothStores
    void hotpatchBytesOnDisk_areACustomImage_butLiveThroughTheAgentAreTheBaseline(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        assertThat(scene.publishHotpatch("KB2026-0001", "1.0", "2026-02-10", scene.feesV1, scene.feesV2, List.of(), false).status())
                .isEqualTo(201);
        Node node = Node.enroll(s, "host-1");
        // The fixed release built as a jar of its own: its classes hash like the hotpatch's, but no agent put them there.
        Map<String, Object> rebuilt = new java.util.LinkedHashMap<>(Fixtures.machine("rebuilt-1",
                Fixtures.jar(Fixtures.orderedMap("acme/Fees", scene.feesV2, "acme/Util", scene.util)), List.of(), null));
        rebuilt.put("classes", List.of(Map.of("name", "acme/Fees", "sha256", Fixtures.sha(scene.feesV2)),
                Map.of("name", "acme/Util", "sha256", Fixtures.sha(scene.util))));
        Map<String, Object> patched = new java.util.LinkedHashMap<>(Fixtures.machine("patched-1", scene.jar10,
                List.of(Fixtures.installed("KB2026-0001", "acme/Fees", scene.feesV2, Instant.parse("2026-02-11T00:00:00Z"))), null));
        patched.put("classes", rebuilt.get("classes"));
        node.checkIn(rebuilt, patched);

        JsonNode r = s.get("/api/v1/machines/rebuilt-1", s.adminToken).json();
        assertThat(r.get("status").asText()).isEqualTo("NotSupported");
        assertThat(r.get("statusReason").asText()).contains("custom image");
        JsonNode p = s.get("/api/v1/machines/patched-1", s.adminToken).json();
        assertThat(p.get("status").asText()).as(p.toString()).isEqualTo("Enabled");
        assertThat(p.get("baselineVersion").asText()).isEqualTo("1.0");
    }

    @BothStores
    void olderBaseline_isActionRequired_andNotOfferedNewerHotpatches(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        byte[] jar20 = Fixtures.jar(Fixtures.orderedMap("acme/Fees", scene.feesV3, "acme/Util", scene.util));
        TestServer.Response bl = scene.publishBaseline("2.0", "planned", "2026-04-01", jar20, false);
        assertThat(scene.publishHotpatch("KB2026-0401", "2.0", "2026-05-10", scene.feesV3, scene.feesV2, List.of(), false).status()).isEqualTo(201);
        Node node = Node.enroll(s, "host-1");
        node.checkIn(Fixtures.machine("old-1", scene.jar10, List.of(), null), Fixtures.machine("new-1", jar20, List.of(), null));

        JsonNode old = s.get("/api/v1/machines/old-1/assessment", s.adminToken).json();
        assertThat(old.get("status").asText()).isEqualTo("ActionRequired");
        assertThat(old.get("statusReason").asText()).contains("baseline restart owed").contains("2.0");
        assertThat(old.get("updates")).hasSize(1);
        assertThat(old.at("/updates/0/kind").asText()).isEqualTo("baseline");
        assertThat(old.at("/updates/0/rebootBehavior").asText()).isEqualTo("AlwaysRequiresReboot");
        assertThat(old.at("/updates/0/kbId").asText()).isEqualTo(bl.json().get("id").asText());

        JsonNode fresh = s.get("/api/v1/machines/new-1/assessment", s.adminToken).json();
        assertThat(fresh.get("status").asText()).isEqualTo("Enabled");
        assertThat(fresh.at("/updates/0/kbId").asText()).isEqualTo("KB2026-0401");
    }

    @BothStores
    void uniformGroup_isRefused_andDisabledMachinesAreShownDisabled(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        Node node = Node.enroll(s, "host-1");
        node.checkIn(Fixtures.machine("uni-1", scene.jar10, List.of(), Map.of("group", "web", "groupOrchestration", "uniform")),
                Fixtures.machine("off-1", scene.jar10, List.of(), Map.of("hotpatch", false)));
        JsonNode uni = s.get("/api/v1/machines/uni-1", s.adminToken).json();
        assertThat(uni.get("status").asText()).isEqualTo("NotSupported");
        assertThat(uni.get("statusReason").asText()).contains("uniform");
        TestServer.Response r = s.post("/api/v1/machines/uni-1/install", s.adminToken, Map.of());
        assertThat(r.status()).isEqualTo(409);
        assertThat(r.json().get("error").asText()).isEqualTo("uniform-group");
        assertThat(s.get("/api/v1/machines/off-1", s.adminToken).json().get("status").asText()).isEqualTo("Disabled");
    }

    @BothStores
    void aHotpatchsFixup_isStoredAndShown_andAMalformedOneIsRefused(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        assertThat(scene.publishHotpatch("KB2026-0001", "1.0", "2026-02-10", scene.feesV1, scene.feesV2, List.of(), false).status())
                .isEqualTo(201);
        Node node = Node.enroll(s, "host-1");
        Map<String, Object> hp = new java.util.LinkedHashMap<>(Fixtures.installed("KB2026-0001", "acme/Fees", scene.feesV2,
                Instant.parse("2026-02-11T00:00:00Z")));
        hp.put("fixup", Map.of("className", "acme.FeesFixup", "state", "ran", "detail", "afterApply() ran in 2 class loaders at the live apply"));
        node.checkIn(Fixtures.machine("fixed-1", scene.jar10, List.of(hp), null));

        JsonNode m = s.get("/api/v1/machines/fixed-1", s.adminToken).json();
        assertThat(m.at("/hotpatches/0/fixup/className").asText()).as(m.toString()).isEqualTo("acme.FeesFixup");
        assertThat(m.at("/hotpatches/0/fixup/state").asText()).isEqualTo("ran");
        assertThat(m.at("/hotpatches/0/fixup/detail").asText()).contains("2 class loaders");

        Map<String, Object> bad = new java.util.LinkedHashMap<>(hp);
        bad.put("fixup", Map.of("state", "ran"));
        TestServer.Response r = s.post("/api/v1/node/check-in", node.credential, Map.of("machines",
                List.of(Fixtures.machine("fixed-1", scene.jar10, List.of(bad), null))));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.json().get("error").asText()).isEqualTo("invalid-report");
        assertThat(r.json().get("message").asText()).contains("fixed-1", "KB2026-0001", "malformed fix-up");
        assertThat(s.get("/api/v1/machines/fixed-1", s.adminToken).json().at("/hotpatches/0/fixup/className").asText())
                .as("nothing changed").isEqualTo("acme.FeesFixup");
    }

    @BothStores
    void checkIn_refusesABadReport_andChangesNothing(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        Node node = Node.enroll(s, "host-1");
        TestServer.Response r = s.post("/api/v1/node/check-in", node.credential, Map.of("machines",
                List.of(Fixtures.machine("tz-1", scene.jar10, List.of(), Map.of("timeZone", "Mars/Olympus")))));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.json().get("error").asText()).isEqualTo("invalid-time-zone");
        assertThat(r.json().get("message").asText()).contains("tz-1").contains("Mars/Olympus");
        assertThat(s.get("/api/v1/machines", s.adminToken).json()).isEmpty();
    }

    @BothStores
    void publishingAHotpatch_reassessesTheImagesMachines(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        Node node = Node.enroll(s, "host-1");
        node.checkIn(Fixtures.machine("billing-1", scene.jar10, List.of(), null));
        assertThat(s.get("/api/v1/machines/billing-1", s.adminToken).at("/missing/total").asInt()).isZero();
        scene.publishHotpatch("KB2026-0001", "1.0", "2026-02-10", scene.feesV1, scene.feesV2, List.of(), false);
        assertThat(s.get("/api/v1/machines/billing-1", s.adminToken).at("/missing/total").asInt()).isEqualTo(1);
    }

    @BothStores
    void imageMadeUnsupported_turnsItsMachinesNotSupported(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        Node node = Node.enroll(s, "host-1");
        node.checkIn(Fixtures.machine("billing-1", scene.jar10, List.of(), null));
        TestServer.Response r = s.patch("/api/v1/images/" + scene.imageId, s.adminToken, Map.of("hotpatchSupported", false));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode m = s.get("/api/v1/machines/billing-1", s.adminToken).json();
        assertThat(m.get("status").asText()).isEqualTo("NotSupported");
        assertThat(m.get("statusReason").asText()).contains("not hotpatch-supported");
    }

    @BothStores
    void repeatedCheckIn_refreshesLastSeen_andStoresWhatChangedInTheReport(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        Node node = Node.enroll(s, "host-1");
        Map<String, Object> report = Fixtures.machine("billing-1", scene.jar10, List.of(), null);
        node.checkIn(report);
        String firstSeen = s.get("/api/v1/machines/billing-1", s.adminToken).json().get("lastSeenAt").asText();

        s.clock.advance(java.time.Duration.ofMinutes(1));
        node.checkIn(report);
        JsonNode same = s.get("/api/v1/machines/billing-1", s.adminToken).json();
        assertThat(same.get("lastSeenAt").asText()).isNotEqualTo(firstSeen);
        assertThat(same.get("pid").asLong()).isEqualTo(4242);
        assertThat(same.get("present").asBoolean()).isTrue();

        report.put("pid", 5151);
        s.clock.advance(java.time.Duration.ofMinutes(1));
        node.checkIn(report);
        JsonNode changed = s.get("/api/v1/machines/billing-1", s.adminToken).json();
        assertThat(changed.get("pid").asLong()).isEqualTo(5151);
        assertThat(changed.get("status").asText()).isEqualTo("Enabled");
    }
}
