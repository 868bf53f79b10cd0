package dev.hotpatch.cli.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/**
 * How the CLI shows times to people: one format everywhere, {@code 2026-02-20 16:00:05 UTC}
 * (JSON output keeps ISO-8601 instants). Public for the local commands of the parent package;
 * not an API.
 */
public final class Times {
    private static final DateTimeFormatter HUMAN = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    private Times() {
    }

    /** {@code 2026-02-20 16:00:05 UTC}; empty for null; the text itself when it is not an instant. */
    public static String human(JsonNode instant) {
        return format(instant, HUMAN);
    }

    /** {@code 2026-02-20 16:00:05 UTC}; empty for null. */
    public static String human(Instant instant) {
        return instant == null ? "" : HUMAN.format(instant);
    }

    /** {@code 1.4 s}, {@code 3 min 20 s}. */
    static String duration(Duration d) {
        long ms = d.toMillis();
        if (ms < 60_000) {
            return String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
        }
        return ms / 60_000 + " min " + (ms % 60_000) / 1000 + " s";
    }

    static Instant parse(JsonNode instant) {
        if (instant == null || instant.isNull() || instant.isMissingNode()) {
            return null;
        }
        try {
            return Instant.parse(instant.asText());
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    private static String format(JsonNode instant, DateTimeFormatter f) {
        if (instant == null || instant.isNull() || instant.isMissingNode()) {
            return "";
        }
        Instant i = parse(instant);
        return i == null ? instant.asText() : f.format(i);
    }
}
