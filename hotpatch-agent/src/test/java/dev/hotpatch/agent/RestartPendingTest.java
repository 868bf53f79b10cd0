package dev.hotpatch.agent;

import static dev.hotpatch.agent.AgentHarness.FEES_V1;
import static dev.hotpatch.agent.AgentHarness.FEES_V2;
import static dev.hotpatch.agent.AgentHarness.FEES_V3;
import static dev.hotpatch.agent.AgentHarness.LATE_V1;
import static dev.hotpatch.agent.AgentHarness.LATE_V2;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpatch.format.channel.Message;
import dev.hotpatch.testkit.JarMaker;
import dev.hotpatch.testkit.TargetJvm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 10 item 2: a baseline installed without a restart swaps the jar on disk while the JVM keeps
 * running the old classes. The agent must not check a hotpatch against the new file, and must say
 * that a restart is pending.
 */
class RestartPendingTest {
    @TempDir
    static Path dir;
    static AgentHarness h;
    /** The next build (Fees v2): what a baseline install puts on disk. */
    static Path v2Jar;
    /** A hotpatch built for the next build (v2 to v3). */
    static Path fixForV2;
    /** A hotpatch for the running build (v1 to v2). */
    static Path fixForV1;

    @TempDir
    Path tmp;

    @BeforeAll
    static void setUp() throws IOException {
        h = new AgentHarness(dir);
        v2Jar = JarMaker.compile(dir.resolve("app-2.0.jar"), AgentHarness.sources(FEES_V2, LATE_V1), List.of(), 11);
        Map<String, byte[]> v2 = AgentHarness.classes(v2Jar);
        fixForV2 = h.pkg(v2, "KB2026-0200", FEES_V3, LATE_V1, List.of(), h.key);
        fixForV1 = h.pkg("KB2026-0100", FEES_V2, LATE_V2);
    }

    @ParameterizedTest
    @MethodSource("dev.hotpatch.agent.AgentHarness#jdks")
    void enrolledJvm_whoseJarWasReplaced_refusesAHotpatchForTheNewJar_andReportsRestartPending(Path java) throws IOException {
        Path jar = Files.copy(h.appJar, tmp.resolve("app.jar"));
        try (TargetJvm app = h.start(java, jar, tmp.resolve("state"), h.enrolled())) {
            assertThat(app.request("fee 1030", "fee=")).isEqualTo("fee=25");
            assertThat(h.send(app, "op", "list").get("restartPending.reason")).as("nothing changed yet").isNull();
            swap(v2Jar, jar);

            Message r = h.apply(app, fixForV2);

            assertThat(r.get("status")).as(r.toString()).isEqualTo("refused");
            assertThat(r.get("message")).contains("restart pending", jar.toString(), "changed on disk after the JVM loaded it");
            assertThat(app.request("fee 1030", "fee=")).as("still the build it loaded").isEqualTo("fee=25");
            Message list = h.send(app, "op", "list");
            assertThat(list.get("restartPending.reason")).contains(jar.toString(), "hotpatches for it are refused until restart");
            assertThat(Instant.parse(list.get("restartPending.since"))).isBefore(Instant.now().plusSeconds(1));
        }
        try (TargetJvm restarted = h.start(java, jar, tmp.resolve("state"), h.enrolled())) {
            assertThat(restarted.request("fee 1030", "fee=")).as("the new build runs").isEqualTo("fee=26");
            assertThat(h.apply(restarted, fixForV2).get("status")).isEqualTo("ok");
            assertThat(restarted.request("fee 1030", "fee=")).isEqualTo("fee=1026");
            assertThat(h.send(restarted, "op", "list").get("restartPending.reason")).isNull();
        }
    }

    @ParameterizedTest
    @MethodSource("dev.hotpatch.agent.AgentHarness#jdks")
    void attachedAgent_arrivingAfterTheJarWasReplaced_refusesHotpatchesForIt(Path java) throws IOException {
        Path jar = Files.copy(h.appJar, tmp.resolve("app.jar"));
        try (TargetJvm app = h.start(java, jar, tmp.resolve("state"))) {
            assertThat(app.request("fee 1030", "fee=")).isEqualTo("fee=25");
            swap(v2Jar, jar);
            // The swap is later than the JVM's start by more than any clock granularity.
            Instant started = ProcessHandle.of(app.pid()).orElseThrow().info().startInstant().orElseThrow();
            Files.setLastModifiedTime(jar, FileTime.from(started.plusSeconds(30)));

            Message forNew = h.apply(app, fixForV2);
            Message forOld = h.apply(app, fixForV1);

            assertThat(forNew.get("status")).as(forNew.toString()).isEqualTo("refused");
            assertThat(forNew.get("message")).contains("restart pending", jar.toString(), "after this JVM started");
            assertThat(forOld.get("status")).as("which build runs cannot be told: " + forOld).isEqualTo("refused");
            assertThat(app.request("fee 1030", "fee=")).isEqualTo("fee=25");
            assertThat(h.send(app, "op", "list").get("restartPending.reason")).contains(jar.toString());
        }
    }

    /** Replaces {@code target} the way a baseline install does: a new file renamed over the old one. */
    private static void swap(Path newJar, Path target) throws IOException {
        Path tmp = Files.copy(newJar, target.resolveSibling(".swap.tmp"), StandardCopyOption.REPLACE_EXISTING);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
