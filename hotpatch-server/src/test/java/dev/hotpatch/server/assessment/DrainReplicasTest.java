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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Replicas on one PostgreSQL database drain one stale fleet together: each stale machine is
 * claimed, and re-assessed, by exactly one of them, also when machines are claimed and stored
 * several at a time.
 */
class DrainReplicasTest {

    /**
     * What a stopping server does to a background re-assessment: it interrupts the drain, then
     * closes the database. The drain must stop between batches and return only after its worker
     * threads did, keeping what it committed and leaving the rest marked.
     */
    @Test
    void anInterruptedDrain_stopsBetweenBatches_andReturnsAfterItsWorkers() throws Exception {
        int count = 3000;
        try (TestServer s = new TestServer("postgresql")) {
            byte[] jar = new Scene(s).jar10;
            List<Map<String, Object>> reports = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                reports.add(Fixtures.machine(String.format("m-%04d", i), jar, List.of(), Map.of("timeZone", "UTC")));
            }
            Node.enroll(s, "host-1").checkInAll(reports);
            s.clock.advance(Duration.ofMinutes(1));
            assertThat(s.sql("INSERT INTO stale_machines (machine_id) SELECT id FROM machines")).isEqualTo(count);
            Set<Thread> before = drainThreads();

            Database db = Database.open(s.dbUrl, null, null);
            try {
                Assessor assessor = new Assessor(db, new Catalog(db, s.clock), new Machines(db), s.clock);
                AtomicReference<Object> outcome = new AtomicReference<>();
                Thread drainer = new Thread(() -> {
                    try {
                        outcome.set(assessor.drainStale(Duration.ofMinutes(2)));
                    } catch (RuntimeException e) {
                        outcome.set(e);
                    }
                }, "test-drainer");
                drainer.start();
                long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
                while (stale(s) == count && System.nanoTime() < deadline) {
                    Thread.sleep(2);
                }
                drainer.interrupt();
                drainer.join(TimeUnit.SECONDS.toMillis(30));
                assertThat(drainer.isAlive()).as("the drain returned after the interrupt: " + outcome.get()).isFalse();
                Set<Thread> workers = drainThreads();
                workers.removeAll(before);
                assertThat(workers).as("drain workers still running after the drain returned").allMatch(t -> !t.isAlive());
            } finally {
                db.close();
            }
            long left = stale(s);
            long done = Long.parseLong(s.query("SELECT COUNT(*) AS n FROM machines WHERE assessed_at = " + s.clock.millis())
                    .get(0).get("n").toString());
            assertThat(left).as("machines left marked for the next drain").isPositive();
            assertThat(done + left).as("every machine re-assessed or still marked").isEqualTo(count);
        }
    }

    private static long stale(TestServer s) {
        return Long.parseLong(s.query("SELECT COUNT(*) AS n FROM stale_machines").get(0).get("n").toString());
    }

    private static Set<Thread> drainThreads() {
        Set<Thread> out = new HashSet<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals("hotpatch-drain")) {
                out.add(t);
            }
        }
        return out;
    }

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
