package dev.hotpatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.format.ClassPatch;
import dev.hotpatch.format.HotpatchPackage;
import dev.hotpatch.format.TrustStore;
import dev.hotpatch.server.testing.SimFleet;
import dev.hotpatch.server.testing.TestServer;
import dev.hotpatch.testkit.Jdks;
import dev.hotpatch.testkit.TargetJvm;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One rollout of one signed hotpatch over a fleet that mixes 1,018 simulated nodes (the server's
 * {@link SimFleet}: the real node protocol over HTTP, one simulated JVM each) with two real node
 * daemons, each managing a real fees-app JVM, one on Java 17 and one on Java 25, all against one
 * real server ({@link TestServer} on SQLite; PostgreSQL at this scale is FleetScaleTest's). The
 * real machines sit in availability set {@code shop} among simulated peers, in different zones and
 * update domains, so in different waves (2 and 9 of 10). The rollout completes, the waves run one
 * after the other, every machine is patched exactly once (one install in its history), and the
 * real JVMs answer with the fixed code while their agents report the package's class hashes.
 *
 * <p>Time: the simulated JVMs live on the server's clock, which the test moves to the end of each
 * soak (one minute); the real nodes and JVMs live on real time and check in by themselves. Window
 * {@code always} and a short soak suit both: the clock only ever moves to a soak's end, so a real
 * machine never waits past its gate's timeout, and the test waits (in real time, bounded) while a
 * real machine is being patched.
 */
class MixedFleetRolloutTest {
    private static final String KB = FeesCatalog.KB;
    /**
     * Bounds on a hang only (driving the rollout took 40–50 s on a shared 2-core machine at load 10–15): the rollout's,
     * and the real machines' first report; with the set-up they stay under JUnit's five minutes per test.
     */
    private static final Duration BOUND = Duration.ofSeconds(240);
    private static final Duration FIRST_REPORT = Duration.ofSeconds(120);
    private static final List<String> IN_FLIGHT = List.of("installing", "soaking", "rolling_back");

    @TempDir
    Path tmp;

    /** A real machine: its JVM (and its pid before the rollout), and where its node's config puts it. */
    private record Real(String name, TargetJvm app, long pid, String zone, int updateDomain, int expectedWave) {
    }

    @Test
    void oneRollout_overAThousandSimulatedAndTwoRealMachines_patchesEachOnceWaveAfterWave() throws Exception {
        // Closed in reverse: the real nodes and JVMs first, while the server they talk to still runs.
        try (TestServer s = new TestServer("sqlite"); SimFleet fleet = new SimFleet(s); RealParts parts = new RealParts()) {
            // The real nodes and JVMs report real times: the server's clock starts at the real now (the catalog's dates are before it).
            s.clock.set(Instant.now().truncatedTo(ChronoUnit.MILLIS));
            Path keys = FeesCatalog.publish(s.url(""), s.server.adminTokenFile(), s.trustDir, tmp);
            ok(s.patch("/api/v1/policies/fleet", s.adminToken, Map.of("window", "always", "soakMinutes", 1)));

            // The real machines, in set "shop": Java 17 in zone 1 update domain 1 (wave 2), Java 25 in zone 2 update domain 3 (wave 9).
            Map<String, Real> real = new LinkedHashMap<>();
            for (Path java : List.of(Jdks.java17(), Jdks.java25())) {
                boolean first = real.isEmpty();
                String name = FeesApp.name("real-" + Jdks.featureVersion(java));
                TargetJvm app = FeesApp.start(java, FeesApp.V1, name, tmp.resolve(name).resolve("agent-state"));
                parts.apps.add(app);
                // Serving: acme.Fees is loaded, so the agent has running bytes to report.
                assertThat(FeesApp.fee(app)).isEqualTo("fee 100 = 2");
                real.put(name, first ? new Real(name, app, app.pid(), "1", 1, 2) : new Real(name, app, app.pid(), "2", 3, 9));
            }
            // Each real JVM gets a node daemon of its own, which finds and reports it while the simulated fleet enrolls.
            for (Real r : real.values()) {
                Path dir = tmp.resolve("node-" + r.name());
                Path config = HealthGatedRolloutTest.nodeConfig(dir, keys, List.of(r.name()), "machine." + r.name() + ".zone = " + r.zone() + "\n"
                        + "machine." + r.name() + ".availabilitySet = shop\n"
                        + "machine." + r.name() + ".updateDomain = " + r.updateDomain() + "\n"
                        + "machine." + r.name() + ".group = shop\n");
                String token = ok(s.post("/api/v1/enrollment-tokens", s.adminToken, Map.of("name", "node-" + r.name()))).path("token").asText();
                parts.nodes.add(TestNode.start(URI.create(s.url("")), token, dir, config));
            }
            // Per zone: set "shop" of 500, its real machine included (5 update domains of 100; 20% = 100 at once: one update domain
            // per wave), and a loose group "batch" of 10 (2 at once) beside it: 5 waves per zone, zone 1 then zone 2.
            Map<String, Map<String, Object>> sims = new LinkedHashMap<>();
            for (String zone : List.of("1", "2")) {
                for (int ud = 0; ud < 5; ud++) {
                    for (int k = 0; k < 100; k++) {
                        int u = ud;
                        if (k == 0 && real.values().stream().anyMatch(r -> r.zone().equals(zone) && r.updateDomain() == u)) {
                            continue; // this place is a real machine's
                        }
                        sims.put(String.format("sim-%s-shop-ud%d-%02d", zone, ud, k), SimFleet.config("eu-west", zone, "shop", ud, "shop", "Manual",
                                "UTC", null));
                    }
                }
                for (int k = 0; k < 10; k++) {
                    sims.put("sim-" + zone + "-batch-" + k, SimFleet.config("eu-west", zone, null, null, "batch", "Manual", "UTC", null));
                }
            }
            assertThat(sims).hasSize(1018);
            fleet.machines(Files.readAllBytes(FeesApp.V1), sims);

            for (Real r : real.values()) {
                awaitEnabled(s, r.name());
            }

            TestServer.Response start = s.post("/api/v1/rollouts", s.adminToken, Map.of("update", KB));
            assertThat(start.status()).as(start.body()).isEqualTo(201);
            String id = start.json().path("id").asText();
            assertThat(start.json().path("machineCount").asInt()).isEqualTo(1020);
            assertThat(start.json().path("waveCount").asInt()).as(start.body()).isEqualTo(10);
            Map<String, JsonNode> planned = byName(machines(s, id));
            for (Real r : real.values()) {
                int wave = planned.get(r.name()).path("wave").asInt();
                assertThat(wave).as(r.name() + "'s wave").isEqualTo(r.expectedWave());
                assertThat(planned.values().stream().filter(m -> m.path("wave").asInt() == wave && !real.containsKey(m.path("machine").asText())))
                        .as("simulated peers in wave %s", wave).hasSize(101);
            }

            JsonNode done = drive(s, fleet, id, real.keySet());
            assertThat(done.path("state").asText()).as(done.toString()).isEqualTo("completed");
            List<JsonNode> ms = machines(s, id);
            assertThat(ms).hasSize(1020).allSatisfy(m -> assertThat(m.path("state").asText()).as(m.toString()).isEqualTo("healthy"));

            // Waves one after the other: none started before the previous one ended, and each took time (the soak moved the clock).
            Map<Integer, List<JsonNode>> byWave = new TreeMap<>();
            ms.forEach(m -> byWave.computeIfAbsent(m.path("wave").asInt(), k -> new ArrayList<>()).add(m));
            assertThat(byWave.keySet()).containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
            Instant previousEnd = Instant.EPOCH;
            for (Map.Entry<Integer, List<JsonNode>> w : byWave.entrySet()) {
                Instant firstStart = w.getValue().stream().map(m -> Instant.parse(m.path("startedAt").asText())).min(Instant::compareTo).orElseThrow();
                Instant lastEnd = w.getValue().stream().map(m -> Instant.parse(m.path("completedAt").asText())).max(Instant::compareTo).orElseThrow();
                assertThat(w.getValue().stream().map(m -> m.path("zone").asText()).distinct()).as("wave %s in one zone", w.getKey()).hasSize(1);
                assertThat(firstStart).as("wave %s starts after wave %s ended", w.getKey(), w.getKey() - 1).isAfterOrEqualTo(previousEnd);
                assertThat(lastEnd).as("wave %s soaked", w.getKey()).isAfter(firstStart);
                previousEnd = lastEnd;
            }
            Instant waveEnd = Instant.EPOCH;
            for (JsonNode w : done.path("waves")) {
                assertThat(w.path("state").asText()).isEqualTo("completed");
                assertThat(Instant.parse(w.path("startedAt").asText())).isAfterOrEqualTo(waveEnd);
                waveEnd = Instant.parse(w.path("completedAt").asText());
            }

            // Patched exactly once: one install requested and one succeeded per machine, all by this rollout; the simulated JVMs ran one command each.
            Map<String, List<String>> installs = new HashMap<>();
            for (JsonNode e : history(s, "install")) {
                assertThat(e.path("actor").asText()).as(e.toString()).isEqualTo("rollout:" + id);
                installs.computeIfAbsent(e.path("machineName").asText(), k -> new ArrayList<>())
                        .add(e.path("outcome").asText() + (e.hasNonNull("kbId") ? " " + e.path("kbId").asText() : ""));
            }
            assertThat(installs).hasSize(1020);
            installs.forEach((machine, entries) -> assertThat(entries).as(machine).containsExactlyInAnyOrder("requested", "succeeded " + KB));
            for (String name : sims.keySet()) {
                assertThat(fleet.machine(name).commands()).as(name).containsExactly("install_hotpatch " + KB);
            }

            // The real JVMs: the same processes run the fixed code, and their agents report the package's bytes as the classes in use.
            Map<String, String> packaged = new HashMap<>();
            for (ClassPatch c : HotpatchPackage.read(tmp.resolve(KB + ".hotpatch"), TrustStore.fromDirectory(s.trustDir)).manifest().classes()) {
                packaged.put(c.name(), c.sha256());
            }
            assertThat(packaged).containsKey("acme/Fees");
            for (Real r : real.values()) {
                assertThat(r.app().isAlive()).isTrue();
                assertThat(r.app().pid()).as("patched live, never restarted").isEqualTo(r.pid());
                assertThat(FeesApp.fee(r.app())).as(r.name()).isEqualTo("fee 100 = 3");
                assertThat(ms.stream().filter(m -> m.path("machine").asText().equals(r.name())).findFirst().orElseThrow().path("reason").asText())
                        .isEqualTo("classes live, no failure surge");
                JsonNode machine = ok(s.get("/api/v1/machines/" + r.name(), s.adminToken));
                List<JsonNode> live = new ArrayList<>();
                machine.path("hotpatches").forEach(live::add);
                assertThat(live).as(machine.toString()).hasSize(1);
                assertThat(live.get(0).path("id").asText()).isEqualTo(KB);
                Map<String, String> reported = new HashMap<>();
                live.get(0).path("classes").forEach(c -> reported.put(c.path("name").asText(), c.path("sha256").asText()));
                assertThat(reported).as(machine.toString()).containsEntry("acme/Fees", packaged.get("acme/Fees"));
                reported.forEach((cls, sha) -> assertThat(sha).as(cls).isEqualTo(packaged.get(cls)));
            }
        }
    }

    /** The real node daemons and JVMs a test started; closing stops the nodes, then the JVMs. */
    private static final class RealParts implements AutoCloseable {
        final List<TestNode> nodes = new ArrayList<>();
        final List<TargetJvm> apps = new ArrayList<>();

        @Override
        public void close() {
            nodes.forEach(TestNode::close);
            apps.forEach(TargetJvm::close);
        }
    }

    /**
     * Drives the rollout until it is no longer running: automation runs, the simulated nodes of the
     * machines it works on check in, automation runs again, and the clock moves to the end of the
     * latest soak under way. The real nodes check in by themselves; while only they have work, the
     * test waits a little in real time. Returns the rollout.
     */
    private static JsonNode drive(TestServer s, SimFleet fleet, String id, Set<String> real) {
        long deadline = System.nanoTime() + BOUND.toNanos();
        JsonNode r = null;
        while (System.nanoTime() < deadline) {
            s.server.runAutomation();
            r = ok(s.get("/api/v1/rollouts/" + id, s.adminToken));
            if (!r.path("state").asText().equals("running")) {
                return r;
            }
            int wave = r.path("currentWave").asInt();
            List<String> sims = new ArrayList<>();
            for (JsonNode m : machines(s, id)) {
                String name = m.path("machine").asText();
                boolean busy = IN_FLIGHT.contains(m.path("state").asText()) || (m.path("wave").asInt() == wave && !m.path("done").asBoolean());
                if (busy && !real.contains(name)) {
                    sims.add(name);
                }
            }
            if (!sims.isEmpty()) {
                fleet.checkInNamed(sims);
            }
            s.server.runAutomation();
            Instant soakEnd = null;
            for (JsonNode m : machines(s, id)) {
                if (m.path("state").asText().equals("soaking")) {
                    Instant until = Instant.parse(m.path("soakUntil").asText());
                    soakEnd = soakEnd == null || until.isAfter(soakEnd) ? until : soakEnd;
                }
            }
            if (soakEnd != null && soakEnd.isAfter(s.clock.instant())) {
                s.clock.set(soakEnd);
            } else if (sims.isEmpty()) {
                CliServer.sleep(200);
            }
        }
        throw new AssertionError("rollout " + id + " still running after " + BOUND.toSeconds() + " s: " + r);
    }

    /** Every machine of the rollout, all pages. */
    private static List<JsonNode> machines(TestServer s, String id) {
        List<JsonNode> out = new ArrayList<>();
        for (int off = 0; ; off += 1000) {
            JsonNode page = ok(s.get("/api/v1/rollouts/" + id + "/machines?limit=1000&offset=" + off, s.adminToken));
            page.path("items").forEach(out::add);
            if (out.size() >= page.path("total").asInt()) {
                return out;
            }
        }
    }

    /** The fleet's history entries of {@code action} (every machine, every update) over ten years, all pages. */
    private static List<JsonNode> history(TestServer s, String action) {
        List<JsonNode> out = new ArrayList<>();
        for (int off = 0; ; off += 1000) {
            JsonNode page = ok(s.get("/api/v1/fleet/history?action=" + action + "&days=3660&limit=1000&offset=" + off, s.adminToken));
            page.path("items").forEach(out::add);
            if (out.size() >= page.path("total").asInt()) {
                return out;
            }
        }
    }

    private static Map<String, JsonNode> byName(List<JsonNode> ms) {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        ms.forEach(m -> out.put(m.path("machine").asText(), m));
        return out;
    }

    /** Waits until the real node has reported {@code name} and the server assessed it hotpatch-enabled on the published baseline. */
    private static void awaitEnabled(TestServer s, String name) {
        long deadline = System.nanoTime() + FIRST_REPORT.toNanos();
        TestServer.Response r = null;
        while (System.nanoTime() < deadline) {
            r = s.get("/api/v1/machines/" + name, s.adminToken);
            if (r.status() == 200 && r.json().hasNonNull("lastAssessedAt") && r.json().path("status").asText().equals("Enabled")) {
                return;
            }
            CliServer.sleep(250);
        }
        throw new AssertionError("machine " + name + " was not reported and assessed Enabled within " + FIRST_REPORT.toSeconds() + " s: " + (r == null ? "" : r.body()));
    }

    private static JsonNode ok(TestServer.Response r) {
        assertThat(r.status()).as(r.body()).isBetween(200, 201);
        return r.json();
    }
}
