package dev.hotpatch.server.rollout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.server.catalog.Catalog;
import dev.hotpatch.server.history.History;
import dev.hotpatch.server.machine.Machines;
import dev.hotpatch.server.policy.Policies;
import dev.hotpatch.server.quarantine.Quarantines;
import dev.hotpatch.server.store.Database;
import dev.hotpatch.server.testing.BothStores;
import dev.hotpatch.server.testing.SimFleet;
import dev.hotpatch.server.testing.TestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A large rollout is stored in several transactions (so that on SQLite check-ins get the database
 * between them): here a small fleet's rollout is stored three machines at a time by a second
 * replica on the same database. It is the same rollout as one stored at once, it stays invisible
 * until its last machine is in, a refusal or a dead server leaves nothing behind, and two
 * rollouts planned at the same moment never patch a machine twice.
 */
class LargeRolloutStorageTest {
    private static final String KB = "KB2026-0001";

    /** Eight machines in two regions, zones and sets: several waves. */
    private static Map<String, Map<String, Object>> fleet(String patchMode) {
        Map<String, Map<String, Object>> out = new LinkedHashMap<>();
        for (int i = 0; i < 8; i++) {
            out.put("web-0" + i, SimFleet.config(i < 4 ? "eu-west" : "us-east", String.valueOf(1 + i % 2), "web", i % 3, "web", patchMode,
                    "Europe/Paris", null));
        }
        return out;
    }

    /** A second replica's rollouts on the server's database, storing {@code perTx} machines per transaction. */
    private record Replica(Database db, Policies policies, Rollouts rollouts) implements AutoCloseable {
        static Replica of(TestServer s, int perTx) {
            Database db = s.dbUrl != null ? Database.open(s.dbUrl, null, null) : Database.sqlite(s.dataDir);
            Catalog catalog = new Catalog(db, s.clock);
            Policies policies = new Policies(db, s.clock, catalog, new Machines(db));
            History history = new History(db, s.clock, Duration.ofDays(30));
            return new Replica(db, policies, new Rollouts(db, s.clock, catalog, policies, new Quarantines(db, s.clock, catalog, history), perTx));
        }

        /** The machines of an operator's rollout of {@code t} over the whole image, planned now. */
        Targets.Result plan(Targets.Target t) {
            return db.read(h -> rollouts.targets().candidates(h, t, new Targets.Filter(false, null, null, null), policies.resolver(h)));
        }

        /** The image's rollout settings. */
        dev.hotpatch.server.policy.PolicySettings imageSettings(Targets.Target t) {
            return db.read(h -> policies.resolver(h).image(t.imageId()));
        }

        @Override
        public void close() {
            db.close();
        }
    }

    /** An operator's rollout of KB over the fleet, started through {@code start}; returns every member's plan, the waves and the events. */
    private static List<String> planOf(TestServer s, java.util.function.Function<Rig, String> start) throws Exception {
        try (Rig rig = new Rig(s)) {
            rig.publishKb1();
            rig.policy("fleet", Rig.always());
            rig.fleet.machines(rig.scene.jar10, fleet("Manual"));
            JsonNode started = rig.rollout(start.apply(rig));
            List<String> out = new ArrayList<>();
            for (Map<String, Object> m : s.query("SELECT machine_name, wave, position, region, zone, availability_set, update_domain, grp, state,"
                    + " done FROM rollout_machines ORDER BY wave, position")) {
                out.add(m.values().toString());
            }
            out.add(started.get("state").asText() + " " + started.get("machineCount").asInt() + " machines, " + started.get("waveCount") + " waves");
            started.get("waves").forEach(w -> out.add(w.get("state").asText() + " " + w.get("description").asText()
                    + (w.hasNonNull("startedAt") ? " started" : "")));
            started.get("events").forEach(e -> out.add(e.get("kind").asText() + ": " + e.get("message").asText()));
            return out;
        }
    }

