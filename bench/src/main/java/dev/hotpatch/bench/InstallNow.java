package dev.hotpatch.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hotpatch.format.ClassPatch;
import dev.hotpatch.format.Classification;
import dev.hotpatch.format.PackageManifest;
import dev.hotpatch.format.PackageWriter;
import dev.hotpatch.format.RebootBehavior;
import dev.hotpatch.format.Sha256;
import dev.hotpatch.format.SigningKey;
import dev.hotpatch.node.Node;
import dev.hotpatch.node.NodeOptions;
import dev.hotpatch.server.HotpatchServer;
import dev.hotpatch.testkit.TargetJvm;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;

/**
 * Install now on one idle machine (issue 6, "Fast delivery"): the time from an operator's CLI call
 * ({@code java -jar hotpatch.jar install --machine M}, a fresh process) to the JVM running the
 * patched code, through the real control plane: a server and a node in this JVM on loopback, the
 * node with a check-in interval of 5 minutes, so the command can only arrive through the long-poll;
 * one enrolled fees-app 1.0 target, idle. The patch replaces {@code acme.Fees}; "patched" is the
 * moment the target's own answer to {@code fee 100} changes from 2 to 3 (asked every few
 * milliseconds while the CLI runs).
 *
 * <p>Bare baseline, in the same run and the same target: the same CLI applying the same package
 * to the JVM directly ({@code hotpatch apply --pid}, no server, no node), also from process start
 * to patched; and the CLI's start-up alone ({@code hotpatch --version}). The variants alternate;
 * between rounds the patch is removed (through the server after an Install now, so that it knows;
 * directly after a direct apply, followed by an Assess now so that the server sees it missing
 * again). Goal: ≤ 2 s on loopback.
 */
final class InstallNow implements Benchmark {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KB = "KB-BENCH-0100";
    private static final Duration CHECK_IN_INTERVAL = Duration.ofMinutes(5);
    private static final Duration BOUND = Duration.ofSeconds(120);

    public static void main(String[] args) throws Exception {
        All.runOne(new InstallNow(), args);
    }

    @Override
    public String name() {
        return "install-now";
    }

    @Override
    public String description() {
        return "Install now on one idle machine via server + node (long-poll): CLI call → JVM patched, vs the CLI's direct apply --pid";
    }

    @Override
    public void run(Workspace ws, Settings settings, Report report) throws Exception {
        Optional<Path> cli = ws.cliJar();
        if (cli.isEmpty()) {
            report.skipped("install now", "CLI call → JVM patched", "hotpatch-cli/target/hotpatch.jar is not built");
            return;
        }
        for (Path java : settings.jdks()) {
            measure(ws, cli.get(), java, settings.n(20), report);
        }
    }

    private void measure(Workspace ws, Path cli, Path java, int rounds, Report report) throws Exception {
        String jdk = Workspace.label(java);
        Sample viaServer = new Sample("ms");
        Sample viaServerExit = new Sample("ms");
        Sample direct = new Sample("ms");
        Sample startup = new Sample("ms");
        Sample toOperation = new Sample("ms");
        Sample toDelivery = new Sample("ms");
        Sample onNode = new Sample("ms");
        try (Fleet fleet = new Fleet(ws, java)) {
            // One unrecorded round of each first: the server's, node's and agent's code paths load once, not per round.
            for (int round = -1; round < rounds; round++) {
                boolean record = round >= 0;
                boolean serverFirst = Math.floorMod(round, 2) == 0;
                for (int v = 0; v < 2; v++) {
                    if ((v == 0) == serverFirst) {
                        long[] t = fleet.installNow(cli);
                        if (record) {
                            viaServer.addNanos(t[0]);
                            viaServerExit.addNanos(t[1]);
                            toOperation.add(t[2]);
                            toDelivery.add(t[3]);
                            onNode.add(t[4]);
                        }
                        fleet.uninstallThroughServer();
                    } else {
                        long t = fleet.applyDirectly(cli);
                        if (record) {
                            direct.addNanos(t);
                        }
                        fleet.uninstallDirectly(cli);
                    }
                }
                if (record) {
                    startup.addNanos(ColdApply.timeProcess(List.of(Workspace.java17().toString(), "-jar", cli.toString(), "--version")));
                }
            }
        }
        report.detail("%s, %d rounds, one idle enrolled fees-app 1.0 target; node check-in interval %d min:", jdk, rounds,
                CHECK_IN_INTERVAL.toMinutes());
        report.detail("install now, CLI start → JVM patched:     %s", viaServer.describe());
        report.detail("install now, CLI start → CLI exits:       %s (it waits for the operation to settle)", viaServerExit.describe());
        report.detail("  CLI start → operation created (server clock): %s", toOperation.describe());
        report.detail("  operation created → command delivered to the node's long-poll: %s", toDelivery.describe());
        report.detail("  delivered → JVM patched (download, verify, attach, apply): %s", onNode.describe());
        report.detail("direct 'apply --pid', start → patched:    %s", direct.describe());
        report.detail("CLI start-up alone ('hotpatch --version'): %s", startup.describe());
        report.ratio("install now " + jdk, "CLI call → JVM patched: server + node vs CLI apply --pid", viaServer, direct, null);
        report.goal("install now " + jdk, "CLI call → JVM patched (loopback)", viaServer, direct, 2000);
    }

