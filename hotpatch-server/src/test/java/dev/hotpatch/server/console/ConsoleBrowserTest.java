package dev.hotpatch.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.format.ClassPatch;
import dev.hotpatch.server.testing.Fixtures;
import dev.hotpatch.server.testing.Fixtures.Node;
import dev.hotpatch.server.testing.Fixtures.Scene;
import dev.hotpatch.server.testing.TestServer;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.WebElement;

/**
 * The Machine → Updates page in a real headless Chromium against a real server (SQLite) on
 * loopback, with one machine whose node speaks the real check-in protocol over HTTP (the test plays
 * the node's part: it checks in, takes the commands and posts their results with the machine's
 * fresh report). Every change the page shows arrives by its own polling: the test checks the page
 * was never reloaded.
 */
class ConsoleBrowserTest {
    private static final String KB1 = "KB2026-0001";
    private static final String KB2 = "KB2026-0002";

    private TestServer server;
    private Browser browser;
    private Scene scene;
    private Node node;
    private final byte[] utilV2 = Fixtures.cls("acme/Util v2 fixed");

    @BeforeEach
    void start() throws IOException {
        server = new TestServer("sqlite");
        scene = new Scene(server);
        server.clock.set(Instant.parse("2026-02-10T13:00:00Z"));
        TestServer.Response kb1 = scene.publishHotpatch(KB1, "1.0", "2026-02-10", scene.feesV1, scene.feesV2, List.of(), false);
        assertThat(kb1.status()).as(kb1.body()).isEqualTo(201);
        server.clock.set(Instant.parse("2026-03-10T13:00:00Z"));
        byte[] pkg = Fixtures.hotpatch(Fixtures.trustedKey(), KB2, Scene.IMAGE, "1.0", Instant.parse("2026-03-10T12:00:00Z"),
                List.of(ClassPatch.replace("acme/Util", Fixtures.sha(scene.util), utilV2)), List.of());
        TestServer.Response kb2 = server.postMultipart("/api/v1/updates", server.adminToken, Map.of("package", new TestServer.FilePart(KB2 + ".hotpatch", pkg)));
        assertThat(kb2.status()).as(kb2.body()).isEqualTo(201);
        server.clock.set(Instant.parse("2026-03-20T10:56:00Z"));
        node = Node.enroll(server, "host-1");
        node.checkIn(report(List.of()));
        browser = new Browser();
    }

    @AfterEach
    void stop() throws IOException {
        try {
            if (browser != null) {
                assertThat(browser.consoleErrors()).as("errors in the browser's console").isEmpty();
                browser.close();
            }
        } finally {
            server.close();
        }
    }

    private Map<String, Object> report(List<Map<String, Object>> hotpatches) {
        return Fixtures.machine("billing-1", scene.jar10, hotpatches, null);
    }

