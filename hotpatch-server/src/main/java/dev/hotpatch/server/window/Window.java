package dev.hotpatch.server.window;

import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeParseException;
import java.time.temporal.TemporalAdjusters;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A maintenance window: when automatic work may start on a machine. One or more schedules, each a
 * recurrence (daily; weekly on some days; monthly on the n-th weekday plus an offset in days), a
 * local start time and a maximum duration; or {@code always}. Written as text, e.g.
 * {@code daily 01:00 4h}, {@code weekly Sat,Sun 02:00 6h}, {@code monthly 2nd Tue +3 22:00 3h30m},
 * several joined with {@code ;}. Immutable and thread-safe.
 *
 * <p>Times are wall-clock times in the machine's own IANA zone, and the duration is elapsed time.
 * Each schedule opens at most once per local date: on the night clocks go forward, a start time
 * that does not exist (02:30 in Paris on the last Sunday of March) opens as late as the gap is
 * long (03:30), so the window still happens once; on the night they go back, a start time that
 * exists twice opens at its first occurrence only, so the window does not run twice.
 */
public final class Window {
    private static final Pattern DURATION = Pattern.compile("(?:(\\d+)h)?(?:(\\d+)m)?");
    private static final Pattern OFFSET = Pattern.compile("[+-]\\d{1,2}");
    /** The default off-peak window: every night from 01:00 for four hours, machine-local time. */
    public static final String DEFAULT_TEXT = "daily 01:00 4h";
    /** Longest duration a schedule may have. */
    public static final Duration MAX_DURATION = Duration.ofHours(24);
    /** A window that is always open. */
    public static final Window ALWAYS = new Window(List.of(), "always");
    /** The default window, {@value #DEFAULT_TEXT}. */
    public static final Window DEFAULT = parse(DEFAULT_TEXT);


    private final List<Schedule> schedules;
    private final String text;

    private Window(List<Schedule> schedules, String text) {
        this.schedules = List.copyOf(schedules);
        this.text = text;
    }

    /** One time the window is open: from {@code start} (inclusive) to {@code end} (exclusive). */
    public record Occurrence(Instant start, Instant end) {
        /** Time left at {@code now}; zero when it has closed. */
        public Duration remaining(Instant now) {
            return now.isBefore(end) ? Duration.between(now, end) : Duration.ZERO;
        }

        public boolean contains(Instant t) {
            return !t.isBefore(start) && t.isBefore(end);
        }
    }

    /** How a schedule picks its dates. */
    private enum Recurrence {
        DAILY, WEEKLY, MONTHLY
    }

    /**
     * One schedule.
     *
     * @param days    WEEKLY: the days; MONTHLY: the one weekday counted
     * @param nth     MONTHLY: 1–4 for the first to fourth such weekday of the month, -1 for the last
     * @param offset  MONTHLY: days added to that weekday (may move into the next or previous month)
     */
    private record Schedule(Recurrence recurrence, Set<DayOfWeek> days, int nth, int offset, LocalTime start, Duration duration) {
        boolean opensOn(LocalDate date) {
            return switch (recurrence) {
                case DAILY -> true;
                case WEEKLY -> days.contains(date.getDayOfWeek());
                case MONTHLY -> {
                    LocalDate base = date.minusDays(offset);
                    yield monthlyBase(base.getYear(), base.getMonthValue()).equals(base);
                }
            };
        }

        LocalDate monthlyBase(int year, int month) {
            DayOfWeek dow = days.iterator().next();
            LocalDate first = LocalDate.of(year, month, 1);
            return nth < 0 ? first.with(TemporalAdjusters.lastInMonth(dow)) : first.with(TemporalAdjusters.dayOfWeekInMonth(nth, dow));
        }

        Occurrence on(LocalDate date, ZoneId zone) {
            // ZonedDateTime.of moves a start inside a spring-forward gap later by the gap, and takes
            // the earlier offset for a start that a fall-back night repeats: one opening per date.
            Instant s = ZonedDateTime.of(date, start, zone).toInstant();
            return new Occurrence(s, s.plus(duration));
        }
    }

    /** The window given as text, or the default one when {@code text} is null or blank. */
    public static Window parseOrDefault(String text) {
        return text == null || text.isBlank() ? DEFAULT : parse(text);
    }

