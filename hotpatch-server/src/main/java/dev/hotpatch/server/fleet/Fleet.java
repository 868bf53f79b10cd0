package dev.hotpatch.server.fleet;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.hotpatch.server.ServerException;
import dev.hotpatch.server.machine.Machine;
import dev.hotpatch.server.machine.Placement;
import dev.hotpatch.server.store.Database;
import dev.hotpatch.server.store.Json;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jdbi.v3.core.Handle;

/**
 * The fleet at a glance, as the console's overview shows it: machines found by name, image,
 * region, zone, tag, hotpatch status, presence and missing classification, a page at a time
 * (server-side paging, newest data each call), and counts of the same selection by status, by
 * missing classification and by image and baseline. Reads the machines table's assessed columns
 * and the {@link Placement} index; never a machine's report. Thread-safe.
 */
public final class Fleet {
    /** Largest page. */
    public static final int MAX_LIMIT = 1000;
    private static final Set<String> STATUSES = Set.of("Enabled", "Disabled", "NotSupported", "PendingEvaluation", "ActionRequired");
    private static final Set<String> MISSING = Set.of("critical", "security", "other", "any", "none");

    private final Database db;

    public Fleet(Database db) {
        this.db = db;
    }

    /**
     * Which machines; null or blank fields do not filter.
     *
     * @param q       name contains (case-insensitive)
     * @param image   image id or {@code publisher/offer/sku} (or with colons)
     * @param tag     {@code KEY} (has the tag) or {@code KEY=VALUE}
     * @param status  a hotpatch status
     * @param missing {@code critical}, {@code security}, {@code other} (at least one such update missing), {@code any} or {@code none}
     */
    public record Filter(String q, String image, String region, String zone, String tag, String status, Boolean present, String missing) {
    }

    /** One machine in the overview list. */
    public record Row(String id, String name, String node, boolean present, Instant lastSeenAt, String status, String statusReason,
                      Instant lastAssessedAt, String imageId, String image, String baselineId, String baselineVersion, String region,
                      String zone, Map<String, String> tags, Machine.Missing missing) {
    }

    /** A page of machines ordered by name; {@code total} counts the whole selection. */
    public record Page(List<Row> items, int total, int limit, int offset) {
    }

    /** Machines of the selection missing at least one update of each classification, and those missing none. */
    public record MissingCounts(int critical, int security, int other, int none) {
    }

    /** Machines of the selection on one image and baseline (null: unmatched). */
    public record BaselineCount(String imageId, String image, String baselineId, String baselineVersion, int machines) {
    }

    /** The values the filters can take in the whole fleet, for the console's pickers. */
    public record Facets(List<Map<String, String>> images, List<String> regions, List<String> zones, List<String> tags, List<String> statuses) {
    }

    /** Counts of one selection. */
    public record Summary(int total, int present, Map<String, Integer> byStatus, MissingCounts byMissing, List<BaselineCount> byBaseline,
                          Facets facets) {
    }

    /** A page of the selection. */
    public Page page(Filter f, int limit, int offset) {
        int lim = checkLimit(limit);
        int off = Math.max(0, offset);
        Where w = where(f);
        Placement.backfill(db);
        return db.read(h -> {
            int total = h.createQuery("SELECT COUNT(*) " + FROM + w.sql).bindMap(w.args).mapTo(Integer.class).one();
            List<Row> rows = h.createQuery(SELECT + FROM + w.sql + " ORDER BY m.name LIMIT " + lim + " OFFSET " + off).bindMap(w.args)
                    .map(Fleet::row).list();
            return new Page(rows, total, lim, off);
        });
    }