    @Test
    void machinePage_assessesLive_installsWithAnExcludeList_uninstallsLive_andDisablesActionsWhenTheMachineStops() throws IOException {
        browser.signIn(server.url("/?page=machine&machine=billing-1"), server.adminToken);
        browser.waitForText("#detail h2", "Updates — billing-1");
        assertThat(browser.driver.getCurrentUrl()).isEqualTo(server.url("/?page=machine&machine=billing-1")).doesNotContain(server.adminToken);
        assertThat(browser.text("#baseline")).isEqualTo("acme/fees/1.x 1.0");
        assertThat(browser.text("#hotpatch-status")).isEqualTo("Enabled");
        assertThat(browser.text("#last-assessed")).contains("2026-03-20 10:56:00 UTC").contains("local (UTC)");
        assertThat(browser.findAll("#missing-updates tbody tr")).extracting(r -> r.findElement(By.xpath("td[3]")).getText())
                .containsExactlyInAnyOrder(KB1, KB2);
        // A mark the page keeps only as long as it is not reloaded.
        browser.js("window.notReloaded = true");

        // Assess now: the node answers an hour later; the page shows the new time by itself.
        browser.button("Assess now").click();
        JsonNode assess = awaitOperation("assess");
        server.clock.advance(Duration.ofHours(1));
        JsonNode cmd = onlyCommand(node.checkIn(report(List.of())), "assess");
        assertThat(node.result(cmd.get("id").asText(), "succeeded", "reported", report(List.of())).status()).isEqualTo(200);
        browser.waitForText("#last-assessed", "2026-03-20 11:56:00 UTC");
        browser.waitForText("li[data-operation='" + assess.get("id").asText() + "']", "succeeded");

        // Install with an exclude list: only KB1 is queued; the page follows it from queued to delivered to installed.
        browser.button("Install updates now").click();
        WebElement dialog = browser.find("#install-dialog");
        dialog.findElement(By.name("exclude")).sendKeys(KB2);
        browser.screenshot("console-install.png");
        dialog.findElement(By.xpath(".//button[.='Install']")).click();
        JsonNode install = awaitOperation("install");
        assertThat(install.get("items")).extracting(i -> i.get("kbId").asText()).containsExactly(KB1);
        assertThat(install.at("/request/excludeKbs").toString()).isEqualTo("[\"" + KB2 + "\"]");
        String op = "li[data-operation='" + install.get("id").asText() + "']";
        browser.waitForText(op, "queued — waiting for the node");
        JsonNode installCmd = onlyCommand(node.checkIn(report(List.of())), "install_hotpatch");
        browser.waitForText(op, "delivered — installing");
        server.clock.advance(Duration.ofMinutes(1));
        Map<String, Object> kb1 = new java.util.LinkedHashMap<>(Fixtures.installed(KB1, "acme/Fees", scene.feesV2, server.clock.instant()));
        kb1.put("fixup", Map.of("className", "acme.FeesFixup", "state", "ran", "detail", "afterApply() ran in 1 class loader at the live apply"));
        Map<String, Object> patched = report(List.of(kb1));
        assertThat(node.result(installCmd.get("id").asText(), "succeeded", "applied to 1 class in 1 loader", patched).status()).isEqualTo(200);
        browser.waitForText(op, "succeeded");

        browser.button("Installed updates").click();
        String kb1Row = "#installed tr[data-kb='" + KB1 + "']";
        String installed = browser.waitForText(kb1Row, "bytes in use are the package's");
        assertThat(installed).contains("acme.Fees (loader 1): " + Fixtures.sha(scene.feesV2).substring(0, 16))
                .contains("Fix-up acme.FeesFixup: afterApply() ran in 1 class loader at the live apply");
        assertThat(browser.driver.getCurrentUrl()).endsWith("&tab=installed");
        browser.screenshot("console-machine-installed.png");
        browser.button("Update history").click();
        browser.find("#history tr[data-action='install'][data-outcome='succeeded'][data-kb='" + KB1 + "']");
        browser.button("Missing updates").click();
        assertThat(browser.findAll("#missing-updates tbody tr")).extracting(r -> r.findElement(By.xpath("td[3]")).getText()).containsExactly(KB2);
        browser.screenshot("console-machine.png");

        // Uninstall live, after a confirmation.
        browser.button("Installed updates").click();
        browser.find(kb1Row + " button.danger").click();
        assertThat(browser.text("#confirm-dialog")).contains("Uninstall " + KB1 + " live from billing-1");
        browser.confirm();
        JsonNode uninstall = awaitOperation("uninstall");
        JsonNode uninstallCmd = onlyCommand(node.checkIn(patched), "uninstall_hotpatch");
        assertThat(uninstallCmd.at("/payload/kbId").asText()).isEqualTo(KB1);
        assertThat(node.result(uninstallCmd.get("id").asText(), "succeeded", "uninstalled", report(List.of())).status()).isEqualTo(200);
        browser.waitForText("#installed", "Nothing installed on this machine.");
        browser.waitForText("li[data-operation='" + uninstall.get("id").asText() + "']", "succeeded");
        browser.button("Update history").click();
        browser.find("#history tr[data-action='uninstall'][data-outcome='succeeded'][data-kb='" + KB1 + "']");

        // The JVM stops (its node no longer reports it): the actions are disabled and say why.
        node.checkInAll(List.of());
        String reason = browser.waitForText("#action-reason", "billing-1 is not running");
        assertThat(reason).contains("node (host-1)");
        for (String label : List.of("Assess now", "Install updates now", "Roll back to last known good baseline")) {
            WebElement b = browser.button(label);
            assertThat(b.isEnabled()).as(label).isFalse();
            assertThat(b.getDomAttribute("aria-describedby")).isEqualTo("action-reason");
        }
        browser.screenshot("console-machine-stopped.png");
        assertThat(browser.js("return window.notReloaded === true")).as("the page was never reloaded").isEqualTo(true);

        // The selected machine survives a reload; the token stays out of every URL.
        browser.driver.navigate().refresh();
        browser.waitForText("#detail h2", "Updates — billing-1");
        assertThat(browser.driver.getCurrentUrl()).doesNotContain("hpt_");
    }