    /**
     * Parses {@code always} or schedules joined by {@code ;}, each {@code RECURRENCE HH:MM DURATION}:
     * {@code daily}, {@code weekly DAYS} (DAYS such as {@code Sat}, {@code Sat,Sun}, {@code Mon-Fri}),
     * or {@code monthly NTH DAY [+N|-N]} (NTH: {@code 1st}, {@code 2nd}, {@code 3rd}, {@code 4th} or
     * {@code last}); DURATION like {@code 4h}, {@code 90m} or {@code 3h30m}, at most 24 hours.
     *
     * @throws IllegalArgumentException saying what is wrong, with an example
     */
    public static Window parse(String text) {
        if (text == null || text.isBlank()) {
            throw bad(String.valueOf(text), "it is empty");
        }
        String t = text.trim().replaceAll("\\s+", " ");
        if (t.equalsIgnoreCase("always")) {
            return ALWAYS;
        }
        List<Schedule> out = new ArrayList<>();
        for (String part : t.split(";")) {
            String p = part.trim();
            if (!p.isEmpty()) {
                out.add(schedule(p, t));
            }
        }
        if (out.isEmpty()) {
            throw bad(t, "it has no schedule");
        }
        return new Window(out, t);
    }

    private static Schedule schedule(String p, String text) {
        String[] w = p.split(" ");
        String kind = w[0].toLowerCase(Locale.ROOT);
        int i;
        Recurrence r;
        Set<DayOfWeek> days = EnumSet.allOf(DayOfWeek.class);
        int nth = 0;
        int offset = 0;
        switch (kind) {
            case "daily" -> {
                r = Recurrence.DAILY;
                i = 1;
            }
            case "weekly" -> {
                r = Recurrence.WEEKLY;
                if (w.length < 2) {
                    throw bad(text, "'" + p + "' names no days; write e.g. 'weekly Sat,Sun 02:00 4h'");
                }
                days = days(w[1], text);
                i = 2;
            }
            case "monthly" -> {
                r = Recurrence.MONTHLY;
                if (w.length < 3) {
                    throw bad(text, "'" + p + "' needs the n-th weekday; write e.g. 'monthly 2nd Tue +3 22:00 4h'");
                }
                nth = nth(w[1], text);
                days = EnumSet.of(day(w[2], text));
                i = 3;
                if (w.length > 3 && OFFSET.matcher(w[3]).matches()) {
                    offset = Integer.parseInt(w[3].startsWith("+") ? w[3].substring(1) : w[3]);
                    if (Math.abs(offset) > 27) {
                        throw bad(text, "offset " + w[3] + " is more than 27 days");
                    }
                    i = 4;
                }
            }
            default -> throw bad(text, "'" + w[0] + "' is not daily, weekly or monthly");
        }
        if (w.length != i + 2) {
            throw bad(text, "'" + p + "' does not end with a start time and a duration, as in '… 01:00 4h'");
        }
        return new Schedule(r, days, nth, offset, time(w[i], text), duration(w[i + 1], text));
    }

