package dev.hotpatch.server.window;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.List;
import org.junit.jupiter.api.Test;

class WindowTest {
    private static final ZoneId PARIS = ZoneId.of("Europe/Paris");
    private static final ZoneId NEW_YORK = ZoneId.of("America/New_York");
    private static final ZoneId SYDNEY = ZoneId.of("Australia/Sydney");
    private static final ZoneId TOKYO = ZoneId.of("Asia/Tokyo");

    private static Instant at(String local, ZoneId zone) {
        return LocalDateTime.parse(local).atZone(zone).toInstant();
    }

    @Test
    void defaultWindow_isOneToFiveAtNight_inTheMachinesOwnZone() {
        Window w = Window.DEFAULT;
        assertThat(w.text()).isEqualTo("daily 01:00 4h");
        Instant parisNight = at("2026-02-10T02:00", PARIS);
        assertThat(w.openAt(parisNight, PARIS)).isPresent();
        assertThat(w.openAt(parisNight, PARIS).get().end()).isEqualTo(at("2026-02-10T05:00", PARIS));
        // The same instant is 20:00 the evening before in New York and 10:00 in Tokyo: closed there.
        assertThat(w.openAt(parisNight, NEW_YORK)).isEmpty();
        assertThat(w.openAt(parisNight, TOKYO)).isEmpty();
        assertThat(w.next(parisNight, NEW_YORK).get().start()).isEqualTo(at("2026-02-10T01:00", NEW_YORK));
        assertThat(w.openAt(at("2026-02-10T05:00", PARIS), PARIS)).as("the end is exclusive").isEmpty();
        assertThat(w.openAt(at("2026-02-10T00:59", PARIS), PARIS)).isEmpty();
    }

    @Test
    void springForward_aStartInTheGapStillOpensOnce_asLateAsTheGap() {
        // Paris: on 2026-03-29 clocks jump from 02:00 to 03:00; 02:30 does not exist that night.
        Window w = Window.parse("daily 02:30 1h");
        List<Window.Occurrence> night = w.between(at("2026-03-28T12:00", PARIS), at("2026-03-29T12:00", PARIS), PARIS);
        assertThat(night).hasSize(1);
        assertThat(night.get(0).start()).isEqualTo(Instant.parse("2026-03-29T01:30:00Z")); // 03:30 CEST
        assertThat(night.get(0).end()).isEqualTo(Instant.parse("2026-03-29T02:30:00Z"));
        // The nights around it open at 02:30 as usual.
        assertThat(w.between(at("2026-03-27T12:00", PARIS), at("2026-03-31T12:00", PARIS), PARIS))
                .extracting(o -> o.start().atZone(PARIS).toLocalTime().toString())
                .containsExactly("02:30", "03:30", "02:30", "02:30");
        // New York springs forward on 2026-03-08 at 02:00.
        assertThat(w.between(at("2026-03-07T12:00", NEW_YORK), at("2026-03-08T12:00", NEW_YORK), NEW_YORK)).hasSize(1);
    }

    @Test
    void fallBack_aStartThatHappensTwice_opensOnlyAtTheFirst() {
        // Paris: on 2026-10-25 clocks go back from 03:00 to 02:00; 02:30 happens twice (CEST, then CET).
        Window w = Window.parse("daily 02:30 45m");
        List<Window.Occurrence> night = w.between(at("2026-10-24T12:00", PARIS), at("2026-10-25T12:00", PARIS), PARIS);
        assertThat(night).hasSize(1);
        assertThat(night.get(0).start()).isEqualTo(Instant.parse("2026-10-25T00:30:00Z")); // first 02:30, CEST
        Instant secondHalfPastTwo = Instant.parse("2026-10-25T01:30:00Z"); // 02:30 CET
        assertThat(w.openAt(secondHalfPastTwo, PARIS)).as("not opened a second time").isEmpty();
        assertThat(w.next(secondHalfPastTwo, PARIS).get().start()).isEqualTo(at("2026-10-26T02:30", PARIS));
        // The duration is elapsed time: four hours from 01:00 end at 04:00 on the long night, not 05:00.
        Window.Occurrence longNight = Window.DEFAULT.openAt(Instant.parse("2026-10-25T00:00:00Z"), PARIS).orElseThrow();
        assertThat(Duration.between(longNight.start(), longNight.end())).isEqualTo(Duration.ofHours(4));
        assertThat(longNight.end().atZone(PARIS).toLocalTime().toString()).isEqualTo("04:00");
        // Sydney falls back on 2026-04-05 (southern hemisphere) and springs forward on 2026-10-04, at 02:00-03:00.
        assertThat(w.between(at("2026-04-04T12:00", SYDNEY), at("2026-04-05T12:00", SYDNEY), SYDNEY)).hasSize(1);
        assertThat(w.between(at("2026-10-03T12:00", SYDNEY), at("2026-10-04T12:00", SYDNEY), SYDNEY)).hasSize(1);
    }

