package dev.hotpatch.bench.fleet;

import dev.hotpatch.bench.Sample;
import dev.hotpatch.testkit.PostgresCluster;
import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.testkit.ServerProcess;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A fleet at scale (issue 9, goal 5): server processes of their own (one on the embedded SQLite
 * store; two on one PostgreSQL database, nodes spread over them as a load balancer would) hold a
 * growing fleet of simulated machines, {@code --per-node} per node, each node checking in once per
 * the server's check-in interval (60 s by default) at its own offset in the interval, open loop:
 * a check-in is due at its time whether or not the server kept up, and its latency counts from
 * when it was due. Every check-in is the steady state of the node daemon: each machine by its
 * digest, with health counters that grew since the last one (so the server writes every
 * machine's health at every check-in, the worst case of the protocol).
 *
 * <p>At each fleet size of {@code --scales} the benchmark registers the nodes added (enrollment
 * and a first check-in with full reports), then measures {@code --minutes} of check-ins (latency,
 * the servers' CPU and resident memory, the database's CPU), then publishes a hotpatch of the
 * fleet's baseline under that same load and times until every machine is re-assessed ({@code
 * hotpatch_machines_stale} back to 0), and checks a sample of machines through the API.
 *
 * <p>Run: {@code java -cp bench/target/hotpatch-bench.jar dev.hotpatch.bench.fleet.FleetScale [--store=all]}.
 * {@code --server-logs=DIR} keeps each server's log there (the automation logs how long planning and
 * storing a rollout took).
 */
public final class FleetScale {
    private FleetScale() {
    }

    /** One simulated node: its machines {@code first} … {@code first + count - 1} of the scene, and the server it talks to. */
    private record SimNode(String hostname, String credential, int first, int count, Replica server) {
    }

    /** A server process with its API client and data folder; remembers its peak resident memory. */
    private static final class Replica implements AutoCloseable {
        final ServerProcess process;
        final ApiClient api;
        final Path data;
        final int port;
        private volatile double peakRss;

        /** Where the server's log is copied when it stops (null: dropped with its data folder). */
        private final Path keepLog;

        Replica(String heap, String dbUrl, Path trust, Path keepLog) throws IOException {
            this.keepLog = keepLog;
            this.data = Files.createTempDirectory("hotpatch-bench-server-").resolve("data");
            List<String> args = new ArrayList<>(List.of("--trust", trust.toString()));
            if (dbUrl != null) {
                args.addAll(List.of("--db-url", dbUrl));
            }
            this.process = ServerProcess.start(data, List.of("-Xmx" + heap), args.toArray(String[]::new));
            this.port = process.port;
            this.api = new ApiClient(port);
        }

        double cpuSeconds() {
            return process.cpuSeconds();
        }

        void sampleRss() {
            double now = process.rssMib();
            if (now > peakRss) {
                peakRss = now;
            }
        }

        /** The embedded database's files (with its write-ahead log), in MiB. */
        double databaseMib() {
            double mib = 0;
            for (String name : List.of("hotpatch.db", "hotpatch.db-wal")) {
                try {
                    mib += Files.size(data.resolve(name)) / 1048576.0;
                } catch (IOException e) {
                    // No such file: nothing to add.
                }
            }
            return mib;
        }

