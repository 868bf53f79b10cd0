package dev.hotpatch.server.release;

import java.time.LocalDate;
import java.time.YearMonth;

/**
 * One published release of an image, as the calendar sees it: a baseline (planned or unplanned)
 * or a hotpatch, on a date.
 *
 * @param kind    {@code planned-baseline}, {@code unplanned-baseline} or {@code hotpatch}
 * @param id      baseline id or KB id
 * @param label   version or title, for people
 * @param override whether it was published with the second-release-in-a-month override
 */
public record Release(String kind, String id, String label, LocalDate date, boolean override) {
    public static final String PLANNED_BASELINE = "planned-baseline";
    public static final String UNPLANNED_BASELINE = "unplanned-baseline";
    public static final String HOTPATCH = "hotpatch";

    public YearMonth month() {
        return YearMonth.from(date);
    }

    public boolean isBaseline() {
        return !HOTPATCH.equals(kind);
    }
}
