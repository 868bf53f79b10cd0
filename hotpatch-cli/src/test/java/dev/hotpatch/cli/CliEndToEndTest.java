package dev.hotpatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.format.HotpatchPackage;
import dev.hotpatch.testkit.JarMaker;
import dev.hotpatch.testkit.Jdks;
import dev.hotpatch.testkit.TargetJvm;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.io.TempDir;

/** The CLI against real target JVMs on Java 17 and 25, with the real agent: apply, list, uninstall, refusals. */
class CliEndToEndTest {

    @TempDir
    static Path tmp;
    static Path keys;
    static Path v1;
    static Path fix;
    static Path fixOfV2;

    @BeforeAll
    static void packages() {
        keys = tmp.resolve("keys");
        assertThat(CliRun.of("keygen", "--out", keys.toString()).exit()).isZero();
        v1 = jar("v1", "c / 100");
        Path v2 = jar("v2", "Math.max(0, c) / 50");
        Path v3 = jar("v3", "Math.max(0, c) / 25");
        fix = build("KB2026-0101", v1, v2);
        fixOfV2 = build("KB2026-0102", v2, v3);
    }

    static List<Path> javas() {
        return Jdks.all();
    }

    @ParameterizedTest
    @MethodSource("javas")
    void applyListUninstall_onAttachedJvm(Path java) {
        try (TargetJvm target = start(java, "shop-a")) {
            assertThat(target.request("fee 1000", "fee 1000")).isEqualTo("fee 1000 = 10");
            String pid = Long.toString(target.pid());

            JsonNode ps = CliRun.of("ps", "--timeout", "30s", "--json").json();
            JsonNode row = find(ps, target.pid());
            assertThat(row.get("status").asText()).isEqualTo("Enabled");
            assertThat(row.get("agentPresent").asBoolean()).isFalse();

            CliRun apply = CliRun.of("apply", "--pid", pid, fix.toString(), "--trust", keys.toString());
            assertThat(apply.exit()).as(apply.toString()).isZero();
            assertThat(apply.out()).contains("Installed KB2026-0101").contains("shop/Fees").contains("1 loader patched");
            assertThat(target.request("fee 1000", "fee 1000")).isEqualTo("fee 1000 = 20");

            JsonNode again = CliRun.of("apply", "--pid", pid, fix.toString(), "--trust", keys.toString(), "--json").json();
            assertThat(again.get("status").asText()).isEqualTo("noop");

            CliRun list = CliRun.of("list", "--pid", pid);
            assertThat(list.exit()).as(list.toString()).isZero();
            assertThat(list.out()).contains("HotFixID").contains("shop-a").contains("KB2026-0101")
                    .contains("Security Update: Fees").contains(sha(fix)).contains("verified: 1 loader runs these bytes")
                    .contains("live until this JVM exits").doesNotContain("re-applied at restart");
            JsonNode listed = CliRun.of("list", "--pid", pid, "--json").json();
            assertThat(listed.at("/installed/0/hotFixId").asText()).isEqualTo("KB2026-0101");
            assertThat(listed.at("/installed/0/classes/0/sha256").asText()).isEqualTo(sha(fix));
            assertThat(listed.at("/installed/0/classes/0/copies/0/sha256").asText()).isEqualTo(sha(fix));
            assertThat(listed.at("/installed/0/classes/0/verified").asBoolean()).isTrue();
            assertThat(listed.at("/installed/0/state").asText()).isEqualTo("active");
            assertThat(listed.at("/installed/0/persisted").asBoolean()).isFalse();
            assertThat(listed.get("mode").asText()).isEqualTo("attached");
            assertThat(find(CliRun.of("ps", "--timeout", "30s", "--json").json(), target.pid()).get("installed").get(0).asText()).isEqualTo("KB2026-0101");

            CliRun uninstall = CliRun.of("uninstall", "--pid", pid);
            assertThat(uninstall.exit()).as(uninstall.toString()).isZero();
            assertThat(target.request("fee 1000", "fee 1000")).isEqualTo("fee 1000 = 10");
            CliRun nothingLeft = CliRun.of("uninstall", "--pid", pid);
            assertThat(nothingLeft.exit()).as(nothingLeft.toString()).isEqualTo(3);
        }
    }

