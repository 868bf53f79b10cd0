package dev.hotpatch.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.server.testing.Fixtures;
import dev.hotpatch.server.testing.Fixtures.Node;
import dev.hotpatch.server.testing.Fixtures.Scene;
import dev.hotpatch.server.testing.TestServer;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web console in a real headless Chromium (Debian's {@code chromium} and {@code chromium-driver})
 * against a real server on SQLite, with one machine reported through the node check-in API: the
 * seed's Updates view, its actions, and the one-click link that carries the token in the fragment.
 */
class ConsoleBrowserTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    /** Held so the level sticks: the test speaks WebDriver only, so having no DevTools (CDP) bindings for this Chromium is fine. */
    private static final Logger CDP_FINDER = Logger.getLogger("org.openqa.selenium.devtools.CdpVersionFinder");

    static {
        CDP_FINDER.setLevel(Level.OFF);
    }

    private TestServer server;
    private Path profile;
    private ChromeDriverService driverService;
    private ChromeDriver browser;
    private WebDriverWait wait;

    @BeforeEach
    void start() throws IOException {
        server = new TestServer("sqlite");
        Scene scene = new Scene(server);
        server.clock.set(Instant.parse("2026-02-10T13:00:00Z"));
        TestServer.Response kb = scene.publishHotpatch("KB2026-0001", "1.0", "2026-02-10", scene.feesV1, scene.feesV2, List.of(), false);
        assertThat(kb.status()).as(kb.body()).isEqualTo(201);
        server.clock.set(Instant.parse("2026-02-20T10:56:00Z"));
        Node.enroll(server, "host-1").checkIn(Fixtures.machine("billing-1", scene.jar10, List.of(), null));

        assertThat(CHROMEDRIVER).as("install Debian's chromium and chromium-driver: apt-get install chromium chromium-driver").isExecutable();
        assertThat(CHROMIUM).as("install Debian's chromium and chromium-driver: apt-get install chromium chromium-driver").isExecutable();
        // A driver path given here (and in the system property) makes Selenium skip Selenium Manager,
        // which would otherwise try to download a browser and driver.
        System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.toString());
        profile = Files.createTempDirectory("hotpatch-chromium-");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--no-first-run",
                "--user-data-dir=" + profile, "--lang=en-US", "--window-size=1280,900");
        driverService = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort()
                .withEnvironment(Map.of("TZ", "UTC", "LANG", "en_US.UTF-8")).withLogFile(new File(profile.toFile(), "chromedriver.log"))
                .build();
        browser = new ChromeDriver(driverService, options);
        browser.manage().window().setSize(new Dimension(1280, 900));
        // The detail pane is rebuilt on each reload: an element found just before that goes stale.
        wait = new WebDriverWait(browser, Duration.ofSeconds(15));
        wait.ignoring(StaleElementReferenceException.class);
    }

    @AfterEach
    void stop() throws IOException {
        try {
            if (browser != null) {
                browser.quit();
            }
            if (driverService != null) {
                driverService.stop();
            }
        } finally {
            server.close();
            if (profile != null) {
                try (Stream<Path> files = Files.walk(profile)) {
                    files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
    }

    @Test
    void console_showsTheSeedsUpdatesView_assessesInstallsAndShowsHistory() throws IOException {
        browser.get(server.url("/"));
        assertThat(text("error")).contains("Enter an API token");
        browser.findElement(By.id("token")).sendKeys(server.adminToken);
        browser.findElement(By.id("save-token")).click();

        WebElement row = wait.until(ExpectedConditions.visibilityOfElementLocated(By.xpath("//tbody[@id='machines']/tr[td[1]='billing-1']")));
        assertThat(row.findElement(By.xpath("td[2]")).getText()).isEqualTo("Enabled");
        assertThat(row.findElement(By.xpath("td[3]")).getText()).isEqualTo("1");
        row.click();

        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("#detail h2"), "Updates — billing-1"));
        WebElement detail = browser.findElement(By.id("detail"));
        assertThat(detail.getText()).contains("Hotpatch status: Enabled", "Last assessed: 2/20/2026, 10:56:00 AM");
        assertThat(counters()).containsExactly(
                "1 Total missing updates", "0 Missing critical updates", "1 Missing security updates", "0 Other missing updates");
        assertThat(headers()).containsExactly("UPDATE NAME", "CLASSIFICATIONS", "KB ID", "REBOOT BEHAVIOR", "PUBLISHED DATE");
        assertThat(cells()).containsExactly(
                List.of("Fix for KB2026-0001", "Security", "KB2026-0001", "NeverReboots", "2/10/2026, 12:00:00 PM"));
        screenshot("console.png");

        button("Assess now").click();
        String assess = noticeAfter("");
        assertThat(assess).matches("Operation op-\\S+ \\(assess\\) queued");
        assertThat(operations()).extracting(o -> o.get("type").asText()).containsExactly("assess");

        button("Install updates now").click();
        WebElement dialog = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("install-dialog")));
        WebElement critical = dialog.findElement(By.cssSelector("input[name=cls][value=Critical]"));
        WebElement security = dialog.findElement(By.cssSelector("input[name=cls][value=Security]"));
        if (critical.isSelected()) {
            critical.click();
        }
        if (!security.isSelected()) {
            security.click();
        }
        screenshot("console-install.png");
        dialog.findElement(By.xpath(".//button[.='Install']")).click();
        String install = noticeAfter(assess);
        assertThat(install).matches("Operation op-\\S+ \\(install\\) queued: KB2026-0001");
        JsonNode op = operations().get(0);
        assertThat(op.get("type").asText()).isEqualTo("install");
        assertThat(install).contains(op.get("id").asText());
        assertThat(op.at("/request/classifications").toString()).isEqualTo("[\"Security\"]");
        assertThat(op.at("/items/0/kbId").asText()).isEqualTo("KB2026-0001");

        wait.until(ExpectedConditions.invisibilityOfElementLocated(By.id("install-dialog")));
        button("Update history").click();
        wait.until(ExpectedConditions.attributeToBe(By.xpath("//section[@id='detail']//button[.='Update history']"), "class", "active"));
        assertThat(headers()).containsExactly("WHEN", "ACTION", "KB", "OUTCOME", "WHO", "DETAILS");
        assertThat(cells()).containsExactly(List.of("2/20/2026, 10:56:00 AM", "install", "", "requested", "token:admin",
                "1 update(s): KB2026-0001; reboot IfRequired; max 120 min"));
        screenshot("console-history.png");

        // On a narrow window the panes stack rather than run off the page.
        browser.manage().window().setSize(new Dimension(820, 900));
        assertThat((Boolean) browser.executeScript("return document.documentElement.scrollWidth <= document.documentElement.clientWidth"))
                .as("page scrolls sideways at 820 px").isTrue();
        screenshot("console-narrow.png");
    }

    @Test
    void console_takesTheTokenFromTheFragment_andRemovesItFromTheAddressBar() {
        browser.get(server.url("/#token=" + server.adminToken + "&machine=billing-1"));
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("#detail h2"), "Updates — billing-1"));
        assertThat(browser.getCurrentUrl()).isEqualTo(server.url("/"));
        assertThat(browser.executeScript("return sessionStorage.getItem('hotpatch.token')")).isEqualTo(server.adminToken);
        assertThat(browser.findElement(By.xpath("//tbody[@id='machines']/tr[td[1]='billing-1']")).getDomAttribute("class")).contains("selected");

        // A reload (the fragment is gone) keeps the token for the session.
        browser.navigate().refresh();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.xpath("//tbody[@id='machines']/tr[td[1]='billing-1']")));
        assertThat(text("error")).isEmpty();
    }

    /** The acknowledgement of the next action, shown once the page has reloaded after it: the first one other than {@code previous}. */
    private String noticeAfter(String previous) {
        return wait.until(d -> {
            String t = text("notice");
            return t.isEmpty() || t.equals(previous) ? null : t;
        });
    }

    private String text(String id) {
        return browser.findElement(By.id(id)).getText();
    }

    private WebElement button(String label) {
        return browser.findElement(By.xpath("//section[@id='detail']//button[.='" + label + "']"));
    }

    private List<String> counters() {
        return browser.findElements(By.cssSelector("#detail .counts > div")).stream().map(e -> e.getText().replace('\n', ' ')).toList();
    }

    private List<String> headers() {
        return browser.findElements(By.cssSelector("#detail table th")).stream().map(WebElement::getText).toList();
    }

    private List<List<String>> cells() {
        return browser.findElements(By.cssSelector("#detail table tbody tr")).stream()
                .map(r -> r.findElements(By.tagName("td")).stream().map(WebElement::getText).toList()).toList();
    }

    private List<JsonNode> operations() {
        TestServer.Response r = server.get("/api/v1/operations?machine=billing-1", server.adminToken);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        List<JsonNode> out = new ArrayList<>();
        r.json().forEach(out::add);
        return out;
    }

    private void screenshot(String name) throws IOException {
        Path target = Path.of("target", name);
        Files.createDirectories(target.getParent());
        Files.write(target, browser.getScreenshotAs(OutputType.BYTES));
    }
}
