package dev.hotpatch.node.config;

import java.time.DayOfWeek;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * When changes may be made to a machine: one or more weekly slots such as {@code Mon-Fri 01:00-05:00}
 * or {@code daily 22:00-02:00} (a slot ending at or before its start runs past midnight into the next
 * day), or {@code always}. Slots are wall-clock times in the machine's own IANA time zone, so a
 * slot follows the machine through daylight-saving changes: on the night clocks go forward a
 * 02:00-04:00 slot lasts one hour, on the night they go back it lasts three. Immutable.
 *
 * @param slots the slots; empty means always
 * @param text  the text it was parsed from
 */
public record MaintenanceWindow(List<Slot> slots, String text) {
    /** A window that is always open. */
    public static final MaintenanceWindow ALWAYS = new MaintenanceWindow(List.of(), "always");

    public MaintenanceWindow {
        slots = List.copyOf(slots);
    }

    /**
     * One weekly slot: it opens on each of {@code days} at {@code start} and closes at {@code end},
     * on the same day, or the next day when {@code end} is not after {@code start}.
     */
    public record Slot(Set<DayOfWeek> days, LocalTime start, LocalTime end) {
        public Slot {
            days = Set.copyOf(days);
        }

        boolean contains(LocalDateTime t) {
            for (int back = 0; back <= 1; back++) {
                LocalDateTime open = t.toLocalDate().minusDays(back).atTime(start);
                if (!days.contains(open.getDayOfWeek())) {
                    continue;
                }
                LocalDateTime close = open.toLocalDate().atTime(end);
                if (!end.isAfter(start)) {
                    close = close.plusDays(1);
                }
                if (!t.isBefore(open) && t.isBefore(close)) {
                    return true;
                }
            }
            return false;
        }
    }

    /** Whether the window is open at {@code instant} in time zone {@code zone}. */
    public boolean isOpen(java.time.Instant instant, ZoneId zone) {
        if (slots.isEmpty()) {
            return true;
        }
        LocalDateTime local = ZonedDateTime.ofInstant(instant, zone).toLocalDateTime();
        for (Slot s : slots) {
            if (s.contains(local)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Parses {@code always}, or slots separated by {@code ;}, each {@code DAYS HH:MM-HH:MM} where
     * DAYS is {@code daily}, a day ({@code Sat}), a range ({@code Mon-Fri}) or a list ({@code Sat,Sun});
     * {@code 24:00} means the end of the day.
     *
     * @throws IllegalArgumentException with what is wrong and an example
     */
    public static MaintenanceWindow parse(String text) {
        String t = text.trim();
        if (t.equalsIgnoreCase("always") || t.equals("*")) {
            return ALWAYS;
        }
        List<Slot> slots = new ArrayList<>();
        for (String part : t.split(";")) {
            String p = part.trim();
            if (p.isEmpty()) {
                continue;
            }
            String[] words = p.split("\\s+");
            if (words.length != 2) {
                throw bad(text, "slot '" + p + "' is not 'DAYS HH:MM-HH:MM'");
            }
            Set<DayOfWeek> days = days(words[0], text);
            String[] times = words[1].split("-");
            if (times.length != 2) {
                throw bad(text, "'" + words[1] + "' is not a time range HH:MM-HH:MM");
            }
            LocalTime start = time(times[0], text);
            LocalTime end = time(times[1], text);
            if (start.equals(end) && !times[1].trim().equals("24:00")) {
                throw bad(text, "slot '" + p + "' starts and ends at the same time; for a whole day write 00:00-24:00");
            }
            slots.add(new Slot(days, start, end));
        }
        if (slots.isEmpty()) {
            throw bad(text, "it has no slot");
        }
        return new MaintenanceWindow(slots, t);
    }

    private static Set<DayOfWeek> days(String word, String text) {
        String w = word.toLowerCase(Locale.ROOT);
        if (w.equals("daily") || w.equals("*")) {
            return EnumSet.allOf(DayOfWeek.class);
        }
        Set<DayOfWeek> out = EnumSet.noneOf(DayOfWeek.class);
        for (String item : w.split(",")) {
            String[] range = item.split("-");
            if (range.length == 1) {
                out.add(day(range[0], text));
            } else if (range.length == 2) {
                DayOfWeek from = day(range[0], text);
                DayOfWeek to = day(range[1], text);
                for (DayOfWeek d = from; ; d = d.plus(1)) {
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
        String v = s.trim();
        if (v.equals("24:00")) {
            return LocalTime.MIDNIGHT;
        }
        try {
            return LocalTime.parse(v.length() == 4 ? "0" + v : v);
        } catch (DateTimeParseException e) {
            throw bad(text, "'" + s + "' is not a time HH:MM");
        }
    }

    private static IllegalArgumentException bad(String text, String why) {
        return new IllegalArgumentException("maintenance window '" + text + "': " + why
                + "; write e.g. 'Sat,Sun 02:00-06:00', 'Mon-Fri 22:00-02:00; Sun 00:00-24:00' or 'always'");
    }

    @Override
    public String toString() {
        return text;
    }
}