    private static int nth(String s, String text) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "1st", "first", "1" -> 1;
            case "2nd", "second", "2" -> 2;
            case "3rd", "third", "3" -> 3;
            case "4th", "fourth", "4" -> 4;
            case "last" -> -1;
            default -> throw bad(text, "'" + s + "' is not 1st, 2nd, 3rd, 4th or last");
        };
    }

    private static Set<DayOfWeek> days(String word, String text) {
        Set<DayOfWeek> out = EnumSet.noneOf(DayOfWeek.class);
        for (String item : word.split(",")) {
            String[] range = item.split("-");
            if (range.length == 1) {
                out.add(day(range[0], text));
            } else if (range.length == 2) {
                DayOfWeek to = day(range[1], text);
                for (DayOfWeek d = day(range[0], text); ; d = d.plus(1)) {
                    out.add(d);
                    if (d == to) {
                        break;
                    }
                }
            } else {
                throw bad(text, "'" + item + "' is not a day or a range of days");
            }
        }
        return out;
    }

    private static DayOfWeek day(String s, String text) {
        String d = s.trim().toLowerCase(Locale.ROOT);
        if (d.length() >= 3) {
            for (DayOfWeek day : DayOfWeek.values()) {
                if (day.name().toLowerCase(Locale.ROOT).startsWith(d)) {
                    return day;
                }
            }
        }
        throw bad(text, "'" + s + "' is not a day (Mon, Tue, Wed, Thu, Fri, Sat, Sun)");
    }

    private static LocalTime time(String s, String text) {
        try {
            return LocalTime.parse(s.length() == 4 ? "0" + s : s);
        } catch (DateTimeParseException e) {
            throw bad(text, "'" + s + "' is not a start time HH:MM");
        }
    }

    private static Duration duration(String s, String text) {
        Matcher m = DURATION.matcher(s.toLowerCase(Locale.ROOT));
        if (s.isEmpty() || !m.matches() || (m.group(1) == null && m.group(2) == null)) {
            throw bad(text, "'" + s + "' is not a duration such as 4h, 90m or 3h30m");
        }
        Duration d = Duration.ofHours(m.group(1) == null ? 0 : Long.parseLong(m.group(1)))
                .plusMinutes(m.group(2) == null ? 0 : Long.parseLong(m.group(2)));
        if (d.compareTo(Duration.ofMinutes(1)) < 0 || d.compareTo(MAX_DURATION) > 0) {
            throw bad(text, "duration " + s + " is not between 1m and 24h");
        }
        return d;
    }

    private static IllegalArgumentException bad(String text, String why) {
        return new IllegalArgumentException("maintenance window '" + text + "': " + why
                + "; write e.g. '" + DEFAULT_TEXT + "', 'weekly Sat,Sun 02:00 6h', 'monthly 2nd Tue +3 22:00 4h' or 'always'");
    }

    public boolean isAlways() {
        return schedules.isEmpty();
    }

    /** The occurrence open at {@code t} in {@code zone}, if any (the one closing last when several overlap). */
    public Optional<Occurrence> openAt(Instant t, ZoneId zone) {
        if (isAlways()) {
            return Optional.of(new Occurrence(Instant.EPOCH, Instant.MAX));
        }
        LocalDate today = t.atZone(zone).toLocalDate();
        Occurrence best = null;
        for (LocalDate d = today.minusDays(2); !d.isAfter(today.plusDays(1)); d = d.plusDays(1)) {
            for (Schedule s : schedules) {
                if (s.opensOn(d)) {
                    Occurrence o = s.on(d, zone);
                    if (o.contains(t) && (best == null || o.end().isAfter(best.end()))) {
                        best = o;
                    }
                }
            }
        }
        return Optional.ofNullable(best);
    }

    /** The first occurrence that opens after {@code t} in {@code zone}; empty for {@code always}. */
    public Optional<Occurrence> next(Instant t, ZoneId zone) {
        if (isAlways()) {
            return Optional.empty();
        }
        LocalDate today = t.atZone(zone).toLocalDate();
        // A monthly schedule opens at least every 5 weeks; 400 days cover any leap of offsets.
        for (LocalDate d = today.minusDays(1); !d.isAfter(today.plusDays(400)); d = d.plusDays(1)) {
            Occurrence best = null;
            for (Schedule s : schedules) {
                if (s.opensOn(d)) {
                    Occurrence o = s.on(d, zone);
                    if (o.start().isAfter(t) && (best == null || o.start().isBefore(best.start()))) {
                        best = o;
                    }
                }
            }
            if (best != null) {
                return Optional.of(best);
            }
        }
        return Optional.empty();
    }

    /** Occurrences that open in [{@code from}, {@code to}), in order (for calendars and tests). */
    public List<Occurrence> between(Instant from, Instant to, ZoneId zone) {
        List<Occurrence> out = new ArrayList<>();
        if (isAlways()) {
            return out;
        }
        Instant t = from.minusNanos(1);
        while (true) {
            Optional<Occurrence> o = next(t, zone);
            if (o.isEmpty() || !o.get().start().isBefore(to)) {
                return out;
            }
            out.add(o.get());
            t = o.get().start();
        }
    }

    /** The text it was parsed from, normalised. */
    public String text() {
        return text;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Window w && w.text.equalsIgnoreCase(text);
    }

    @Override
    public int hashCode() {
        return text.toLowerCase(Locale.ROOT).hashCode();
    }

    @Override
    public String toString() {
        return text;
    }
}