    /** A server and a node in this JVM, one target, and the catalog of the fees patch. */
    private static final class Fleet implements AutoCloseable {
        private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        private final HotpatchServer server;
        private final String admin;
        private final Node node;
        private final Thread nodeThread;
        private final TargetJvm target;
        private final Path pkg;
        private final Path trust;
        private final String machine = "installnow-" + UUID.randomUUID().toString().substring(0, 8);

        Fleet(Workspace ws, Path java) throws Exception {
            Path home = ws.fresh("install-now-");
            Files.createDirectories(home);
            this.trust = Files.createDirectories(home.resolve("trust"));
            Files.copy(ws.keyDir.resolve(SigningKey.CERTIFICATE), trust.resolve("bench.crt"));
            this.pkg = feesPatch(ws, home.resolve(KB + ".hotpatch"));
            this.server = HotpatchServer.builder().port(0).dataDir(home.resolve("server")).trustDir(trust)
                    .out(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).build().start();
            this.admin = Files.readString(server.adminTokenFile()).trim();
            send("POST", "/api/v1/images", "application/json", "{\"publisher\":\"acme\",\"offer\":\"fees-app\",\"sku\":\"1.x\"}".getBytes(), 201);
            send("POST", "/api/v1/images/acme:fees-app:1.x/baselines?version=1.0&kind=planned&releasedOn=2026-01-05&fileName=fees-app-1.0.jar",
                    "application/octet-stream", Files.readAllBytes(ws.feesBaseline), 201);
            send("POST", "/api/v1/updates", "application/octet-stream", Files.readAllBytes(pkg), 201);
            String enrollment = JSON.readTree(send("POST", "/api/v1/enrollment-tokens", "application/json", "{}".getBytes(), 201))
                    .get("token").asText();
            this.target = TargetJvm.builder(java).classpath(ws.feesBaseline).mainClass("acme.FeesApp")
                    .jvmArgs("-javaagent:" + ws.agentJar + "=name=" + machine + ",state=" + ws.fresh("state-") + ",trust=" + trust).start();
            target.await(line -> line.startsWith("ready"), Duration.ofSeconds(30));
            target.request("fee 100", "fee ");
            Path config = Files.writeString(home.resolve("node.properties"), "node.manage = configured\nnode.trust = " + trust + "\n"
                    + "machine." + machine + ".timeZone = UTC\n");
            this.node = Node.fromOptions(NodeOptions.server(URI.create("http://127.0.0.1:" + server.port()), enrollment).withConfig(config)
                    .withDataDir(home.resolve("node")).withInterval(CHECK_IN_INTERVAL));
            this.nodeThread = new Thread(node::runForever, "bench-node");
            nodeThread.setDaemon(true);
            nodeThread.start();
            await(() -> missing() == 1, "the node reports the machine and the server finds " + KB + " missing");
        }

        /**
         * Runs the CLI's Install now; returns start → patched and start → CLI exit in nanoseconds,
         * then, in milliseconds from the server's records: start → operation created, created →
         * command delivered, delivered → patched.
         */
        long[] installNow(Path cli) throws Exception {
            check(!patched(), "the target is unpatched before an Install now");
            check(missing() == 1, "the server finds " + KB + " missing before an Install now");
            ProcessBuilder pb = new ProcessBuilder(Workspace.java17().toString(), "-jar", cli.toString(), "install", "--machine", machine,
                    "--server", "http://127.0.0.1:" + server.port(), "--token", admin).redirectErrorStream(true);
            long wall0 = System.currentTimeMillis();
            long t0 = System.nanoTime();
            Process p = pb.start();
            long patchedAt = awaitPatched(true, t0);
            long wallPatched = wall0 + (patchedAt - t0) / 1_000_000;
            byte[] out = p.getInputStream().readAllBytes();
            check(p.waitFor(BOUND.toSeconds(), TimeUnit.SECONDS), "the CLI exits");
            long exitedAt = System.nanoTime();
            check(p.exitValue() == 0, "hotpatch install exits 0: " + new String(out, StandardCharsets.UTF_8));
            JsonNode ops = JSON.readTree(send("GET", "/api/v1/operations?machine=" + machine + "&limit=1", null, null, 200));
            JsonNode op = ops.isArray() ? ops.get(0) : ops.path("operations").get(0);
            long created = Instant.parse(op.path("createdAt").asText()).toEpochMilli();
            long delivered = Instant.parse(op.at("/commands/0/deliveredAt").asText()).toEpochMilli();
            return new long[] {patchedAt - t0, exitedAt - t0, created - wall0, delivered - created, wallPatched - delivered};
        }

