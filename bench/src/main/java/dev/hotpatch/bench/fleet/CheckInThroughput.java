package dev.hotpatch.bench.fleet;

import dev.hotpatch.bench.Sample;
import dev.hotpatch.testkit.PostgresCluster;
import java.io.PrintStream;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Check-in throughput of the control plane against its own trivial endpoints, in the same run:
 * the server runs in this JVM (port 0, temporary data folder, the embedded SQLite store, and
 * optionally a throwaway PostgreSQL), {@code --nodes} simulated nodes enroll and register
 * {@code --machines} machines each through the real API, then {@code --threads} client threads
 * drive, in rotating order and for {@code --seconds} per phase, (1) {@code GET /healthz} (no
 * credential, no database), (2) {@code GET /api/v1/whoami} (an operator token looked up in the
 * database), and (3) {@code POST /api/v1/node/check-in} of the nodes' unchanged reports, the
 * steady state of a fleet. The goal (issue 3) is check-ins/s ≥ 0.5 × {@code /healthz} req/s.
 *
 * <p>Everything shares the machine's cores: the server, its database and the client threads.
 * Both sides of every ratio are measured under that same arrangement, phase next to phase, and
 * the ratio is taken per repeat, then summarised. The CPU time per request (server, client and,
 * on PostgreSQL, the database processes) is reported too: unlike requests per second it hardly
 * moves with the load other processes put on the machine.
 *
 * <p>Run: {@code java -cp bench/target/hotpatch-bench.jar dev.hotpatch.bench.fleet.CheckInThroughput [--store=all]}.
 */
public final class CheckInThroughput {
    private static final double GOAL = 0.5;

    private CheckInThroughput() {
    }

    enum Endpoint {
        HEALTHZ("GET /healthz"), WHOAMI("GET /api/v1/whoami"), CHECK_IN("check-in, full reports"), CHECK_IN_DIGEST("check-in, digests");

        final String label;

        Endpoint(String label) {
            this.label = label;
        }
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> defaults = new LinkedHashMap<>();
        defaults.put("store", "all");
        defaults.put("nodes", "50");
        defaults.put("machines", "4");
        defaults.put("classes", "300");
        defaults.put("report-classes", "true");
        defaults.put("threads", "8");
        defaults.put("seconds", "5");
        defaults.put("settle", "1");
        defaults.put("warmup", "10");
        defaults.put("repeats", "5");
        defaults.put("pg-durable", "false");
        Options o = Options.parse(args, defaults);
        PrintStream out = System.out;
        List<String> rows = StoreRuns.each("Check-in throughput vs the trivial endpoint", o, out, (store, pg) -> runOn(store, pg, o, out));
        out.println();
        out.println("## Summary (median of per-repeat figures; range over repeats; latencies pooled over all measured requests;"
                + " CPU per request: this JVM's, server and client threads together, plus PostgreSQL's processes)");
        out.println();
        out.println("| store | endpoint | req/s | machine reports/s | p50 | p99 | CPU per request | check-in ÷ /healthz | goal | verdict |");
        out.println("|---|---|---|---|---|---|---|---|---|---|");
        rows.forEach(out::println);
        out.println();
        out.println("# load average at end " + Environment.loadAverage());
    }

    private static List<String> runOn(FleetServer.Store store, PostgresCluster pg, Options o, PrintStream out) throws Exception {
        int nodeCount = o.integer("nodes");
        int perNode = o.integer("machines");
        int threads = o.integer("threads");
        if (nodeCount < threads) {
            throw new IllegalArgumentException("--nodes (" + nodeCount + ") must be at least --threads (" + threads
                    + "): a node never checks in twice at once");
        }
        out.println();
        out.println("== " + store.label + (store == FleetServer.Store.POSTGRESQL ? " (" + pg + ")" : "") + "  [load average "
                + Environment.loadAverage() + "]");
        try (FleetServer server = FleetServer.start(store, pg, new PrintStream(PrintStream.nullOutputStream()));
             Scene scene = new Scene(server, o.integer("classes"), o.flag("report-classes"))) {
            List<SimulatedNode> nodes = new ArrayList<>();
            long t0 = System.nanoTime();
            for (int n = 0; n < nodeCount; n++) {
                nodes.add(SimulatedNode.enroll(server, scene, String.format(Locale.ROOT, "host-%04d", n), n * perNode, perNode));
            }
            long t1 = System.nanoTime();
            for (SimulatedNode n : nodes) {
                n.checkIn();
            }
            long t2 = System.nanoTime();
            out.printf(Locale.ROOT, "  enrolled %d nodes in %.1f s; first check-ins (register and assess %d machines) in %.1f s%n",
                    nodeCount, (t1 - t0) / 1e9, nodeCount * perNode, (t2 - t1) / 1e9);
            out.printf(Locale.ROOT, "  check-in body: %d machines × %d class hashes = %,d bytes%n", perNode, scene.reportedClasses(),
                    nodes.get(0).bodyBytes);
            String status = server.api.get("/api/v1/machines?limit=1", server.adminToken).expect(200, "list machines").json().get(0)
                    .get("status").asText();
            out.println("  machines assessed as " + status);

            Map<Endpoint, List<HttpRequest[]>> plans = new EnumMap<>(Endpoint.class);
            HttpRequest healthz = server.api.prepare("GET", "/healthz", null, null, null);
            HttpRequest whoami = server.api.prepare("GET", "/api/v1/whoami", server.adminToken, null, null);
            plans.put(Endpoint.HEALTHZ, same(healthz, threads));
            plans.put(Endpoint.WHOAMI, same(whoami, threads));
            List<HttpRequest[]> checkIns = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                List<HttpRequest> mine = new ArrayList<>();
                for (int n = t; n < nodeCount; n += threads) {
                    mine.add(nodes.get(n).checkInRequest());
                }
                checkIns.add(mine.toArray(HttpRequest[]::new));
            }
            plans.put(Endpoint.CHECK_IN, checkIns);
            List<HttpRequest[]> digestCheckIns = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                List<HttpRequest> mine = new ArrayList<>();
                for (int n = t; n < nodeCount; n += threads) {
                    mine.add(nodes.get(n).digestCheckInRequest());
                }
                digestCheckIns.add(mine.toArray(HttpRequest[]::new));
            }
            plans.put(Endpoint.CHECK_IN_DIGEST, digestCheckIns);
            out.printf(Locale.ROOT, "  digest check-in body: %,d bytes%n", nodes.get(0).digestBodyBytes);

