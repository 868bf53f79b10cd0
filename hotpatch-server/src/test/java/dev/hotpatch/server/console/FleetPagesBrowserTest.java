package dev.hotpatch.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.server.fleet.FleetApiTest;
import dev.hotpatch.server.testing.Fixtures.Scene;
import dev.hotpatch.server.testing.SimFleet;
import dev.hotpatch.server.testing.TestServer;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;

/**
 * The fleet-wide pages in a real headless Chromium against a real server (SQLite) on loopback,
 * with fleets of simulated nodes speaking the real node protocol over HTTP: the overview's counts
 * against the API, the calendar's unplanned baseline, a rollout that halts after a failing wave and
 * is resumed from the page, and the exposure and audit pages it leaves behind.
 */
class FleetPagesBrowserTest {
    private static final String KB = "KB2026-0001";

    private TestServer server;
    private Browser browser;

    @BeforeEach
    void start() throws IOException {
        server = new TestServer("sqlite");
        browser = new Browser();
    }

    @AfterEach
    void stop() throws IOException {
        try {
            assertThat(browser.consoleErrors()).as("errors in the browser's console").isEmpty();
            browser.close();
        } finally {
            server.close();
        }
    }

    @Test
    void fleetOverview_countsMatchTheApi_andFiltersAndPagesOnTheServer() throws Exception {
        Scene scene = new Scene(server);
        try (SimFleet fleet = FleetApiTest.fleet(server, scene)) {
            browser.signIn(server.url("/?page=fleet"), server.adminToken);
            browser.find("#fleet-machines");
            assertThat(count("#fleet-counts [data-key='total']")).isEqualTo(machines("").size()).isEqualTo(14);
            assertThat(count("#fleet-counts [data-key='present']")).isEqualTo(machines("?present=true").size());
            for (String status : List.of("Enabled", "ActionRequired", "PendingEvaluation", "Disabled", "NotSupported")) {
                assertThat(count("[data-chart='Machines by hotpatch status'] g[data-key='" + status + "']")).as(status)
                        .isEqualTo(machines("?status=" + status).size());
            }
            List<JsonNode> all = machines("");
            assertThat(count("[data-chart='Machines by missing classification'] g[data-key='security']"))
                    .isEqualTo(all.stream().filter(m -> m.at("/missing/security").asInt() > 0).count()).isEqualTo(11);
            assertThat(count("[data-chart='Machines by missing classification'] g[data-key='none']"))
                    .isEqualTo(all.stream().filter(m -> m.at("/missing/total").asInt() == 0).count());
            assertThat(count("[data-chart='Machines by image and baseline'] g[data-key='acme/fees/1.x 1.0']"))
                    .isEqualTo(all.stream().filter(m -> "1.0".equals(m.path("baselineVersion").asText())).count());
            browser.screenshot("console-fleet.png");

            // A filter goes to the server and into the URL; the counts follow it.
            new Select(browser.find("select[name='region']")).selectByVisibleText("us-east");
            browser.until(d -> d.getCurrentUrl().contains("region=us-east") ? true : null);
            browser.waitForText("#fleet-counts [data-key='total']", "4");
            assertThat(rowNames()).containsExactlyElementsOf(machines("?region=us-east").stream().map(m -> m.get("name").asText()).toList());
            browser.find("input[name='q']").sendKeys("-06");
            browser.button("Search").click();
            browser.until(d -> d.getCurrentUrl().contains("q=-06") ? true : null);
            browser.until(d -> rowNames().equals(List.of("web-06")) ? true : null);
            assertThat(browser.driver.getCurrentUrl()).contains("region=us-east");

            // Pages of 5: the server cuts them, in name order.
            browser.driver.get(server.url("/?page=fleet&limit=5"));
            browser.waitForText(".pager .range", "Showing 1–5 of 14");
            List<String> names = all.stream().map(m -> m.get("name").asText()).toList();
            assertThat(rowNames()).isEqualTo(names.subList(0, 5));
            browser.button("Next →").click();
            browser.waitForText(".pager .range", "Showing 6–10 of 14");
            assertThat(rowNames()).isEqualTo(names.subList(5, 10));
            assertThat(browser.driver.getCurrentUrl()).contains("offset=5").doesNotContain("hpt_");

            // A row opens the machine.
            browser.find("#fleet-machines tr[data-machine='web-05'] a").click();
            browser.waitForText("#detail h2", "Updates — web-05");
            assertThat(browser.text("#hotpatch-status")).isEqualTo("Disabled");
            assertThat(browser.text("#action-reason")).contains("Install is not available: hotpatch status is Disabled");
        }
    }

