package dev.hotpatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.cli.fleet.ApiClient;
import dev.hotpatch.testkit.Jdks;
import dev.hotpatch.testkit.PostgresCluster;
import dev.hotpatch.testkit.Processes;
import dev.hotpatch.testkit.TargetJvm;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The node daemon <b>and</b> the server, both real child processes ({@code java -cp … Main node|server},
 * as {@code java -jar hotpatch.jar} runs them), are killed together with SIGKILL in the middle of an
 * install, then started again on the same data (and database, and port): the operation finishes,
 * the history holds the install's outcome exactly once, and the JVM was at every point fully
 * patched (both class loaders) or untouched. On the embedded SQLite store and on PostgreSQL.
 */
class ServerAndNodeCrashTest {
    /** When both are killed: as in {@link NodeCrashTest}. */
    enum KillPoint { DELIVERED, APPLYING, DONE }

    @TempDir
    Path tmp;

    static Stream<Arguments> cases() {
        return Stream.of(Arguments.of("sqlite", KillPoint.DELIVERED), Arguments.of("sqlite", KillPoint.APPLYING),
                Arguments.of("sqlite", KillPoint.DONE), Arguments.of("postgresql", KillPoint.APPLYING));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void nodeAndServerKilledMidInstall_resume_historyHasTheInstallOnce_andTheJvmIsNeverHalfPatched(String store, KillPoint when)
            throws Exception {
        List<String> db = new ArrayList<>();
        if (store.equals("postgresql")) {
            PostgresCluster pg = PostgresCluster.get();
            if (pg == null) {
                throw new IllegalStateException("PostgreSQL unavailable: " + PostgresCluster.unavailableReason());
            }
            db.addAll(List.of("--db-url", pg.newDatabase()));
        }
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String url = "http://127.0.0.1:" + port;
        Path data = tmp.resolve("server");
        Process server = server(data, port, db, tmp.resolve("server-1.log"));
        Process node = null;
        Process server2 = null;
        Process node2 = null;
        String name = FeesApp.name("crash2");
        Path config;
        try {
            awaitLine(tmp.resolve("server-1.log"), "Hotpatch server running at", server);
            Path tokenFile = data.resolve("admin.token");
            Path keys = FeesCatalog.publish(url, tokenFile, data.resolve("trusted-publishers"), tmp);
            config = TestNode.config(tmp, keys, List.of(name));
            try (TargetJvm app = FeesApp.start(Jdks.java17(), FeesApp.V1, name, tmp.resolve("agent-state"))) {
                assertThat(app.request("iso 100", "iso 100")).isEqualTo("iso 100 = 2");
                String enrollment = cli(url, tokenFile, "token", "enroll", "--name", "crash-node", "--json").json().path("token").path("token")
                        .asText();
                node = node(url, enrollment, config, tmp.resolve("node-data"), tmp.resolve("node-1.log"));
                ApiClient api = new ApiClient(URI.create(url), Files.readString(tokenFile).strip());
                awaitAssessed(api, name);
                String op = cli(url, tokenFile, "install", "--machine", name, "--classification", "Security", "--no-wait", "--json").json()
                        .path("operation").path("id").asText();

                String command = awaitKillPoint(when, api, op, tmp.resolve("node-data"));
                Processes.kill(node, server);

                String fee = app.request("fee 100", "fee 100");
                String iso = app.request("iso 100", "iso 100");
                assertThat(fee + " / " + iso).as("after the kill: fully patched or untouched")
                        .isIn("fee 100 = 2 / iso 100 = 2", "fee 100 = 3 / iso 100 = 3");
                System.out.println("ServerAndNodeCrashTest " + store + " " + when + ": killed both with command " + command + " at "
                        + when + "; the JVM was " + (fee.endsWith("3") ? "already patched" : "untouched"));

                server2 = server(data, port, db, tmp.resolve("server-2.log"));
                awaitLine(tmp.resolve("server-2.log"), "Hotpatch server running at", server2);
                node2 = node(url, null, config, tmp.resolve("node-data"), tmp.resolve("node-2.log"));
                CliRun done = cli(url, tokenFile, "operation", op, "--wait", "--timeout", "90s");
                assertThat(done.exit()).as(done + "\n" + logs()).isZero();
                assertThat(done.out()).contains("succeeded").contains(FeesCatalog.KB);

                assertThat(app.request("fee 100", "fee 100")).isEqualTo("fee 100 = 3");
                assertThat(app.request("iso 100", "iso 100")).isEqualTo("iso 100 = 3");
                List<JsonNode> outcomes = new ArrayList<>();
                for (JsonNode e : cli(url, tokenFile, "history", "--machine", name, "--json").json().path("history")) {
                    if (e.path("action").asText().equals("install") && FeesCatalog.KB.equals(e.path("kbId").asText())) {
                        outcomes.add(e);
                    }
                }
                assertThat(outcomes).as("the install's outcome, recorded once: " + outcomes).hasSize(1);
                assertThat(outcomes.get(0).path("outcome").asText()).isEqualTo("succeeded");
                assertThat(outcomes.get(0).path("operationId").asText()).isEqualTo(op);
                JsonNode fixes = cli(url, tokenFile, "list", "--machine", name, "--json").json().path("installed");
                assertThat(fixes).hasSize(1);
            }
        } finally {
            for (Process p : new Process[] {node2, server2, node, server}) {
                if (p != null) {
                    Processes.stop(p, Duration.ofSeconds(30));
                }
            }
        }
    }

    private static CliRun cli(String url, Path tokenFile, String... args) {
        return CliRun.of(CliServer.with(args, "--server", url, "--token-file", tokenFile.toString()));
    }

    private static void awaitAssessed(ApiClient api, String name) {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < deadline) {
            try {
                JsonNode m = api.get("/api/v1/machines/" + name);
                if (m.hasNonNull("lastAssessedAt") && m.path("missing").path("total").asInt() == 1) {
                    return;
                }
            } catch (RuntimeException notYet) {
                // Not reported yet.
            }
            CliServer.sleep(200);
        }
        throw new AssertionError("machine " + name + " was not assessed within 90 s");
    }

