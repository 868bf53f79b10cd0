package dev.hotpatch.server.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hotpatch.format.ClassPatch;
import dev.hotpatch.format.HotpatchPackage;
import dev.hotpatch.format.Sha256;
import dev.hotpatch.format.TrustStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;

/**
 * Lightweight simulated nodes for fleet tests: each enrolls with a one-time token and speaks the
 * real node protocol over HTTP (check-in, command results with the machine's fresh report,
 * package download checked by SHA-256 and verified against the server's trusted publishers), but
 * its machines are simulated JVMs: a pid and start time, a baseline jar, live hotpatches with the
 * hashes of the classes in use, and a health check whose cumulative counters grow at every report
 * (failing while a hotpatch that "breaks" the machine is live). A machine can crash on a hotpatch
 * (it restarts and its agent quarantines the update), and a baseline restart can fail (the JVM
 * does not come back until a rollback restarts it on its old jars). Thread-safe per node: a
 * node's check-ins run one at a time; different nodes may run in parallel.
 */
public final class SimFleet implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PROBES_PER_REPORT = 10;

    private volatile Supplier<String> baseUrl;
    private final String adminToken;
    private final TestServer server;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final List<SimNode> nodes = new ArrayList<>();
    private final Map<String, SimMachine> machines = new ConcurrentHashMap<>();
    private final Map<String, Map<String, String>> packages = new ConcurrentHashMap<>();
    private final ExecutorService pool = Executors.newFixedThreadPool(4);

    /** A fleet talking to {@code server} (whose clock the simulated JVMs use). */
    public SimFleet(TestServer server) {
        this(server, null);
    }

    /** A fleet talking to the server at {@code baseUrl} (e.g. a second server on the same database), using {@code server}'s clock and token. */
    public SimFleet(TestServer server, Supplier<String> baseUrl) {
        this.server = server;
        this.adminToken = server.adminToken;
        this.baseUrl = baseUrl != null ? baseUrl : () -> server.url("");
    }

    /** Talks to another server from now on (a new server process or instance on the same database). */
    public void retarget(Supplier<String> url) {
        this.baseUrl = url;
    }

    Instant now() {
        return server.clock.instant();
    }

    /** A simulated JVM. All fields are guarded by the machine's node. */
    public final class SimMachine {
        public final String name;
        public final Map<String, Object> config;
        public String jarSha;
        String stagedJarSha;
        long pid;
        Instant startedAt;
        final LinkedHashMap<String, Map<String, Object>> hotpatches = new LinkedHashMap<>();
        final List<Map<String, Object>> quarantined = new ArrayList<>();
        long samples;
        long failures;
        /** KBs that make the health check fail while they are live. */
        public final Set<String> breaksOn = ConcurrentHashMap.newKeySet();
        /** KBs that crash the JVM right after they are applied (it restarts; the agent quarantines them). */
        public final Set<String> crashesOn = ConcurrentHashMap.newKeySet();
        /** KBs under which half the health probes fail while the check still ends passing (a failure surge, not an outage). */
        public final Set<String> flakyOn = ConcurrentHashMap.newKeySet();
        /** Baseline jar hashes whose restart fails (the JVM does not come back). */
        public final Set<String> restartFailsOn = ConcurrentHashMap.newKeySet();
        /** Baseline jar hashes on which the health check fails. */
        public final Set<String> unhealthyOn = ConcurrentHashMap.newKeySet();
        public volatile boolean present = true;
        /** Whether the node got an answer from the JVM's agent for this report (it then reports the quarantine list, empty or not). */
        volatile boolean agentAnswers = true;
        /** What the agent quarantined at its start, reported once it answers. */
        final List<Map<String, Object>> unreported = new ArrayList<>();
        SimNode node;
        final List<String> commandLog = new ArrayList<>();
        /** The report of the node's last check-in, sent again in full when the server asks for it. */
        Map<String, Object> lastReport;

        SimMachine(String name, byte[] jar, Map<String, Object> config) {
            this.name = name;
            this.config = config;
            this.jarSha = Sha256.hex(jar);
            this.pid = 1000 + Math.abs(name.hashCode() % 50_000);
            this.startedAt = now().minus(Duration.ofDays(1));
        }

        boolean healthy() {
            return hotpatches.keySet().stream().noneMatch(breaksOn::contains) && !unhealthyOn.contains(jarSha);
        }

        /** The machine's report as its node would send it now; each report is one more round of health probes. */
        Map<String, Object> report() {
            samples += PROBES_PER_REPORT;
            if (!healthy()) {
                failures += PROBES_PER_REPORT;
            } else if (hotpatches.keySet().stream().anyMatch(flakyOn::contains)) {
                failures += PROBES_PER_REPORT / 2;
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", name);
            m.put("pid", pid);
            m.put("startedAt", startedAt.toString());
            m.put("jvm", Map.of("vendor", "Eclipse Adoptium", "version", "17.0.12"));
            m.put("agent", Map.of("present", true, "version", "0.1.0", "mode", "enrolled", "reachable", agentAnswers));
            m.put("jars", List.of(Map.of("name", "fees.jar", "sha256", jarSha)));
            List<Map<String, Object>> hps = new ArrayList<>();
            hotpatches.forEach((kb, hp) -> hps.add(hp));
            m.put("hotpatches", hps);
            m.put("config", config);
            m.put("health", Map.of("state", healthy() ? "passing" : "failing", "checkedAt", now().toString(),
                    "detail", healthy() ? "HTTP 200 from http://127.0.0.1:8081/health" : "HTTP 503 from http://127.0.0.1:8081/health",
                    "samples", samples, "failures", failures));
            if (agentAnswers) {
                m.put("quarantined", quarantined);
            }
            return m;
        }

        /**
         * The JVM died soon after {@code kb} was applied and started again: its agent quarantined
         * {@code kb} at start, but has not answered the node yet, so the node's reports carry no
         * quarantine list until {@link #agentAnswers()}.
         */
        public synchronized void diesOfAndRestartsSilently(String kb) {
            hotpatches.remove(kb);
            restart();
            agentAnswers = false;
            unreported.add(Map.of("id", kb, "since", now().toString(), "reason", "the JVM stopped without a clean shutdown 4 s after " + kb
                    + " was applied (probation 10 min); not re-applied at start"));
        }

        /** The agent answers the node again, with what it quarantined at start. */
        public synchronized void agentAnswers() {
            agentAnswers = true;
            quarantined.addAll(unreported);
            unreported.clear();
        }

        /** The JVM started again without {@code kb} (an attached agent, say, which keeps nothing) and its agent does not answer. */
        public synchronized void restartsWithoutAndSilently(String kb) {
            hotpatches.remove(kb);
            restart();
            agentAnswers = false;
        }

        void restart() {
            pid += 1;
            startedAt = now();
            samples = 0;
            failures = 0;
        }

        /** Commands this machine ran, as {@code type kbOrVersion}, in order. */
        public List<String> commands() {
            synchronized (node) {
                return List.copyOf(commandLog);
            }
        }

        /** KB ids of the hotpatches live now. */
        public Set<String> live() {
            synchronized (node) {
                return Set.copyOf(hotpatches.keySet());
            }
        }

        public long pid() {
            synchronized (node) {
                return pid;
            }
        }
    }

    /** A simulated node daemon. */
    public final class SimNode {
        public final String hostname;
        final String credential;
        final List<SimMachine> machines = new ArrayList<>();
        /** The digest of each machine's report the server holds, as the server's answers said. */
        private final Map<String, String> held = new java.util.HashMap<>();

        SimNode(String hostname, String credential) {
            this.hostname = hostname;
            this.credential = credential;
        }

        /**
         * One check-in: report every present machine, run the commands received, post each result
         * with the machine's report. Like the node daemon, a machine whose report (health left out)
         * the server holds goes as its digest and health; one the server asks for goes in full at once.
         */
        public synchronized int checkIn() {
            int n = 0;
            for (int round = 0; round < 2; round++) {
                List<Map<String, Object>> reports = new ArrayList<>();
                Map<String, String> digests = new LinkedHashMap<>();
                List<Map<String, Object>> unchanged = new ArrayList<>();
                for (SimMachine m : machines) {
                    if (m.present) {
                        Map<String, Object> r = round == 0 ? m.report() : m.lastReport;
                        m.lastReport = r;
                        String digest = digest(r);
                        if (digest.equals(held.get(m.name))) {
                            Map<String, Object> u = new LinkedHashMap<>();
                            u.put("name", m.name);
                            u.put("digest", digest);
                            u.put("health", r.get("health"));
                            unchanged.add(u);
                        } else {
                            reports.add(r);
                            digests.put(m.name, digest);
                        }
                    }
                }
                Map<String, Object> body = new LinkedHashMap<>();
                body.put("hostname", hostname);
                body.put("nodeVersion", "0.1.0");
                body.put("machines", reports);
                body.put("digests", digests);
                body.put("unchanged", unchanged);
                JsonNode answer = post("/api/v1/node/check-in", credential, body, 200);
                held.keySet().retainAll(machines.stream().filter(m -> m.present).map(m -> m.name).toList());
                held.putAll(digests);
                List<String> again = new ArrayList<>();
                answer.path("sendFull").forEach(x -> again.add(x.asText()));
                answer.path("refused").forEach(x -> held.remove(x.path("machine").asText()));
                again.forEach(held::remove);
                for (JsonNode c : answer.get("commands")) {
                    run(c);
                    n++;
                }
                if (again.isEmpty()) {
                    break;
                }
            }
            return n;
        }

        /** The digest of a report without its health, as the node daemon computes one. */
        private String digest(Map<String, Object> report) {
            Map<String, Object> r = new java.util.TreeMap<>(report);
            r.remove("health");
            try {
                return Sha256.hex(JSON.writeValueAsBytes(r));
            } catch (java.io.IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private void run(JsonNode c) {
            SimMachine m = SimFleet.this.machines.get(c.get("machine").asText());
            String type = c.get("type").asText();
            JsonNode p = c.get("payload");
            String status = "succeeded";
            String message;
            switch (type) {
                case "install_hotpatch" -> {
                    String kb = p.get("kbId").asText();
                    Map<String, String> classes = classesOf(p.get("package"));
                    m.commandLog.add("install_hotpatch " + kb);
                    if (m.hotpatches.containsKey(kb)) {
                        status = "noop";
                        message = kb + " is installed already";
                    } else if (m.crashesOn.contains(kb)) {
                        // Applied, then the JVM died: it restarted without it, and the agent quarantined it.
                        m.restart();
                        m.quarantined.add(Map.of("id", kb, "since", now().toString(), "reason", "the JVM stopped 3 s after " + kb
                                + " was applied (probation 10 min); not re-applied at start"));
                        message = "applied " + kb + " to " + classes.size() + " class(es)";
                    } else {
                        List<Map<String, Object>> hashes = new ArrayList<>();
                        classes.forEach((name, sha) -> hashes.add(Map.of("name", name, "sha256", sha)));
                        m.hotpatches.put(kb, Map.of("id", kb, "installedAt", now().toString(), "classes", hashes));
                        message = "applied " + kb + " to " + classes.size() + " class(es) in 1 loader";
                    }
                }
                case "uninstall_hotpatch" -> {
                    String kb = p.get("kbId").asText();
                    m.commandLog.add("uninstall_hotpatch " + kb);
                    message = m.hotpatches.remove(kb) == null ? kb + " was not installed" : "original bytes of " + kb + " restored";
                }
                case "install_baseline" -> {
                    String jar = p.get("jars").get(0).get("sha256").asText();
                    byte[] bytes = download(p.get("jars").get(0).get("downloadUrl").asText());
                    assertThat(Sha256.hex(bytes)).isEqualTo(jar);
                    boolean rollback = p.path("rollback").asBoolean(false);
                    m.commandLog.add((rollback ? "rollback_baseline " : "install_baseline ") + p.get("version").asText());
                    if (p.path("restart").asBoolean(false)) {
                        m.jarSha = jar;
                        m.hotpatches.clear();
                        m.restart();
                        m.present = true;
                        message = "baseline " + p.get("version").asText() + " runs";
                    } else {
                        m.stagedJarSha = jar;
                        status = "pending_restart";
                        message = "baseline " + p.get("version").asText() + " staged";
                    }
                }
                case "restart" -> {
                    m.commandLog.add("restart");
                    String next = m.stagedJarSha != null ? m.stagedJarSha : m.jarSha;
                    if (m.restartFailsOn.contains(next)) {
                        m.present = false;
                        status = "failed";
                        message = "the JVM did not come back within 120 s";
                    } else {
                        if (!next.equals(m.jarSha)) {
                            m.hotpatches.clear();
                        }
                        m.jarSha = next;
                        m.restart();
                        message = "restarted in 2.0 s";
                    }
                    m.stagedJarSha = null;
                }
                case "assess" -> message = "reported";
                default -> throw new AssertionError("unexpected command " + c);
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("status", status);
            body.put("message", message);
            if (m.present) {
                body.put("machine", m.report());
            }
            post("/api/v1/node/commands/" + c.get("id").asText() + "/result", credential, body, 200);
        }
    }

    /** Enrolls a node with {@code count} machines named {@code prefix-0…}, each with the config {@code config.apply(i)}. */
    public SimNode node(String hostname, byte[] jar, List<Map<String, Object>> configs, String... names) {
        String token = post("/api/v1/enrollment-tokens", adminToken, Map.of("name", hostname), 201).get("token").asText();
        JsonNode e = post("/api/v1/node/enroll", token, Map.of("hostname", hostname, "nodeVersion", "0.1.0"), 201);
        SimNode n = new SimNode(hostname, e.get("credential").asText());
        for (int i = 0; i < names.length; i++) {
            SimMachine m = new SimMachine(names[i], jar, configs.get(i));
            m.node = n;
            n.machines.add(m);
            machines.put(m.name, m);
        }
        synchronized (nodes) {
            nodes.add(n);
        }
        return n;
    }

    /** One node per machine: enrolls them all (in parallel) and checks each in once. */
    public List<SimMachine> machines(byte[] jar, Map<String, Map<String, Object>> configByName) {
        List<Future<SimNode>> futures = new ArrayList<>();
        for (Map.Entry<String, Map<String, Object>> e : configByName.entrySet()) {
            futures.add(pool.submit(() -> node("host-" + e.getKey(), jar, List.of(e.getValue()), e.getKey())));
        }
        List<SimMachine> out = new ArrayList<>();
        for (Future<SimNode> f : futures) {
            out.add(join(f).machines.get(0));
        }
        checkIn(out);
        return out;
    }

    public SimMachine machine(String name) {
        SimMachine m = machines.get(name);
        if (m == null) {
            throw new IllegalArgumentException("no simulated machine " + name);
        }
        return m;
    }

    /** Every node checks in once (in parallel); returns how many commands they ran. */
    public int checkInAll() {
        List<SimNode> all;
        synchronized (nodes) {
            all = List.copyOf(nodes);
        }
        return checkInNodes(all);
    }

    /** The nodes of these machines check in once (in parallel). */
    public int checkIn(Collection<SimMachine> ms) {
        Set<SimNode> ns = new HashSet<>();
        ms.forEach(m -> ns.add(m.node));
        return checkInNodes(ns);
    }

    /** The nodes of the named machines check in once. */
    public int checkInNamed(Collection<String> names) {
        return checkIn(names.stream().map(this::machine).toList());
    }

    private int checkInNodes(Collection<SimNode> ns) {
        List<Future<Integer>> fs = new ArrayList<>();
        for (SimNode n : ns) {
            fs.add(pool.submit(n::checkIn));
        }
        int total = 0;
        for (Future<Integer> f : fs) {
            total += join(f);
        }
        return total;
    }

    /** Class name → SHA-256 of the new bytes, from the package downloaded, checked and verified as a node does (cached per package). */
    private Map<String, String> classesOf(JsonNode pkg) {
        String sha = pkg.get("sha256").asText();
        return packages.computeIfAbsent(sha, k -> {
            byte[] bytes = download(pkg.get("downloadUrl").asText());
            assertThat(Sha256.hex(bytes)).as("package digest").isEqualTo(sha);
            try {
                Path f = Files.createTempFile("sim-node-", ".hotpatch");
                try {
                    Files.write(f, bytes);
                    HotpatchPackage hp = HotpatchPackage.read(f, TrustStore.fromDirectory(server.trustDir));
                    Map<String, String> out = new LinkedHashMap<>();
                    for (ClassPatch c : hp.manifest().classes()) {
                        out.put(c.name(), c.sha256());
                    }
                    return out;
                } finally {
                    Files.deleteIfExists(f);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    private byte[] download(String path) {
        try {
            HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(baseUrl.get() + path)).header("Authorization", "Bearer " + adminToken)
                    .timeout(Duration.ofSeconds(60)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(r.statusCode()).as("GET " + path).isEqualTo(200);
            return r.body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private JsonNode post(String path, String token, Object body, int expect) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(baseUrl.get() + path)).header("Authorization", "Bearer " + token)
                    .header("Content-Type", "application/json").timeout(Duration.ofSeconds(120))
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as("POST " + path + " → " + r.body()).isEqualTo(expect);
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static <T> T join(Future<T> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    /** A machine's config in the node protocol's shape; null values are left out. */
    public static Map<String, Object> config(String region, String zone, String set, Integer ud, String group, String patchMode, String timeZone,
                                             Map<String, String> tags) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("timeZone", timeZone);
        c.put("region", region);
        c.put("zone", zone);
        c.put("availabilitySet", set);
        c.put("updateDomain", ud);
        c.put("patchMode", patchMode);
        c.put("group", group);
        c.put("groupOrchestration", "flexible");
        c.put("tags", tags == null ? Map.of() : tags);
        c.values().removeIf(java.util.Objects::isNull);
        return c;
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
