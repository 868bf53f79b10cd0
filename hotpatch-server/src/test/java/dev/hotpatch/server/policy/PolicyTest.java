package dev.hotpatch.server.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.server.testing.BothStores;
import dev.hotpatch.server.testing.Fixtures;
import dev.hotpatch.server.testing.Fixtures.Node;
import dev.hotpatch.server.testing.Fixtures.Scene;
import dev.hotpatch.server.testing.TestServer;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

class PolicyTest {

    @BothStores
    void machineSettings_inheritMachineNodeConfigGroupImageFleet_andSayWhereEachCameFrom(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        Node node = Node.enroll(s, "host-1");
        Map<String, Object> cfg = new HashMap<>(Map.of("timeZone", "America/New_York", "region", "us-east", "group", "billing",
                "patchMode", "ImageDefault", "tags", Map.of("tier", "gold")));
        node.checkIn(Fixtures.machine("billing-1", scene.jar10, List.of(), cfg));

        JsonNode v = s.get("/api/v1/machines/billing-1/policy", s.adminToken).json();
        assertThat(v.get("automatic").asBoolean()).isFalse();
        assertThat(v.get("whyNot").asText()).isEqualTo("patch mode is Manual (from default)");
        assertThat(v.get("window").asText()).isEqualTo("daily 01:00 4h");
        assertThat(v.get("timeZone").asText()).isEqualTo("America/New_York");
        assertThat(v.at("/sources/timeZone").asText()).isEqualTo("node config");
        // 10:00 UTC is 05:00 in New York: the default window has just closed; the next opens at 01:00 tomorrow, New York time.
        assertThat(v.get("windowOpen").asBoolean()).isFalse();
        assertThat(v.get("windowOpensAt").asText()).isEqualTo("2026-01-16T06:00:00Z");

        patch(s, "fleet", Map.of("patchMode", "AutomaticByPlatform", "soakMinutes", 30, "window", "weekly Sat,Sun 02:00 6h"));
        patch(s, "image/acme:fees:1.x", Map.of("soakMinutes", 20, "rings", List.of("canary", "broad"), "ringTag", "tier"));
        patch(s, "group/billing", Map.of("window", "daily 03:00 2h", "ring", "canary"));
        patch(s, "machine/billing-1", Map.of("soakMinutes", 5));
        v = s.get("/api/v1/machines/billing-1/policy", s.adminToken).json();
        assertThat(v.get("automatic").asBoolean()).isTrue();
        assertThat(v.at("/settings/soakMinutes").asInt()).isEqualTo(5);
        assertThat(v.at("/sources/soakMinutes").asText()).isEqualTo("machine");
        assertThat(v.at("/settings/window").asText()).isEqualTo("daily 03:00 2h");
        assertThat(v.at("/sources/window").asText()).isEqualTo("group billing");
        assertThat(v.at("/sources/rings").asText()).isEqualTo("image acme/fees/1.x");
        assertThat(v.at("/sources/patchMode").asText()).isEqualTo("fleet");
        assertThat(v.at("/sources/maxPercentOfSet").asText()).isEqualTo("default");
        // The ring tag is 'tier' whose value 'gold' is no ring of the image: the node's tag wins over the group's ring, so the last ring.
        assertThat(v.get("ring").asText()).isEqualTo("broad");

        // A field given as null is inherited again; the node's own patch mode beats the group's and the image's.
        Map<String, Object> clear = new HashMap<>();
        clear.put("soakMinutes", null);
        JsonNode m = patch(s, "machine/billing-1", clear);
        assertThat(m.get("settings").has("soakMinutes")).isFalse();
        assertThat(s.get("/api/v1/machines/billing-1/policy", s.adminToken).at("/settings/soakMinutes").asInt()).isEqualTo(20);
        cfg.put("patchMode", "Manual");
        node.checkIn(Fixtures.machine("billing-1", scene.jar10, List.of(), cfg));
        v = s.get("/api/v1/machines/billing-1/policy", s.adminToken).json();
        assertThat(v.get("automatic").asBoolean()).isFalse();
        assertThat(v.at("/sources/patchMode").asText()).isEqualTo("node config");
        assertThat(s.delete("/api/v1/policies/group/billing", s.adminToken).status()).isEqualTo(204);
        assertThat(s.get("/api/v1/machines/billing-1/policy", s.adminToken).at("/settings/window").asText()).isEqualTo("weekly Sat,Sun 02:00 6h");

        JsonNode all = s.get("/api/v1/policies", s.adminToken).json();
        assertThat(all).extracting(p -> p.get("scope").asText() + ":" + p.get("name").asText())
                .containsExactly("fleet:fleet", "image:acme/fees/1.x", "machine:billing-1");
        assertThat(all.get(0).get("updatedBy").asText()).isEqualTo("token:admin");
    }

