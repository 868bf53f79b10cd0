package dev.hotpatch.bench.fleet;

import dev.hotpatch.testkit.PostgresCluster;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Automatic patching of a large fleet under availability-first rules, with a compressed clock:
 * the real {@code HotpatchServer} runs in this JVM on a clock that follows real time but jumps over
 * what the policy makes everyone wait for (each wave's soak, machines' maintenance windows). A
 * hotpatch is published; the server's approval rules start an automatic rollout (machines report
 * {@code AutomaticByPlatform}; window {@code daily 01:00 4h} in each machine's zone, Paris or New
 * York; 10-minute soak; sets of 20 in 5 update domains, at most 20% of a set at once; two regions
 * of three zones); simulated nodes ({@code --per-node} machines each) run the commands (applying
 * the package's class hashes, reporting health counters) as soon as the server has work for them,
 * as fast command delivery (a node's long poll) would let them.
 *
 * <p>Figures: simulated time from the publish to the last machine fixed; the part of it the
 * policy required (the clock's jumps: soaks and window waits); the rest is the overhead — the
 * real time the server, the nodes and the driver took — as a share of the whole (goal ≤ 1%);
 * and CPU and memory of this JVM (server and simulated nodes; the nodes' threads apart) and, on
 * PostgreSQL, the database's CPU. Run:
 * {@code java -cp bench/target/hotpatch-bench.jar dev.hotpatch.bench.fleet.RolloutOverhead [--store=all]}.
 */
public final class RolloutOverhead {
    private RolloutOverhead() {
    }

    /** Real time plus the jumps made so far; frozen while the fleet is set up. Thread-safe. */
    static final class JumpClock extends Clock {
        private final Instant base;
        private volatile long startNanos;
        private final AtomicLong jumpedMillis = new AtomicLong();
        private volatile boolean running;

        JumpClock(Instant base) {
            this.base = base;
        }

        void start() {
            startNanos = System.nanoTime();
            running = true;
        }

        void jump(Duration d) {
            jumpedMillis.addAndGet(d.toMillis());
        }

        Duration jumped() {
            return Duration.ofMillis(jumpedMillis.get());
        }

        @Override
        public Instant instant() {
            long real = running ? (System.nanoTime() - startNanos) / 1_000_000 : 0;
            return base.plusMillis(real + jumpedMillis.get());
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return Clock.fixed(instant(), zone);
        }
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> defaults = new LinkedHashMap<>();
        defaults.put("store", "all");
        defaults.put("machines", "10000");
        defaults.put("per-node", "20");
        defaults.put("threads", "4");
        defaults.put("pg-durable", "false");
        Options o = Options.parse(args, defaults);
        PrintStream out = System.out;
        List<String> rows = StoreRuns.each("Automatic rollout of one hotpatch to a fleet, compressed clock", o, out, (store, pg) -> List.of(run(store, pg, o, out)));
        out.println();
        out.println("| store | machines | waves | publish → last fixed (simulated) | required by policy (soaks, windows) | overhead | share | CPU: JVM (of which nodes) + database | heap peak / RSS peak |");
        out.println("|---|---|---|---|---|---|---|---|---|");
        rows.forEach(out::println);
        out.println();
        out.println("# load average at end " + Environment.loadAverage());
    }

    /** One simulated node: its machines' reports, changed by the commands it runs. */
    private static final class Node {
        final String hostname;
        final String credential;
        final List<Map<String, Object>> machines;
        final Map<String, Map<String, Object>> byName = new LinkedHashMap<>();
        final Map<String, long[]> health = new ConcurrentHashMap<>();

        Node(String hostname, String credential, List<Map<String, Object>> machines) {
            this.hostname = hostname;
            this.credential = credential;
            this.machines = machines;
            machines.forEach(m -> byName.put((String) m.get("name"), m));
        }
    }

    private static String run(FleetServer.Store store, PostgresCluster pg, Options o, PrintStream out) throws Exception {
        int total = o.integer("machines");
        int perNode = o.integer("per-node");
        Instant publish = Instant.parse("2026-02-10T13:00:00Z"); // the scene's first hotpatch's published date
        JumpClock clock = new JumpClock(publish);
        out.println();
        out.println("## " + store.label);
        try (FleetServer fs = FleetServer.start(store, pg, new PrintStream(java.io.OutputStream.nullOutputStream()),
                b -> b.clock(clock).maintenanceInterval(Duration.ZERO));
             Scene scene = new Scene(fs, 50, false)) {
            ApiClient api = fs.api;
            api.send(api.prepare("PATCH", "/api/v1/policies/fleet", fs.adminToken, ApiClient.json(Map.of("window", "daily 01:00 4h",
                    "soakMinutes", 10, "hotpatchMinutes", 10)), "application/json")).expect(200, "fleet policy");
            ExecutorService pool = Executors.newFixedThreadPool(o.integer("threads"), r -> {
                Thread t = new Thread(r, "simulated-node");
                t.setDaemon(true);
                return t;
            });
            Set<Long> nodeThreads = ConcurrentHashMap.newKeySet();
            List<Node> nodes = new ArrayList<>();
            List<Future<Node>> enrolling = new ArrayList<>();
            long t0 = System.nanoTime();
            for (int first = 0; first < total; first += perNode) {
                int f = first;
                int n = Math.min(perNode, total - first);
                enrolling.add(pool.submit(() -> {
                    nodeThreads.add(Thread.currentThread().getId());
                    String host = String.format(Locale.ROOT, "host-%05d", f / perNode);
                    String token = api.postJson("/api/v1/enrollment-tokens", fs.adminToken, Map.of("name", host)).expect(201, "token").json()
                            .get("token").asText();
                    JsonNode e = api.postJson("/api/v1/node/enroll", token, Map.of("hostname", host, "nodeVersion", "0.1.0")).expect(201, "enroll")
                            .json();
                    List<Map<String, Object>> ms = new ArrayList<>();
                    for (int i = f; i < f + n; i++) {
                        ms.add(new LinkedHashMap<>(scene.report(i)));
                    }
                    Node node = new Node(host, e.get("credential").asText(), ms);
                    checkIn(api, node, clock, Map.of());
                    return node;
                }));
            }
            for (Future<Node> f : enrolling) {
                nodes.add(f.get());
            }
            out.printf(Locale.ROOT, "  %,d machines on %,d nodes registered in %.1f s%n", total, nodes.size(), (System.nanoTime() - t0) / 1e9);
            Map<String, Node> nodeOf = new ConcurrentHashMap<>();
            nodes.forEach(n -> n.byName.keySet().forEach(m -> nodeOf.put(m, n)));

            System.gc();
            for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
                if (p.getType() == MemoryType.HEAP) {
                    p.resetPeakUsage();
                }
            }
            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            double cpu0 = Environment.processCpuSeconds() + (store == FleetServer.Store.POSTGRESQL ? pg.cpuSeconds() : 0);
            double jvm0 = Environment.processCpuSeconds();
            long nodesCpu0 = threadsCpu(threads, nodeThreads);
            String kb = scene.publishHotpatch();
            Map<String, String> classes = new LinkedHashMap<>();
            for (JsonNode c : api.get("/api/v1/updates/" + kb, fs.adminToken).expect(200, "update").json().get("classes")) {
                classes.put(c.get("name").asText(), c.get("sha256").asText());
            }
            clock.start();
            long realStart = System.nanoTime();
            int loops = 0;
            int idle = 0;
            String rollout = null;
            while (true) {
                loops++;
                fs.server.runAutomation();
                if (rollout == null) {
                    JsonNode list = api.get("/api/v1/rollouts?target=" + kb, fs.adminToken).expect(200, "rollouts").json();
                    if (list.get("total").asInt() == 0) {
                        throw new IllegalStateException("no automatic rollout of " + kb + " was started");
                    }
                    rollout = list.at("/items/0/id").asText();
                }
                JsonNode r = api.get("/api/v1/rollouts/" + rollout, fs.adminToken).expect(200, "rollout").json();
                if (!r.get("state").asText().equals("running")) {
                    break;
                }
                int wave = r.get("currentWave").asInt();
                Instant now = clock.instant();
                Set<Node> due = new HashSet<>();
                Instant next = null;
                for (JsonNode m : machines(api, fs.adminToken, rollout, wave)) {
                    String state = m.get("state").asText();
                    Node node = nodeOf.get(m.get("machine").asText());
                    switch (state) {
                        case "installing", "rolling_back" -> due.add(node);
                        case "soaking" -> {
                            Instant until = Instant.parse(m.get("soakUntil").asText());
                            if (!until.isAfter(now)) {
                                due.add(node);
                            } else {
                                next = min(next, until);
                            }
                        }
                        case "pending", "not_attempted" -> {
                            if (m.hasNonNull("nextTryAt")) {
                                Instant t = Instant.parse(m.get("nextTryAt").asText());
                                if (t.isAfter(now)) {
                                    next = min(next, t);
                                }
                            }
                        }
                        default -> {
                        }
                    }
                }
                if (!due.isEmpty()) {
                    List<Future<?>> fs2 = new ArrayList<>();
                    for (Node n : due) {
                        fs2.add(pool.submit(() -> {
                            nodeThreads.add(Thread.currentThread().getId());
                            checkIn(api, n, clock, classes);
                        }));
                    }
                    for (Future<?> f : fs2) {
                        f.get();
                    }
                    idle = 0;
                    continue;
                }
                if (next != null && next.isAfter(clock.instant())) {
                    clock.jump(Duration.between(clock.instant(), next));
                    idle = 0;
                } else if (++idle > 2000) {
                    throw new IllegalStateException("the rollout makes no progress and waits for nothing: " + r);
                }
            }
            double realSeconds = (System.nanoTime() - realStart) / 1e9;
            JsonNode r = api.get("/api/v1/rollouts/" + rollout, fs.adminToken).expect(200, "rollout").json();
            Instant lastFixed = Instant.EPOCH;
            int healthy = 0;
            for (int off = 0; ; off += 1000) {
                JsonNode page = api.get("/api/v1/rollouts/" + rollout + "/machines?state=healthy&limit=1000&offset=" + off, fs.adminToken).json();
                for (JsonNode m : page.get("items")) {
                    Instant c = Instant.parse(m.get("completedAt").asText());
                    lastFixed = c.isAfter(lastFixed) ? c : lastFixed;
                    healthy++;
                }
                if (off + 1000 >= page.get("total").asInt()) {
                    break;
                }
            }
            double cpu = Environment.processCpuSeconds() + (store == FleetServer.Store.POSTGRESQL ? pg.cpuSeconds() : 0) - cpu0;
            double jvm = Environment.processCpuSeconds() - jvm0;
            double nodesCpu = (threadsCpu(threads, nodeThreads) - nodesCpu0) / 1e9;
            long heapPeak = 0;
            for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
                if (p.getType() == MemoryType.HEAP) {
                    heapPeak += p.getPeakUsage().getUsed();
                }
            }
            Duration whole = Duration.between(publish, lastFixed);
            Duration required = clock.jumped();
            Duration overhead = whole.minus(required);
            double share = 100.0 * overhead.toMillis() / whole.toMillis();
            out.printf(Locale.ROOT, "  rollout %s: %s, %d waves, %,d of %,d machines healthy (%s); %d driver loops, %.1f s real%n", rollout,
                    r.get("state").asText(), r.get("waveCount").asInt(), healthy, total, r.get("machines"), loops, realSeconds);
            out.printf(Locale.ROOT, "  publish → last fixed %s (simulated); policy waits %s; overhead %s = %.3f%%%n", hm(whole), hm(required),
                    hm(overhead), share);
            out.printf(Locale.ROOT, "  CPU %.1f s (JVM %.1f s, of which simulated nodes' threads %.1f s; database %.1f s); heap peak %d MiB, RSS peak %s%n",
                    cpu, jvm, nodesCpu, cpu - jvm, heapPeak >> 20, rssPeak());
            return String.format(Locale.ROOT, "| %s | %,d | %d | %s | %s | %s | **%.3f%%** | %.0f s (%.0f s) + %.0f s | %d MiB / %s |", store.label, total,
                    r.get("waveCount").asInt(), hm(whole), hm(required), hm(overhead), share, jvm, nodesCpu, cpu - jvm, heapPeak >> 20, rssPeak());
        }
    }

    /** The rollout's machines that may need a node: started, soaking, rolling back, and those of the current wave. */
    private static List<JsonNode> machines(ApiClient api, String token, String rollout, int wave) {
        List<JsonNode> out = new ArrayList<>();
        for (String q : List.of("state=installing", "state=soaking", "state=rolling_back", "wave=" + wave + "&state=pending",
                "wave=" + wave + "&state=not_attempted")) {
            for (int off = 0; ; off += 1000) {
                JsonNode page = api.get("/api/v1/rollouts/" + rollout + "/machines?" + q + "&limit=1000&offset=" + off, token)
                        .expect(200, "rollout machines").json();
                page.get("items").forEach(out::add);
                if (off + 1000 >= page.get("total").asInt()) {
                    break;
                }
            }
        }
        return out;
    }

    /** One check-in of {@code node}: its reports (health probes counted), then each command run and its result posted. */
    private static void checkIn(ApiClient api, Node node, Clock clock, Map<String, String> classes) {
        List<Map<String, Object>> reports = new ArrayList<>();
        for (Map<String, Object> m : node.machines) {
            reports.add(withHealth(node, m, clock));
        }
        JsonNode answer = api.postJson("/api/v1/node/check-in", node.credential, Map.of("hostname", node.hostname, "nodeVersion", "0.1.0",
                "machines", reports)).expect(200, "check-in").json();
        for (JsonNode c : answer.get("commands")) {
            Map<String, Object> m = node.byName.get(c.get("machine").asText());
            String type = c.get("type").asText();
            String kb = c.at("/payload/kbId").asText();
            String message;
            if (type.equals("install_hotpatch")) {
                List<Map<String, Object>> hashes = new ArrayList<>();
                classes.forEach((name, sha) -> hashes.add(Map.of("name", name, "sha256", sha)));
                m.put("hotpatches", List.of(Map.of("id", kb, "installedAt", clock.instant().toString(), "classes", hashes)));
                message = "applied " + kb;
            } else if (type.equals("uninstall_hotpatch")) {
                m.put("hotpatches", List.of());
                message = "uninstalled " + kb;
            } else {
                message = "done";
            }
            api.postJson("/api/v1/node/commands/" + c.get("id").asText() + "/result", node.credential,
                    Map.of("status", "succeeded", "message", message, "machine", withHealth(node, m, clock))).expect(200, "result");
        }
    }

    private static Map<String, Object> withHealth(Node node, Map<String, Object> m, Clock clock) {
        long[] h = node.health.computeIfAbsent((String) m.get("name"), k -> new long[2]);
        synchronized (h) {
            h[0] += 10;
            Map<String, Object> r = new LinkedHashMap<>(m);
            r.put("agent", Map.of("present", true, "version", "0.1.0", "mode", "enrolled", "reachable", true));
            r.put("health", Map.of("state", "passing", "checkedAt", clock.instant().toString(), "detail", "HTTP 200", "samples", h[0],
                    "failures", h[1]));
            return r;
        }
    }

    private static long threadsCpu(ThreadMXBean threads, Set<Long> ids) {
        long sum = 0;
        for (long id : ids) {
            long t = threads.getThreadCpuTime(id);
            sum += Math.max(0, t);
        }
        return sum;
    }

    private static String rssPeak() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return (Long.parseLong(line.replaceAll("\\D", "")) >> 10) + " MiB";
                }
            }
        } catch (Exception e) {
            // Not Linux.
        }
        return "?";
    }

    private static Instant min(Instant a, Instant b) {
        return a == null ? b : b.isBefore(a) ? b : a;
    }

    private static String hm(Duration d) {
        long s = d.toSeconds();
        return s >= 3600 ? String.format(Locale.ROOT, "%d h %02d min", s / 3600, (s % 3600) / 60)
                : String.format(Locale.ROOT, "%d min %02d s", s / 60, s % 60);
    }
}
