package dev.hotpatch.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.opentest4j.TestAbortedException;

class JdksTest {
    @Test
    void java17IsSeventeen() {
        assertThat(Jdks.featureVersion(Jdks.java17())).isEqualTo(17);
    }

    @Test
    void java25IsTwentyFive() {
        assertThat(Jdks.featureVersion(Jdks.java25())).isEqualTo(25);
    }

    @Test
    void allListsSeventeenThenTwentyFive() {
        assertThat(Jdks.all()).hasSize(2).first().isEqualTo(Jdks.java17());
    }

    @Test
    void aMissingJdk_isSkippedWithTheReasonOnADeveloperMachine() {
        Path missing = Path.of("/nonexistent/jdk/bin/java");
        assertThatThrownBy(() -> Jdks.assumeInstalled(missing, "Java 25", "set -Dx", false))
                .isInstanceOf(TestAbortedException.class)
                .hasMessageContaining(missing.toString()).hasMessageContaining("test skipped");
    }

    @Test
    void aMissingJdk_failsTheTestOnCi() {
        Path missing = Path.of("/nonexistent/jdk/bin/java");
        assertThatThrownBy(() -> Jdks.assumeInstalled(missing, "Java 25", "set -Dx", true))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining(missing.toString()).hasMessageContaining("failing, not skipping, because CI is set");
    }

    @Test
    void theMissingJdkRule_followsTheEnvironment() {
        Path missing = Path.of("/nonexistent/jdk/bin/java");
        Class<? extends Throwable> expected = Jdks.onCi() ? AssertionError.class : TestAbortedException.class;
        assertThatThrownBy(() -> Jdks.featureVersion(missing)).isInstanceOf(expected).hasMessageContaining(missing.toString());
        assertThatThrownBy(() -> TargetJvm.builder(missing).mainClass("x.Y").start())
                .isInstanceOf(expected).hasMessageContaining("not installed");
    }
}
