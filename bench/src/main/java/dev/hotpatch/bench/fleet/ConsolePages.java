package dev.hotpatch.bench.fleet;

import dev.hotpatch.bench.Sample;
import dev.hotpatch.testkit.PostgresCluster;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The console's fleet overview at fleet scale: a real server in this JVM with 10,000 machines
 * (nodes of 20 simulated machines checking in over HTTP, two regions, three zones, two tags, all
 * missing one published hotpatch; their reports ask for automatic patching, so the rollout of that
 * hotpatch runs in the background while the pages are timed, as on a live server), and the calls the overview page makes, timed as HTTP round
 * trips on loopback: a page of 50 machines (first, middle, last; with filters), the counts for the
 * charts (whole fleet and filtered). Baseline in the same run:
 * {@code GET /healthz}, the cheapest route (HTTP, auth-free routing, a JSON answer), so the
 * difference is the work of the query itself. Calls of all kinds are interleaved round by round.
 * Run: {@code java -cp bench/target/hotpatch-bench.jar dev.hotpatch.bench.fleet.ConsolePages [--store=all] [--machines=10000]}.
 */
public final class ConsolePages {
    private ConsolePages() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> defaults = new LinkedHashMap<>();
        defaults.put("store", "all");
        defaults.put("machines", "10000");
        defaults.put("per-node", "20");
        defaults.put("threads", "4");
        defaults.put("rounds", "40");
        defaults.put("pg-durable", "false");
        Options o = Options.parse(args, defaults);
        PrintStream out = System.out;
        List<String> rows = StoreRuns.each("Console fleet overview at fleet scale", o, out, (store, pg) -> run(store, pg, o, out));
        out.println();
        out.println("| store | call | round trip, median | p90 | max | minus /healthz (median) |");
        out.println("|---|---|---|---|---|---|");
        rows.forEach(out::println);
        out.println("# load average at end " + Environment.loadAverage());
    }

    private static List<String> run(FleetServer.Store store, PostgresCluster pg, Options o, PrintStream out) throws Exception {
        int total = o.integer("machines");
        int perNode = o.integer("per-node");
        out.println();
        out.println("## " + store.label);
        try (FleetServer fs = FleetServer.start(store, pg, new PrintStream(java.io.OutputStream.nullOutputStream()));
             Scene scene = new Scene(fs, 50, false)) {
            ExecutorService pool = Executors.newFixedThreadPool(o.integer("threads"));
            long t0 = System.nanoTime();
            List<Future<SimulatedNode>> nodes = new ArrayList<>();
            for (int first = 0; first < total; first += perNode) {
                int f = first;
                int n = Math.min(perNode, total - first);
                nodes.add(pool.submit(() -> {
                    SimulatedNode node = SimulatedNode.enroll(fs, scene, String.format(Locale.ROOT, "host-%05d", f / perNode), f, n);
                    node.checkIn();
                    return node;
                }));
            }
            for (Future<SimulatedNode> f : nodes) {
                f.get();
            }
            pool.shutdown();
            out.printf(Locale.ROOT, "  %,d machines on %,d nodes registered in %.1f s%n", total, nodes.size(), (System.nanoTime() - t0) / 1e9);
            scene.publishHotpatch();
            // Publishing re-assesses the fleet in the background: wait until no machine is stale, so every page sees the same data.
            long waitStart = System.nanoTime();
            while (fs.api.get("/api/v1/fleet/summary?missing=none", fs.adminToken).expect(200, "summary").json().get("total").asInt() > 0) {
                Thread.sleep(500);
            }
            out.printf(Locale.ROOT, "  hotpatch published, fleet re-assessed in %.1f s%n", (System.nanoTime() - waitStart) / 1e9);

            Map<String, String> calls = new LinkedHashMap<>();
            calls.put("/healthz (baseline)", "/healthz");
            calls.put("page 1 of machines (50)", "/api/v1/fleet/machines?limit=50");
            calls.put("page 100 of machines", "/api/v1/fleet/machines?limit=50&offset=" + (total / 2));
            calls.put("last page of machines", "/api/v1/fleet/machines?limit=50&offset=" + Math.max(0, total - 50));
            calls.put("page, filtered region+zone+tag+status", "/api/v1/fleet/machines?limit=50&region=us-east&zone=2&tag=tier%3Dmain&status=Enabled");
            calls.put("page, name search", "/api/v1/fleet/machines?limit=50&q=app-0999");
            calls.put("chart counts, whole fleet", "/api/v1/fleet/summary");
            calls.put("chart counts, filtered", "/api/v1/fleet/summary?region=eu-west&tag=tier%3Dcanary");
            Map<String, Sample> stats = new LinkedHashMap<>();
            calls.keySet().forEach(k -> stats.put(k, new Sample("ms")));
            int rounds = o.integer("rounds");
            for (int round = -3; round < rounds; round++) {
                for (Map.Entry<String, String> c : calls.entrySet()) {
                    long start = System.nanoTime();
                    fs.api.get(c.getValue(), fs.adminToken).expect(200, c.getKey());
                    long ns = System.nanoTime() - start;
                    if (round >= 0) {
                        stats.get(c.getKey()).add(ns / 1e6);
                    }
                }
            }
            double base = stats.get("/healthz (baseline)").median();
            List<String> rows = new ArrayList<>();
            for (Map.Entry<String, Sample> e : stats.entrySet()) {
                Sample s = e.getValue();
                out.printf(Locale.ROOT, "  %-40s %s%n", e.getKey(), s.describe());
                rows.add(String.format(Locale.ROOT, "| %s | %s | %s ms | %s ms | %s ms | %s |", store.label, e.getKey(), Sample.fmt(s.median()),
                        Sample.fmt(s.quantile(0.9)), Sample.fmt(s.max()), e.getKey().startsWith("/healthz") ? "—" : Sample.fmt(s.median() - base) + " ms"));
            }
            return rows;
        }
    }
}