    @BothStores
    void aRolloutStoredInParts_isTheSameAsOneStoredAtOnce(TestServer s) throws Exception {
        List<String> atOnce = planOf(s, rig -> rig.start(Map.of("update", KB)).get("id").asText());
        List<String> inParts;
        try (TestServer other = new TestServer(s.store)) {
            inParts = planOf(other, rig -> {
                try (Replica replica = Replica.of(other, 3)) {
                    return replica.rollouts().start(new Rollout.Request(KB, null, null, null, null, null, null), "alice").id();
                }
            });
        }
        assertThat(inParts).isEqualTo(atOnce);
        assertThat(atOnce).filteredOn(l -> l.startsWith("[web-0")).hasSize(8);
        assertThat(atOnce).contains("running 8 machines, 8 waves");
        assertThat(atOnce.stream().filter(l -> l.endsWith(" started"))).hasSize(1);
    }

    @BothStores
    void whileStored_aRolloutIsInvisible_andARefusalAtTheEndLeavesNothingBehind(TestServer s) throws Exception {
        try (Rig rig = new Rig(s); Replica replica = Replica.of(s, 3)) {
            rig.publishKb1();
            rig.policy("fleet", Rig.always());
            rig.fleet.machines(rig.scene.jar10, fleet("Manual"));
            Targets.Target t = target(s, replica);
            Targets.Result planned = replica.plan(t);
            assertThat(planned.included()).hasSize(8);

            AtomicInteger checks = new AtomicInteger();
            List<String> seenByOperator = new ArrayList<>();
            assertThatThrownBy(() -> replica.rollouts().store(t, planned, Rollout.OPERATOR, null, false, replica.imageSettings(t), "alice",
                    (h, self) -> {
                        if (checks.incrementAndGet() == 2) {
                            // The last transaction: every machine is written, and still nobody sees the rollout.
                            assertThat(count(s, "rollout_machines")).isEqualTo(8);
                            seenByOperator.add(rig.get("/api/v1/rollouts").get("total").asText());
                            seenByOperator.add(rig.call("GET", "/api/v1/rollouts/" + self, null).status() + "");
                            seenByOperator.add(rig.call("GET", "/api/v1/rollouts/" + self + "/machines", null).status() + "");
                            throw new IllegalStateException("refused at the end");
                        }
                    }))
                    .hasMessage("refused at the end");
            assertThat(checks.get()).isEqualTo(2);
            assertThat(seenByOperator).containsExactly("0", "404", "404");
            for (String table : List.of("rollouts", "rollout_waves", "rollout_machines", "rollout_events")) {
                assertThat(count(s, table)).as(table).isZero();
            }

            // Nothing blocks an operator's rollout of the same machines afterwards.
            assertThat(rig.start(Map.of("update", KB)).get("machineCount").asInt()).isEqualTo(8);
        }
    }

    @BothStores
    void aRolloutLeftPreparingByADeadServer_keepsTheAutomationWaiting_thenIsRemovedAndReplaced(TestServer s) throws Exception {
        try (Rig rig = new Rig(s)) {
            Map<String, Object> p = new LinkedHashMap<>(Rig.always());
            p.put("patchMode", "AutomaticByPlatform");
            rig.policy("fleet", p);
            rig.fleet.machines(rig.scene.jar10, fleet(null));
            rig.publishKb1();
            s.clock.advance(Duration.ofDays(27)); // past KB's publish date (2026-02-10): approved for automatic patching
            // What a server that died while storing the automatic rollout leaves: the rollout preparing, part of its machines written.
            String image = (String) s.query("SELECT id FROM images").get(0).get("id");
            long now = s.clock.millis();
            s.sql("INSERT INTO rollouts (id, kind, image_id, target, ring, origin, state, created_at, created_by, updated_at, current_wave,"
                    + " wave_count, machine_count, failures_acknowledged, settings) VALUES ('ro-dead', 'hotpatch', '" + image + "', '" + KB
                    + "', NULL, 'automatic', 'preparing', " + now + ", 'automation', " + now + ", 1, 5, 8, 0, '{}')");
            s.sql("INSERT INTO rollout_machines (rollout_id, machine_id, machine_name, wave, position, state, done, attempts, updated_at)"
                    + " SELECT 'ro-dead', id, name, 1, 0, 'pending', FALSE, 0, " + now + " FROM machines WHERE name IN ('web-00', 'web-01', 'web-02')");

            rig.tick();
            assertThat(rig.get("/api/v1/rollouts").get("total").asInt()).as("within 10 minutes it may still be being stored").isZero();
            assertThat(count(s, "rollouts")).isEqualTo(1);

            s.clock.advance(Duration.ofMinutes(11));
            rig.tick();
            JsonNode list = rig.get("/api/v1/rollouts");
            assertThat(list.get("total").asInt()).isEqualTo(1);
            JsonNode r = list.get("items").get(0);
            assertThat(r.get("origin").asText()).isEqualTo("automatic");
            assertThat(r.get("machineCount").asInt()).isEqualTo(8);
            assertThat(s.query("SELECT id FROM rollouts WHERE id = 'ro-dead'")).isEmpty();
            assertThat(count(s, "rollout_machines")).isEqualTo(8);
        }
    }

