package dev.hotpatch.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.node.command.Action;
import dev.hotpatch.node.command.CommandResult;
import dev.hotpatch.node.command.Status;
import dev.hotpatch.node.inventory.MachineInventory;
import dev.hotpatch.testkit.Jdks;
import dev.hotpatch.testkit.Processes;
import dev.hotpatch.testkit.TargetJvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Health probing (contract C1 {@code health}) with real JVMs: a health URL the application itself
 * serves, probed at the node's interval and reported in every check-in with counters that only
 * grow while the JVM lives; and a health command, probed right after every command the node runs
 * for the machine, whose counters start again when the machine runs in a new JVM.
 */
class HealthProbeTest {
    private static final Duration BOUND = Duration.ofSeconds(90);

    @TempDir
    Path dir;

    @Test
    void healthUrl_isProbedAtTheInterval_andEveryCheckInCarriesCumulativeCounters() throws Exception {
        String name = TestApp.machineName("health");
        try (TestFleet fleet = new TestFleet(dir); ServerTap tap = new ServerTap(fleet.url());
             TargetJvm target = TargetJvm.builder(Jdks.java17()).classpath(fleet.jar)
                     .jvmArgs("-Dhotpatch.machine=" + name, "-Dfees.healthPort=0").mainClass(TestApp.MAIN).start()) {
            String port = target.await(l -> l.startsWith("health port "), Duration.ofSeconds(30)).substring("health port ".length()).trim();
            target.await(l -> l.startsWith("fees 1.0 started"), Duration.ofSeconds(30));
            String url = "http://127.0.0.1:" + port + "/health";
            Path config = Files.writeString(dir.resolve("node.properties"), "node.manage = configured\n"
                    + "node.healthInterval = 300ms\n"
                    + "machine." + name + ".healthUrl = " + url + "\n"
                    + "machine." + name + ".healthTimeout = 3s\n");
            fleet.start(NodeOptions.server(tap.url(), fleet.enrollmentToken()).withConfig(config).withDataDir(dir.resolve("node"))
                    .withInterval(Duration.ofMillis(500)));

            JsonNode passing = awaitReport(tap, name, h -> h.path("state").asText().equals("passing") && h.path("samples").asLong() >= 2);
            assertThat(passing.path("failures").asLong()).isZero();
            assertThat(passing.path("detail").asText()).isEqualTo("HTTP 200 from " + url);
            assertThat(passing.path("checkedAt").asText()).isNotEmpty();
            JsonNode agent = tap.lastReport(name).path("agent");
            assertThat(agent.path("present").asBoolean()).isFalse();
            assertThat(agent.has("reachable")).as(agent.toString()).isTrue();

            target.send("sick");
            JsonNode failing = awaitReport(tap, name, h -> h.path("state").asText().equals("failing"));
            assertThat(failing.path("detail").asText()).isEqualTo("HTTP 503 from " + url);
            assertThat(failing.path("failures").asLong()).isPositive();
            assertThat(failing.path("samples").asLong()).isGreaterThan(passing.path("samples").asLong());

            target.send("well");
            long failuresSoFar = failing.path("failures").asLong();
            JsonNode again = awaitReport(tap, name, h -> h.path("state").asText().equals("passing")
                    && h.path("samples").asLong() > failing.path("samples").asLong());
            assertThat(again.path("failures").asLong()).as("failures count since the JVM started; they never go down").isGreaterThanOrEqualTo(failuresSoFar);

            long reportsWithHealth = tap.checkIns().stream().flatMap(c -> java.util.stream.StreamSupport.stream(c.path("machines").spliterator(), false))
                    .filter(m -> m.path("name").asText().equals(name)).filter(m -> m.has("health")).count();
            long reports = tap.checkIns().stream().flatMap(c -> java.util.stream.StreamSupport.stream(c.path("machines").spliterator(), false))
                    .filter(m -> m.path("name").asText().equals(name)).count();
            assertThat(reportsWithHealth).as("every check-in reports the machine's health").isEqualTo(reports);
        }
    }

