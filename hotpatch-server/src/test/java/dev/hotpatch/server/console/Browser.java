package dev.hotpatch.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * A real headless Chromium (Debian's {@code chromium} and {@code chromium-driver}) driven over
 * WebDriver, for the console tests: fails, never skips, when the browser is missing; collects the
 * page's console messages; saves screenshots under {@code target/screenshots/} (or the folder in
 * {@code -Dconsole.screenshots=DIR}, e.g. {@code ../docs/screenshots} to refresh the README's).
 */
final class Browser implements AutoCloseable {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    /** Held so the level sticks: the tests speak WebDriver only, so having no DevTools (CDP) bindings for this Chromium is fine. */
    private static final Logger CDP_FINDER = Logger.getLogger("org.openqa.selenium.devtools.CdpVersionFinder");

    static {
        CDP_FINDER.setLevel(Level.OFF);
    }

    final ChromeDriver driver;
    final WebDriverWait wait;
    private final Path profile;
    private final ChromeDriverService service;

    Browser() throws IOException {
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
                "--user-data-dir=" + profile, "--lang=en-US", "--window-size=1280,1300");
        options.setCapability("goog:loggingPrefs", Map.of(LogType.BROWSER, "ALL"));
        service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort()
                .withEnvironment(Map.of("TZ", "UTC", "LANG", "en_US.UTF-8")).withLogFile(new File(profile.toFile(), "chromedriver.log"))
                .build();
        driver = new ChromeDriver(service, options);
        driver.manage().window().setSize(new Dimension(1280, 1300));
        // Live pages redraw parts of themselves: an element found just before that goes stale.
        wait = new WebDriverWait(driver, Duration.ofSeconds(30));
        wait.ignoring(StaleElementReferenceException.class);
    }

    /** Opens the console at {@code url} and gives it the token the way an operator does: typed into the token field. */
    void signIn(String url, String token) {
        driver.get(url);
        WebElement field = driver.findElement(By.id("token"));
        field.clear();
        field.sendKeys(token);
        driver.findElement(By.id("save-token")).click();
    }

    <T> T until(Function<WebDriver, T> condition) {
        return wait.until(condition);
    }

    WebElement find(String css) {
        return wait.until(d -> {
            List<WebElement> found = d.findElements(By.cssSelector(css));
            return found.isEmpty() || !found.get(0).isDisplayed() ? null : found.get(0);
        });
    }

    /** Every element matching {@code css} now. */
    List<WebElement> findAll(String css) {
        return driver.findElements(By.cssSelector(css));
    }

    String text(String css) {
        return find(css).getText();
    }

    /** Waits until the element's text contains {@code part}; returns the text. */
    String waitForText(String css, String part) {
        return wait.until(d -> {
            List<WebElement> found = d.findElements(By.cssSelector(css));
            String t = found.isEmpty() ? "" : found.get(0).getText();
            return t.contains(part) ? t : null;
        });
    }

    /** The visible button labelled {@code label}. */
    WebElement button(String label) {
        return wait.until(d -> d.findElements(By.xpath("//button[normalize-space(.)='" + label + "']")).stream()
                .filter(WebElement::isDisplayed).findFirst().orElse(null));
    }

    /** Confirms the open confirmation dialog with its danger button. */
    void confirm() {
        find("#confirm-dialog button.danger").click();
        wait.until(d -> d.findElements(By.id("confirm-dialog")).isEmpty());
    }

    /** Errors the page logged (script errors, failed requests): there must be none. */
    List<String> consoleErrors() {
        return driver.manage().logs().get(LogType.BROWSER).getAll().stream().filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
                .map(LogEntry::getMessage).toList();
    }

    Object js(String script, Object... args) {
        return driver.executeScript(script, args);
    }

    void screenshot(String name) throws IOException {
        Path dir = Path.of(System.getProperty("console.screenshots", "target/screenshots"));
        Files.createDirectories(dir);
        Files.write(dir.resolve(name), driver.getScreenshotAs(OutputType.BYTES));
    }

    @Override
    public void close() throws IOException {
        try {
            driver.quit();
            service.stop();
        } finally {
            try (Stream<Path> files = Files.walk(profile)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
