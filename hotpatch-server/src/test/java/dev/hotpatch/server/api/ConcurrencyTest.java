package dev.hotpatch.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.server.install.Command;
import dev.hotpatch.server.install.Commands;
import dev.hotpatch.server.store.Database;
import dev.hotpatch.server.testing.BothStores;
import dev.hotpatch.server.testing.Fixtures;
import dev.hotpatch.server.testing.Fixtures.Node;
import dev.hotpatch.server.testing.Fixtures.Scene;
import dev.hotpatch.server.testing.TestServer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ConcurrencyTest {

    @BothStores
    void concurrentCheckIns_deliverEachCommandToOneCallerOnly(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        scene.publishHotpatch("KB2026-0001", "1.0", "2026-02-10", scene.feesV1, scene.feesV2, List.of(), false);
        Node node = Node.enroll(s, "host-1");
        List<Map<String, Object>> machines = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            machines.add(Fixtures.machine("m-" + i, scene.jar10, List.of(), null));
        }
        node.checkInAll(machines);
        for (int i = 0; i < 20; i++) {
            assertThat(s.post("/api/v1/machines/m-" + i + "/install", s.adminToken, Map.of()).status()).isEqualTo(202);
        }
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<List<String>>> results = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                results.add(pool.submit((Callable<List<String>>) () -> {
                    List<String> ids = new ArrayList<>();
                    for (JsonNode c : Node.commands(node.checkInAll(machines))) {
                        ids.add(c.get("id").asText());
                    }
                    return ids;
                }));
            }
            List<String> delivered = new ArrayList<>();
            for (Future<List<String>> f : results) {
                delivered.addAll(f.get(120, TimeUnit.SECONDS));
            }
            assertThat(delivered).hasSize(20).doesNotHaveDuplicates();
        } finally {
            pool.shutdownNow();
        }
    }

    @BothStores
    void racingClaimTransactions_neverShareACommand(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        scene.publishHotpatch("KB2026-0001", "1.0", "2026-02-10", scene.feesV1, scene.feesV2, List.of(), false);
        Node node = Node.enroll(s, "host-1");
        List<Map<String, Object>> machines = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            machines.add(Fixtures.machine("m-" + i, scene.jar10, List.of(), null));
        }
        node.checkInAll(machines);
        for (int i = 0; i < 30; i++) {
            s.post("/api/v1/machines/m-" + i + "/install", s.adminToken, Map.of("reboot", "Always"));
        }
        // Claim straight on the store from several connections at once: no check-in row locks to serialise them.
        try (Database db = s.dbUrl == null ? Database.sqlite(s.dataDir) : Database.open(s.dbUrl, null, null)) {
            Commands commands = new Commands(java.time.Duration.ofMinutes(10));
            int threads = 6;
            java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(threads);
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<List<String>>> results = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    results.add(pool.submit(() -> {
                        start.await();
                        return db.tx(h -> commands.claim(h, node.nodeId, s.clock.instant())).commands().stream().map(Command::id).toList();
                    }));
                }
                List<String> delivered = new ArrayList<>();
                for (Future<List<String>> f : results) {
                    delivered.addAll(f.get(120, TimeUnit.SECONDS));
                }
                assertThat(delivered).hasSize(60).doesNotHaveDuplicates();
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void twoReplicasOnOnePostgres_shareState_andClaimEachCommandOnce() throws Exception {
        try (TestServer a = new TestServer("postgresql");
             TestServer b = new TestServer("postgresql", a.dbUrl, a.trustDir)) {
            assertThat(b.adminToken).as("only the first replica creates the admin token").isNull();
            Scene scene = new Scene(a);
            Node node = Node.enroll(a, "host-1");
            Map<String, Object> report = Fixtures.machine("billing-1", scene.jar10, List.of(), null);
            node.checkIn(report);
            scene.publishHotpatch("KB2026-0001", "1.0", "2026-02-10", scene.feesV1, scene.feesV2, List.of(), false);
            assertThat(b.get("/api/v1/machines/billing-1/assessment", a.adminToken).json().at("/missing/total").asInt()).isEqualTo(1);
            b.post("/api/v1/machines/billing-1/install", a.adminToken, Map.of());
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                Future<TestServer.Response> fa = pool.submit(() -> a.post("/api/v1/node/check-in", node.credential, Map.of("machines", List.of(report))));
                Future<TestServer.Response> fb = pool.submit(() -> b.post("/api/v1/node/check-in", node.credential, Map.of("machines", List.of(report))));
                int total = fa.get(60, TimeUnit.SECONDS).json().get("commands").size() + fb.get(60, TimeUnit.SECONDS).json().get("commands").size();
                assertThat(total).isEqualTo(1);
            } finally {
                pool.shutdownNow();
            }
        }
    }
}
