package dev.hotpatch.server.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.server.store.Database;
import dev.hotpatch.server.store.Json;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jdbi.v3.core.Handle;

/**
 * The fleet search index: each machine's region, zone and tags, copied out of its last report into
 * {@code machine_placement} and {@code machine_tags} so that the console filters and counts with
 * SQL. Derived data, brought up to date before each fleet query: a machine whose report changed
 * since it was indexed ({@code machine_signals.reported_at}, written with every changed report)
 * is indexed again. So there is no second write path to keep in step with check-ins, and any
 * replica may refresh (the upserts are idempotent). Thread-safe.
 */
final class Placement {
    /** Machines whose report is newer than their index entry; a machine without signals counts as reported at 0. */
    private static final String STALE = "SELECT m.id, m.report, COALESCE(s.reported_at, 0) AS reported_at FROM machines m"
            + " LEFT JOIN machine_signals s ON s.machine_id = m.id LEFT JOIN machine_placement p ON p.machine_id = m.id"
            + " WHERE p.machine_id IS NULL OR p.reported_at <> COALESCE(s.reported_at, 0)";

    private Placement() {
    }

    /**
     * Re-indexes every machine whose report changed since it was last indexed; returns how many. The
     * usual call finds none and only reads; a report and its {@code reported_at} are read by one
     * statement, so an entry never pairs one report's placement with another's time.
     */
    static int refresh(Database db) {
        List<Map<String, Object>> stale = db.read(h -> h.createQuery(STALE + " ORDER BY m.id").mapToMap().list());
        if (!stale.isEmpty()) {
            db.txRun(h -> {
                for (Map<String, Object> row : stale) {
                    index(h, (String) row.get("id"), ((Number) row.get("reported_at")).longValue(), config((String) row.get("report")));
                }
            });
        }
        return stale.size();
    }

    private static void index(Handle h, String machineId, long reportedAt, JsonNode config) {
        String region = text(config, "region");
        String zone = text(config, "zone");
        Map<String, String> tags = new TreeMap<>();
        JsonNode t = config == null ? null : config.get("tags");
        if (t != null && t.isObject()) {
            t.fields().forEachRemaining(e -> tags.put(e.getKey(), e.getValue().isNull() ? "" : e.getValue().asText()));
        }
        h.createUpdate("INSERT INTO machine_placement (machine_id, reported_at, region, zone, tags) VALUES (:m, :t, :r, :z, :tags)"
                        + " ON CONFLICT (machine_id) DO UPDATE SET reported_at = excluded.reported_at, region = excluded.region,"
                        + " zone = excluded.zone, tags = excluded.tags")
                .bind("m", machineId).bind("t", reportedAt).bind("r", region).bind("z", zone).bind("tags", Json.write(tags))
                .execute();
        h.createUpdate("DELETE FROM machine_tags WHERE machine_id = :m").bind("m", machineId).execute();
        for (Map.Entry<String, String> e : tags.entrySet()) {
            h.createUpdate("INSERT INTO machine_tags (machine_id, tag_key, tag_value) VALUES (:m, :k, :v) ON CONFLICT (machine_id, tag_key)"
                            + " DO UPDATE SET tag_value = excluded.tag_value")
                    .bind("m", machineId).bind("k", e.getKey()).bind("v", e.getValue()).execute();
        }
    }

    private static JsonNode config(String report) {
        try {
            JsonNode c = Json.MAPPER.readTree(report).get("config");
            return c == null || c.isNull() ? null : c;
        } catch (IOException e) {
            // Stored reports were checked at check-in; an unreadable one is indexed as placed nowhere.
            return null;
        }
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n == null ? null : n.get(field);
        return v == null || v.isNull() || v.asText().isBlank() ? null : v.asText();
    }
}
