package dev.hotpatch.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.server.testing.BothStores;
import dev.hotpatch.server.testing.Fixtures;
import dev.hotpatch.server.testing.Fixtures.Node;
import dev.hotpatch.server.testing.Fixtures.Scene;
import dev.hotpatch.server.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

class AuthAndMetaTest {

    @BothStores
    void firstStart_writesAnOwnerOnlyAdminToken_andSaysWhere(TestServer s) throws Exception {
        assertThat(s.adminToken).startsWith("hpt_");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(s.server.adminTokenFile()))).isEqualTo("rw-------");
        assertThat(s.startupOutput).contains(s.server.adminTokenFile().toString()).contains("owner only");
        assertThat(s.get("/api/v1/whoami", s.adminToken).json().get("role").asText()).isEqualTo("admin");
    }

    @BothStores
    void everyCallNeedsACredential_andRolesAreEnforced(TestServer s) throws Exception {
        TestServer.Response none = s.get("/api/v1/machines", null);
        assertThat(none.status()).isEqualTo(401);
        assertThat(none.json().get("error").asText()).isEqualTo("unauthenticated");
        assertThat(none.json().get("hint").asText()).contains("Authorization: Bearer");
        assertThat(none.headers().get("www-authenticate")).contains("Bearer");
        assertThat(s.get("/api/v1/machines", "hpt_made-up").status()).isEqualTo(401);
        assertThat(s.get("/metrics", null).status()).isEqualTo(401);

        String reader = s.post("/api/v1/tokens", s.adminToken, Map.of("name", "viewer", "role", "reader")).json().get("token").asText();
        String operator = s.post("/api/v1/tokens", s.adminToken, Map.of("name", "ops", "role", "operator")).json().get("token").asText();
        assertThat(s.get("/api/v1/images", reader).status()).isEqualTo(200);
        TestServer.Response denied = s.post("/api/v1/images", reader, Map.of("publisher", "a", "offer", "b", "sku", "c"));
        assertThat(denied.status()).isEqualTo(403);
        assertThat(denied.json().get("error").asText()).isEqualTo("forbidden");
        assertThat(denied.json().get("message").asText()).contains("publisher token").contains("viewer").contains("reader");
        assertThat(s.post("/api/v1/images", operator, Map.of("publisher", "a", "offer", "b", "sku", "c")).status()).isEqualTo(403);
        assertThat(s.get("/api/v1/images", s.adminToken).json()).isEmpty();
        assertThat(s.post("/api/v1/tokens", operator, Map.of("name", "x", "role", "admin")).status()).isEqualTo(403);
        assertThat(s.post("/api/v1/enrollment-tokens", reader, Map.of()).status()).isEqualTo(403);
        assertThat(s.post("/api/v1/enrollment-tokens", operator, Map.of()).status()).isEqualTo(201);

        Node node = Node.enroll(s, "host-1");
        assertThat(s.get("/api/v1/machines", node.credential).status()).isEqualTo(403);
        assertThat(s.post("/api/v1/node/check-in", reader, Map.of("machines", List.of())).status()).isEqualTo(403);

        String id = s.get("/api/v1/tokens", s.adminToken).json().get(1).get("id").asText();
        assertThat(s.delete("/api/v1/tokens/" + id, s.adminToken).status()).isEqualTo(204);
        assertThat(s.get("/api/v1/images", reader).status()).isEqualTo(401);
    }

    @BothStores
    void badInput_getsA4xxWithErrorMessageAndHint(TestServer s) throws Exception {
        TestServer.Response r = s.post("/api/v1/images", s.adminToken, "{not json");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.json().get("error").asText()).isEqualTo("invalid-json");
        r = s.post("/api/v1/images", s.adminToken, Map.of("publisher", "a b", "offer", "x", "sku", "y"));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.json().get("error").asText()).isEqualTo("invalid-publisher");
        r = s.get("/api/v1/machines/nope", s.adminToken);
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.json().get("message").asText()).contains("nope");
        r = s.get("/api/v1/no-such-route", s.adminToken);
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.json().get("error").asText()).isEqualTo("no-route");
        r = s.post("/api/v1/tokens", s.adminToken, Map.of("name", "x", "role", "superuser"));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.json().get("hint").asText()).contains("reader|operator|publisher|admin");
    }

    @BothStores
    void openApi_describesEveryRoute_andMetricsAndConsoleAreServed(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        Node node = Node.enroll(s, "host-1");
        node.checkIn(Fixtures.machine("billing-1", scene.jar10, List.of(), null));

        JsonNode doc = s.get("/api/openapi.json", s.adminToken).json();
        assertThat(doc.get("openapi").asText()).startsWith("3.");
        JsonNode paths = doc.get("paths");
        for (String p : List.of("/api/v1/images", "/api/v1/images/{image}/schedule", "/api/v1/images/{image}/baselines", "/api/v1/updates",
                "/api/v1/machines", "/api/v1/machines/{machine}/assessment", "/api/v1/machines/{machine}/assess",
                "/api/v1/machines/{machine}/install", "/api/v1/machines/{machine}/uninstall", "/api/v1/machines/{machine}/rollback-baseline",
                "/api/v1/machines/{machine}/history", "/api/v1/operations/{operation}", "/api/v1/node/enroll", "/api/v1/node/check-in",
                "/api/v1/node/commands/{command}/result")) {
            assertThat(paths.has(p)).as(p).isTrue();
        }
        assertThat(paths.at("/~1api~1v1~1machines~1{machine}~1install/post/requestBody/content/application~1json/schema/$ref").asText())
                .isEqualTo("#/components/schemas/InstallRequest");
        assertThat(doc.at("/components/schemas/Machine/properties/status/type").asText()).isEqualTo("string");
        assertThat(doc.at("/components/schemas/ApiError/properties/hint/type").asText()).isEqualTo("string");
        List<String> refs = new java.util.ArrayList<>();
        collectRefs(doc, refs);
        assertThat(refs).isNotEmpty();
        for (String ref : refs) {
            assertThat(doc.at(ref.substring(1)).isMissingNode()).as("dangling " + ref).isFalse();
        }

        TestServer.Response metrics = s.get("/metrics", s.adminToken);
        assertThat(metrics.status()).isEqualTo(200);
        assertThat(metrics.body()).contains("hotpatch_machines{status=\"Enabled\"} 1").contains("hotpatch_http_requests_total{")
                .contains("# TYPE hotpatch_machines gauge");

        TestServer.Response console = s.get("/", null);
        assertThat(console.status()).isEqualTo(200);
        assertThat(console.body()).contains("Hotpatch console").contains("/console/app.js");
        assertThat(s.get("/console/machine.js", null).body()).contains("Assess now").contains("Install updates now").contains("/api/v1/machines/");
        // Only the console's own files, by plain name: no other resource of the jar.
        assertThat(s.get("/console/console.html", null).status()).isEqualTo(404);
        assertThat(s.get("/console/nothing.js", null).status()).isEqualTo(404);
    }

    private static void collectRefs(JsonNode n, List<String> out) {
        if (n.isObject()) {
            for (var e : n.properties()) {
                if (e.getKey().equals("$ref")) {
                    out.add(e.getValue().asText());
                } else {
                    collectRefs(e.getValue(), out);
                }
            }
        } else if (n.isArray()) {
            n.forEach(x -> collectRefs(x, out));
        }
    }
}
