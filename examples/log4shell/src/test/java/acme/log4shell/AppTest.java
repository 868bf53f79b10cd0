package acme.log4shell;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpatch.testkit.Jdks;
import dev.hotpatch.testkit.TargetJvm;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The command protocol of the sample, and the precondition of Log4Shell: lookups run on logged input. */
class AppTest {
    static List<Path> jdks() {
        return Jdks.all();
    }

    @ParameterizedTest
    @MethodSource("jdks")
    void logsWhatItIsSentAndResolvesLookupsInIt(Path java) {
        try (TargetJvm app = TargetJvm.builder(java)
                .classpath(Path.of("target/classes"), Path.of("target/lib/*"))
                .mainClass("acme.log4shell.App").start()) {
            assertThat(app.await(l -> l.startsWith("ready "), Duration.ofSeconds(30))).isEqualTo("ready pid=" + app.pid());

            app.request("log hello", "logged");
            assertThat(app.output()).anyMatch(l -> l.matches("\\S+ \\S+ ERROR user said: hello"));

            // ${java:version} needs no network; that it is resolved shows 2.14.1 looks up user input,
            // which is what lets ${jndi:...} reach out (checked by hand, see README).
            app.request("log ${java:version}", "logged");
            assertThat(app.output()).anyMatch(l -> l.matches(".* ERROR user said: Java version " + Jdks.featureVersion(java) + "\\b.*"));

            assertThat(app.request("hello", "error ")).isEqualTo("error unknown command");
            app.request("quit", "bye");
            assertThat(app.waitForExit(Duration.ofSeconds(20))).isZero();
        }
    }
}
