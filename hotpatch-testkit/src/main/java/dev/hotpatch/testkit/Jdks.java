package dev.hotpatch.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;

/**
 * The Java runtimes that tests start target JVMs on: Java 17 (the default here) and Java 25.
 *
 * <p>Hot patching is promised on both, so a missing JDK must never go unnoticed. On CI (the
 * environment variable {@value #CI} is set, as {@code .ci/run} and every CI service do) every
 * method that needs a {@code java} executable <em>fails</em> the calling test, naming the path it
 * looked at and how to point it elsewhere. On a developer machine without the JDK it aborts the
 * test through JUnit {@link Assumptions} with the same message, so the test is reported as skipped
 * (and {@code .ci/run} fails a run with any skipped test). Thread-safe.
 */
public final class Jdks {
    /** System property naming the Java 25 home; the parent pom sets it from {@code java25.home}. */
    public static final String JAVA25_PROPERTY = "hotpatch.test.java25";
    /** Environment variable that marks a CI run: a missing JDK then fails tests instead of skipping them. */
    public static final String CI = "CI";

    private static final Path JAVA17_HOME = Path.of("/usr/lib/jvm/java-17-openjdk-amd64");
    private static final Path JAVA25_HOME = Path.of("/usr/lib/jvm/temurin-25-jdk-amd64");
    private static final Pattern VERSION = Pattern.compile("\"(\\d+)(?:\\.(\\d+))?[^\"]*\"");
    private static final Map<Path, Integer> FEATURE_VERSIONS = new ConcurrentHashMap<>();

    private Jdks() {
    }

    /** The {@code java} executable of Java 17: the running one if it is 17, else the Debian package's. */
    public static Path java17() {
        return assumeInstalled(java17Path(), "Java 17", "install openjdk-17-jdk-headless");
    }

    /**
     * The {@code java} executable of Java 25, from the JDK home named by the system property
     * {@value #JAVA25_PROPERTY}, else {@code /usr/lib/jvm/temurin-25-jdk-amd64}.
     */
    public static Path java25() {
        return assumeInstalled(java25Path(), "Java 25", "set -D" + JAVA25_PROPERTY + "=<JDK 25 home>");
    }

    /**
     * Every Java the tests cover, 17 then 25, whether installed or not, for parameterized tests.
     * A missing one is skipped, not failed, when the test starts it through {@link TargetJvm} or
     * asks its {@link #featureVersion}.
     */
    public static List<Path> all() {
        return List.of(java17Path(), java25Path());
    }

    /**
     * The feature release (17, 21, 25, ...) of a {@code java} executable, read from its JDK's
     * {@code release} file, else from {@code java -version}; the calling test is skipped when the
     * executable does not exist.
     */
    public static int featureVersion(Path java) {
        Path absolute = assumeInstalled(java.toAbsolutePath().normalize(), "java", "check the path");
        return FEATURE_VERSIONS.computeIfAbsent(absolute, Jdks::readFeatureVersion);
    }

    static Path java17Path() {
        if (Runtime.version().feature() == 17) {
            return Path.of(System.getProperty("java.home"), "bin", "java");
        }
        return JAVA17_HOME.resolve("bin").resolve("java");
    }

    static Path java25Path() {
        String home = System.getProperty(JAVA25_PROPERTY, "").trim();
        // Maven passes an empty value when java25.home is overridden with nothing.
        Path root = home.isEmpty() ? JAVA25_HOME : Path.of(home);
        return root.resolve("bin").resolve("java");
    }

    /**
     * Returns {@code java} if it is an executable file; otherwise fails the calling test on CI and
     * aborts it (reported as skipped) elsewhere.
     */
    static Path assumeInstalled(Path java, String what, String hint) {
        return assumeInstalled(java, what, hint, onCi());
    }

    static Path assumeInstalled(Path java, String what, String hint, boolean strict) {
        if (Files.isRegularFile(java) && Files.isExecutable(java)) {
            return java;
        }
        String message = what + " is not installed at " + java + " (" + hint + ")";
        if (strict) {
            throw new AssertionError(message + ": failing, not skipping, because " + CI + " is set and hot patching is"
                    + " promised on Java 17 and 25; .ci/run explains how CI gets JDK 25");
        }
        Assumptions.abort(message + ": test skipped");
        return java;
    }

    /** Whether this is a CI run ({@value #CI} set to anything but empty or {@code false}). */
    static boolean onCi() {
        String ci = System.getenv(CI);
        return ci != null && !ci.isBlank() && !ci.trim().equalsIgnoreCase("false");
    }

    private static int readFeatureVersion(Path java) {
        Path release = java.getParent().getParent().resolve("release");
        if (Files.isRegularFile(release)) {
            Properties props = new Properties();
            try (InputStream in = Files.newInputStream(release)) {
                props.load(in);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + release, e);
            }
            String version = props.getProperty("JAVA_VERSION");
            if (version != null) {
                return parse(version, release);
            }
        }
        return parse(runVersion(java), java);
    }

    private static String runVersion(Path java) {
        try {
            Process p = new ProcessBuilder(java.toString(), "-version").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                Processes.stop(p, Processes.GRACE);
                throw new AssertionError(java + " -version did not finish in 30 s; output: " + out);
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + java + " -version", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while running " + java + " -version", e);
        }
    }

    /** Parses {@code "17.0.12"}, {@code "25"} or the pre-9 {@code "1.8.0_392"} form, quoted. */
    private static int parse(String text, Path source) {
        Matcher m = VERSION.matcher(text);
        if (!m.find()) {
            throw new AssertionError("no Java version found in " + source + ": " + text);
        }
        int first = Integer.parseInt(m.group(1));
        return first == 1 && m.group(2) != null ? Integer.parseInt(m.group(2)) : first;
    }
}