    @BothStores
    void badPolicies_areRefusedNamingTheField_andChangeNothing(TestServer s) throws Exception {
        new Scene(s);
        patch(s, "fleet", Map.of("soakMinutes", 15));
        Map<String, Map<String, Object>> bad = Map.of(
                "window", Map.of("window", "nightly 01:00 4h"),
                "patchMode", Map.of("patchMode", "Sometimes"),
                "timeZone", Map.of("timeZone", "Mars/Olympus"),
                "classifications", Map.of("classifications", List.of("Security", "Urgent")),
                "cutoff", Map.of("cutoff", "next week"),
                "regionPairs", Map.of("regionPairs", List.of("eu-west")),
                "maxPercentOfSet", Map.of("maxPercentOfSet", 0),
                "rings", Map.of("rings", List.of("canary", "canary")));
        for (Map.Entry<String, Map<String, Object>> e : bad.entrySet()) {
            TestServer.Response r = s.patch("/api/v1/policies/fleet", s.adminToken, e.getValue());
            assertThat(r.status()).as(e.getKey() + ": " + r.body()).isEqualTo(400);
            assertThat(r.json().get("error").asText()).isEqualTo("invalid-policy");
            assertThat(r.json().get("message").asText()).startsWith("policy field " + e.getKey() + ":");
            assertThat(r.json().get("hint").asText()).isNotBlank();
        }
        TestServer.Response unknown = s.patch("/api/v1/policies/fleet", s.adminToken, Map.of("soak", 3));
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(unknown.json().get("message").asText()).contains("'soak' is not a policy field");
        assertThat(s.patch("/api/v1/policies/image/acme:fees:1.x", s.adminToken, Map.of("ring", "canary")).status()).isEqualTo(400);
        assertThat(s.patch("/api/v1/policies/planet/x", s.adminToken, Map.of("soakMinutes", 1)).json().get("error").asText()).isEqualTo("invalid-scope");
        assertThat(s.patch("/api/v1/policies/machine/nobody", s.adminToken, Map.of("soakMinutes", 1)).status()).isEqualTo(404);
        JsonNode fleet = s.get("/api/v1/policies/fleet", s.adminToken).json();
        assertThat(fleet.get("settings").toString()).isEqualTo("{\"soakMinutes\":15}");
        // Readers may look but not change.
        String reader = s.post("/api/v1/tokens", s.adminToken, Map.of("name", "viewer", "role", "reader")).json().get("token").asText();
        assertThat(s.get("/api/v1/policies/fleet", reader).status()).isEqualTo(200);
        assertThat(s.patch("/api/v1/policies/fleet", reader, Map.of("soakMinutes", 1)).status()).isEqualTo(403);
        // Canonical spellings are stored.
        JsonNode ok = patch(s, "fleet", Map.of("patchMode", "automaticbyplatform", "classifications", List.of("critical"), "cutoff", "2026-03-01"));
        assertThat(ok.at("/settings/patchMode").asText()).isEqualTo("AutomaticByPlatform");
        assertThat(ok.at("/settings/classifications/0").asText()).isEqualTo("Critical");
        assertThat(PolicySettings.cutoffInstant("2026-03-01")).isEqualTo(Instant.parse("2026-03-01T23:59:59.999Z"));
    }

    private static JsonNode patch(TestServer s, String path, Map<String, Object> fields) {
        TestServer.Response r = s.patch("/api/v1/policies/" + path, s.adminToken, fields);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json();
    }
}
