package acme;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpatch.testkit.Jdks;
import dev.hotpatch.testkit.TargetJvm;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The command protocol that tests and benchmarks of other modules rely on, on every JDK we cover. */
class FeesAppTest {
    static List<Path> jdks() {
        return Jdks.all();
    }

    @ParameterizedTest
    @MethodSource("jdks")
    void answersEveryCommandWithOneLine(Path java) {
        try (TargetJvm app = TargetJvm.builder(java).classpath(Path.of("target/classes")).mainClass("acme.FeesApp").start()) {
            assertThat(app.await(l -> l.startsWith("ready "), Duration.ofSeconds(20))).isEqualTo("ready pid=" + app.pid());

            assertThat(app.request("fee 100", "fee ")).isEqualTo("fee 100 = 2");
            assertThat(app.request("iso 100", "iso ")).isEqualTo("iso 100 = 2");
            assertThat(app.request("iso 200", "iso ")).isEqualTo("iso 200 = 5");
            assertThat(app.request("late 100", "late ")).isEqualTo("late 100 = 1");
            assertThat(app.request("busy 50", "busy ")).matches("busy ops=[1-9][0-9]*");
            assertThat(app.request("fee ten", "error ")).isEqualTo("error fee needs a whole number, got 'ten'");
            assertThat(app.request("refund 100", "error ")).isEqualTo("error unknown command");

            assertThat(app.request("quit", "bye")).isEqualTo("bye");
            assertThat(app.waitForExit(Duration.ofSeconds(20))).isZero();
        }
    }
}
