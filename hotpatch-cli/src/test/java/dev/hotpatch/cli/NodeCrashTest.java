package dev.hotpatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.cli.fleet.ApiClient;
import dev.hotpatch.testkit.Jdks;
import dev.hotpatch.testkit.Processes;
import dev.hotpatch.testkit.TargetJvm;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A node daemon killed (SIGKILL) while it runs an install loses nothing and leaves no half-patched
 * JVM: the node runs as a real child process ({@code java -cp … dev.hotpatch.cli.Main node …}, the
 * same entry point as {@code java -jar hotpatch.jar node …}), is killed at one of three points of
 * the install, and started again on the same data folder; the operation then ends, the history
 * holds the install exactly once with its outcome, and at every point the JVM runs either all of
 * the hotpatch (in both class loaders) or none of it.
 */
class NodeCrashTest {
    /** When the node is killed. */
    enum KillPoint {
        /** As soon as the server has handed the command out (the node may not have journaled it): the lease brings it back. */
        DELIVERED,
        /** When the node's journal says the package goes to the agent (attach, load, redefine in progress): the journal resumes it. */
        APPLYING,
        /** When the node's journal holds the result, before or while it is posted: the journal delivers it. */
        DONE
    }

    @TempDir
    static Path tmp;
    static CliServer server;
    static Path keys;

    @BeforeAll
    static void publish() {
        // A short lease, so that a command the dead node never journaled is delivered again within seconds.
        server = CliServer.start(tmp.resolve("server"), "--check-in-interval", "1s", "--command-lease", "5s");
        keys = FeesCatalog.publish(server, tmp);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @ParameterizedTest
    @EnumSource(KillPoint.class)
    void nodeKilledMidInstall_resumesOnRestart_historyHasTheInstallOnce_andTheJvmIsNeverHalfPatched(KillPoint when) throws Exception {
        String name = FeesApp.name("crash");
        Path dir = tmp.resolve(name);
        Path config = TestNode.config(dir, keys, List.of(name));
        Path data = dir.resolve("node-data");
        try (TargetJvm app = FeesApp.start(Jdks.java17(), FeesApp.V1, name, dir.resolve("agent-state"))) {
            // A second copy of acme.Fees in its own class loader: "all or nothing" must hold across both.
            assertThat(app.request("iso 100", "iso 100")).isEqualTo("iso 100 = 2");
            Process first = node(server.url, server.enrollmentToken(), config, data, dir.resolve("node-1.log"));
            ApiClient api = new ApiClient(URI.create(server.url), Files.readString(server.tokenFile()).strip());
            JsonNode atKill;
            try {
                server.awaitAssessed(name);
                String op = server.json("install", "--machine", name, "--classification", "Security", "--no-wait")
                        .path("operation").path("id").asText();

                atKill = kill(when, api, op, first, data);
            } finally {
                // Gone already after the kill; stopped cleanly when the test failed before it.
                Processes.stop(first, Processes.GRACE);
            }
            if (when != KillPoint.DONE) {
                assertThat(atKill.at("/commands/0/state").asText()).as("killed before its result reached the server: " + atKill)
                        .isEqualTo("delivered");
            }
            String fee = app.request("fee 100", "fee 100");
            String iso = app.request("iso 100", "iso 100");
            assertThat(fee + " / " + iso).as("after the kill: fully patched or untouched")
                    .isIn("fee 100 = 2 / iso 100 = 2", "fee 100 = 3 / iso 100 = 3");
            System.out.println("NodeCrashTest " + when + ": at the kill the JVM was " + (fee.endsWith("3") ? "already patched" : "untouched")
                    + " and the server had " + (atKill.at("/commands/0/state").asText().equals("delivered") ? "no result" : "the result"));

            Process second = node(server.url, null, config, data, dir.resolve("node-2.log"));
            try {
                String op = atKill.path("id").asText();
                CliRun done = server.cli("operation", op, "--wait", "--timeout", "60s");
                assertThat(done.exit()).as(done + "\nnode 1:\n" + log(dir, 1) + "\nnode 2:\n" + log(dir, 2)).isZero();
                assertThat(done.out()).contains("succeeded").contains(FeesCatalog.KB);
                int attempts = api.get("/api/v1/operations/" + op).at("/commands/0/attempts").asInt();
                System.out.println("NodeCrashTest " + when + ": the restarted node " + (attempts == 1 ? "finished the command from its journal"
                        : "got the command again after its lease ran out (attempt " + attempts + ")"));

                assertThat(app.request("fee 100", "fee 100")).isEqualTo("fee 100 = 3");
                assertThat(app.request("iso 100", "iso 100")).isEqualTo("iso 100 = 3");
                List<JsonNode> installs = new ArrayList<>();
                for (JsonNode e : server.json("history", "--machine", name).path("history")) {
                    if (e.path("action").asText().equals("install") && FeesCatalog.KB.equals(e.path("kbId").asText())) {
                        installs.add(e);
                    }
                }
                assertThat(installs).as("the install's outcome, recorded once").hasSize(1);
                assertThat(installs.get(0).path("outcome").asText()).isEqualTo("succeeded");
                assertThat(installs.get(0).path("operationId").asText()).isEqualTo(op);
                JsonNode fixes = server.json("list", "--machine", name).path("installed");
                assertThat(fixes).hasSize(1);
                assertThat(fixes.get(0).path("hotFixId").asText()).isEqualTo(FeesCatalog.KB);
            } finally {
                // SIGTERM: the node stops cleanly.
                second.destroy();
                assertThat(second.waitFor(40, TimeUnit.SECONDS)).isTrue();
            }
            assertThat(log(dir, 2)).contains("hotpatch node: stopped");
        }
    }

    /** Kills the node at {@code when}; returns the operation as the server saw it right after. */
    private static JsonNode kill(KillPoint when, ApiClient api, String op, Process node, Path data) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
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
                        Processes.kill(node);
                        return o;
                    }
                }
            } else if (journalPhase(data, command, when.name())) {
                Processes.kill(node);
                return api.get("/api/v1/operations/" + op);
            }
            CliServer.sleep(1);
        }
        throw new AssertionError("the node did not reach " + when + " within 30 s");
    }

    private static boolean journalPhase(Path data, String command, String phase) {
        try {
            String entry = Files.readString(data.resolve("journal").resolve(command + ".json"), StandardCharsets.UTF_8);
            return Pattern.compile("\"phase\"\\s*:\\s*\"" + phase + "\"").matcher(entry).find();
        } catch (IOException e) {
            return false;
        }
    }

    /** {@code hotpatch node --server URL [--token T] --config F --data D --interval 500ms} as a child process. */
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

    private static String log(Path dir, int n) {
        try {
            return Files.readString(dir.resolve("node-" + n + ".log"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }
}
