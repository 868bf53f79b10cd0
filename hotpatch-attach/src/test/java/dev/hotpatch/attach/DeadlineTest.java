package dev.hotpatch.attach;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/** A step against a target that never answers ends at its deadline, with a message that names the step. */
class DeadlineTest {
    @Test
    void within_givesUpOnAStepThatNeverEnds_andNamesIt() throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        long self = ProcessHandle.current().pid();

        assertThatThrownBy(() -> Deadline.within(Duration.ofMillis(300), self, "a request for its system properties", () -> {
            never.await();
            return null;
        })).isInstanceOf(TimedOutException.class)
                .hasMessageContaining("timed out: JVM " + self + " did not answer a request for its system properties within 0.3 s")
                .hasMessageContaining("--timeout");
        assertThat(never.getCount()).isEqualTo(1);
    }

    @Test
    void within_passesResultsAndErrorsThrough() throws Exception {
        long self = ProcessHandle.current().pid();
        assertThat(Deadline.within(Duration.ofSeconds(30), self, "x", () -> "answer")).isEqualTo("answer");
        assertThatThrownBy(() -> Deadline.within(Duration.ofSeconds(30), self, "x", () -> {
            throw new IOException("broken pipe");
        })).isInstanceOf(IOException.class).hasMessage("broken pipe");
    }
}