    /** Counts of the selection by status, missing classification and baseline, with the fleet's filter values. */
    public Summary summary(Filter f) {
        Where w = where(f);
        Placement.backfill(db);
        return db.read(h -> {
            Map<String, Integer> byStatus = new LinkedHashMap<>();
            for (String s : List.of("Enabled", "ActionRequired", "PendingEvaluation", "Disabled", "NotSupported")) {
                byStatus.put(s, 0);
            }
            int[] total = {0};
            int[] present = {0};
            h.createQuery("SELECT m.status, COUNT(*) AS n, SUM(CASE WHEN m.present THEN 1 ELSE 0 END) AS p " + FROM + w.sql + " GROUP BY m.status")
                    .bindMap(w.args).mapToMap().forEach(r -> {
                        int n = ((Number) r.get("n")).intValue();
                        byStatus.merge((String) r.get("status"), n, Integer::sum);
                        total[0] += n;
                        present[0] += r.get("p") == null ? 0 : ((Number) r.get("p")).intValue();
                    });
            Map<String, Object> mc = h.createQuery("SELECT SUM(CASE WHEN m.missing_critical > 0 THEN 1 ELSE 0 END) AS c,"
                            + " SUM(CASE WHEN m.missing_security > 0 THEN 1 ELSE 0 END) AS s,"
                            + " SUM(CASE WHEN m.missing_other > 0 THEN 1 ELSE 0 END) AS o,"
                            + " SUM(CASE WHEN m.missing_total = 0 THEN 1 ELSE 0 END) AS z " + FROM + w.sql)
                    .bindMap(w.args).mapToMap().one();
            MissingCounts missing = new MissingCounts(num(mc.get("c")), num(mc.get("s")), num(mc.get("o")), num(mc.get("z")));
            List<BaselineCount> byBaseline = h.createQuery("SELECT m.image_id, i.publisher, i.offer, i.sku, m.baseline_id, b.version, COUNT(*) AS n "
                            + FROM + w.sql + " GROUP BY m.image_id, i.publisher, i.offer, i.sku, m.baseline_id, b.version"
                            + " ORDER BY i.publisher, i.offer, i.sku, b.version")
                    .bindMap(w.args).map((rs, ctx) -> new BaselineCount(rs.getString("image_id"), image(rs), rs.getString("baseline_id"),
                            rs.getString("version"), rs.getInt("n"))).list();
            return new Summary(total[0], present[0], byStatus, missing, byBaseline, facets(h));
        });
    }

    private static Facets facets(Handle h) {
        List<Map<String, String>> images = h.createQuery("SELECT id, publisher, offer, sku FROM images ORDER BY publisher, offer, sku")
                .map((rs, ctx) -> Map.of("id", rs.getString("id"), "name", image(rs))).list();
        List<String> regions = h.createQuery("SELECT DISTINCT region FROM machine_placement WHERE region IS NOT NULL ORDER BY region")
                .mapTo(String.class).list();
        List<String> zones = h.createQuery("SELECT DISTINCT zone FROM machine_placement WHERE zone IS NOT NULL ORDER BY zone")
                .mapTo(String.class).list();
        List<String> tags = h.createQuery("SELECT DISTINCT tag_key, tag_value FROM machine_tags ORDER BY tag_key, tag_value LIMIT 500")
                .map((rs, ctx) -> rs.getString(1) + "=" + rs.getString(2)).list();
        return new Facets(images, regions, zones, tags, List.of("Enabled", "ActionRequired", "PendingEvaluation", "Disabled", "NotSupported"));
    }

    private record Where(String sql, Map<String, Object> args) {
    }

