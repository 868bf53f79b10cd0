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
    void skipsRatherThanFailsWhenAJdkIsMissing() {
        Path missing = Path.of("/nonexistent/jdk/bin/java");
        assertThatThrownBy(() -> Jdks.featureVersion(missing))
                .isInstanceOf(TestAbortedException.class)
                .hasMessageContaining(missing.toString());
        assertThatThrownBy(() -> TargetJvm.builder(missing).mainClass("x.Y").start())
                .isInstanceOf(TestAbortedException.class)
                .hasMessageContaining("not installed");
    }
}
