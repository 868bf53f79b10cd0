package dev.hotpatch.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A pass-through HTTP hop between a node and the real server, for tests that must see what crosses
 * the wire or play an older server: it forwards every request unchanged and returns the server's
 * answer, keeps the bodies of check-ins, counts requests per path, and can answer chosen routes
 * itself with the server's own 404 ({@code no-route}), as a server without them would.
 */
final class ServerTap implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI server;
    private final HttpServer http;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final Set<String> hidden = ConcurrentHashMap.newKeySet();
    private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    private final List<JsonNode> checkIns = new CopyOnWriteArrayList<>();
    private volatile boolean noDigests;

    ServerTap(URI server) throws IOException {
        this.server = server;
        this.http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        http.setExecutor(Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "server-tap");
            t.setDaemon(true);
            return t;
        }));
        http.createContext("/", this::handle);
        http.start();
    }

    /** The URL nodes use instead of the server's. */
    URI url() {
        return URI.create("http://127.0.0.1:" + http.getAddress().getPort());
    }

    /** Answers {@code path} (without query) with the server's 404 for a route it does not have. */
    void hide(String path) {
        hidden.add(path);
    }

    /** Answers check-ins as a server without report digests would: without {@code reportDigests} and {@code sendFull}. */
    void playServerWithoutDigests() {
        noDigests = true;
    }

    /** Requests seen for {@code path} (without query). */
    int count(String path) {
        AtomicInteger n = counts.get(path);
        return n == null ? 0 : n.get();
    }

    /** The check-in bodies forwarded so far, oldest first. */
    List<JsonNode> checkIns() {
        return List.copyOf(checkIns);
    }

    /**
     * Machine {@code name} as the last check-in that had it reported it, or null: its last full
     * report, with the health of a later check-in that sent the machine by digest (an unchanged
     * report travels as its digest and health).
     */
    JsonNode lastReport(String name) {
        List<JsonNode> all = checkIns();
        JsonNode laterHealth = null;
        for (int i = all.size() - 1; i >= 0; i--) {
            for (JsonNode m : all.get(i).path("machines")) {
                if (name.equals(m.path("name").asText())) {
                    if (laterHealth == null) {
                        return m;
                    }
                    com.fasterxml.jackson.databind.node.ObjectNode merged = m.deepCopy();
                    if (laterHealth.isMissingNode() || laterHealth.isNull()) {
                        merged.remove("health");
                    } else {
                        merged.set("health", laterHealth);
                    }
                    return merged;
                }
            }
            if (laterHealth == null) {
                for (JsonNode u : all.get(i).path("unchanged")) {
                    if (name.equals(u.path("name").asText())) {
                        laterHealth = u.path("health");
                    }
                }
            }
        }
        return null;
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getRawPath();
            counts.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
            byte[] body;
            try (InputStream in = ex.getRequestBody()) {
                body = in.readAllBytes();
            }
            if (hidden.contains(path)) {
                byte[] out = ("{\"error\":\"no-route\",\"message\":\"no route " + ex.getRequestMethod() + " " + path
                        + "\",\"hint\":\"see /api/openapi.json for the API\"}").getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().add("Content-Type", "application/json");
                ex.sendResponseHeaders(404, out.length);
                ex.getResponseBody().write(out);
                return;
            }
            if (path.equals("/api/v1/node/check-in")) {
                checkIns.add(JSON.readTree(body));
            }
            HttpRequest.Builder b = HttpRequest.newBuilder(server.resolve(ex.getRequestURI().toString())).timeout(Duration.ofSeconds(90))
                    .method(ex.getRequestMethod(), body.length == 0 ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
            for (String h : List.of("Authorization", "Content-Type", "Accept")) {
                String v = ex.getRequestHeaders().getFirst(h);
                if (v != null) {
                    b.header(h, v);
                }
            }
            HttpResponse<byte[]> r;
            try {
                r = client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                ex.sendResponseHeaders(502, -1);
                return;
            } catch (IOException e) {
                ex.sendResponseHeaders(502, -1);
                return;
            }
            r.headers().firstValue("Content-Type").ifPresent(v -> ex.getResponseHeaders().add("Content-Type", v));
            byte[] out = r.body();
            if (noDigests && path.equals("/api/v1/node/check-in") && r.statusCode() == 200) {
                com.fasterxml.jackson.databind.node.ObjectNode answer = (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(out);
                answer.remove(List.of("reportDigests", "sendFull"));
                out = JSON.writeValueAsBytes(answer);
            }
            ex.sendResponseHeaders(r.statusCode(), out.length == 0 ? -1 : out.length);
            if (out.length > 0) {
                try (OutputStream o = ex.getResponseBody()) {
                    o.write(out);
                }
            }
        }
    }

    @Override
    public void close() {
        http.stop(0);
    }
}
