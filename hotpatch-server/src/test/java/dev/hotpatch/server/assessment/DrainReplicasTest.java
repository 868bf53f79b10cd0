package dev.hotpatch.server.assessment;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpatch.server.catalog.Catalog;
import dev.hotpatch.server.machine.Machines;
import dev.hotpatch.server.store.Database;
import dev.hotpatch.server.testing.Fixtures;
import dev.hotpatch.server.testing.Fixtures.Node;
import dev.hotpatch.server.testing.Fixtures.Scene;
import dev.hotpatch.server.testing.TestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Replicas on one PostgreSQL database drain one stale fleet together: each stale machine is
 * claimed, and re-assessed, by exactly one of them, also when machines are claimed and stored
 * several at a time.
 */
class DrainReplicasTest {

    @Test
    void twoReplicasDrainingAtOnce_reassessEachStaleMachineOnce() throws Exception {
        try (TestServer s = new TestServer("postgresql")) {
            byte[] jar = new Scene(s).jar10;
            List<Map<String, Object>> reports = new ArrayList<>();
            for (int i = 0; i < 600; i++) {
                // Three codes: one outcome each, so the drains store machines in groups.
                Map<String, Object> config = i % 3 == 0 ? Map.of("timeZone", "UTC", "hotpatch", false)
                        : i % 3 == 1 ? Map.of("timeZone", "UTC") : Map.of("timeZone", "UTC", "group", "g");
                reports.add(Fixtures.machine(String.format("m-%03d", i), jar, List.of(), config));
            }
            Node.enroll(s, "host-1").checkInAll(reports);
            s.clock.advance(Duration.ofMinutes(1));
            assertThat(s.sql("INSERT INTO stale_machines (machine_id) SELECT id FROM machines")).isEqualTo(600);

            Database one = Database.open(s.dbUrl, null, null);
            Database two = Database.open(s.dbUrl, null, null);
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                CyclicBarrier start = new CyclicBarrier(2);
                List<Future<Integer>> drained = new ArrayList<>();
                for (Database db : List.of(one, two)) {
                    Assessor replica = new Assessor(db, new Catalog(db, s.clock), new Machines(db), s.clock);
                    drained.add(pool.submit(() -> {
                        start.await();
                        return replica.drainStale(Duration.ofMinutes(2));
                    }));
                }
                int total = 0;
                for (Future<Integer> f : drained) {
                    int mine = f.get(3, TimeUnit.MINUTES);
                    // Claims skip what the other replica is claiming: both take part instead of waiting on each other's rows.
                    assertThat(mine).as("machines re-assessed by one replica").isPositive();
                    total += mine;
                }
                assertThat(total).as("machines re-assessed by the two replicas together").isEqualTo(600);
            } finally {
                pool.shutdownNow();
                one.close();
                two.close();
            }
            assertThat(s.query("SELECT COUNT(*) AS n FROM stale_machines").get(0).get("n").toString()).isEqualTo("0");
            assertThat(s.query("SELECT COUNT(*) AS n FROM machines WHERE assessed_at = " + s.clock.millis()).get(0).get("n").toString())
                    .isEqualTo("600");
            assertThat(s.query("SELECT COUNT(*) AS n FROM machines WHERE status = 'Disabled'").get(0).get("n").toString())
                    .isEqualTo("200");
        }
    }
}