    @Test
    void healthCommand_isProbedRightAfterEachCommand_andCountsAgainInANewJvm() throws Exception {
        String name = TestApp.machineName("healthcmd");
        Path jar = TestApp.jar(dir.resolve("app/fees.jar"), "1.0", 10, -1);
        Path healthy = Files.writeString(dir.resolve("healthy"), "yes");
        Path config = Files.writeString(dir.resolve("node.properties"), "node.manage = configured\n"
                + "node.healthInterval = 1h\n"
                + "machine." + name + ".launch = " + Jdks.java17() + " -Dhotpatch.machine=" + name + " -cp " + jar + " " + TestApp.MAIN + "\n"
                + "machine." + name + ".settle = 500ms\n"
                + "machine." + name + ".healthCommand = test -e " + healthy + "\n"
                + "machine." + name + ".healthTimeout = 5s\n");
        try (Node node = Node.fromOptions(NodeOptions.standalone(Files.createDirectories(dir.resolve("catalog")))
                .withConfig(config).withDataDir(dir.resolve("data")))) {
            node.runOnce();
            long deadline = System.nanoTime() + BOUND.toNanos();
            while (node.inventory().stream().noneMatch(m -> m.name().equals(name) && m.problems().isEmpty())) {
                assertThat(System.nanoTime()).as("machine %s did not appear", name).isLessThan(deadline);
                Thread.sleep(200);
                node.runOnce();
            }

            MachineInventory.Health h1 = run(node, name, new Action.Assess()).report().health();
            assertThat(h1.state()).isEqualTo("passing");
            assertThat(h1.detail()).isEqualTo("exit code 0 from 'test -e " + healthy + "'");
            assertThat(h1.failures()).isZero();

            Files.delete(healthy);
            MachineInventory.Health h2 = run(node, name, new Action.Assess()).report().health();
            assertThat(h2.state()).as("probed right after the command, not an hour later").isEqualTo("failing");
            assertThat(h2.detail()).isEqualTo("exit code 1 from 'test -e " + healthy + "'");
            assertThat(h2.samples()).isGreaterThan(h1.samples());
            assertThat(h2.failures()).isPositive();

            Files.writeString(healthy, "yes");
            CommandResult restarted = run(node, name, new Action.Restart("test"));
            MachineInventory.Health h3 = restarted.report().health();
            assertThat(restarted.report().pid()).isNotEqualTo(restarted.details().get("oldPid"));
            assertThat(h3.state()).isEqualTo("passing");
            assertThat(h3.failures()).as("counters start again in the new JVM").isZero();
            assertThat(h3.samples()).isLessThanOrEqualTo(2);
        } finally {
            // The node launched these JVMs and, as a node should, leaves them running when it stops.
            ProcessHandle.allProcesses().filter(p -> p.info().arguments().map(a -> java.util.Arrays.asList(a)
                    .contains("-Dhotpatch.machine=" + name)).orElse(false)).forEach(jvm -> Processes.stop(jvm, Processes.GRACE));
        }
    }

    private static CommandResult run(Node node, String name, Action a) {
        CommandResult r = node.run(name, a, "test");
        assertThat(r.status()).as(r.message()).isEqualTo(Status.SUCCEEDED);
        return r;
    }

    private static JsonNode awaitReport(ServerTap tap, String name, Predicate<JsonNode> health) throws InterruptedException {
        long deadline = System.nanoTime() + BOUND.toNanos();
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            JsonNode r = tap.lastReport(name);
            if (r != null) {
                last = r;
                if (r.has("health") && health.test(r.path("health"))) {
                    return r.path("health");
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no check-in reported the expected health of " + name + " within " + BOUND.toSeconds() + " s; last report: " + last);
    }
}
