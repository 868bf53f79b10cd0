package dev.hotpatch.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpatch.testkit.Jdks;
import dev.hotpatch.testkit.TargetJvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fast command delivery (contract C2) with a real node, a real server and a real JVM: with a
 * check-in interval of five minutes, an operator's Install now still reaches the JVM, because the
 * node waits on the server's long-poll, also after the server restarts; and against a server
 * without the long-poll the node falls back to its check-ins. The bounds below only stop a hang;
 * none measures speed.
 */
class FastDeliveryTest {
    private static final Duration LONG_INTERVAL = Duration.ofMinutes(5);
    private static final Duration BOUND = Duration.ofSeconds(120);

    @TempDir
    Path dir;

    static java.util.List<Path> jdks() {
        return Jdks.all();
    }

    @ParameterizedTest(name = "target on Java {0}")
    @MethodSource("jdks")
    void installNow_reachesTheNodeThroughTheLongPoll_longBeforeTheNextCheckIn(Path java) throws Exception {
        try (TestFleet fleet = new TestFleet(dir)) {
            fleet.publishHotpatch("KB-FAST-0001", 20);
            String name = TestApp.machineName("fast");
            try (TargetJvm target = start(java, fleet, name)) {
                fleet.start(options(fleet, fleet.url(), name).withInterval(LONG_INTERVAL));
                fleet.await("/api/v1/machines/" + name, m -> "1.0".equals(m.path("baselineVersion").asText()), BOUND);

                String op = fleet.post("/api/v1/machines/" + name + "/install", "{\"classifications\":[\"Security\"]}", 202).get("id").asText();

                fleet.await("/api/v1/operations/" + op, o -> o.path("state").asText().equals("succeeded"), BOUND);
                assertThat(target.request("fee", "fee=")).isEqualTo("fee=5");
                assertThat(fleet.get("/api/v1/machines/" + name + "/assessment").at("/missing/total").asInt()).isZero();
            }
        }
    }

    @Test
    void longPoll_comesBackAfterAServerRestart_andStillDeliversLongBeforeTheNextCheckIn() throws Exception {
        try (TestFleet fleet = new TestFleet(dir)) {
            fleet.publishHotpatch("KB-FAST-0003", 20);
            String name = TestApp.machineName("restart");
            try (TargetJvm target = start(Jdks.java17(), fleet, name)) {
                fleet.start(options(fleet, fleet.url(), name).withInterval(LONG_INTERVAL));
                fleet.await("/api/v1/machines/" + name, m -> "1.0".equals(m.path("baselineVersion").asText()), BOUND);

                fleet.restartServer();
                String op = fleet.post("/api/v1/machines/" + name + "/install", "{}", 202).get("id").asText();

                fleet.await("/api/v1/operations/" + op, o -> o.path("state").asText().equals("succeeded"), BOUND);
                assertThat(target.request("fee", "fee=")).isEqualTo("fee=5");
            }
        }
    }

    @ParameterizedTest(name = "target on Java {0}")
    @MethodSource("jdks")
    void node_withoutTheLongPollRoute_fallsBackToCheckIns_andAsksForTheRouteOnlyRarely(Path java) throws Exception {
        try (TestFleet fleet = new TestFleet(dir); ServerTap olderServer = new ServerTap(fleet.url())) {
            olderServer.hide("/api/v1/node/commands/wait");
            fleet.publishHotpatch("KB-FAST-0002", 20);
            String name = TestApp.machineName("fallback");
            try (TargetJvm target = start(java, fleet, name)) {
                fleet.start(options(fleet, olderServer.url(), name).withInterval(Duration.ofSeconds(1)));
                fleet.await("/api/v1/machines/" + name, m -> "1.0".equals(m.path("baselineVersion").asText()), BOUND);

                String op = fleet.post("/api/v1/machines/" + name + "/install", "{}", 202).get("id").asText();

                fleet.await("/api/v1/operations/" + op, o -> o.path("state").asText().equals("succeeded"), BOUND);
                assertThat(target.request("fee", "fee=")).isEqualTo("fee=5");
                assertThat(olderServer.count("/api/v1/node/commands/wait")).as("asked once, then again only after minutes").isEqualTo(1);
                assertThat(olderServer.count("/api/v1/node/check-in")).isGreaterThan(1);
            }
        }
    }

    private TargetJvm start(Path java, TestFleet fleet, String name) {
        TargetJvm t = TargetJvm.builder(java).classpath(fleet.jar)
                .jvmArgs("-Dhotpatch.machine=" + name, "-Dhotpatch.state=" + dir.resolve("agent-state-" + name)).mainClass(TestApp.MAIN).start();
        t.await(l -> l.startsWith("fees 1.0 started"), Duration.ofSeconds(30));
        return t;
    }

    private NodeOptions options(TestFleet fleet, java.net.URI server, String name) throws Exception {
        Path config = Files.writeString(dir.resolve("node-" + name + ".properties"), "node.manage = configured\n"
                + "node.trust = " + fleet.keyDir + "\n"
                + "machine." + name + ".timeZone = Europe/Paris\n");
        return NodeOptions.server(server, fleet.enrollmentToken()).withConfig(config).withDataDir(dir.resolve("node-" + name));
    }
}