    /** Waits until the install reaches {@code when}; returns the command id. */
    private static String awaitKillPoint(KillPoint when, ApiClient api, String op, Path nodeData) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        String command = null;
        while (System.nanoTime() < deadline) {
            if (command == null) {
                JsonNode o = api.get("/api/v1/operations/" + op);
                String state = o.at("/commands/0/state").asText();
                if (!state.equals("pending") && !state.equals("delivered")) {
                    throw new AssertionError("the node finished the command before the test could kill it: " + o);
                }
                if (state.equals("delivered")) {
                    command = o.at("/commands/0/id").asText();
                    if (when == KillPoint.DELIVERED) {
                        return command;
                    }
                }
            } else if (journalPhase(nodeData, command, when.name())) {
                return command;
            }
            CliServer.sleep(1);
        }
        throw new AssertionError("the install did not reach " + when + " within 60 s");
    }

    private static boolean journalPhase(Path data, String command, String phase) {
        try {
            String entry = Files.readString(data.resolve("journal").resolve(command + ".json"), StandardCharsets.UTF_8);
            return Pattern.compile("\"phase\"\\s*:\\s*\"" + phase + "\"").matcher(entry).find();
        } catch (IOException e) {
            return false;
        }
    }

    private static Process server(Path data, int port, List<String> db, Path log) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Jdks.java17().toString(), "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "server", "--data", data.toString(), "--port", Integer.toString(port), "--check-in-interval", "1s",
                "--command-lease", "5s"));
        cmd.addAll(db);
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static Process node(String url, String token, Path config, Path data, Path log) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Jdks.java17().toString(), "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "node", "--server", url, "--config", config.toString(), "--data", data.toString(),
                "--interval", "500ms"));
        if (token != null) {
            cmd.add("--token");
            cmd.add(token);
        }
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static void awaitLine(Path log, String text, Process p) throws IOException {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(log) && Files.readString(log, StandardCharsets.UTF_8).contains(text)) {
                return;
            }
            if (!p.isAlive()) {
                break;
            }
            CliServer.sleep(100);
        }
        throw new AssertionError("no '" + text + "' in " + log + ":\n" + (Files.exists(log) ? Files.readString(log) : ""));
    }

    private String logs() throws IOException {
        StringBuilder b = new StringBuilder();
        for (String f : List.of("server-1.log", "node-1.log", "server-2.log", "node-2.log")) {
            Path p = tmp.resolve(f);
            b.append("--- ").append(f).append('\n').append(Files.exists(p) ? Files.readString(p) : "(none)").append('\n');
        }
        return b.toString();
    }
}
