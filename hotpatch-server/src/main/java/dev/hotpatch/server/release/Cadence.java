package dev.hotpatch.server.release;

import java.time.Month;
import java.time.YearMonth;
import java.time.format.TextStyle;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * When an image's planned baselines come: every {@code months} months starting from
 * {@code anchorMonth} (1–12) of every year, e.g. 3 and 1 for January, April, July and October.
 * Immutable.
 */
public record Cadence(int months, int anchorMonth) {
    public static final Cadence QUARTERLY = new Cadence(3, 1);

    public Cadence {
        if (months < 1 || months > 12 || 12 % months != 0) {
            throw new IllegalArgumentException("cadence of " + months + " months does not divide a year: use 1, 2, 3, 4, 6 or 12");
        }
        if (anchorMonth < 1 || anchorMonth > 12) {
            throw new IllegalArgumentException("cadence anchor month " + anchorMonth + " is not 1–12");
        }
    }

    /** Whether a planned baseline is due in {@code month}. */
    public boolean isBaselineMonth(YearMonth month) {
        return Math.floorMod(month.getMonthValue() - anchorMonth, months) == 0;
    }

    /** The planned-baseline months, e.g. "Jan, Apr, Jul, Oct". */
    public String describe() {
        List<String> names = new ArrayList<>();
        for (int m = 1; m <= 12; m++) {
            if (isBaselineMonth(YearMonth.of(2000, m))) {
                names.add(Month.of(m).getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
            }
        }
        return String.join(", ", names);
    }
}