        /** Runs the CLI's direct apply; returns start → patched in nanoseconds. */
        long applyDirectly(Path cli) throws Exception {
            check(!patched(), "the target is unpatched before a direct apply");
            ProcessBuilder pb = new ProcessBuilder(Workspace.java17().toString(), "-jar", cli.toString(), "apply", "--pid",
                    Long.toString(target.pid()), pkg.toString(), "--trust", trust.toString()).redirectErrorStream(true);
            long t0 = System.nanoTime();
            Process p = pb.start();
            long patchedAt = awaitPatched(true, t0);
            byte[] out = p.getInputStream().readAllBytes();
            check(p.waitFor(BOUND.toSeconds(), TimeUnit.SECONDS) && p.exitValue() == 0,
                    "hotpatch apply exits 0: " + new String(out, StandardCharsets.UTF_8));
            return patchedAt - t0;
        }

        void uninstallThroughServer() throws Exception {
            String op = JSON.readTree(send("POST", "/api/v1/machines/" + machine + "/uninstall", "application/json",
                    ("{\"kbId\":\"" + KB + "\"}").getBytes(), 202)).get("id").asText();
            awaitOperation(op);
            check(!patched(), "the uninstall took the patch out");
        }

        void uninstallDirectly(Path cli) throws Exception {
            ColdApply.timeProcess(List.of(Workspace.java17().toString(), "-jar", cli.toString(), "uninstall", "--pid",
                    Long.toString(target.pid()), "--id", KB));
            check(!patched(), "the uninstall took the patch out");
            String op = JSON.readTree(send("POST", "/api/v1/machines/" + machine + "/assess", "application/json", "{}".getBytes(), 202))
                    .get("id").asText();
            awaitOperation(op);
            await(() -> missing() == 1, "the server sees " + KB + " missing again");
        }

        private boolean patched() {
            return target.request("fee 100", "fee ").endsWith("= 3");
        }

        private long awaitPatched(boolean want, long since) throws InterruptedException {
            while (System.nanoTime() - since < BOUND.toNanos()) {
                if (patched() == want) {
                    return System.nanoTime();
                }
                Thread.sleep(2);
            }
            throw new IllegalStateException("the target was not " + (want ? "" : "un") + "patched within " + BOUND.toSeconds() + " s");
        }

        private int missing() {
            try {
                HttpResponse<String> r = raw("GET", "/api/v1/machines/" + machine + "/assessment", null, null);
                return r.statusCode() == 200 ? JSON.readTree(r.body()).at("/missing/total").asInt(-1) : -1;
            } catch (IOException e) {
                return -1;
            }
        }

        private void awaitOperation(String op) throws Exception {
            await(() -> {
                try {
                    String state = JSON.readTree(raw("GET", "/api/v1/operations/" + op, null, null).body()).path("state").asText();
                    check(!List.of("failed", "partially_succeeded", "timed_out").contains(state), "operation " + op + " ended " + state);
                    return state.equals("succeeded");
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }, "operation " + op + " succeeds");
        }

        private static void await(java.util.function.BooleanSupplier done, String what) throws InterruptedException {
            long deadline = System.nanoTime() + BOUND.toNanos();
            while (!done.getAsBoolean()) {
                check(System.nanoTime() < deadline, what + " within " + BOUND.toSeconds() + " s");
                Thread.sleep(20);
            }
        }

        private static void check(boolean ok, String what) {
            if (!ok) {
                throw new IllegalStateException("expected: " + what);
            }
        }

        private String send(String method, String path, String type, byte[] body, int expect) throws IOException {
            HttpResponse<String> r = raw(method, path, type, body);
            check(r.statusCode() == expect, method + " " + path + " answers " + expect + ", got " + r.statusCode() + ": " + r.body());
            return r.body();
        }

        private HttpResponse<String> raw(String method, String path, String type, byte[] body) throws IOException {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).timeout(Duration.ofSeconds(60))
                    .header("Authorization", "Bearer " + admin)
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
            if (type != null) {
                b.header("Content-Type", type);
            }
            try {
                return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }

        @Override
        public void close() {
            node.close();
            try {
                nodeThread.join(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            target.close();
            server.stop();
        }
    }

    /** The fees fix (acme.Fees of fees-app 1.0 → 1.0.1) as a package of the image the server knows, signed by the workspace key. */
    private static Path feesPatch(Workspace ws, Path out) throws IOException {
        byte[] before;
        byte[] after;
        try (JarFile base = new JarFile(ws.feesBaseline.toFile()); JarFile fixed = new JarFile(ws.feesFixed.toFile())) {
            before = base.getInputStream(base.getEntry("acme/Fees.class")).readAllBytes();
            after = fixed.getInputStream(fixed.getEntry("acme/Fees.class")).readAllBytes();
        }
        PackageManifest m = PackageManifest.builder().id(KB).title("Benchmark: fee rounding fix of fees-app 1.0.1")
                .classification(Classification.SECURITY).severity("Low").image("acme/fees-app/1.x").baseline("1.0")
                .rebootBehavior(RebootBehavior.NEVER_REBOOTS).published(Instant.parse("2026-02-01T00:00:00Z"))
                .addClass(ClassPatch.replace("acme/Fees", Sha256.hex(before), after)).build();
        PackageWriter.write(m, SigningKey.load(ws.keyDir), out);
        return out;
    }
}