            LoadDriver driver = new LoadDriver(server.api, () -> Environment.processCpuSeconds()
                    + (store == FleetServer.Store.POSTGRESQL ? pg.cpuSeconds() : 0));
            Duration settle = Duration.ofSeconds(o.integer("settle"));
            Duration window = Duration.ofSeconds(o.integer("seconds"));
            for (Endpoint e : Endpoint.values()) {
                LoadDriver.Result w = driver.run(plans.get(e), Duration.ofMillis(100), Duration.ofSeconds(o.integer("warmup")));
                out.printf(Locale.ROOT, "  warm-up %-28s %8.0f req/s%s%n", e.label, w.perSecond(), errors(w));
            }
            Map<Endpoint, Sample> rates = new EnumMap<>(Endpoint.class);
            Map<Endpoint, Sample> latency = new EnumMap<>(Endpoint.class);
            Map<Endpoint, Sample> cpuPerRequest = new EnumMap<>(Endpoint.class);
            Map<Endpoint, Sample> ratioHealthz = new EnumMap<>(Endpoint.class);
            Map<Endpoint, Sample> ratioWhoami = new EnumMap<>(Endpoint.class);
            Endpoint[] order = Endpoint.values();
            int repeats = o.integer("repeats");
            for (int r = 0; r < repeats; r++) {
                Map<Endpoint, Double> thisRound = new EnumMap<>(Endpoint.class);
                for (int i = 0; i < order.length; i++) {
                    Endpoint e = order[(i + r) % order.length];
                    LoadDriver.Result res = driver.run(plans.get(e), settle, window);
                    if (res.errors() > 0) {
                        throw new IllegalStateException(e.label + ": " + res.errors() + " errors, first: " + res.firstError());
                    }
                    thisRound.put(e, res.perSecond());
                    rates.computeIfAbsent(e, k -> new Sample("")).add(res.perSecond());
                    Sample l = latency.computeIfAbsent(e, k -> new Sample(""));
                    res.latencyMs().copyInto(l);
                    cpuPerRequest.computeIfAbsent(e, k -> new Sample("")).add(res.cpuMsPerRequest());
                    out.printf(Locale.ROOT, "  repeat %d %-28s %8.0f req/s  p50 %6.2f ms  p99 %6.2f ms  CPU %.3f ms/req  [load %s]%n", r + 1,
                            e.label, res.perSecond(), res.latencyMs().quantile(0.5), res.latencyMs().quantile(0.99), res.cpuMsPerRequest(),
                            Environment.loadAverage());
                }
                for (Endpoint c : List.of(Endpoint.CHECK_IN, Endpoint.CHECK_IN_DIGEST)) {
                    ratioHealthz.computeIfAbsent(c, k -> new Sample("")).add(thisRound.get(c) / thisRound.get(Endpoint.HEALTHZ));
                    ratioWhoami.computeIfAbsent(c, k -> new Sample("")).add(thisRound.get(c) / thisRound.get(Endpoint.WHOAMI));
                }
            }
            List<String> rows = new ArrayList<>();
            for (Endpoint e : Endpoint.values()) {
                Sample rate = rates.get(e);
                Sample lat = latency.get(e);
                boolean checkIn = ratioHealthz.containsKey(e);
                String reports = checkIn ? Sample.fmt(rate.median() * perNode) : "—";
                String ratio = checkIn ? String.format(Locale.ROOT, "%.3f (range %.3f–%.3f); ÷ whoami %.3f",
                        ratioHealthz.get(e).median(), ratioHealthz.get(e).min(), ratioHealthz.get(e).max(), ratioWhoami.get(e).median()) : "—";
                String goal = checkIn ? "≥ " + GOAL : "—";
                String verdict = checkIn ? (ratioHealthz.get(e).median() >= GOAL ? "met" : "missed") : "—";
                rows.add(String.format(Locale.ROOT, "| %s | %s | %s | %s | %.2f ms | %.2f ms | %.3f ms | %s | %s | %s |", store.label, e.label,
                        rate.range("/s"), reports, lat.quantile(0.5), lat.quantile(0.99), cpuPerRequest.get(e).median(), ratio, goal, verdict));
            }
            for (Endpoint c : ratioHealthz.keySet()) {
                out.printf(Locale.ROOT, "  %s ÷ /healthz per repeat: %s; ÷ whoami: %s%n", c.label, ratioHealthz.get(c).range(""),
                        ratioWhoami.get(c).range(""));
            }
            return rows;
        }
    }

    private static List<HttpRequest[]> same(HttpRequest r, int threads) {
        List<HttpRequest[]> out = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            out.add(new HttpRequest[] {r});
        }
        return out;
    }

    private static String errors(LoadDriver.Result r) {
        return r.errors() == 0 ? "" : "  (" + r.errors() + " errors, first: " + r.firstError() + ")";
    }
}
