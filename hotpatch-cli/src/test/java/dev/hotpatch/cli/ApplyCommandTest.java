package dev.hotpatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Locale;
import org.junit.jupiter.api.Test;

class ApplyCommandTest {
    /** apply prints its duration without java.util.Formatter; it must read exactly as "%.1f" would. */
    @Test
    void millis_readsAsFormatWouldPrintIt() {
        for (long micros : new long[] {0, 1, 49, 50, 51, 99, 100, 949, 950, 951, 70_949, 70_950, 999_949, 999_950, 123_456_789}) {
            assertThat(ApplyCommand.millis(micros)).as("%d µs", micros)
                    .isEqualTo(String.format(Locale.ROOT, "%.1f", java.math.BigDecimal.valueOf(micros, 3)));
        }
    }
}
