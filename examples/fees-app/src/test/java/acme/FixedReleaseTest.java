package acme;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpatch.testkit.ClassShape;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Guards what makes 1.0.1 a hotpatch of 1.0: it changes only method bodies of the classes it fixes. */
class FixedReleaseTest {
    private static final Path BASELINE = Path.of("target/classes");
    private static final Path FIXED = Path.of("target/fixed-classes");

    private static URLClassLoader baseline;
    private static URLClassLoader fixed;

    @BeforeAll
    static void loadBothReleases() throws IOException {
        baseline = new URLClassLoader(new URL[] {url(BASELINE)}, ClassLoader.getPlatformClassLoader());
        fixed = new URLClassLoader(new URL[] {url(FIXED), url(BASELINE)}, ClassLoader.getPlatformClassLoader());
    }

    @AfterAll
    static void close() throws IOException {
        baseline.close();
        fixed.close();
    }

    @Test
    void fixesExactlyTheFeeClassesAndTheTenBenchmarkStages() throws IOException {
        List<String> expected = new ArrayList<>(List.of("acme.Fees", "acme.LateFees"));
        for (int i = 0; i < 10; i++) {
            expected.add("acme.bench.Op" + i);
        }
        assertThat(fixedClassNames()).containsExactlyInAnyOrderElementsOf(expected);
    }

    @Test
    void everyFixedClassKeepsTheBaselineShapeAndChangesItsBytes() throws Exception {
        for (String name : fixedClassNames()) {
            Class<?> before = Class.forName(name, false, baseline);
            Class<?> after = Class.forName(name, false, fixed);
            assertThat(after.getClassLoader()).isSameAs(fixed);
            assertThat(ClassShape.of(after)).as("declaration of %s", name).isEqualTo(ClassShape.of(before));
            String file = name.replace('.', '/') + ".class";
            assertThat(Files.readAllBytes(FIXED.resolve(file))).as(name)
                    .isNotEqualTo(Files.readAllBytes(BASELINE.resolve(file)));
        }
    }

    @Test
    void baselineTruncatesFeesAndTheFixRoundsHalfUp() throws Exception {
        assertThat(fee(baseline, "acme.Fees", 100)).isEqualTo(2);
        assertThat(fee(fixed, "acme.Fees", 100)).isEqualTo(3);
        assertThat(fee(fixed, "acme.Fees", 119)).isEqualTo(3);
        assertThat(fee(fixed, "acme.Fees", -100)).isEqualTo(-2);
        assertThat(fee(baseline, "acme.LateFees", 100)).isEqualTo(1);
        assertThat(fee(fixed, "acme.LateFees", 100)).isEqualTo(2);
    }

    private static long fee(ClassLoader loader, String className, long cents) throws Exception {
        return (Long) Class.forName(className, true, loader).getMethod("fee", long.class).invoke(null, cents);
    }

    private static List<String> fixedClassNames() throws IOException {
        try (Stream<Path> files = Files.walk(FIXED)) {
            return files.filter(p -> p.toString().endsWith(".class"))
                    .map(p -> FIXED.relativize(p).toString().replace('/', '.').replaceAll("\\.class$", ""))
                    .sorted().collect(Collectors.toList());
        }
    }

    private static URL url(Path dir) throws IOException {
        return dir.toUri().toURL();
    }
}
