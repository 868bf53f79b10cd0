package dev.hotpatch.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.testkit.Jdks;
import dev.hotpatch.testkit.TargetJvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10 item 8b, node side: a target JVM stopped with SIGSTOP must never block the node. With a
 * real server, a real node and two real JVMs on one host, one stopped and one healthy: Install now
 * on both; the healthy one is patched, the stopped one's operation ends {@code timed_out} with the
 * reason, the node keeps checking in and reports the stopped JVM as unreachable, and a second
 * install sends nothing to it. Once the JVM resumes, the install the node had given up on completes
 * there, and the node reports what the JVM really runs. The bounds below only stop a hang.
 */
class HungTargetTest {
    private static final Duration BOUND = Duration.ofSeconds(180);

    @TempDir
    Path dir;

    static Stream<Arguments> jdks() {
        List<Path> all = Jdks.all();
        return Stream.of(Arguments.of(all.get(0), all.get(1)), Arguments.of(all.get(1), all.get(0)));
    }

    @ParameterizedTest(name = "stopped JVM on {0}, healthy neighbour on {1}")
    @MethodSource("jdks")
    void stoppedTarget_endsItsInstallTimedOut_whileItsNeighbourIsPatched_andConvergesWhenResumed(Path stoppedJava, Path healthyJava)
            throws Exception {
        String stoppedName = TestApp.machineName("stopped");
        String healthyName = TestApp.machineName("healthy");
        try (TestFleet fleet = new TestFleet(dir); ServerTap tap = new ServerTap(fleet.url());
             TargetJvm stopped = start(stoppedJava, fleet, stoppedName);
             TargetJvm healthy = start(healthyJava, fleet, healthyName)) {
            fleet.publishHotpatch("KB-HUNG-0001", 20);
            Path config = Files.writeString(dir.resolve("node.properties"), "node.manage = configured\n"
                    + "node.trust = " + fleet.keyDir + "\n"
                    + "node.targetTimeout = 2s\n"
                    + "node.installTimeout = 4s\n"
                    + "machine." + stoppedName + ".timeZone = Europe/Paris\n"
                    + "machine." + healthyName + ".timeZone = Europe/Paris\n");
            fleet.start(NodeOptions.server(tap.url(), fleet.enrollmentToken()).withConfig(config).withDataDir(dir.resolve("node"))
                    .withInterval(Duration.ofSeconds(1)));
            for (String name : List.of(stoppedName, healthyName)) {
                fleet.await("/api/v1/machines/" + name, m -> "1.0".equals(m.path("baselineVersion").asText()), BOUND);
            }

            signal("STOP", stopped.pid());
            try {
                String stuckOp = fleet.post("/api/v1/machines/" + stoppedName + "/install", "{}", 202).get("id").asText();
                String healthyOp = fleet.post("/api/v1/machines/" + healthyName + "/install", "{}", 202).get("id").asText();

                fleet.await("/api/v1/operations/" + healthyOp, o -> o.path("state").asText().equals("succeeded"), BOUND);
                assertThat(healthy.request("fee", "fee=")).isEqualTo("fee=5");

                JsonNode timedOut = fleet.await("/api/v1/operations/" + stuckOp, o -> o.path("state").asText().equals("timed_out"), BOUND);
                assertThat(timedOut.at("/items/0/reason").asText()).as(timedOut.toString())
                        .contains("did not answer the install of KB-HUNG-0001").contains("it is stopped");

                int checkInsBefore = tap.count("/api/v1/node/check-in");
                awaitTrue(() -> tap.count("/api/v1/node/check-in") >= checkInsBefore + 2, "the node keeps checking in");
                JsonNode report = tap.lastReport(stoppedName);
                assertThat(report.path("pid").asLong()).isEqualTo(stopped.pid());
                assertThat(report.at("/agent/reachable").asBoolean(true)).as(report.toString()).isFalse();
                assertThat(report.path("problems").toString()).contains("stopped");

                String again = fleet.post("/api/v1/machines/" + stoppedName + "/install", "{}", 202).get("id").asText();
                JsonNode second = fleet.await("/api/v1/operations/" + again, o -> o.path("state").asText().equals("timed_out"), BOUND);
                assertThat(second.at("/items/0/reason").asText()).as("nothing is sent while the first install is unanswered")
                        .containsAnyOf("was not sent", "nothing was sent");
            } finally {
                signal("CONT", stopped.pid());
            }

            // Resumed: the install the node gave up on completes in the JVM, and the node reports what it runs.
            awaitTrue(() -> {
                JsonNode r = tap.lastReport(stoppedName);
                return r != null && r.at("/agent/reachable").asBoolean(false) && r.path("hotpatches").toString().contains("KB-HUNG-0001");
            }, "the resumed JVM is reported with the hotpatch its agent applied");
            assertThat(stopped.request("fee", "fee=")).isEqualTo("fee=5");
            fleet.await("/api/v1/machines/" + stoppedName + "/assessment", a -> a.at("/missing/total").asInt() == 0, BOUND);
            JsonNode installs = fleet.get("/api/v1/machines/" + stoppedName + "/history");
            long timedOutInstalls = 0;
            for (JsonNode h : installs) {
                if (h.path("action").asText().equals("install") && h.path("outcome").asText().equals("timed-out")) {
                    timedOutInstalls++;
                }
                assertThat(h.path("outcome").asText()).as("nothing is recorded as failed: " + h).isNotEqualTo("failed");
            }
            assertThat(timedOutInstalls).isEqualTo(2);
        }
    }

    private TargetJvm start(Path java, TestFleet fleet, String name) {
        TargetJvm t = TargetJvm.builder(java).classpath(fleet.jar)
                .jvmArgs("-Dhotpatch.machine=" + name, "-Dhotpatch.state=" + dir.resolve("agent-state-" + name)).mainClass(TestApp.MAIN).start();
        t.await(l -> l.startsWith("fees 1.0 started"), Duration.ofSeconds(30));
        return t;
    }

    private static void signal(String sig, long pid) throws Exception {
        Process p = new ProcessBuilder("kill", "-" + sig, Long.toString(pid)).inheritIO().start();
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("kill -" + sig + " " + pid).isZero();
    }

    private static void awaitTrue(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + BOUND.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as(what + " within " + BOUND.toSeconds() + " s").isLessThan(deadline);
            Thread.sleep(200);
        }
    }
}