    @Test
    void calendar_showsTheUnplannedBaselineInItsMonth_withTheMonthsReleases() throws IOException {
        Scene scene = new Scene(server);
        server.clock.set(Instant.parse("2026-02-10T13:00:00Z"));
        assertThat(scene.publishHotpatch(KB, "1.0", "2026-02-10", scene.feesV1, scene.feesV2, List.of(), false).status()).isEqualTo(201);
        server.clock.set(Instant.parse("2026-03-16T09:00:00Z"));
        byte[] jar11 = dev.hotpatch.server.testing.Fixtures.jar(dev.hotpatch.server.testing.Fixtures.orderedMap("acme/Fees", scene.feesV3, "acme/Util", scene.util));
        TestServer.Response unplanned = scene.publishBaseline("1.1", "unplanned", "2026-03-16", jar11, false);
        assertThat(unplanned.status()).as(unplanned.body()).isEqualTo(201);

        browser.signIn(server.url("/?page=calendar&year=2026"), server.adminToken);
        WebElement march = browser.find("#calendar [data-month='2026-03']");
        assertThat(march.getDomAttribute("data-actual")).isEqualTo("unplanned-baseline");
        assertThat(march.getDomAttribute("data-planned")).isEqualTo("hotpatch");
        assertThat(march.getText()).contains("Unplanned baseline").contains("1.1").contains("2026-03-16");
        WebElement feb = browser.find("#calendar [data-month='2026-02']");
        assertThat(feb.getDomAttribute("data-actual")).isEqualTo("hotpatch");
        assertThat(feb.getText()).contains(KB);
        assertThat(browser.find("#calendar [data-month='2026-01']").getDomAttribute("data-actual")).isEqualTo("planned-baseline");
        assertThat(browser.find("#calendar [data-month='2026-04']").getDomAttribute("data-planned")).isEqualTo("planned-baseline");
        // The API's schedule says the same.
        JsonNode schedule = server.get("/api/v1/images/acme:fees:1.x/schedule?year=2026", server.adminToken).json();
        for (JsonNode m : schedule.get("months")) {
            assertThat(browser.find("#calendar [data-month='" + m.get("month").asText() + "']").getDomAttribute("data-actual"))
                    .as(m.get("month").asText()).isEqualTo(m.get("actual").asText());
        }
        // Publishers get the upload forms.
        browser.find("#publish-baseline input[name='jar']");
        browser.find("#publish-hotpatch input[name='package']");
        browser.screenshot("console-calendar.png");
    }

    @Test
    void rollout_haltsAfterAFailingWave_isResumedFromThePage_andLeavesExposureAndAudit() throws Exception {
        Scene scene = new Scene(server);
        server.clock.set(Instant.parse("2026-02-10T13:00:00Z"));
        assertThat(scene.publishHotpatch(KB, "1.0", "2026-02-10", scene.feesV1, scene.feesV2, List.of(), false).status()).isEqualTo(201);
        assertThat(server.patch("/api/v1/policies/fleet", server.adminToken, Map.of("window", "always", "soakMinutes", 10)).status()).isEqualTo(200);
        try (SimFleet fleet = new SimFleet(server)) {
            Map<String, Map<String, Object>> set = new LinkedHashMap<>();
            for (int i = 0; i < 12; i++) {
                set.put(String.format("web-%02d", i), SimFleet.config("eu-west", "1", "web", i % 3, "web", "Manual", "Europe/Paris", null));
            }
            fleet.machines(scene.jar10, set);
            // web-03 shares update domain 0 with web-00: the first wave is web-00 and web-03.
            fleet.machine("web-03").breaksOn.add(KB);
            TestServer.Response started = server.post("/api/v1/rollouts", server.adminToken, Map.of("update", KB));
            assertThat(started.status()).as(started.body()).isEqualTo(201);
            String id = started.json().get("id").asText();

            browser.signIn(server.url("/?page=rollouts&rollout=" + id), server.adminToken);
            browser.waitForText("#rollout-state", "running");
            browser.js("window.notReloaded = true");
            drive(fleet, id, s -> !s.equals("running"), 30);
            drive(fleet, id, s -> inFlight(id) == 0, 30);

            String reason = browser.waitForText("#halt-reason", "error budget exceeded");
            assertThat(reason).contains("web-03").contains("health check failing");
            browser.waitForText("#rollout-state", "halted");
            WebElement web03 = browser.find("#rollout-machines tr[data-machine='web-03']");
            browser.until(d -> "rolled_back".equals(web03.getDomAttribute("data-state")) ? true : null);
            assertThat(web03.getText()).contains("health gate failed").contains("uninstalled " + KB + " live");
            assertThat(browser.find("#rollout-machines tr[data-machine='web-00']").getDomAttribute("data-state")).isEqualTo("healthy");
            assertThat(browser.find("#waves tr[data-wave='1']").getDomAttribute("data-state")).isEqualTo("halted");
            assertThat(browser.text("#image-rules")).contains("Maintenance window").contains("always");
            browser.screenshot("console-rollout-halted.png");

            // Resume from the page, after a confirmation; the rollout goes on and the page follows it to the end.
            fleet.machine("web-03").breaksOn.clear();
            browser.button("Resume").click();
            browser.confirm();
            browser.until(d -> rollout(id).get("state").asText().equals("running") ? true : null);
            browser.waitForText("#rollout-state", "running");
            drive(fleet, id, s -> !s.equals("running"), 100);
            browser.waitForText("#rollout-state", "completed");
            assertThat(browser.find("#events").getText()).contains("resumed");
            assertThat(browser.js("return window.notReloaded === true")).as("the page was never reloaded").isEqualTo(true);
            browser.screenshot("console-rollouts.png");

            // The machine's own page lists the rollout, with the machine's part in it; the link leads back to the rollout.
            browser.driver.get(server.url("/?page=machine&machine=web-03&tab=rollouts"));
            WebElement mine = browser.find("#machine-rollouts tr[data-rollout='" + id + "']");
            assertThat(mine.getDomAttribute("data-state")).isEqualTo("rolled_back");
            assertThat(mine.getText()).contains(KB).contains("rolled back").contains("health gate failed").contains("completed");
            assertThat(mine.findElement(By.cssSelector("a")).getDomAttribute("href")).isEqualTo("/?page=rollouts&rollout=" + id);
            // Chosen from the tabs, the rollouts are fetched at once (not at the next refresh).
            browser.driver.get(server.url("/?page=machine&machine=web-00"));
            browser.find("#missing-updates");
            browser.button("Rollouts").click();
            assertThat(browser.driver.findElement(By.id("tab-panel")).getText()).as("never 'none' while they load")
                    .doesNotContain("has not been in a rollout");
            assertThat(browser.find("#machine-rollouts tr[data-rollout='" + id + "']").getDomAttribute("data-state")).isEqualTo("healthy");

            // Exposure: 11 machines fixed in memory, web-03 exposed (it was rolled back and not retried).
            browser.driver.get(server.url("/?page=exposure&view=updates&kb=" + KB));
            WebElement row = browser.find("#exposure-list tr[data-kb='" + KB + "']");
            JsonNode api = server.get("/api/v1/compliance/updates", server.adminToken).json().get("items").get(0);
            assertThat(row.findElement(By.cssSelector("li[data-key='memory']")).getDomAttribute("data-count")).isEqualTo(api.get("memory").asText()).isEqualTo("11");
            assertThat(row.findElement(By.cssSelector("li[data-key='exposed']")).getDomAttribute("data-count")).isEqualTo(api.get("exposed").asText()).isEqualTo("1");
            assertThat(browser.find("#exposure-detail tr[data-machine='web-03']").getDomAttribute("data-state")).isEqualTo("exposed");
            browser.find("#exposure-detail [data-chart='Exposure window of " + KB + "'] svg path");
            browser.screenshot("console-exposure.png");

            // The audit trail across the fleet, filtered to the health gates.
            browser.driver.get(server.url("/?page=history&action=health-gate&days=3650"));
            browser.find("#fleet-history tr[data-machine='web-03'][data-outcome='failed']");
            List<WebElement> gates = browser.findAll("#fleet-history tbody tr");
            assertThat(gates).allMatch(r -> "health-gate".equals(r.getDomAttribute("data-action")));
            assertThat(gates).hasSize(server.get("/api/v1/history?action=health-gate&days=3650", server.adminToken).json().size());
            browser.screenshot("console-history.png");
        }
    }