    @Test
    void weeklyAndMonthly_pickTheirDays_andAMonthOfWindowsIsCounted() {
        Window weekly = Window.parse("weekly Sat,Sun 02:00 6h");
        // March 2026 has 4 Saturdays and 5 Sundays.
        assertThat(weekly.between(at("2026-03-01T00:00", PARIS), at("2026-04-01T00:00", PARIS), PARIS)).hasSize(9);
        Window weekdays = Window.parse("weekly Mon-Fri 22:00 3h30m");
        Window.Occurrence fri = weekdays.openAt(at("2026-03-21T01:00", PARIS), PARIS).orElseThrow(); // Friday night, past midnight
        assertThat(fri.start()).isEqualTo(at("2026-03-20T22:00", PARIS));
        assertThat(fri.end()).isEqualTo(at("2026-03-21T01:30", PARIS));
        assertThat(weekdays.openAt(at("2026-03-22T23:00", PARIS), PARIS)).as("Sunday").isEmpty();

        // Patch Tuesday + 3 days: the second Tuesday of each month, then Friday.
        Window monthly = Window.parse("monthly 2nd Tue +3 22:00 4h");
        assertThat(monthly.between(at("2026-01-01T00:00", PARIS), at("2026-07-01T00:00", PARIS), PARIS))
                .extracting(o -> o.start().atZone(PARIS).toLocalDate().toString())
                .containsExactly("2026-01-16", "2026-02-13", "2026-03-13", "2026-04-17", "2026-05-15", "2026-06-12");
        Window last = Window.parse("monthly last Sun -1 23:00 2h");
        assertThat(last.next(at("2026-03-01T00:00", PARIS), PARIS).get().start()).isEqualTo(at("2026-03-28T23:00", PARIS));
        Window both = Window.parse("daily 01:00 1h; weekly Sat 12:00 2h");
        assertThat(both.between(at("2026-03-02T00:00", PARIS), at("2026-03-09T00:00", PARIS), PARIS)).hasSize(8);
        assertThat(Window.ALWAYS.openAt(Instant.EPOCH, PARIS)).isPresent();
        assertThat(Window.ALWAYS.next(Instant.EPOCH, PARIS)).isEmpty();
    }

    @Test
    void parse_refusesBadText_sayingWhatIsWrong() {
        assertThatThrownBy(() -> Window.parse("nightly 01:00 4h")).hasMessageContaining("'nightly' is not daily, weekly or monthly")
                .hasMessageContaining("daily 01:00 4h");
        assertThatThrownBy(() -> Window.parse("daily 25:00 4h")).hasMessageContaining("not a start time");
        assertThatThrownBy(() -> Window.parse("daily 01:00 25h")).hasMessageContaining("not between 1m and 24h");
        assertThatThrownBy(() -> Window.parse("daily 01:00 four")).hasMessageContaining("not a duration");
        assertThatThrownBy(() -> Window.parse("weekly Someday 01:00 1h")).hasMessageContaining("is not a day");
        assertThatThrownBy(() -> Window.parse("monthly 5th Tue 01:00 1h")).hasMessageContaining("1st, 2nd, 3rd, 4th or last");
        assertThatThrownBy(() -> Window.parse("daily 01:00")).hasMessageContaining("start time and a duration");
        assertThatThrownBy(() -> Window.parse(" ")).hasMessageContaining("empty");
        assertThat(Window.parse("  Weekly   sat,sun 2:00 90m ").text()).isEqualTo("Weekly sat,sun 2:00 90m");
    }
}
