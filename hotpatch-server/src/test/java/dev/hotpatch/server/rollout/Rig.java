package dev.hotpatch.server.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.server.testing.Fixtures.Scene;
import dev.hotpatch.server.testing.SimFleet;
import dev.hotpatch.server.testing.TestServer;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A rollout test's world: a real server (its clock moved by hand), the standard catalog scene,
 * and a fleet of simulated nodes over HTTP; plus the operator's REST calls and a driver that
 * runs automation, lets the nodes the rollout works on check in, and moves the clock.
 */
final class Rig implements AutoCloseable {
    final TestServer s;
    final Scene scene;
    final SimFleet fleet;
    private final HttpClient http = HttpClient.newHttpClient();
    private final ObjectMapper json = new ObjectMapper();
    /** The server the operator and the nodes talk to: the test's, or one started in its place on the same database. */
    private volatile dev.hotpatch.server.HotpatchServer current;

    Rig(TestServer s) throws IOException {
        this.s = s;
        this.scene = new Scene(s);
        this.fleet = new SimFleet(s, () -> "http://127.0.0.1:" + server().port());
        this.current = s.server;
    }

    dev.hotpatch.server.HotpatchServer server() {
        return current;
    }

    /** Stops the running server and starts a new instance on the same data folder and database (as a restarted process would). */
    void restartServer() {
        current.stop();
        current = dev.hotpatch.server.HotpatchServer.builder().port(0).dataDir(s.dataDir).dbUrl(s.dbUrl).clock(s.clock).trustDir(s.trustDir)
                .maintenanceInterval(Duration.ZERO).out(new java.io.PrintStream(java.io.OutputStream.nullOutputStream())).build().start();
    }

    /** An operator's call as the admin: status and JSON body. */
    TestServer.Response call(String method, String path, Object body) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server().port() + path))
                    .header("Authorization", "Bearer " + s.adminToken).timeout(Duration.ofSeconds(120));
            if (body == null) {
                b.method(method, HttpRequest.BodyPublishers.noBody());
            } else {
                b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(json.writeValueAsString(body)));
            }
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new TestServer.Response(r.statusCode(), r.body(), r.body().isEmpty() ? null : json.readTree(r.body()), Map.of());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    JsonNode get(String path) {
        TestServer.Response r = call("GET", path, null);
        assertThat(r.status()).as("GET " + path + ": " + r.body()).isEqualTo(200);
        return r.json();
    }

    /** Publishes the scene's first hotpatch (KB2026-0001, acme/Fees v1 → v2) dated 2026-02-10. */
    void publishKb1() throws IOException {
        TestServer.Response r = scene.publishHotpatch("KB2026-0001", "1.0", "2026-02-10", scene.feesV1, scene.feesV2, List.of(), false);
        assertThat(r.status()).as(r.body()).isEqualTo(201);
    }

    JsonNode policy(String path, Map<String, Object> fields) {
        TestServer.Response r = call("PATCH", "/api/v1/policies/" + path, fields);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json();
    }

    JsonNode start(Map<String, Object> body) {
        TestServer.Response r = call("POST", "/api/v1/rollouts", body);
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        return r.json();
    }

    JsonNode rollout(String id) {
        return get("/api/v1/rollouts/" + id);
    }

    /** Every machine of a rollout, all pages. */
    List<JsonNode> machines(String id) {
        List<JsonNode> out = new ArrayList<>();
        for (int off = 0; ; off += 1000) {
            JsonNode page = get("/api/v1/rollouts/" + id + "/machines?limit=1000&offset=" + off);
            page.get("items").forEach(out::add);
            if (out.size() >= page.get("total").asInt()) {
                return out;
            }
        }
    }

    /** Machine name → its state in the rollout. */
    Map<String, String> states(String id) {
        Map<String, String> out = new LinkedHashMap<>();
        machines(id).forEach(m -> out.put(m.get("machine").asText(), m.get("state").asText()));
        return out;
    }

    void tick() {
        server().runAutomation();
    }

    /** The nodes of the machines the rollout works on now (started, soaking, rolling back, due in the current wave) check in. */
    int pollBusy(String id) {
        JsonNode r = rollout(id);
        int wave = r.get("currentWave").asInt();
        List<String> names = new ArrayList<>();
        for (JsonNode m : machines(id)) {
            String st = m.get("state").asText();
            if (List.of("installing", "soaking", "rolling_back").contains(st) || (m.get("wave").asInt() == wave && !m.get("done").asBoolean())) {
                names.add(m.get("machine").asText());
            }
        }
        return names.isEmpty() ? 0 : fleet.checkInNamed(names);
    }

    /**
     * Drives a rollout: automation runs, busy nodes check in, automation runs again, the clock
     * moves by {@code step}; until the rollout is no longer running or {@code maxSteps} passed.
     * Returns the rollout.
     */
    JsonNode drive(String id, Duration step, int maxSteps) {
        for (int i = 0; i < maxSteps; i++) {
            tick();
            pollBusy(id);
            tick();
            JsonNode r = rollout(id);
            if (!r.get("state").asText().equals("running")) {
                return r;
            }
            s.clock.advance(step);
        }
        return rollout(id);
    }

    /** Drives while machines of the rollout are still being patched, judged or rolled back (after a halt, say); returns the rollout. */
    JsonNode finishInFlight(String id, Duration step, int maxSteps) {
        for (int i = 0; i < maxSteps; i++) {
            tick();
            pollBusy(id);
            tick();
            if (machines(id).stream().noneMatch(m -> List.of("installing", "soaking", "rolling_back").contains(m.get("state").asText()))) {
                return rollout(id);
            }
            s.clock.advance(step);
        }
        return rollout(id);
    }

    List<JsonNode> history(String machine) {
        List<JsonNode> out = new ArrayList<>();
        get("/api/v1/machines/" + machine + "/history?days=3650").forEach(out::add);
        return out;
    }

    static Map<String, Object> always() {
        return Map.of("window", "always", "soakMinutes", 10);
    }

    @Override
    public void close() {
        fleet.close();
        if (current != s.server) {
            current.stop();
        }
    }
}