        @Override
        public void close() throws IOException, InterruptedException {
            process.close();
            if (keepLog != null) {
                Files.createDirectories(keepLog.getParent());
                Files.copy(process.log, keepLog, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            try (var files = Files.walk(data.getParent())) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> defaults = new LinkedHashMap<>();
        defaults.put("store", "all");
        defaults.put("scales", "25000,50000,75000");
        defaults.put("per-node", "4");
        defaults.put("classes", "100");
        defaults.put("minutes", "2");
        defaults.put("heap", "1g");
        defaults.put("threads", "8");
        defaults.put("pg-durable", "false");
        defaults.put("server-logs", "");
        Options o = Options.parse(args, defaults);
        PrintStream out = System.out;
        List<String> rows = new ArrayList<>();
        List<String> reassess = new ArrayList<>();
        StoreRuns.each("Fleet at scale", o, out, (store, pg) -> {
            runOn(store, pg, o, out, rows, reassess);
            return List.of();
        });
        out.println();
        out.println("## Check-ins at the default interval (open loop; latency from when each check-in was due)");
        out.println();
        out.println("| store | servers | machines | nodes | check-ins/s | p50 | p99 | max | errors | servers' CPU | database CPU | load generator CPU"
                + " | peak RSS per server | database size |");
        out.println("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        rows.forEach(out::println);
        out.println();
        out.println("## Re-assessment of the whole fleet after a publish, under the same check-in load");
        out.println();
        out.println("| store | machines | publish → none stale | machines/s | check-in p99 meanwhile | servers' CPU meanwhile | sample checked |");
        out.println("|---|---|---|---|---|---|---|");
        reassess.forEach(out::println);
        out.println();
        out.println("# load average at end " + Environment.loadAverage());
    }

    /** With {@code --server-logs=DIR}: where server {@code n}'s log is kept (its automation says how long planning and storing took). */
    private static Path keptLog(Options o, FleetServer.Store store, int n) {
        String dir = o.get("server-logs");
        return dir.isBlank() ? null : Path.of(dir).resolve(store.name().toLowerCase(Locale.ROOT) + "-server-" + n + ".log");
    }

    private static void runOn(FleetServer.Store store, PostgresCluster pg, Options o, PrintStream out, List<String> rows,
                              List<String> reassess) throws Exception {
        out.println();
        out.println("== " + store.label + "  [load average " + Environment.loadAverage() + "]");
        Path trust = Files.createTempDirectory("hotpatch-bench-trust-");
        String dbUrl = pg == null ? null : pg.newDatabase();
        List<Replica> servers = new java.util.concurrent.CopyOnWriteArrayList<>();
        // Interrupted (Ctrl-C), the server processes must not outlive this one.
        Thread stopServers = new Thread(() -> servers.forEach(r -> r.process.process.destroyForcibly()), "stop-servers");
        Runtime.getRuntime().addShutdownHook(stopServers);
        try {
            servers.add(new Replica(o.get("heap"), dbUrl, trust, keptLog(o, store, 1)));
            if (store == FleetServer.Store.POSTGRESQL) {
                servers.add(new Replica(o.get("heap"), dbUrl, trust, keptLog(o, store, 2)));
            }
            Replica first = servers.get(0);
            String admin = first.process.adminToken();
            JsonNode health = first.api.get("/healthz", null).expect(200, "healthz").json();
            Duration interval = Duration.ofSeconds(health.get("checkInIntervalSeconds").asInt());
            out.printf(Locale.ROOT, "  %d server process(es), -Xmx%s each; check-in interval %d s%n", servers.size(), o.get("heap"),
                    interval.toSeconds());
            try (Scene scene = new Scene(first.api, admin, trust, o.integer("classes"), true)) {
                List<SimNode> nodes = new ArrayList<>();
                int perNode = o.integer("per-node");
                for (String s : o.get("scales").split(",")) {
                    int machines = Integer.parseInt(s.trim());
                    grow(nodes, machines / perNode, perNode, servers, scene, admin, o.integer("threads"), out);
                    try (Load load = new Load(nodes, scene, interval)) {
                        load.start();
                        Thread.sleep(Math.min(interval.toMillis(), 20_000));
                        load.window();
                        Usage before = Usage.of(servers, pg);
                        Sampler rss = new Sampler(servers);
                        long t0 = System.nanoTime();
                        Thread.sleep(Duration.ofMinutes(o.integer("minutes")).toMillis());
                        double wall = (System.nanoTime() - t0) / 1e9;
                        Load.Window w = load.window();
                        Usage used = Usage.of(servers, pg).minus(before);
                        rss.close();
                        out.printf(Locale.ROOT, "  %,d machines: %.0f check-ins/s, p50 %.1f ms, p99 %.1f ms, max %.0f ms, %d errors%s;"
                                        + " servers %.2f cores, database %.2f cores, load generator %.2f cores; peak RSS %s MiB; database %.0f MiB"
                                        + "  [load %s]%n", machines, w.count / wall, w.latency.quantile(0.5), w.latency.quantile(0.99),
                                w.latency.max(), w.errors, w.firstError == null ? "" : " (first: " + w.firstError + ")", used.servers / wall,
                                used.database / wall, used.generator / wall, rss.peaks(), databaseMib(servers, pg, dbUrl),
                                Environment.loadAverage());
                        rows.add(String.format(Locale.ROOT, "| %s | %d | %,d | %,d | %.0f | %.1f ms | %.1f ms | %.0f ms | %d | %.2f cores | %s | %.2f cores"
                                        + " | %s MiB | %.0f MiB |", store.label, servers.size(), machines, nodes.size(), w.count / wall,
                                w.latency.quantile(0.5), w.latency.quantile(0.99), w.latency.max(), w.errors, used.servers / wall,
                                pg == null ? "(in the server)" : String.format(Locale.ROOT, "%.2f cores", used.database / wall),
                                used.generator / wall, rss.peaks(), databaseMib(servers, pg, dbUrl)));

                        // Re-assessment after a publish, the check-ins going on.
                        Usage before2 = Usage.of(servers, pg);
                        long p0 = System.nanoTime();
                        String kb = scene.publishHotpatch();
                        long stale = stale(first, admin);
                        while (stale > 0) {
                            Thread.sleep(250);
                            stale = stale(first, admin);
                        }
                        double took = (System.nanoTime() - p0) / 1e9;
                        Load.Window during = load.window();
                        Usage used2 = Usage.of(servers, pg).minus(before2);
                        String sample = checkSample(first, admin, kb, nodes, perNode);
                        out.printf(Locale.ROOT, "  %s published: %,d machines re-assessed in %.1f s (%.0f /s); check-in p99 meanwhile %.1f ms;"
                                        + " servers' CPU %.1f s; %s  [load %s]%n", kb, machines, took, machines / took,
                                during.latency.quantile(0.99), used2.servers, sample, Environment.loadAverage());
                        reassess.add(String.format(Locale.ROOT, "| %s | %,d | %.1f s | %,.0f | %.1f ms | %.1f s | %s |", store.label, machines,
                                took, machines / took, during.latency.quantile(0.99), used2.servers, sample));
                    }
                }
            }
        } finally {
            for (Replica r : servers) {
                r.close();
            }
            Runtime.getRuntime().removeShutdownHook(stopServers);
            try (var files = Files.walk(trust)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Enrolls nodes until there are {@code target}, spread over {@code servers}, each registering its machines with a full check-in. */
    private static void grow(List<SimNode> nodes, int target, int perNode, List<Replica> servers, Scene scene, String admin,
                             int threads, PrintStream out) throws Exception {
        int from = nodes.size();
        if (target <= from) {
            return;
        }
        long t0 = System.nanoTime();
        double cpu0 = servers.stream().mapToDouble(Replica::cpuSeconds).sum();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<SimNode>> added = new ArrayList<>();
            for (int n = from; n < target; n++) {
                int k = n;
                added.add(pool.submit(() -> {
                    Replica via = servers.get(k % servers.size());
                    String hostname = String.format(Locale.ROOT, "host-%05d", k);
                    String token = servers.get(0).api.postJson("/api/v1/enrollment-tokens", admin, Map.of("name", hostname))
                            .expect(201, "enrollment token for " + hostname).json().get("token").asText();
                    JsonNode e = via.api.postJson("/api/v1/node/enroll", token, Map.of("hostname", hostname, "nodeVersion", "0.2.0"))
                            .expect(201, "enroll " + hostname).json();
                    SimNode node = new SimNode(hostname, e.get("credential").asText(), k * perNode, perNode, via);
                    via.api.send(via.api.prepare("POST", "/api/v1/node/check-in", node.credential(),
                            scene.checkInBody(hostname, node.first(), perNode, true), "application/json")).expect(200, "first check-in of " + hostname);
                    return node;
                }));
            }
            for (Future<SimNode> f : added) {
                nodes.add(f.get());
            }
        } finally {
            pool.shutdown();
        }
        double took = (System.nanoTime() - t0) / 1e9;
        out.printf(Locale.ROOT, "  registered %,d more machines (%,d nodes) in %.0f s, servers' CPU %.0f s  [load %s]%n",
                (target - from) * perNode, target - from, took, servers.stream().mapToDouble(Replica::cpuSeconds).sum() - cpu0,
                Environment.loadAverage());
    }

    private static long stale(Replica server, String admin) {
        String metrics = server.api.get("/metrics", admin).expect(200, "metrics").text();
        for (String line : metrics.split("\n")) {
            if (line.startsWith("hotpatch_machines_stale ")) {
                return Long.parseLong(line.substring(line.indexOf(' ') + 1).trim());
            }
        }
        throw new IllegalStateException("/metrics has no hotpatch_machines_stale gauge");
    }

    /** Checks 25 machines spread over the fleet: each misses exactly {@code kb}. */
    private static String checkSample(Replica server, String admin, String kb, List<SimNode> nodes, int perNode) {
        int ok = 0;
        int n = 25;
        int machines = nodes.size() * perNode;
        for (int i = 0; i < n; i++) {
            String name = Scene.machineName((int) ((long) i * machines / n));
            JsonNode a = server.api.get("/api/v1/machines/" + name + "/assessment", admin).expect(200, "assessment of " + name).json();
            List<String> kbs = a.get("updates").findValuesAsText("kbId");
            if (kbs.equals(List.of(kb))) {
                ok++;
            }
        }
        return ok + " of " + n + " miss exactly " + kb;
    }

    private static double databaseMib(List<Replica> servers, PostgresCluster pg, String dbUrl) {
        if (pg == null) {
            return servers.get(0).databaseMib();
        }
        try (var c = java.sql.DriverManager.getConnection(dbUrl); var s = c.createStatement();
             var rs = s.executeQuery("SELECT pg_database_size(current_database())")) {
            rs.next();
            return rs.getLong(1) / 1048576.0;
        } catch (java.sql.SQLException e) {
            return Double.NaN;
        }
    }

    /** CPU seconds used so far: the server processes, the database's processes (PostgreSQL), and this JVM (the load generator). */
    private record Usage(double servers, double database, double generator) {
        static Usage of(List<Replica> servers, PostgresCluster pg) {
            return new Usage(servers.stream().mapToDouble(Replica::cpuSeconds).sum(), pg == null ? 0 : pg.cpuSeconds(),
                    Environment.processCpuSeconds());
        }

        Usage minus(Usage o) {
            return new Usage(servers - o.servers, database - o.database, generator - o.generator);
        }
    }

    /** Samples the servers' resident memory every second until closed. */
    private static final class Sampler implements AutoCloseable {
        private final List<Replica> servers;
        private final Thread thread;
        private volatile boolean stop;

        Sampler(List<Replica> servers) {
            this.servers = servers;
            this.thread = new Thread(() -> {
                while (!stop) {
                    servers.forEach(Replica::sampleRss);
                    try {
                        Thread.sleep(1000);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "rss-sampler");
            thread.setDaemon(true);
            thread.start();
        }

        String peaks() {
            StringBuilder b = new StringBuilder();
            for (Replica s : servers) {
                b.append(b.length() == 0 ? "" : " / ").append(String.format(Locale.ROOT, "%.0f", s.peakRss));
            }
            return b.toString();
        }

        @Override
        public void close() throws InterruptedException {
            stop = true;
            thread.interrupt();
            thread.join();
        }
    }

    /**
     * The open-loop check-in load: one dispatcher thread sends each node's check-in when it is due
     * (node {@code k} of {@code n} at {@code k/n} of each interval), asynchronously, and records
     * the latency from the due time to the answer. Windows are read while it runs.
     */
    private static final class Load implements AutoCloseable {
        private final List<SimNode> nodes;
        private final Scene scene;
        private final Duration interval;
        private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10))
                .executor(Executors.newFixedThreadPool(4, r -> {
                    Thread t = new Thread(r, "load-client");
                    t.setDaemon(true);
                    return t;
                })).build();
        private final Thread dispatcher;
        private volatile boolean stop;
        private final Object lock = new Object();
        private long[] latencies = new long[1 << 16];
        private int size;
        private long errors;
        private final AtomicReference<String> firstError = new AtomicReference<>();
        private final AtomicLong inFlight = new AtomicLong();

        record Window(int count, long errors, Sample latency, String firstError) {
        }

        Load(List<SimNode> nodes, Scene scene, Duration interval) {
            this.nodes = List.copyOf(nodes);
            this.scene = scene;
            this.interval = interval;
            this.dispatcher = new Thread(this::dispatch, "load-dispatcher");
            dispatcher.setDaemon(true);
        }

        void start() {
            dispatcher.start();
        }

        private void dispatch() {
            long start = System.nanoTime();
            long step = interval.toNanos() / nodes.size();
            for (long cycle = 0; !stop; cycle++) {
                for (int k = 0; k < nodes.size() && !stop; k++) {
                    long due = start + cycle * interval.toNanos() + k * step;
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        try {
                            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                    SimNode n = nodes.get(k);
                    // Health counters grow by one probe per 10 s: a node's every check-in carries new ones.
                    long probes = 1000 + cycle * Math.max(1, interval.toSeconds() / 10);
                    HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + n.server().port + "/api/v1/node/check-in"))
                            .timeout(Duration.ofSeconds(120)).header("Authorization", "Bearer " + n.credential())
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofByteArray(scene.digestBody(n.hostname(), n.first(), n.count(), probes))).build();
                    inFlight.incrementAndGet();
                    http.sendAsync(r, HttpResponse.BodyHandlers.ofString()).whenComplete((resp, err) -> {
                        inFlight.decrementAndGet();
                        long latency = System.nanoTime() - due;
                        String failure = err != null ? err.toString() : resp.statusCode() != 200 ? "HTTP " + resp.statusCode() + " " + resp.body()
                                : resp.body().contains("\"sendFull\":[]") ? null : "asked for full reports: " + resp.body();
                        synchronized (lock) {
                            if (failure != null) {
                                errors++;
                                firstError.compareAndSet(null, failure.length() > 300 ? failure.substring(0, 300) : failure);
                            } else {
                                if (size == latencies.length) {
                                    latencies = Arrays.copyOf(latencies, size * 2);
                                }
                                latencies[size++] = latency;
                            }
                        }
                    });
                }
            }
        }

        /** What completed since the last window. */
        Window window() {
            synchronized (lock) {
                Sample s = new Sample("");
                s.addAll(latencies, size, 1e-6);
                Window w = new Window(size, errors, s, firstError.getAndSet(null));
                size = 0;
                errors = 0;
                return w;
            }
        }

        @Override
        public void close() throws InterruptedException {
            stop = true;
            dispatcher.interrupt();
            dispatcher.join();
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (inFlight.get() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
        }
    }
}