    private static Where where(Filter f) {
        StringBuilder sql = new StringBuilder(" WHERE 1 = 1");
        Map<String, Object> args = new LinkedHashMap<>();
        if (!blank(f.q())) {
            sql.append(" AND LOWER(m.name) LIKE :q");
            args.put("q", "%" + f.q().trim().toLowerCase(Locale.ROOT).replace("%", "").replace("_", "") + "%");
        }
        if (!blank(f.image())) {
            String ref = f.image().trim().replace(':', '/');
            sql.append(" AND (m.image_id = :img OR (i.publisher || '/' || i.offer || '/' || i.sku) = :img)");
            args.put("img", ref);
        }
        if (!blank(f.region())) {
            sql.append(" AND p.region = :region");
            args.put("region", f.region().trim());
        }
        if (!blank(f.zone())) {
            sql.append(" AND p.zone = :zone");
            args.put("zone", f.zone().trim());
        }
        if (!blank(f.tag())) {
            String[] kv = f.tag().split("=", 2);
            sql.append(" AND EXISTS (SELECT 1 FROM machine_tags t WHERE t.machine_id = m.id AND t.tag_key = :tk");
            args.put("tk", kv[0].trim());
            if (kv.length == 2) {
                sql.append(" AND t.tag_value = :tv");
                args.put("tv", kv[1].trim());
            }
            sql.append(")");
        }
        if (!blank(f.status())) {
            String st = STATUSES.stream().filter(s -> s.equalsIgnoreCase(f.status().trim())).findFirst().orElseThrow(() ->
                    new ServerException.BadRequest("invalid-status", "status '" + f.status() + "' is not a hotpatch status",
                            "use one of Enabled, ActionRequired, PendingEvaluation, Disabled, NotSupported"));
            sql.append(" AND m.status = :st");
            args.put("st", st);
        }
        if (f.present() != null) {
            sql.append(" AND m.present = :present");
            args.put("present", f.present());
        }
        if (!blank(f.missing())) {
            String mi = f.missing().trim().toLowerCase(Locale.ROOT);
            if (!MISSING.contains(mi)) {
                throw new ServerException.BadRequest("invalid-missing", "missing '" + f.missing() + "' is not a classification filter",
                        "use critical, security, other, any or none");
            }
            sql.append(switch (mi) {
                case "critical" -> " AND m.missing_critical > 0";
                case "security" -> " AND m.missing_security > 0";
                case "other" -> " AND m.missing_other > 0";
                case "any" -> " AND m.missing_total > 0";
                default -> " AND m.missing_total = 0";
            });
        }
        return new Where(sql.toString(), args);
    }

    private static int checkLimit(int limit) {
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new ServerException.BadRequest("invalid-limit", "limit " + limit + " is out of range", "pass 1 to " + MAX_LIMIT);
        }
        return limit;
    }

    // A present machine was last seen at its node's last check-in (unchanged check-ins do not write machine rows; see Machines).
    private static final String SELECT = "SELECT m.id, m.name, n.hostname, m.present,"
            + " CASE WHEN m.present AND n.last_seen_at > m.last_seen_at THEN n.last_seen_at ELSE m.last_seen_at END AS last_seen_at,"
            + " m.status, m.status_reason, m.assessed_at,"
            + " m.missing_total, m.missing_critical, m.missing_security, m.missing_other, m.image_id, i.publisher, i.offer, i.sku,"
            + " m.baseline_id, b.version, p.region, p.zone, p.tags";
    private static final String FROM = " FROM machines m JOIN nodes n ON n.id = m.node_id LEFT JOIN images i ON i.id = m.image_id"
            + " LEFT JOIN baselines b ON b.id = m.baseline_id LEFT JOIN machine_placement p ON p.machine_id = m.id";

    private static Row row(ResultSet rs, org.jdbi.v3.core.statement.StatementContext ctx) throws SQLException {
        String tags = rs.getString("tags");
        return new Row(rs.getString("id"), rs.getString("name"), rs.getString("hostname"), rs.getBoolean("present"),
                Instant.ofEpochMilli(rs.getLong("last_seen_at")), rs.getString("status"), rs.getString("status_reason"),
                rs.getObject("assessed_at") == null ? null : Instant.ofEpochMilli(rs.getLong("assessed_at")), rs.getString("image_id"),
                image(rs), rs.getString("baseline_id"), rs.getString("version"), rs.getString("region"), rs.getString("zone"),
                tags == null ? Map.of() : Json.read(tags, new TypeReference<Map<String, String>>() { }),
                new Machine.Missing(rs.getInt("missing_total"), rs.getInt("missing_critical"), rs.getInt("missing_security"),
                        rs.getInt("missing_other")));
    }

    private static String image(ResultSet rs) throws SQLException {
        String publisher = rs.getString("publisher");
        return publisher == null ? null : publisher + "/" + rs.getString("offer") + "/" + rs.getString("sku");
    }

    private static int num(Object o) {
        return o == null ? 0 : ((Number) o).intValue();
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
