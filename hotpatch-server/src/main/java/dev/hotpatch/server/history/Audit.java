package dev.hotpatch.server.history;

import dev.hotpatch.server.ServerException;
import dev.hotpatch.server.store.Database;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The fleet's update history as an audit trail: every machine's entries filtered by machine,
 * action, outcome, actor, KB and time range, newest first, a page at a time with the total.
 * Read-only over {@link History}'s table. Thread-safe.
 */
public final class Audit {
    /** Largest page. */
    public static final int MAX_LIMIT = 1000;

    private final Database db;

    public Audit(Database db) {
        this.db = db;
    }

    /**
     * Which entries; null or blank fields do not filter.
     *
     * @param machine machine id or name (exact)
     * @param actor   who asked: contains, case-insensitive ({@code token:admin}, {@code rollout:}, {@code agent})
     * @param from    entries at or after (inclusive)
     * @param to      entries before (exclusive); null: now
     */
    public record Filter(String machine, String action, String outcome, String actor, String kbId, Instant from, Instant to) {
    }

    /** A page, newest first; {@code total} counts the whole selection. */
    public record Page(List<HistoryEntry> items, int total, int limit, int offset) {
    }

    public Page page(Filter f, int limit, int offset) {
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new ServerException.BadRequest("invalid-limit", "limit " + limit + " is out of range", "pass 1 to " + MAX_LIMIT);
        }
        int off = Math.max(0, offset);
        StringBuilder where = new StringBuilder(" FROM history WHERE at >= :from");
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("from", f.from() == null ? 0L : f.from().toEpochMilli());
        if (f.to() != null) {
            where.append(" AND at < :to");
            args.put("to", f.to().toEpochMilli());
        }
        if (!blank(f.machine())) {
            where.append(" AND (machine_id = :m OR machine_name = :m)");
            args.put("m", f.machine().trim());
        }
        if (!blank(f.action())) {
            where.append(" AND action = :a");
            args.put("a", f.action().trim());
        }
        if (!blank(f.outcome())) {
            where.append(" AND outcome = :o");
            args.put("o", f.outcome().trim());
        }
        if (!blank(f.kbId())) {
            where.append(" AND kb_id = :kb");
            args.put("kb", f.kbId().trim());
        }
        if (!blank(f.actor())) {
            where.append(" AND LOWER(actor) LIKE :actor");
            args.put("actor", "%" + f.actor().trim().toLowerCase(Locale.ROOT).replace("%", "").replace("_", "") + "%");
        }
        return db.read(h -> {
            int total = h.createQuery("SELECT COUNT(*)" + where).bindMap(args).mapTo(Integer.class).one();
            List<HistoryEntry> items = h.createQuery("SELECT id, at, machine_id, machine_name, node, action, kb_id, actor, outcome, details,"
                            + " operation_id" + where + " ORDER BY at DESC, id DESC LIMIT " + limit + " OFFSET " + off)
                    .bindMap(args)
                    .map((rs, ctx) -> new HistoryEntry(rs.getString(1), Instant.ofEpochMilli(rs.getLong(2)), rs.getString(3), rs.getString(4),
                            rs.getString(5), rs.getString(6), rs.getString(7), rs.getString(8), rs.getString(9), rs.getString(10),
                            rs.getString(11)))
                    .list();
            return new Page(items, total, limit, off);
        });
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
