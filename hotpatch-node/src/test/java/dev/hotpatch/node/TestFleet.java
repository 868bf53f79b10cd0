package dev.hotpatch.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hotpatch.format.SigningKey;
import dev.hotpatch.server.HotpatchServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * A real control plane on a loopback port for node tests, with the publisher's key, the catalog
 * of the {@link TestApp} (image {@code test/fees/1.x}, baseline 1.0, hotpatches) and nodes running
 * their loop on their own threads, plus the REST calls an operator makes.
 */
final class TestFleet implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();

    final Path dir;
    private HotpatchServer server;
    final String admin;
    final Path keyDir;
    final SigningKey key;
    final Path jar;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final List<Running> nodes = new ArrayList<>();

    /** A node running {@link Node#runForever()} on its own thread until closed. */
    record Running(Node node, Thread thread) implements AutoCloseable {
        @Override
        public void close() {
            node.close();
            try {
                thread.join(Duration.ofSeconds(60).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    TestFleet(Path dir) throws IOException {
        this.dir = dir;
        Path trust = Files.createDirectories(dir.resolve("server-trust"));
        this.server = server(0);
        this.admin = Files.readString(server.adminTokenFile()).trim();
        this.keyDir = dir.resolve("key");
        this.key = SigningKey.generate(keyDir, "CN=Node Test Publisher");
        Files.copy(keyDir.resolve(SigningKey.CERTIFICATE), trust.resolve("publisher.crt"));
        this.jar = TestApp.jar(dir.resolve("app/fees.jar"), "1.0", 10, -1);
        post("/api/v1/images", "{\"publisher\":\"test\",\"offer\":\"fees\",\"sku\":\"1.x\"}", 201);
        // Baselines are signed like hotpatches: the jar and its signed release descriptor, as one multipart upload.
        Path descriptor = dir.resolve("fees-1.0.release");
        TestApp.descriptor(descriptor, "1.0", jar, key);
        String boundary = "b" + System.nanoTime();
        java.io.ByteArrayOutputStream form = new java.io.ByteArrayOutputStream();
        for (String[] part : new String[][] {{"jar", "fees.jar", jar.toString()}, {"descriptor", "fees-1.0.release", descriptor.toString()}}) {
            form.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + part[0] + "\"; filename=\"" + part[1]
                    + "\"\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8));
            form.writeBytes(Files.readAllBytes(Path.of(part[2])));
            form.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
        }
        form.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        send("POST", "/api/v1/images/test:fees:1.x/baselines?version=1.0&kind=planned&releasedOn=2026-01-05",
                "multipart/form-data; boundary=" + boundary, form.toByteArray(), 201);
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + server.port());
    }

    /** Stops the server and starts it again on the same port and data (its nodes see it go away and come back). */
    void restartServer() {
        int port = server.port();
        server.stop();
        server = server(port);
    }

    private HotpatchServer server(int port) {
        return HotpatchServer.builder().port(port).dataDir(dir.resolve("server")).trustDir(dir.resolve("server-trust"))
                .maintenanceInterval(Duration.ZERO).out(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).build()
                .start();
    }

    /** Publishes the signed hotpatch {@code id} that makes {@code fee(100)} answer {@code 100 / divisor}. */
    void publishHotpatch(String id, int divisor) throws IOException {
        Path pkg = TestApp.hotpatch(dir.resolve(id + ".hotpatch"), id, jar, divisor, key, dir);
        send("POST", "/api/v1/updates", "application/octet-stream", Files.readAllBytes(pkg), 201);
    }

    String enrollmentToken() {
        return post("/api/v1/enrollment-tokens", "{}", 201).get("token").asText();
    }

    /** Starts a node of {@code options} on its own thread; the fleet closes it. */
    Running start(NodeOptions options) {
        Node node = Node.fromOptions(options);
        Thread t = new Thread(node::runForever, "test-node-" + nodes.size());
        t.setDaemon(true);
        t.start();
        Running r = new Running(node, t);
        nodes.add(r);
        return r;
    }

    /** Polls {@code path} until {@code done} holds, for at most {@code max} (a bound on a hang, not a speed check). */
    JsonNode await(String path, Predicate<JsonNode> done, Duration max) throws Exception {
        long deadline = System.nanoTime() + max.toNanos();
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            HttpResponse<String> r = raw("GET", path, null, null);
            if (r.statusCode() == 200) {
                last = JSON.readTree(r.body());
                if (done.test(last)) {
                    return last;
                }
            }
            Thread.sleep(200);
        }
        throw new AssertionError("GET " + path + " did not reach the expected state within " + max.toSeconds() + " s; last: " + last);
    }

    JsonNode get(String path) throws Exception {
        return JSON.readTree(send("GET", path, null, null, 200));
    }

    JsonNode post(String path, String json, int expect) {
        try {
            return JSON.readTree(send("POST", path, "application/json", json.getBytes(StandardCharsets.UTF_8), expect));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String send(String method, String path, String contentType, byte[] body, int expect) {
        HttpResponse<String> r = raw(method, path, contentType, body);
        assertThat(r.statusCode()).as(method + " " + path + ": " + r.body()).isEqualTo(expect);
        return r.body();
    }

    private HttpResponse<String> raw(String method, String path, String contentType, byte[] body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(url().resolve(path)).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + admin)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        for (Running r : nodes) {
            r.close();
        }
        server.stop();
    }
}