    @BothStores
    void twoRolloutsPlannedAtTheSameMoment_patchEachMachineOnce(TestServer s) throws Exception {
        try (Rig rig = new Rig(s); Replica replica = Replica.of(s, 3)) {
            rig.publishKb1();
            rig.policy("fleet", Rig.always());
            rig.fleet.machines(rig.scene.jar10, fleet("Manual"));
            Targets.Target t = target(s, replica);
            // The replica plans first (no machine is busy yet); the operator's rollout is stored before the replica stores its own.
            Targets.Result planned = replica.plan(t);
            String first = rig.start(Map.of("update", KB, "machines", List.of("web-00", "web-01", "web-02", "web-03"))).get("id").asText();
            String second = replica.rollouts().store(t, planned, Rollout.OPERATOR, null, false, replica.imageSettings(t), "bob", (h, self) -> {
            });
            assertThat(second.compareTo(first)).isGreaterThan(0);

            for (int i = 0; i < 40 && (running(rig, first) || running(rig, second)); i++) {
                rig.tick();
                rig.fleet.checkInAll();
                rig.tick();
                s.clock.advance(Duration.ofMinutes(2));
            }
            assertThat(rig.rollout(first).get("state").asText()).isEqualTo("completed");
            assertThat(rig.rollout(second).get("state").asText()).isEqualTo("completed");
            Map<String, String> inSecond = rig.states(second);
            for (String m : List.of("web-00", "web-01", "web-02", "web-03")) {
                assertThat(inSecond.get(m)).as(m).isEqualTo("skipped");
                long installs = rig.history(m).stream().filter(h -> h.path("kbId").asText().equals(KB) && h.path("action").asText().equals("install"))
                        .count();
                assertThat(installs).as("installs of " + KB + " on " + m).isEqualTo(1);
            }
            assertThat(rig.machines(second)).filteredOn(m -> m.get("machine").asText().compareTo("web-03") <= 0)
                    .allMatch(m -> m.get("reason").asText().contains("started before this one") || m.get("reason").asText().contains("already runs"));
            for (String m : List.of("web-04", "web-05", "web-06", "web-07")) {
                assertThat(inSecond.get(m)).as(m).isEqualTo("healthy");
            }
        }
    }

    private static boolean running(Rig rig, String id) {
        return rig.rollout(id).get("state").asText().equals("running");
    }

    private static Targets.Target target(TestServer s, Replica replica) {
        var u = replica.db().read(h -> new Catalog(replica.db(), s.clock).findUpdate(h, KB)).orElseThrow();
        return new Targets.Target(Rollout.HOTPATCH, KB, u.imageId(), u.baselineId(), u, KB);
    }

    private static int count(TestServer s, String table) {
        return ((Number) s.query("SELECT COUNT(*) AS n FROM " + table).get(0).get("n")).intValue();
    }
}