    @ParameterizedTest
    @MethodSource("javas")
    void apply_refusesPackageForAnotherBaseline_andChangesNothing(Path java) {
        try (TargetJvm target = start(java, "shop-b")) {
            target.request("fee 1000", "fee 1000");

            CliRun r = CliRun.of("apply", "--pid", Long.toString(target.pid()), fixOfV2.toString(), "--trust", keys.toString(), "--json");

            assertThat(r.exit()).as(r.toString()).isEqualTo(3);
            assertThat(r.json().get("status").asText()).isEqualTo("refused");
            assertThat(r.json().get("message").asText()).contains("shop/Fees");
            assertThat(target.request("fee 1000", "fee 1000")).isEqualTo("fee 1000 = 10");
        }
    }

    @ParameterizedTest
    @MethodSource("javas")
    void apply_usesTheAgentOfAnEnrolledJvm(Path java) {
        Path agent = Path.of(CliRun.of("agent-path").out().trim());
        try (TargetJvm target = TargetJvm.builder(java).classpath(v1).mainClass("shop.App").dynamicAgentLoading(false)
                .jvmArgs("-javaagent:" + agent + "=name=shop-e,state=" + tmp.resolve("state-e-" + Jdks.featureVersion(java)))
                .start()) {
            target.await("ready"::equals, TargetJvm.REQUEST_TIMEOUT);
            target.request("fee 1000", "fee 1000");
            assertThat(find(CliRun.of("ps", "--timeout", "30s", "--json").json(), target.pid()).get("mode").asText()).isEqualTo("enrolled");

            JsonNode r = CliRun.of("apply", "--pid", Long.toString(target.pid()), fix.toString(), "--trust", keys.toString(), "--json").json();

            assertThat(r.get("status").asText()).as(r.toString()).isEqualTo("ok");
            assertThat(r.get("agentLoadedNow").asBoolean()).isFalse();
            assertThat(target.request("fee 1000", "fee 1000")).isEqualTo("fee 1000 = 20");
            assertThat(target.output()).noneMatch(l -> l.contains("loaded dynamically"));
        }
    }

    @ParameterizedTest
    @MethodSource("javas")
    void applyListUninstall_onAStoppedJvm_endTimedOutInsteadOfHanging(Path java) throws Exception {
        // Issue 10 item 8b: 'kill -STOP' during apply hung the CLI for 300 s with no output.
        try (TargetJvm target = start(java, "shop-stopped")) {
            target.request("fee 1000", "fee 1000");
            String pid = Long.toString(target.pid());
            assertThat(CliRun.of("apply", "--pid", pid, fix.toString(), "--trust", keys.toString()).exit()).isZero();
            signal("STOP", target.pid());
            try {
                CliRun apply = CliRun.of("apply", "--pid", pid, fixOfV2.toString(), "--trust", keys.toString());
                CliRun list = CliRun.of("list", "--pid", pid, "--json");
                CliRun uninstall = CliRun.of("uninstall", "--pid", pid);
                CliRun ps = CliRun.of("ps", "--json");

                for (CliRun r : List.of(apply, list, uninstall)) {
                    assertThat(r.exit()).as(r.toString()).isEqualTo(1);
                }
                assertThat(apply.err()).contains("timed out: JVM " + pid + " is stopped").contains("kill -CONT " + pid);
                assertThat(list.json().get("message").asText()).contains("timed out");
                assertThat(uninstall.err()).contains("timed out");
                JsonNode row = find(ps.json(), target.pid());
                assertThat(row.get("status").asText()).isEqualTo("PendingEvaluation");
                assertThat(row.get("reason").asText()).contains("stopped");
            } finally {
                signal("CONT", target.pid());
            }
            assertThat(target.request("fee 1000", "fee 1000")).as("still patched, nothing half-done").isEqualTo("fee 1000 = 20");
        }
    }

    @ParameterizedTest
    @MethodSource("javas")
    void apply_ofAPackageForALibraryTheJvmDoesNotHave_isRefusedUnlessPendingIsAllowed(Path java) {
        Path libV1 = JarMaker.compile(tmp.resolve("lib-v1.jar"), Map.of("lib.Gadget", "package lib; public class Gadget { public static int n() { return 1; } }"), List.of(), 11);
        Path libV2 = JarMaker.compile(tmp.resolve("lib-v2.jar"), Map.of("lib.Gadget", "package lib; public class Gadget { public static int n() { return 2; } }"), List.of(), 11);
        Path foreign = build("KB2026-0150-" + Jdks.featureVersion(java), libV1, libV2);
        try (TargetJvm target = start(java, "shop-p")) {
            String pid = Long.toString(target.pid());

            CliRun refused = CliRun.of("apply", "--pid", pid, foreign.toString(), "--trust", keys.toString());
            CliRun pending = CliRun.of("apply", "--pid", pid, foreign.toString(), "--trust", keys.toString(), "--allow-pending");

            assertThat(refused.exit()).as(refused.toString()).isEqualTo(3);
            assertThat(refused.err()).contains("none of the classes").contains("lib.Gadget").contains("--allow-pending");
            assertThat(pending.exit()).as(pending.toString()).isZero();
            assertThat(pending.out()).contains("lib/Gadget").contains("pending: patched when it loads");
        }
    }

