package dev.hotpatch.server.history;

import dev.hotpatch.server.store.Database;
import dev.hotpatch.server.store.Ids;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jdbi.v3.core.Handle;

/**
 * The append-only record of every install, uninstall, restart and refusal. Rows are written in
 * the same transaction as the change they describe, so a crash cannot lose one; they are never
 * updated, and deleted only when older than the retention period. Thread-safe.
 */
public final class History {
    /** Default view: the last 30 days. */
    public static final Duration DEFAULT_VIEW = Duration.ofDays(30);

    private final Database db;
    private final Clock clock;
    private final Duration retention;

    public History(Database db, Clock clock, Duration retention) {
        this.db = db;
        this.clock = clock;
        this.retention = retention;
    }

    /** Appends one entry inside the caller's transaction; returns its id. */
    public String append(Handle h, String machineId, String machineName, String node, String action, String kbId, String actor,
                         String outcome, String details, String operationId) {
        Instant now = clock.instant();
        String id = Ids.next("h", now);
        h.createUpdate("INSERT INTO history (id, at, machine_id, machine_name, node, action, kb_id, actor, outcome, details, operation_id)"
                        + " VALUES (:id, :at, :m, :mn, :node, :a, :kb, :actor, :o, :d, :op)")
                .bind("id", id).bind("at", now.toEpochMilli()).bind("m", machineId).bind("mn", machineName).bind("node", node)
                .bind("a", action).bind("kb", kbId).bind("actor", actor).bind("o", outcome)
                .bind("d", details == null ? "" : details.length() > 4000 ? details.substring(0, 4000) + "…" : details)
                .bind("op", operationId)
                .execute();
        return id;
    }

    /** Entries newest first since {@code since} (default: the last 30 days), optionally for one machine and action. */
    public List<HistoryEntry> query(String machineId, String action, Instant since, int limit) {
        Instant from = since == null ? clock.instant().minus(DEFAULT_VIEW) : since;
        StringBuilder sql = new StringBuilder("SELECT id, at, machine_id, machine_name, node, action, kb_id, actor, outcome, details,"
                + " operation_id FROM history WHERE at >= :from");
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("from", from.toEpochMilli());
        if (machineId != null) {
            sql.append(" AND machine_id = :m");
            args.put("m", machineId);
        }
        if (action != null && !action.isBlank()) {
            sql.append(" AND action = :a");
            args.put("a", action);
        }
        sql.append(" ORDER BY at DESC, id DESC LIMIT :lim");
        args.put("lim", Math.max(1, Math.min(limit, 10_000)));
        return db.read(h -> h.createQuery(sql.toString()).bindMap(args)
                .map((rs, ctx) -> new HistoryEntry(rs.getString(1), Instant.ofEpochMilli(rs.getLong(2)), rs.getString(3), rs.getString(4),
                        rs.getString(5), rs.getString(6), rs.getString(7), rs.getString(8), rs.getString(9), rs.getString(10),
                        rs.getString(11)))
                .list());
    }

    /** Deletes entries older than the retention period; returns how many. */
    public int purge() {
        long cutoff = clock.instant().minus(retention).toEpochMilli();
        return db.tx(h -> h.createUpdate("DELETE FROM history WHERE at < :c").bind("c", cutoff).execute());
    }

    public Duration retention() {
        return retention;
    }
}