    /** Automation runs, the machines the rollout works on check in, automation runs again, the clock moves; until {@code done} holds for the state. */
    private void drive(SimFleet fleet, String id, java.util.function.Predicate<String> done, int maxSteps) {
        for (int i = 0; i < maxSteps; i++) {
            server.server.runAutomation();
            JsonNode r = rollout(id);
            int wave = r.get("currentWave").asInt();
            List<String> busy = new ArrayList<>();
            for (JsonNode m : rolloutMachines(id)) {
                String st = m.get("state").asText();
                if (List.of("installing", "soaking", "rolling_back").contains(st) || (m.get("wave").asInt() == wave && !m.get("done").asBoolean())) {
                    busy.add(m.get("machine").asText());
                }
            }
            if (!busy.isEmpty()) {
                fleet.checkInNamed(busy);
            }
            server.server.runAutomation();
            if (done.test(rollout(id).get("state").asText())) {
                return;
            }
            server.clock.advance(Duration.ofMinutes(2));
        }
        throw new AssertionError("rollout " + id + " did not get there in " + maxSteps + " steps: " + rollout(id));
    }

    private long inFlight(String id) {
        return rolloutMachines(id).stream().filter(m -> List.of("installing", "soaking", "rolling_back").contains(m.get("state").asText())).count();
    }

    private JsonNode rollout(String id) {
        return ok(server.get("/api/v1/rollouts/" + id, server.adminToken));
    }

    private List<JsonNode> rolloutMachines(String id) {
        List<JsonNode> out = new ArrayList<>();
        ok(server.get("/api/v1/rollouts/" + id + "/machines?limit=1000", server.adminToken)).get("items").forEach(out::add);
        return out;
    }

    private List<JsonNode> machines(String query) {
        List<JsonNode> out = new ArrayList<>();
        ok(server.get("/api/v1/machines" + query, server.adminToken)).forEach(out::add);
        return out;
    }

    private static JsonNode ok(TestServer.Response r) {
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json();
    }

    private long count(String css) {
        return Long.parseLong(browser.find(css).getDomAttribute("data-count"));
    }

    private List<String> rowNames() {
        return browser.findAll("#fleet-machines tbody tr[data-machine]").stream().map(r -> r.getDomAttribute("data-machine")).toList();
    }
}