    @Test
    void machinePage_rollBackAsksFirst_andQueuesTheRollbackToTheLastKnownGoodBaseline() throws IOException {
        // The machine moved from baseline 1.0 to an unplanned 1.1: 1.0 is its last known good one.
        byte[] jar11 = Fixtures.jar(Fixtures.orderedMap("acme/Fees", scene.feesV3, "acme/Util", utilV2));
        TestServer.Response bl = scene.publishBaseline("1.1", "unplanned", "2026-03-15", jar11, true);
        assertThat(bl.status()).as(bl.body()).isEqualTo(201);
        node.checkIn(Fixtures.machine("billing-1", jar11, List.of(), null));

        browser.signIn(server.url("/?page=machine&machine=billing-1"), server.adminToken);
        browser.waitForText("#baseline", "acme/fees/1.x 1.1");
        browser.button("Roll back to last known good baseline").click();
        assertThat(browser.text("#confirm-dialog")).contains("the JVM restarts");
        // Cancel changes nothing.
        browser.find("#confirm-dialog button.secondary").click();
        assertThat(operations()).isEmpty();
        browser.button("Roll back to last known good baseline").click();
        browser.confirm();
        JsonNode op = awaitOperation("rollback-baseline");
        JsonNode cmd = Node.commands(node.checkIn(Fixtures.machine("billing-1", jar11, List.of(), null))).get(0);
        assertThat(cmd.get("type").asText()).isEqualTo("install_baseline");
        assertThat(cmd.at("/payload/version").asText()).isEqualTo("1.0");
        browser.waitForText("li[data-operation='" + op.get("id").asText() + "']", "delivered");
    }

    @Test
    void console_takesTheTokenFromTheFragment_andRemovesItFromTheAddressBar() {
        browser.driver.get(server.url("/#token=" + server.adminToken + "&machine=billing-1"));
        browser.waitForText("#detail h2", "Updates — billing-1");
        assertThat(browser.driver.getCurrentUrl()).isEqualTo(server.url("/?page=machine&machine=billing-1"));
        assertThat(browser.js("return sessionStorage.getItem('hotpatch.token')")).isEqualTo(server.adminToken);
        // On a narrow window the page stacks rather than runs off to the side.
        browser.driver.manage().window().setSize(new Dimension(820, 900));
        assertThat((Boolean) browser.js("return document.documentElement.scrollWidth <= document.documentElement.clientWidth"))
                .as("page scrolls sideways at 820 px").isTrue();
    }

    private JsonNode awaitOperation(String type) {
        return browser.until(d -> operations().stream().filter(o -> o.get("type").asText().equals(type)).findFirst().orElse(null));
    }

    private List<JsonNode> operations() {
        TestServer.Response r = server.get("/api/v1/operations?machine=billing-1", server.adminToken);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        List<JsonNode> out = new java.util.ArrayList<>();
        r.json().forEach(out::add);
        return out;
    }

    private static JsonNode onlyCommand(TestServer.Response checkIn, String type) {
        List<JsonNode> cmds = Node.commands(checkIn);
        assertThat(cmds).extracting(c -> c.get("type").asText()).containsExactly(type);
        return cmds.get(0);
    }
}
