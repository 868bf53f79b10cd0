package dev.hotpatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.testkit.Jdks;
import dev.hotpatch.testkit.TargetJvm;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fleet loop through the CLI, as an operator scripts it: {@code hotpatch server} (in this JVM,
 * port 0) → image add → baseline publish → update publish → a real node reports a real fees-app
 * JVM → updates → install now (live) → history → list → uninstall (live), on Java 17 and 25; a
 * custom build; the calendar; roles and tokens.
 */
class FleetLoopTest {
    static final String IMAGE = FeesCatalog.IMAGE;
    static final String KB = FeesCatalog.KB;

    @TempDir
    static Path tmp;
    static CliServer server;
    static Path keys;

    @BeforeAll
    static void publish() {
        server = CliServer.start(tmp.resolve("server"), "--check-in-interval", "1s");
        keys = FeesCatalog.publish(server, tmp);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    static List<Path> javas() {
        return Jdks.all();
    }

    @ParameterizedTest
    @MethodSource("javas")
    void fullLoop_publishReportAssessInstallHistoryListUninstall(Path java) {
        String name = FeesApp.name("fees-" + Jdks.featureVersion(java));
        Path dir = tmp.resolve(name);
        try (TargetJvm app = FeesApp.start(java, FeesApp.V1, name, dir.resolve("agent-state"))) {
            TestNode node = TestNode.start(server, dir, keys, List.of(name));
            try (node) {
                assertThat(FeesApp.fee(app)).isEqualTo("fee 100 = 2");
                server.awaitAssessed(name);

                CliRun machines = server.cli("machines", "--name", name);
                assertThat(machines.exit()).as(machines.toString()).isZero();
                assertThat(machines.out()).contains(name).containsPattern("Enabled +1 +0 +1 +" + IMAGE + " 1\\.0")
                        .contains("MISSING").contains("CRITICAL").contains("SECURITY");
                assertThat(machines.out().lines()).allSatisfy(l -> assertThat(l.length()).as(l).isLessThanOrEqualTo(100));
                assertThat(server.cli("machines", "--name", name, "--wide").out()).contains("LAST ASSESSED").contains("REASON");

                JsonNode a = server.json("updates", "--machine", name).path("assessment");
                assertThat(a.path("status").asText()).as(a.toString()).isEqualTo("Enabled");
                assertThat(a.path("missing").path("total").asInt()).isEqualTo(1);
                assertThat(a.path("missing").path("security").asInt()).isEqualTo(1);
                assertThat(a.path("missing").path("critical").asInt()).isZero();
                assertThat(a.path("missing").path("other").asInt()).isZero();
                assertThat(a.path("updates").get(0).path("kbId").asText()).isEqualTo(KB);
                CliRun view = server.cli("updates", "--machine", name);
                assertThat(view.out()).contains("Hotpatch status: Enabled").contains("Last assessed: 20")
                        .contains("Total missing updates").contains("Missing security updates")
                        .contains("Update name").contains("Classifications").contains("KB ID").contains("Reboot behavior").contains("Published date")
                        .contains("Round card fees half-up").contains("Security").contains(KB).contains("NeverReboots").contains("2026-02-10 09:00:00 UTC");

                CliRun install = server.cli("install", "--machine", name, "--classification", "Security");
                assertThat(install.exit()).as(install.toString()).isZero();
                assertThat(install.out()).contains("queued").contains(KB + "  installed").contains("succeeded");
                assertThat(FeesApp.fee(app)).as("the same JVM, patched live").isEqualTo("fee 100 = 3");
                assertThat(app.isAlive()).isTrue();
                assertThat(server.json("updates", "--machine", name).at("/assessment/missing/total").asInt()).isZero();

                CliRun history = server.cli("history", "--machine", name);
                assertThat(history.exit()).as(history.toString()).isZero();
                assertThat(history.out()).containsPattern("install +" + KB + " +succeeded +token:admin");
                JsonNode entries = server.json("history", "--machine", name, "--days", "30").path("history");
                assertThat(entries).anySatisfy(e -> {
                    assertThat(e.path("action").asText()).isEqualTo("install");
                    assertThat(e.path("kbId").asText()).isEqualTo(KB);
                    assertThat(e.path("outcome").asText()).isEqualTo("succeeded");
                });

                CliRun list = server.cli("list", "--machine", name);
                assertThat(list.exit()).as(list.toString()).isZero();
                assertThat(list.out()).contains("HotFixID").contains(KB).contains("Security Update: Round card fees half-up").contains("yes");
                assertThat(server.json("list", "--machine", name).at("/installed/0/hotFixId").asText()).isEqualTo(KB);

                CliRun uninstall = server.cli("uninstall", "--machine", name);
                assertThat(uninstall.exit()).as(uninstall.toString()).isZero();
                assertThat(uninstall.out()).contains(KB + "  uninstalled");
                assertThat(FeesApp.fee(app)).as("the old code again, live").isEqualTo("fee 100 = 2");
                assertThat(server.cli("history", "--machine", name).out()).containsPattern("uninstall +" + KB + " +succeeded");
                assertThat(server.cli("list", "--machine", name).out()).contains("No hotpatches or updates installed");

                // As a script does it: start, take the id, follow it.
                CliRun queued = server.cli("install", "--machine", name, "--include-kb", KB, "--no-wait");
                assertThat(queued.exit()).as(queued.toString()).isZero();
                String op = queued.out().strip();
                assertThat(op).startsWith("op-");
                CliRun followed = server.cli("operation", op, "--wait", "--timeout", "60s");
                assertThat(followed.exit()).as(followed.toString()).isZero();
                assertThat(FeesApp.fee(app)).isEqualTo("fee 100 = 3");

                CliRun rollback = server.cli("rollback", "--machine", name);
                assertThat(rollback.exit()).as("never ran another baseline: nothing to roll back to\n" + rollback).isEqualTo(3);
                assertThat(rollback.err()).contains("409 no-last-known-good");
            }
        }
    }

    @Test
    void customBuild_isNotSupportedWithTheReason_andInstallIsRefused() {
        String name = FeesApp.name("custom");
        Path dir = tmp.resolve(name);
        Path custom = FeesApp.customBuild(tmp.resolve("fees-custom.jar"));
        try (TargetJvm app = FeesApp.start(Jdks.java17(), custom, name, dir.resolve("agent-state"))) {
            TestNode node = TestNode.start(server, dir, keys, List.of(name));
            try (node) {
                server.awaitAssessed(name);

                JsonNode a = server.json("updates", "--machine", name).path("assessment");
                assertThat(a.path("status").asText()).as(a.toString()).isEqualTo("NotSupported");
                assertThat(a.path("statusReason").asText()).contains("custom image");
                assertThat(server.cli("updates", "--machine", name).out()).contains("Hotpatch status: NotSupported — custom image");
                assertThat(server.cli("machines", "--status", "NotSupported").out()).contains(name).contains("custom image");

                CliRun install = server.cli("install", "--machine", name, "--classification", "Security", "--json");
                assertThat(install.exit()).as(install.toString()).isEqualTo(3);
                assertThat(install.json().path("httpStatus").asInt()).isEqualTo(409);
                assertThat(install.json().path("error").asText()).isEqualTo("not-supported");
                assertThat(install.err()).contains("refused (409 not-supported)").contains("custom image").contains("Nothing changed");
                assertThat(FeesApp.fee(app)).isEqualTo("fee 100 = 4");
                assertThat(server.json("history", "--machine", name).path("history"))
                        .anySatisfy(e -> assertThat(e.path("outcome").asText()).isEqualTo("refused"));
            }
        }
    }

    @Test
    void schedule_showsTheYear_andPublishingAgainIsRefused() {
        CliRun s = server.cli("schedule", "--image", IMAGE, "--year", "2026");
        assertThat(s.exit()).as(s.toString()).isZero();
        assertThat(s.out()).contains("Jan, Apr, Jul, Oct").containsPattern("2026-01 +planned-baseline +planned-baseline +1.0")
                .containsPattern("2026-02 +hotpatch +hotpatch +" + KB);
        assertThat(server.json("schedule", "--image", IMAGE, "--year", "2026").at("/schedule/months").size()).isEqualTo(12);

        CliRun again = server.cli("update", "publish", tmp.resolve(KB + ".hotpatch").toString(), "--json");
        assertThat(again.exit()).as(again.toString()).isEqualTo(3);
        assertThat(again.json().path("error").asText()).isEqualTo("duplicate-kb");

        CliRun outOfCadence = server.cli("baseline", "publish", "--image", IMAGE, "--version", "1.1", "--released-on", "2026-02-20",
                "--key", keys.toString(), FeesApp.V101.toString());
        assertThat(outOfCadence.exit()).as(outOfCadence.toString()).isEqualTo(3);
        assertThat(outOfCadence.err()).contains("not-a-baseline-month").contains("--kind unplanned")
                .contains("--released-on").doesNotContain("kind=unplanned");

        CliRun noImage = server.cli("baseline", "list", "--image", "nobody/nothing/0");
        assertThat(noImage.exit()).as(noImage.toString()).isEqualTo(2);
        assertThat(noImage.err()).contains("404");
    }

    @Test
    void imageAddSetList_andADuplicateIsRefused() {
        assertThat(server.cli("image", "add", "acme/ledger/2.x", "--cadence-months", "6").exit()).isZero();
        CliRun set = server.cli("image", "set", "acme/ledger/2.x", "--supported", "false");
        assertThat(set.exit()).as(set.toString()).isZero();
        assertThat(set.out()).contains("NOT hotpatch supported").contains("every 6 months");
        assertThat(server.cli("image", "list").out()).containsPattern("acme/ledger/2.x +not supported +every 6 months from January");
        CliRun again = server.cli("image", "add", "acme/ledger/2.x");
        assertThat(again.exit()).as(again.toString()).isEqualTo(3);
        assertThat(again.err()).contains("409 duplicate-image");
        assertThat(server.cli("image", "set", "acme/ledger/2.x").exit()).isEqualTo(2);
    }

    @Test
    void readerToken_cannotPublish_exit3_andBadOrMissingTokensAreUsageErrors() {
        String reader = server.json("token", "create", "--name", "auditor", "--role", "reader").path("token").path("token").asText();
        assertThat(reader).startsWith("hpt_");

        assertThat(server.as(reader, "machines").exit()).isZero();
        CliRun publish = server.as(reader, "image", "add", "acme/other/1.x", "--json");
        assertThat(publish.exit()).as(publish.toString()).isEqualTo(3);
        assertThat(publish.json().path("httpStatus").asInt()).isEqualTo(403);
        assertThat(publish.json().path("error").asText()).isEqualTo("forbidden");
        assertThat(publish.err()).contains("refused (403 forbidden)").contains("role reader");
        assertThat(server.json("image", "list").path("images").toString()).doesNotContain("acme/other");

        CliRun bogus = server.as("hpt_not-a-real-token", "machines");
        assertThat(bogus.exit()).as(bogus.toString()).isEqualTo(2);
        assertThat(bogus.err()).contains("did not accept the token (401").contains("--token");

        String home = System.getProperty("user.home");
        try {
            // No --token, no HOTPATCH_TOKEN and no readable admin token file in the (empty) home folder.
            System.setProperty("user.home", tmp.resolve("empty-home").toString());
            CliRun none = CliRun.of("machines", "--server", server.url, "--json");
            assertThat(none.exit()).as(none.toString()).isEqualTo(2);
            assertThat(none.err()).contains("no API token").contains("--token").contains("HOTPATCH_TOKEN");
            assertThat(none.json().path("status").asText()).isEqualTo("usage");
        } finally {
            System.setProperty("user.home", home);
        }

        CliRun down = CliRun.of("machines", "--server", "http://127.0.0.1:1", "--token", reader);
        assertThat(down.exit()).as(down.toString()).isEqualTo(1);
        assertThat(down.err()).contains("cannot reach the Hotpatch server at http://127.0.0.1:1");
    }
}
