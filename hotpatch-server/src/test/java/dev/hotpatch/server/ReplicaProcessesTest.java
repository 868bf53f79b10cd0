package dev.hotpatch.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.format.ClassPatch;
import dev.hotpatch.server.testing.Fixtures;
import dev.hotpatch.testkit.PostgresCluster;
import dev.hotpatch.testkit.ServerProcess;
import dev.hotpatch.server.testing.TestServer;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two server processes on one PostgreSQL database, as two replicas behind a load balancer: started
 * together (both migrate the schema at once), they agree on everything, any step of an install may
 * go to either, and concurrent check-ins through both never deliver a command twice.
 */
class ReplicaProcessesTest {
    @TempDir
    Path dir;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @Test
    void twoServerProcessesOnOnePostgres_shareOneStateAndNeverDeliverACommandTwice() throws Exception {
        PostgresCluster pg = PostgresCluster.get();
        if (pg == null) {
            throw new IllegalStateException("PostgreSQL unavailable: " + PostgresCluster.unavailableReason());
        }
        String db = pg.newDatabase();
        Path trust = Files.createDirectories(dir.resolve("trust"));
        Files.writeString(trust.resolve("publisher.crt"), Fixtures.trustedKey().certificatePem());
        ExecutorService pool = Executors.newFixedThreadPool(4);
        Future<ServerProcess> startA = pool.submit(() -> ServerProcess.start(dir.resolve("a"), List.of(), "--db-url", db, "--trust", trust.toString()));
        Future<ServerProcess> startB = pool.submit(() -> ServerProcess.start(dir.resolve("b"), List.of(), "--db-url", db, "--trust", trust.toString()));
        try (ServerProcess a = startA.get(); ServerProcess b = startB.get()) {
            List<Path> tokens = new ArrayList<>();
            for (Path d : List.of(a.dataDir, b.dataDir)) {
                if (Files.exists(d.resolve("admin.token"))) {
                    tokens.add(d.resolve("admin.token"));
                }
            }
            assertThat(tokens).as("one replica created the administrator token").hasSize(1);
            String admin = Files.readString(tokens.get(0)).trim();

            // The catalog through A, seen by B.
            JsonNode img = call(a, "POST", "/api/v1/images", admin, "{\"publisher\":\"acme\",\"offer\":\"fees\",\"sku\":\"1.x\"}", 201);
            byte[] feesV1 = Fixtures.cls("acme/Fees v1");
            byte[] jar = Fixtures.jar(Fixtures.orderedMap("acme/Fees", feesV1, "acme/Util", Fixtures.cls("acme/Util")));
            byte[] descriptor = Fixtures.baselineDescriptor(Fixtures.trustedKey(), "acme/fees/1.x", "1.0", "planned", Map.of("fees.jar", jar));
            multipart(a, "/api/v1/images/" + img.get("id").asText() + "/baselines?releasedOn=2026-01-05", admin,
                    Map.of("jar", Map.entry("fees.jar", jar), "descriptor", Map.entry("fees.release", descriptor)), 201);
            byte[] pkg = Fixtures.hotpatch(Fixtures.trustedKey(), "KB2026-0001", "acme/fees/1.x", "1.0", Instant.now(),
                    List.of(ClassPatch.replace("acme/Fees", Fixtures.sha(feesV1), Fixtures.cls("acme/Fees v2"))), List.of());
            multipart(a, "/api/v1/updates?override=true", admin, Map.of("package", Map.entry("KB2026-0001.hotpatch", pkg)), 201);
            assertThat(call(b, "GET", "/api/v1/updates", admin, null, 200)).hasSize(1);

            // A node enrolled through B reports through A.
            String enrollment = call(a, "POST", "/api/v1/enrollment-tokens", admin, "{}", 201).get("token").asText();
            String node = call(b, "POST", "/api/v1/node/enroll", enrollment, "{\"hostname\":\"host-1\",\"nodeVersion\":\"t\"}", 201)
                    .get("credential").asText();
            String report = TestServer.JSON.writeValueAsString(Map.of("hostname", "host-1", "machines",
                    List.of(Fixtures.machine("billing-1", jar, List.of(), null))));
            call(a, "POST", "/api/v1/node/check-in", node, report, 200);
            assertThat(call(b, "GET", "/api/v1/machines/billing-1/assessment", admin, null, 200).at("/missing/total").asInt()).isEqualTo(1);

            // Install now through B; the node checks in through both at once, many times: the command comes out once.
            String op = call(b, "POST", "/api/v1/machines/billing-1/install", admin, "{}", 202).get("id").asText();
            List<CompletableFuture<JsonNode>> checkIns = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                ServerProcess via = i % 2 == 0 ? a : b;
                checkIns.add(CompletableFuture.supplyAsync(() -> call(via, "POST", "/api/v1/node/check-in", node, report, 200), pool));
            }
            List<String> delivered = new ArrayList<>();
            for (CompletableFuture<JsonNode> c : checkIns) {
                c.get().get("commands").forEach(cmd -> delivered.add(cmd.get("id").asText()));
            }
            assertThat(delivered).as("one delivery among all concurrent check-ins").hasSize(1);

            String result = TestServer.JSON.writeValueAsString(Map.of("status", "succeeded", "message", "applied",
                    "machine", Fixtures.machine("billing-1", jar, List.of(Fixtures.installed("KB2026-0001", "acme/Fees",
                            Fixtures.cls("acme/Fees v2"), Instant.now())), null)));
            call(a, "POST", "/api/v1/node/commands/" + delivered.get(0) + "/result", node, result, 200);
            assertThat(call(b, "POST", "/api/v1/node/commands/" + delivered.get(0) + "/result", node, result, 200).get("duplicate").asBoolean())
                    .isTrue();
            assertThat(call(b, "GET", "/api/v1/operations/" + op, admin, null, 200).get("state").asText()).isEqualTo("succeeded");
            JsonNode history = call(a, "GET", "/api/v1/machines/billing-1/history?action=install", admin, null, 200);
            assertThat(history.findValuesAsText("outcome")).containsExactlyInAnyOrder("requested", "succeeded");
            assertThat(call(a, "GET", "/api/v1/machines/billing-1/assessment", admin, null, 200).at("/missing/total").asInt()).isZero();
        } finally {
            pool.shutdownNow();
        }
    }

    private JsonNode call(ServerProcess s, String method, String path, String token, String body, int expect) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(s.url + path.substring(1))).header("Authorization", "Bearer " + token)
                    .header("Content-Type", "application/json")
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(method + " " + path + " on " + s.url + ": " + r.body()).isEqualTo(expect);
            return TestServer.JSON.readTree(r.body());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void multipart(ServerProcess s, String path, String token, Map<String, Map.Entry<String, byte[]>> files, int expect)
            throws Exception {
        String boundary = "rp" + System.nanoTime();
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (Map.Entry<String, Map.Entry<String, byte[]>> f : new LinkedHashMap<>(files).entrySet()) {
            b.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + f.getKey() + "\"; filename=\""
                    + f.getValue().getKey() + "\"\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8));
            b.writeBytes(f.getValue().getValue());
            b.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
        }
        b.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(s.url + path.substring(1))).header("Authorization", "Bearer " + token)
                .header("Content-Type", "multipart/form-data; boundary=" + boundary).POST(HttpRequest.BodyPublishers.ofByteArray(b.toByteArray()))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(expect);
    }
}
