package dev.hotpatch.bench.fleet;

import dev.hotpatch.bench.Sample;
import dev.hotpatch.testkit.PostgresCluster;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Time to re-assess a whole fleet after a publish: the server runs in this JVM (port 0,
 * temporary data folder; the embedded SQLite store and a throwaway PostgreSQL), {@code --machines}
 * machines register through the real check-in API ({@code --per-node} per simulated node, each
 * report with the baseline's jar and {@code --classes} class hashes), then a new signed hotpatch
 * of their baseline is published with {@code POST /api/v1/updates}, and the clock runs until the
 * server's {@code hotpatch_machines_stale} gauge ({@code /metrics}) is back to zero. Each machine
 * is then checked through the API: assessed after the publish, missing exactly the new hotpatch.
 * Repeated {@code --repeats} times per store, each publish superseding the previous hotpatch.
 *
 * <p>Besides wall time, each step reports the CPU time it cost: this JVM's (server, driver and
 * the light polling client) plus, on PostgreSQL, the database processes'. On a shared machine the
 * wall time follows the others' load; the CPU time much less.
 *
 * <p>Run: {@code java -cp bench/target/hotpatch-bench.jar dev.hotpatch.bench.fleet.AssessmentAfterPublish [--store=all]}.
 */
public final class AssessmentAfterPublish {
    private AssessmentAfterPublish() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> defaults = new LinkedHashMap<>();
        defaults.put("store", "all");
        defaults.put("machines", "10000");
        defaults.put("per-node", "100");
        defaults.put("classes", "300");
        defaults.put("threads", "2");
        defaults.put("repeats", "3");
        defaults.put("poll-ms", "250");
        defaults.put("timeout-s", "900");
        defaults.put("pg-durable", "false");
        Options o = Options.parse(args, defaults);
        PrintStream out = System.out;
        List<String> rows = StoreRuns.each("Assessment of a fleet after a publish", o, out, (store, pg) -> runOn(store, pg, o, out));
        out.println();
        out.println("## Summary (median; range over repeats)");
        out.println();
        out.println("| store | machines | measure | wall time | machines/s | CPU time (JVM + database) |");
        out.println("|---|---|---|---|---|---|");
        rows.forEach(out::println);
        out.println();
        out.println("# load average at end " + Environment.loadAverage());
    }

    private static List<String> runOn(FleetServer.Store store, PostgresCluster pg, Options o, PrintStream out) throws Exception {
        int total = o.integer("machines");
        int perNode = Math.min(o.integer("per-node"), total);
        if (total % perNode != 0) {
            throw new IllegalArgumentException("--machines (" + total + ") must be a multiple of --per-node (" + perNode + ")");
        }
        long timeoutNanos = TimeUnit.SECONDS.toNanos(o.integer("timeout-s"));
        out.println();
        out.println("== " + store.label + (store == FleetServer.Store.POSTGRESQL ? " (" + pg + ")" : "") + "  [load average "
                + Environment.loadAverage() + "]");
        List<String> rows = new ArrayList<>();
        try (FleetServer server = FleetServer.start(store, pg, new PrintStream(PrintStream.nullOutputStream()));
             Scene scene = new Scene(server, o.integer("classes"), true)) {
            List<SimulatedNode> nodes = new ArrayList<>();
            for (int n = 0; n < total / perNode; n++) {
                nodes.add(SimulatedNode.enroll(server, scene, String.format(Locale.ROOT, "host-%04d", n), n * perNode, perNode));
            }
            out.printf(Locale.ROOT, "  %d nodes × %d machines, %,d bytes per check-in%n", nodes.size(), perNode, nodes.get(0).bodyBytes);

            // Registration: every node's first check-in records and assesses its machines in the request.
            double c0 = cpu(store, pg);
            long r0 = System.nanoTime();
            ExecutorService pool = Executors.newFixedThreadPool(o.integer("threads"));
            try {
                List<Future<?>> done = new ArrayList<>();
                for (SimulatedNode n : nodes) {
                    done.add(pool.submit(n::checkIn));
                }
                for (Future<?> f : done) {
                    f.get(timeoutNanos, TimeUnit.NANOSECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            double registration = (System.nanoTime() - r0) / 1e9;
            double registrationCpu = cpu(store, pg) - c0;
            Fleet before = fleet(server, total);
            out.printf(Locale.ROOT, "  registered %,d machines (first check-in: record + assess) in %.1f s = %.0f machines/s, CPU %.1f s; %s%n",
                    total, registration, total / registration, registrationCpu, before);
            rows.add(String.format(Locale.ROOT, "| %s | %,d | first check-in of every machine (record + assess), %d client threads | %.1f s | %.0f | %.1f s |",
                    store.label, total, o.integer("threads"), registration, total / registration, registrationCpu));

            Sample publishRequest = new Sample("");
            Sample allAssessed = new Sample("");
            Sample syncShare = new Sample("");
            Sample cpuUsed = new Sample("");
            for (int r = 0; r < o.integer("repeats"); r++) {
                Instant since = Instant.now();
                double cpu0 = cpu(store, pg);
                long t0 = System.nanoTime();
                String kb = scene.publishHotpatch();
                long t1 = System.nanoTime();
                long staleAfterRequest = stale(server);
                long staleNow = staleAfterRequest;
                long deadline = t0 + timeoutNanos;
                while (staleNow > 0 && System.nanoTime() < deadline) {
                    Thread.sleep(o.integer("poll-ms"));
                    staleNow = stale(server);
                }
                long t2 = System.nanoTime();
                double used = cpu(store, pg) - cpu0;
                if (staleNow > 0) {
                    out.printf(Locale.ROOT, "  %s: %d machines still stale after %d s: gave up%n", kb, staleNow, o.integer("timeout-s"));
                    rows.add(String.format(Locale.ROOT, "| %s | %,d | all re-assessed after publishing %s | > %d s (timed out) | — | — |",
                            store.label, total, kb, o.integer("timeout-s")));
                    return rows;
                }
                Fleet after = fleet(server, total);
                int fresh = after.assessedSince(since);
                String check = fresh == total && after.missingExactlyOne == total ? "all " + total + " assessed since the publish, each missing "
                        + "exactly 1 update" : "CHECK FAILED: " + fresh + " assessed since the publish, " + after.missingExactlyOne + " missing exactly 1";
                String kbSeen = server.api.get("/api/v1/machines/" + Scene.machineName(total - 1) + "/assessment", server.adminToken)
                        .expect(200, "assessment").json().get("updates").get(0).get("kbId").asText();
                publishRequest.add((t1 - t0) / 1e9);
                allAssessed.add((t2 - t0) / 1e9);
                syncShare.add(total - staleAfterRequest);
                cpuUsed.add(used);
                out.printf(Locale.ROOT, "  publish %s: request %.2f s (%d re-assessed in it), all %,d re-assessed %.1f s after the publish"
                                + " = %.0f machines/s, CPU %.1f s; %s; last machine's missing update: %s  [load %s]%n", kb, (t1 - t0) / 1e9,
                        total - staleAfterRequest, total, (t2 - t0) / 1e9, total / ((t2 - t0) / 1e9), used, check, kbSeen,
                        Environment.loadAverage());
            }
            rows.add(String.format(Locale.ROOT, "| %s | %,d | publish request (re-assesses for up to 2 s itself; %s machines in it) | %s | — | — |",
                    store.label, total, Sample.fmt(syncShare.median()), publishRequest.range("s")));
            rows.add(String.format(Locale.ROOT, "| %s | %,d | **publish → every machine re-assessed** | %s | %.0f | %s |", store.label, total,
                    allAssessed.range("s"), total / allAssessed.median(), cpuUsed.range("s")));
        }
        return rows;
    }

    /** CPU seconds used so far by this JVM and, on PostgreSQL, the database's processes. */
    private static double cpu(FleetServer.Store store, PostgresCluster pg) {
        return Environment.processCpuSeconds() + (store == FleetServer.Store.POSTGRESQL ? pg.cpuSeconds() : 0);
    }

    private static long stale(FleetServer server) {
        String metrics = server.api.get("/metrics", server.adminToken).expect(200, "metrics").text();
        for (String line : metrics.split("\n")) {
            if (line.startsWith("hotpatch_machines_stale ")) {
                return Long.parseLong(line.substring(line.indexOf(' ') + 1).trim());
            }
        }
        throw new IllegalStateException("/metrics has no hotpatch_machines_stale gauge");
    }

    /** The fleet as the API lists it. */
    private record Fleet(List<Instant> assessedAt, Map<String, Integer> statuses, int missingExactlyOne) {
        int assessedSince(Instant t) {
            return (int) assessedAt.stream().filter(a -> a != null && !a.isBefore(t.minusMillis(1))).count();
        }

        @Override
        public String toString() {
            return "statuses " + statuses;
        }
    }

    private static Fleet fleet(FleetServer server, int expected) {
        JsonNode list = server.api.get("/api/v1/machines?limit=" + expected, server.adminToken).expect(200, "list machines").json();
        if (list.size() != expected) {
            throw new IllegalStateException("the server lists " + list.size() + " machines, not " + expected);
        }
        List<Instant> at = new ArrayList<>();
        Map<String, Integer> statuses = new LinkedHashMap<>();
        int one = 0;
        for (JsonNode m : list) {
            JsonNode a = m.get("lastAssessedAt");
            at.add(a == null || a.isNull() ? null : Instant.parse(a.asText()));
            statuses.merge(m.get("status").asText(), 1, Integer::sum);
            one += m.get("missing").get("total").asInt() == 1 ? 1 : 0;
        }
        return new Fleet(at, statuses, one);
    }
}
