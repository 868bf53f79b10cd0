package dev.hotpatch.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.server.testing.BothStores;
import dev.hotpatch.server.testing.Fixtures.Node;
import dev.hotpatch.server.testing.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Walks the server's own route table (the OpenAPI document is generated from it, so a new route is
 * walked too): no route answers without a credential but the console and /healthz, and no
 * credential reaches a route its role does not allow.
 */
class RouteAccessTest {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    /** One operation of the document. */
    private record Op(String method, String path, String access) {
    }

    private static List<Op> operations(TestServer s) {
        JsonNode paths = s.get("/api/openapi.json", s.adminToken).json().get("paths");
        List<Op> ops = new ArrayList<>();
        paths.properties().forEach(p -> p.getValue().properties().forEach(m -> ops.add(new Op(m.getKey().toUpperCase(java.util.Locale.ROOT),
                p.getKey(), m.getValue().get("description").asText().replaceAll("^Access: (.*)\\.$", "$1")))));
        return ops;
    }

    @BothStores
    void everyRouteButTheConsoleAndHealthz_needsACredential(TestServer s) throws Exception {
        List<Op> ops = operations(s);
        assertThat(ops).hasSizeGreaterThan(35);
        for (Op op : ops) {
            HttpResponse<String> r = call(s, op, null);
            assertThat(r.statusCode()).as(op + " without a credential: " + r.body()).isEqualTo(401);
            assertThat(r.body()).contains("\"unauthenticated\"");
            assertThat(r.headers().firstValue("WWW-Authenticate").orElse("")).contains("Bearer");
        }
        assertThat(s.get("/healthz", null).status()).isEqualTo(200);
        assertThat(s.get("/", null).status()).isEqualTo(200);
    }

    @BothStores
    void noCredentialReachesARouteItsRoleDoesNotAllow(TestServer s) throws Exception {
        String reader = token(s, "reader");
        String operator = token(s, "operator");
        String publisher = token(s, "publisher");
        Node node = Node.enroll(s, "host-1");
        String enrollment = s.post("/api/v1/enrollment-tokens", s.adminToken, Map.of()).json().get("token").asText();
        Map<String, Set<String>> allowed = Map.of(
                reader, Set.of("reader token", "node credential or reader token"),
                operator, Set.of("reader token", "node credential or reader token", "operator token"),
                publisher, Set.of("reader token", "node credential or reader token", "publisher token"),
                node.credential, Set.of("node credential", "node credential or reader token"),
                enrollment, Set.of("enrollment token"));
        Map<String, String> names = Map.of(reader, "reader", operator, "operator", publisher, "publisher", node.credential, "node",
                enrollment, "enrollment token");
        int refused = 0;
        for (Op op : operations(s)) {
            for (Map.Entry<String, Set<String>> who : allowed.entrySet()) {
                if (who.getValue().contains(op.access())) {
                    continue;
                }
                HttpResponse<String> r = call(s, op, who.getKey());
                assertThat(r.statusCode()).as(names.get(who.getKey()) + " on " + op + ": " + r.body()).isEqualTo(403);
                assertThat(r.body()).contains("\"forbidden\"").contains("needs a " + op.access());
                refused++;
            }
        }
        assertThat(refused).isGreaterThan(100);
        // Operator and publisher are separate duties, both ways.
        assertThat(operations(s)).anyMatch(op -> op.access().equals("operator token")).anyMatch(op -> op.access().equals("publisher token"));
    }

    private static String token(TestServer s, String role) {
        return s.post("/api/v1/tokens", s.adminToken, Map.of("name", "t-" + role, "role", role)).json().get("token").asText();
    }

    private HttpResponse<String> call(TestServer s, Op op, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(s.url(op.path().replaceAll("\\{[^}]+}", "x"))))
                .header("Content-Type", "application/json")
                .method(op.method(), op.method().equals("GET") || op.method().equals("DELETE") ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString("{}"));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