    @ParameterizedTest
    @MethodSource("javas")
    void quarantine_ofAnEnrolledJvmKilledRightAfterAnApply_isShownAndCleared(Path java) {
        Path agent = Path.of(CliRun.of("agent-path").out().trim());
        Path state = tmp.resolve("state-q-" + Jdks.featureVersion(java));
        String enrol = "-javaagent:" + agent + "=name=shop-q,trust=" + keys + ",state=" + state;
        try (TargetJvm target = TargetJvm.builder(java).classpath(v1).mainClass("shop.App").dynamicAgentLoading(false).jvmArgs(enrol).start()) {
            target.await("ready"::equals, TargetJvm.REQUEST_TIMEOUT);
            CliRun apply = CliRun.of("apply", "--pid", Long.toString(target.pid()), fix.toString(), "--trust", keys.toString());
            assertThat(apply.exit()).as(apply.toString()).isZero();
            assertThat(apply.out()).contains("re-applied when the JVM restarts");
            target.kill();
        }
        try (TargetJvm target = TargetJvm.builder(java).classpath(v1).mainClass("shop.App").dynamicAgentLoading(false).jvmArgs(enrol).start()) {
            target.await("ready"::equals, TargetJvm.REQUEST_TIMEOUT);
            String pid = Long.toString(target.pid());
            assertThat(target.request("fee 1000", "fee 1000")).isEqualTo("fee 1000 = 10");

            CliRun shown = CliRun.of("quarantine", "--pid", pid);
            CliRun list = CliRun.of("list", "--pid", pid);
            JsonNode json = CliRun.of("quarantine", "--pid", pid, "--json").json();

            assertThat(shown.out()).contains("KB2026-0101  quarantined since").contains("stopped without a clean shutdown");
            assertThat(list.out()).contains("quarantined").contains("not running");
            assertThat(json.at("/quarantined/0/id").asText()).isEqualTo("KB2026-0101");

            CliRun cleared = CliRun.of("quarantine", "--pid", pid, "--clear", "KB2026-0101");

            assertThat(cleared.exit()).as(cleared.toString()).isZero();
            assertThat(cleared.out()).contains("Cleared the quarantine of KB2026-0101");
            assertThat(target.request("fee 1000", "fee 1000")).isEqualTo("fee 1000 = 20");
            assertThat(CliRun.of("quarantine", "--pid", pid).out()).contains("No hotpatch is quarantined");
        }
    }

    private static void signal(String signal, long pid) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).start();
        assertThat(kill.waitFor()).as("kill -" + signal + " " + pid).isZero();
    }

    private static TargetJvm start(Path java, String machine) {
        TargetJvm t = TargetJvm.builder(java).classpath(v1).mainClass("shop.App")
                .jvmArgs("-Dhotpatch.machine=" + machine, "-Dhotpatch.state=" + tmp.resolve("state-" + machine + "-" + Jdks.featureVersion(java)))
                .start();
        t.await("ready"::equals, TargetJvm.REQUEST_TIMEOUT);
        return t;
    }

    private static Path jar(String name, String feeExpression) {
        return FeeShop.jar(tmp, name, feeExpression);
    }

    private static Path build(String id, Path baseline, Path patched) {
        return FeeShop.build(tmp, keys, id, baseline, patched);
    }

    private static String sha(Path pkg) {
        return HotpatchPackage.read(pkg, false).manifest().classes().get(0).sha256();
    }

    private static JsonNode find(JsonNode ps, long pid) {
        for (JsonNode j : ps.get("jvms")) {
            if (j.get("pid").asLong() == pid) {
                return j;
            }
        }
        throw new AssertionError("pid " + pid + " not in " + ps);
    }
}
