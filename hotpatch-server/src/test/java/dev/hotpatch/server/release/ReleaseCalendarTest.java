package dev.hotpatch.server.release;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hotpatch.server.ServerException;
import java.time.LocalDate;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReleaseCalendarTest {
    private static final Release JAN = new Release(Release.PLANNED_BASELINE, "bl-1", "1.0", LocalDate.parse("2026-01-05"), false);
    private static final Release FEB = new Release(Release.HOTPATCH, "KB1", "KB1", LocalDate.parse("2026-02-10"), false);
    private static final Release MAY = new Release(Release.UNPLANNED_BASELINE, "bl-2", "1.1", LocalDate.parse("2026-05-03"), false);

    @Test
    void schedule_quarterlyCadence_plansFourBaselinesAndEightHotpatchMonths() {
        ReleaseCalendar.Schedule s = new ReleaseCalendar(Cadence.QUARTERLY, List.of(JAN, FEB, MAY)).schedule(2026);
        assertThat(s.months()).extracting(ReleaseCalendar.Month::planned).filteredOn(Release.PLANNED_BASELINE::equals).hasSize(4);
        assertThat(s.months()).extracting(ReleaseCalendar.Month::planned).filteredOn(Release.HOTPATCH::equals).hasSize(8);
        assertThat(s.baselineMonths()).isEqualTo("Jan, Apr, Jul, Oct");
        assertThat(s.months().get(0).actual()).isEqualTo(Release.PLANNED_BASELINE);
        assertThat(s.months().get(1).actual()).isEqualTo(Release.HOTPATCH);
        assertThat(s.months().get(4).planned()).isEqualTo(Release.HOTPATCH);
        assertThat(s.months().get(4).actual()).isEqualTo(Release.UNPLANNED_BASELINE);
        assertThat(s.currentBaselineId()).isEqualTo("bl-2");
    }

    @Test
    void cadence_everyTwoMonthsFromFebruary() {
        Cadence c = new Cadence(2, 2);
        assertThat(c.describe()).isEqualTo("Feb, Apr, Jun, Aug, Oct, Dec");
        assertThatThrownBy(() -> new Cadence(5, 1)).hasMessageContaining("does not divide a year");
    }

    @Test
    void checkHotpatch_mustTargetTheCurrentBaseline() {
        ReleaseCalendar cal = new ReleaseCalendar(Cadence.QUARTERLY, List.of(JAN, FEB, MAY));
        assertThatThrownBy(() -> cal.checkHotpatch("KB9", "bl-1", "1.0", LocalDate.parse("2026-06-10"), false))
                .isInstanceOf(ServerException.Conflict.class)
                .hasMessageContaining("current baseline is 1.1");
        cal.checkHotpatch("KB9", "bl-2", "1.1", LocalDate.parse("2026-06-10"), false);
    }

    @Test
    void checkHotpatch_secondReleaseInAMonth_needsTheOverride() {
        ReleaseCalendar cal = new ReleaseCalendar(Cadence.QUARTERLY, List.of(JAN, FEB));
        assertThatThrownBy(() -> cal.checkHotpatch("KB2", "bl-1", "1.0", LocalDate.parse("2026-02-20"), false))
                .isInstanceOf(ServerException.Conflict.class)
                .hasMessageContaining("second release in 2026-02");
        cal.checkHotpatch("KB2", "bl-1", "1.0", LocalDate.parse("2026-02-20"), true);
    }

    @Test
    void checkHotpatch_inAPlannedBaselineMonthBeforeItsBaseline_isRefusedWithoutOverride() {
        ReleaseCalendar cal = new ReleaseCalendar(Cadence.QUARTERLY, List.of(JAN, FEB));
        assertThatThrownBy(() -> cal.checkHotpatch("KB3", "bl-1", "1.0", LocalDate.parse("2026-04-02"), false))
                .isInstanceOf(ServerException.Conflict.class)
                .extracting(e -> ((ServerException) e).code()).isEqualTo("planned-baseline-month");
    }

    @Test
    void checkBaseline_plannedOnlyInABaselineMonth_andNeverBeforeTheCurrentOne() {
        ReleaseCalendar cal = new ReleaseCalendar(Cadence.QUARTERLY, List.of(JAN, FEB));
        assertThatThrownBy(() -> cal.checkBaseline("1.1", true, LocalDate.parse("2026-03-03"), false))
                .isInstanceOf(ServerException.Refused.class)
                .hasMessageContaining("hotpatch month");
        cal.checkBaseline("1.1", false, LocalDate.parse("2026-03-03"), false);
        assertThatThrownBy(() -> cal.checkBaseline("0.9", false, LocalDate.parse("2025-12-01"), false))
                .extracting(e -> ((ServerException) e).code()).isEqualTo("baseline-out-of-order");
        cal.checkBaseline("2.0", true, LocalDate.parse("2026-04-01"), false);
    }

    @Test
    void firstBaseline_isTheStartingPoint_anyMonth_andTakesNoMonthsRelease() {
        ReleaseCalendar empty = new ReleaseCalendar(Cadence.QUARTERLY, List.of());
        empty.checkBaseline("1.0", true, LocalDate.parse("2026-02-10"), false);
        Release start = new Release(Release.PLANNED_BASELINE, "bl-1", "1.0", LocalDate.parse("2026-02-10"), false);
        ReleaseCalendar cal = new ReleaseCalendar(Cadence.QUARTERLY, List.of(start));
        cal.checkHotpatch("KB1", "bl-1", "1.0", LocalDate.parse("2026-02-20"), false);
        // Later baselines follow the cadence again.
        assertThatThrownBy(() -> cal.checkBaseline("1.1", true, LocalDate.parse("2026-03-03"), false))
                .extracting(e -> ((ServerException) e).code()).isEqualTo("not-a-baseline-month");
        ReleaseCalendar withHotpatch = new ReleaseCalendar(Cadence.QUARTERLY, List.of(start, FEB));
        assertThatThrownBy(() -> withHotpatch.checkHotpatch("KB2", "bl-1", "1.0", LocalDate.parse("2026-02-25"), false))
                .extracting(e -> ((ServerException) e).code()).isEqualTo("month-taken");
    }
}
