package dev.hotpatch.server.machine;

import dev.hotpatch.server.store.Database;
import dev.hotpatch.server.store.Json;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jdbi.v3.core.Handle;

/**
 * Where each machine runs, for the fleet search: its reported region, zone and tags copied into
 * {@code machine_placement} and {@code machine_tags}, written with the report in the same
 * transaction (as {@link Signals} are), so that the console filters and counts with SQL instead of
 * parsing every report. Machines recorded before this index existed are filled in on first use
 * ({@link #backfill}). Thread-safe.
 */
public final class Placement {
    private Placement() {
    }

    /** Indexes the report's placement in the caller's transaction. */
    static void store(Handle h, String machineId, MachineReport report) {
        MachineReport.Config c = report.configOrEmpty();
        Map<String, String> tags = new TreeMap<>();
        if (c.tags() != null) {
            c.tags().forEach((k, v) -> tags.put(k, v == null ? "" : v));
        }
        h.createUpdate("INSERT INTO machine_placement (machine_id, region, zone, tags) VALUES (:m, :r, :z, :tags)"
                        + " ON CONFLICT (machine_id) DO UPDATE SET region = excluded.region, zone = excluded.zone, tags = excluded.tags")
                .bind("m", machineId).bind("r", blankToNull(c.region())).bind("z", blankToNull(c.zone())).bind("tags", Json.write(tags))
                .execute();
        h.createUpdate("DELETE FROM machine_tags WHERE machine_id = :m").bind("m", machineId).execute();
        for (Map.Entry<String, String> e : tags.entrySet()) {
            h.createUpdate("INSERT INTO machine_tags (machine_id, tag_key, tag_value) VALUES (:m, :k, :v)")
                    .bind("m", machineId).bind("k", e.getKey()).bind("v", e.getValue()).execute();
        }
    }

    /**
     * Indexes the machines that have no placement yet (recorded by a server before this index);
     * returns how many. The usual call finds none and only reads.
     */
    public static int backfill(Database db) {
        String missing = "SELECT m.id FROM machines m LEFT JOIN machine_placement p ON p.machine_id = m.id WHERE p.machine_id IS NULL ORDER BY m.id";
        List<String> ids = db.read(h -> h.createQuery(missing).mapTo(String.class).list());
        for (String id : ids) {
            db.txRun(h -> h.createQuery("SELECT report FROM machine_reports WHERE machine_id = :id").bind("id", id).mapTo(String.class).findOne()
                    .ifPresent(r -> {
                        h.createUpdate("DELETE FROM machine_placement WHERE machine_id = :m").bind("m", id).execute();
                        store(h, id, Json.read(r, MachineReport.class));
                    }));
        }
        return ids.size();
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
