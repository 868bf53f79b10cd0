package dev.hotpatch.agent;

import static dev.hotpatch.agent.AgentHarness.FEES_V2;
import static dev.hotpatch.agent.AgentHarness.FEES_V3;
import static dev.hotpatch.agent.AgentHarness.LATE_V2;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpatch.format.channel.Message;
import dev.hotpatch.testkit.TargetJvm;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Crash quarantine (issue 6) with real enrolled JVMs: one killed with SIGKILL during the probation
 * after an apply does not get that hotpatch back at its next start; a normal stop is not a death.
 */
class CrashQuarantineTest {
    @TempDir
    static Path dir;
    static AgentHarness h;
    static Path fix;
    static Path next;

    @TempDir
    Path state;

    @BeforeAll
    static void setUp() throws IOException {
        h = new AgentHarness(dir);
        fix = h.pkg("KB2026-0001", FEES_V2, LATE_V2);
        next = h.pkg("KB2026-0002", FEES_V3, LATE_V2, List.of("KB2026-0001"), h.key);
    }

    @ParameterizedTest
    @MethodSource("dev.hotpatch.agent.AgentHarness#jdks")
    void jvmKilledDuringProbation_doesNotGetTheHotpatchBack_andListsItQuarantined(Path java) {
        Instant applied;
        try (TargetJvm app = h.start(java, state, h.enrolled())) {
            applied = Instant.now();
            assertThat(h.apply(app, fix).get("status")).isEqualTo("ok");
            assertThat(app.request("fee 1030", "fee=")).isEqualTo("fee=26");
            app.kill();
        }
        try (TargetJvm restarted = h.start(java, state, h.enrolled())) {
            assertThat(restarted.request("fee 1030", "fee=")).as("not re-applied").isEqualTo("fee=25");
            Message list = h.send(restarted, "op", "list");
            assertThat(list.fields()).containsEntry("installed.count", "1").containsEntry("installed.0.id", "KB2026-0001")
                    .containsEntry("installed.0.state", "quarantined").containsEntry("installed.0.active", "false");
            assertThat(list.get("installed.0.stateReason")).contains("stopped without a clean shutdown", "after KB2026-0001 was applied",
                    "probation 10 min", "not re-applied at start");
            assertThat(Instant.parse(list.get("installed.0.stateSince"))).isAfter(applied);
            assertThat(restarted.output()).anyMatch(l -> l.startsWith("[hotpatch] persisted hotpatch KB2026-0001 is quarantined"));
        }
        try (TargetJvm again = h.start(java, state, h.enrolled())) {
            assertThat(again.request("fee 1030", "fee=")).as("quarantine lasts until cleared").isEqualTo("fee=25");

            Message cleared = h.send(again, "op", "clear", "id", "KB2026-0001", "actor", "operator");

            assertThat(cleared.get("status")).as(cleared.toString()).isEqualTo("ok");
            assertThat(again.request("fee 1030", "fee=")).isEqualTo("fee=26");
            assertThat(h.send(again, "op", "list").fields()).containsEntry("installed.count", "1")
                    .containsEntry("installed.0.state", "active").containsEntry("installed.0.installedBy", "operator");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.hotpatch.agent.AgentHarness#jdks")
    void killedAfterASupersedingApply_keepsTheEarlierHotpatch_andQuarantinesTheNewOne(Path java) {
        try (TargetJvm app = h.start(java, state, h.enrolled("probation=0"))) {
            assertThat(h.apply(app, fix).get("status")).isEqualTo("ok");
        }
        try (TargetJvm app = h.start(java, state, h.enrolled())) {
            assertThat(h.apply(app, next).get("status")).isEqualTo("ok");
            assertThat(app.request("fee 1030", "fee=")).isEqualTo("fee=1026");
            app.kill();
        }
        try (TargetJvm restarted = h.start(java, state, h.enrolled())) {
            assertThat(restarted.request("fee 1030", "fee=")).as("KB2026-0001 runs again").isEqualTo("fee=26");
            assertThat(h.send(restarted, "op", "list").fields()).containsEntry("installed.0.id", "KB2026-0001")
                    .containsEntry("installed.0.state", "active").containsEntry("installed.1.id", "KB2026-0002")
                    .containsEntry("installed.1.state", "quarantined");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.hotpatch.agent.AgentHarness#jdks")
    void normalStopDuringProbation_isNotADeath(Path java) {
        try (TargetJvm app = h.start(java, state, h.enrolled())) {
            assertThat(h.apply(app, fix).get("status")).isEqualTo("ok");
            app.stop(Duration.ofSeconds(30));
        }
        try (TargetJvm restarted = h.start(java, state, h.enrolled())) {
            assertThat(restarted.request("fee 1030", "fee=")).isEqualTo("fee=26");
            assertThat(h.send(restarted, "op", "list").fields()).containsEntry("installed.0.state", "active");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.hotpatch.agent.AgentHarness#jdks")
    void deathAfterTheProbation_isNotAHotpatchProblem(Path java) {
        try (TargetJvm app = h.start(java, state, h.enrolled("probation=1s"))) {
            assertThat(h.apply(app, fix).get("status")).isEqualTo("ok");
            awaitProbationOver(app);
            app.kill();
        }
        try (TargetJvm restarted = h.start(java, state, h.enrolled("probation=1s"))) {
            assertThat(restarted.request("fee 1030", "fee=")).isEqualTo("fee=26");
            assertThat(h.send(restarted, "op", "list").fields()).containsEntry("installed.0.state", "active");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.hotpatch.agent.AgentHarness#jdks")
    void uninstall_ofAQuarantinedHotpatch_removesItForGood(Path java) {
        try (TargetJvm app = h.start(java, state, h.enrolled())) {
            assertThat(h.apply(app, fix).get("status")).isEqualTo("ok");
            app.kill();
        }
        try (TargetJvm restarted = h.start(java, state, h.enrolled())) {
            Message r = h.send(restarted, "op", "uninstall", "id", "KB2026-0001");
            assertThat(r.get("status")).as(r.toString()).isEqualTo("ok");
            assertThat(r.get("message")).contains("quarantined", "will not come back");
            assertThat(h.send(restarted, "op", "list").get("installed.count")).isEqualTo("0");
        }
        try (TargetJvm again = h.start(java, state, h.enrolled())) {
            assertThat(h.send(again, "op", "list").get("installed.count")).isEqualTo("0");
        }
    }

    /** The probation watch ends a probation within a beat (5 s) of its end; the deadline only bounds a hang. */
    private static void awaitProbationOver(TargetJvm app) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (h.send(app, "op", "list").get("installed.0.probationUntil") != null) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the probation of KB2026-0001 did not end within 60 s: " + h.send(app, "op", "list"));
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}
