package dev.hotpatch.server.machine;

import dev.hotpatch.format.Sha256;
import dev.hotpatch.server.ServerException;
import dev.hotpatch.server.store.Database;
import dev.hotpatch.server.store.Ids;
import dev.hotpatch.server.store.Json;
import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.jdbi.v3.core.Handle;

/**
 * The machines registry: records what nodes report at check-in and answers queries over it.
 * Thread-safe; all state is in the database.
 */
public final class Machines {
    /** Status before the first assessment. */
    public static final String PENDING = "PendingEvaluation";

    private final Database db;

    public Machines(Database db) {
        this.db = db;
    }

    /** Outcome of recording one report. {@code codeChanged}: the code, hotpatches or updates differ from the last report. */
    public record Recorded(String machineId, String name, boolean created, boolean codeChanged) {
    }

    /** A report made ready to record: its JSON and code digest, worked out before the transaction that stores them. */
    public record Prepared(MachineReport report, String json, String digest) {
    }

    /** Serialises {@code report} and computes its code digest; needs no database. */
    public Prepared prepare(MachineReport report) {
        return new Prepared(report, Json.write(report), codeDigest(report));
    }

    /** Records {@code report} for node {@code nodeId} in the caller's transaction. */
    public Recorded record(Handle h, String nodeId, MachineReport report, Instant now) {
        return record(h, nodeId, prepare(report), now);
    }

    /**
     * Records a prepared report that came without the node's digest (a command result's report,
     * or an older node's check-in) in the caller's transaction.
     */
    public Recorded record(Handle h, String nodeId, Prepared prepared, Instant now) {
        return record(h, nodeId, prepared, null, now);
    }

    /**
     * Records a prepared report for node {@code nodeId} in the caller's transaction, with the
     * node's digest of it ({@code reportDigest}; null when the node sent none). A report equal to
     * the stored one (the usual check-in) writes nothing, unless the machine was absent or the
     * digest is new.
     */
    public Recorded record(Handle h, String nodeId, Prepared prepared, String reportDigest, Instant now) {
        MachineReport report = prepared.report();
        String digest = prepared.digest();
        String json = prepared.json();
        Optional<Map<String, Object>> existing = h.createQuery(EXISTING).bind("n", report.name()).mapToMap().findOne();
        if (existing.isEmpty()) {
            String id = Ids.next("m", now);
            int n = h.createUpdate("INSERT INTO machines (id, name, node_id, first_seen_at, last_seen_at, present, code_digest,"
                            + " status, missing_total, missing_critical, missing_security, missing_other, missing_updates, report_digest)"
                            + " VALUES (:id, :n, :node, :t, :t, TRUE, :d, :s, 0, 0, 0, 0, '[]', :rd) ON CONFLICT (name) DO NOTHING")
                    .bind("id", id).bind("n", report.name()).bind("node", nodeId).bind("t", now.toEpochMilli())
                    .bind("d", digest).bind("s", PENDING).bind("rd", reportDigest)
                    .execute();
            if (n == 1) {
                h.createUpdate("INSERT INTO machine_reports (machine_id, report) VALUES (:id, :r)").bind("id", id).bind("r", json).execute();
                Signals.store(h, id, report, now);
                Placement.store(h, id, report);
                Planning.store(h, id, report);
                return new Recorded(id, report.name(), true, true);
            }
            // Another replica inserted it between our read and write: fall through to update.
            existing = h.createQuery(EXISTING).bind("n", report.name()).mapToMap().findOne();
        }
        Map<String, Object> row = existing.get();
        String id = (String) row.get("id");
        boolean changed = !digest.equals(row.get("code_digest"));
        boolean present = truth(row.get("present"));
        if (!changed && json.equals(row.get("report"))) {
            // Rewriting an unchanged report (tens of KiB with class hashes) was most of a check-in's write; when the machine
            // is present, its last-seen time is its node's (see SELECT), so an unchanged report writes nothing at all.
            // An unchanged report keeps the node's digest of it when it comes without one (a command result's report).
            String keep = reportDigest == null ? (String) row.get("report_digest") : reportDigest;
            if (!present || !java.util.Objects.equals(keep, row.get("report_digest"))) {
                // Never node_id: a machine stays bound to its node (see Binding); another node's report changes nothing.
                h.createUpdate("UPDATE machines SET last_seen_at = :t, present = TRUE, report_digest = :rd WHERE id = :id AND node_id = :node")
                        .bind("node", nodeId).bind("t", now.toEpochMilli()).bind("rd", keep).bind("id", id)
                        .execute();
            }
        } else {
            int n = h.createUpdate("UPDATE machines SET last_seen_at = :t, present = TRUE, code_digest = :d, report_digest = :rd"
                            + " WHERE id = :id AND node_id = :node")
                    .bind("node", nodeId).bind("t", now.toEpochMilli()).bind("d", digest).bind("rd", reportDigest).bind("id", id)
                    .execute();
            if (n == 1) {
                // The report only with the row it belongs to: another node's report of this machine changes neither.
                h.createUpdate("UPDATE machine_reports SET report = :r WHERE machine_id = :id").bind("r", json).bind("id", id).execute();
            }
            Signals.store(h, id, report, now);
            Placement.store(h, id, report);
            Planning.store(h, id, report);
        }
        return new Recorded(id, report.name(), false, changed);
    }

    private static final String EXISTING = "SELECT m.id, m.code_digest, r.report, m.report_digest, m.present FROM machines m"
            + " JOIN machine_reports r ON r.machine_id = m.id WHERE m.name = :n";

    /**
     * What a check-in needs of one machine bound to a node: whether its node's last check-in had it,
     * the node's digest of the stored report, when it was last assessed, and its last health.
     *
     * @param signals whether the machine has a signals row (every machine recorded by this version does)
     */
    public record Known(String id, String name, boolean present, String reportDigest, Long assessedAt, boolean signals,
                        MachineReport.Health health) {
    }

    /** The machines bound to node {@code nodeId}, by name, in one query. */
    public Map<String, Known> known(Handle h, String nodeId) {
        Map<String, Known> out = new java.util.HashMap<>();
        h.createQuery("SELECT m.id, m.name, m.present, m.report_digest, m.assessed_at, s.machine_id AS sid, s.health_state,"
                        + " s.health_checked_at, s.health_detail, s.health_samples, s.health_failures"
                        + " FROM machines m LEFT JOIN machine_signals s ON s.machine_id = m.id WHERE m.node_id = :n")
                .bind("n", nodeId)
                .map((rs, ctx) -> {
                    String state = rs.getString("health_state");
                    long checked = rs.getLong("health_checked_at");
                    Instant checkedAt = rs.wasNull() ? null : Instant.ofEpochMilli(checked);
                    long samples = rs.getLong("health_samples");
                    Long s = rs.wasNull() ? null : samples;
                    long failures = rs.getLong("health_failures");
                    Long f = rs.wasNull() ? null : failures;
                    String detail = rs.getString("health_detail");
                    MachineReport.Health health = state == null && checkedAt == null && detail == null && s == null && f == null ? null
                            : new MachineReport.Health(state, checkedAt, detail, s, f);
                    long assessed = rs.getLong("assessed_at");
                    Long assessedAt = rs.wasNull() ? null : assessed;
                    return new Known(rs.getString("id"), rs.getString("name"), rs.getBoolean("present"), rs.getString("report_digest"),
                            assessedAt, rs.getString("sid") != null, health);
                })
                .forEach(k -> out.put(k.name(), k));
        return out;
    }

    /** Marks a machine of {@code nodeId} present again, in the caller's transaction. */
    public void markPresent(Handle h, String nodeId, String machineId, Instant now) {
        h.createUpdate("UPDATE machines SET present = TRUE, last_seen_at = :t WHERE id = :id AND node_id = :node")
                .bind("t", now.toEpochMilli()).bind("id", machineId).bind("node", nodeId).execute();
    }

    /**
     * Marks the node's machines that were not in its latest check-in as not present (stopped JVMs).
     * Call it before the node's last-seen time moves: a present machine's last-seen time is its
     * node's, and the machine keeps the node's previous one, its last check-in.
     */
    public void markAbsent(Handle h, String nodeId, Set<String> reported) {
        markAbsent(h, nodeId, reported, known(h, nodeId));
    }

    /** {@link #markAbsent(Handle, String, Set)} with the node's machines read already. */
    public void markAbsent(Handle h, String nodeId, Set<String> reported, Map<String, Known> known) {
        for (Known k : known.values()) {
            if (k.present() && !reported.contains(k.name())) {
                h.createUpdate("UPDATE machines SET present = FALSE, last_seen_at = (SELECT CASE WHEN n.last_seen_at > machines.last_seen_at"
                                + " THEN n.last_seen_at ELSE machines.last_seen_at END FROM nodes n WHERE n.id = :node)"
                                + " WHERE id = :id AND node_id = :node")
                        .bind("id", k.id()).bind("node", nodeId).execute();
            }
        }
    }

    private static boolean truth(Object v) {
        return v instanceof Boolean b ? b : v instanceof Number n && n.intValue() != 0;
    }

    /** Query filters; null fields do not filter. */
    public record Filter(String status, String image, String node, Boolean present, String search, String region, String tag) {
    }

    public List<Machine> list(Filter f, int limit, int offset) {
        StringBuilder sql = new StringBuilder(SELECT + " WHERE 1 = 1");
        Map<String, Object> args = new LinkedHashMap<>();
        if (f.status() != null && !f.status().isBlank()) {
            sql.append(" AND LOWER(m.status) = LOWER(:st)");
            args.put("st", f.status());
        }
        if (f.image() != null && !f.image().isBlank()) {
            sql.append(" AND (m.image_id = :img OR (i.publisher || '/' || i.offer || '/' || i.sku) = :img)");
            args.put("img", f.image());
        }
        if (f.node() != null && !f.node().isBlank()) {
            sql.append(" AND (m.node_id = :node OR n.hostname = :node)");
            args.put("node", f.node());
        }
        if (f.present() != null) {
            sql.append(" AND m.present = :present");
            args.put("present", f.present());
        }
        if (f.search() != null && !f.search().isBlank()) {
            sql.append(" AND LOWER(m.name) LIKE :q");
            args.put("q", "%" + f.search().toLowerCase(java.util.Locale.ROOT).replace("%", "").replace("_", "") + "%");
        }
        int lim = Math.max(1, Math.min(limit, 10_000));
        int off = Math.max(0, offset);
        boolean inMemory = (f.region() != null && !f.region().isBlank()) || (f.tag() != null && !f.tag().isBlank());
        // Region and tags live in the reported config (JSON): those filters run here, before paging.
        String paging = inMemory ? "" : " LIMIT " + lim + " OFFSET " + off;
        List<Machine> out = db.read(h -> h.createQuery(sql + " ORDER BY m.name" + paging).bindMap(args).map(Machines::row).list());
        if (!inMemory) {
            return out;
        }
        List<Machine> filtered = new ArrayList<>();
        for (Machine m : out) {
            MachineReport.Config c = m.config();
            if (f.region() != null && !f.region().isBlank() && !f.region().equals(c.region())) {
                continue;
            }
            if (f.tag() != null && !f.tag().isBlank()) {
                String[] kv = f.tag().split("=", 2);
                String v = c.tags() == null ? null : c.tags().get(kv[0]);
                if (v == null || (kv.length == 2 && !kv[1].equals(v))) {
                    continue;
                }
            }
            filtered.add(m);
        }
        return filtered.subList(Math.min(off, filtered.size()), Math.min(off + lim, filtered.size()));
    }

    /** The machine with id or name {@code ref}. */
    public Machine get(String ref) {
        return db.read(h -> get(h, ref));
    }

    public Machine get(Handle h, String ref) {
        return find(h, ref).orElseThrow(() -> new ServerException.NotFound("machine", ref,
                "list machines with GET /api/v1/machines; refer to one by id or name"));
    }

    public Optional<Machine> find(Handle h, String ref) {
        return h.createQuery(SELECT + " WHERE m.id = :r OR m.name = :r").bind("r", ref).map(Machines::row).findFirst();
    }

    /** The last report the machine's node sent. */
    public MachineReport report(Handle h, String machineId) {
        return Json.read(h.createQuery("SELECT report FROM machine_reports WHERE machine_id = :id").bind("id", machineId).mapTo(String.class).one(),
                MachineReport.class);
    }

    private static String codeDigest(MachineReport r) {
        Set<String> parts = new TreeSet<>();
        r.jarsOrEmpty().forEach(j -> parts.add("j:" + j.sha256()));
        r.classesOrEmpty().forEach(c -> parts.add("c:" + c.name() + "=" + c.sha256()));
        for (MachineReport.InstalledHotpatch hp : r.hotpatchesOrEmpty()) {
            parts.add("h:" + hp.id());
            if (hp.classes() != null) {
                hp.classes().forEach(c -> parts.add("hc:" + c.name() + "=" + c.sha256()));
            }
        }
        r.installedUpdatesOrEmpty().forEach(u -> parts.add("u:" + u));
        parts.add("i:" + r.image());
        MachineReport.Config c = r.configOrEmpty();
        parts.add("cfg:" + c.hotpatch() + "/" + c.groupOrchestration() + "/" + c.group());
        parts.add("a:" + (r.agent() != null && r.agent().present()));
        if (r.restartPending() != null) {
            // The reason too: an assessment's text quotes it, and machines of one digest share one assessment when a fleet is re-assessed.
            parts.add("rp:" + r.restartPending().since() + "/" + r.restartPending().reason());
        }
        return Sha256.hex(String.join("\n", parts).getBytes(StandardCharsets.UTF_8));
    }

    /*
     * A present machine was in its node's last check-in, so it was last seen then: check-ins that
     * change nothing about a machine do not write its row, and its last-seen time is its node's.
     */
    private static final String SELECT = "SELECT m.id, m.name, m.node_id, n.hostname, m.present, m.first_seen_at,"
            + " CASE WHEN m.present AND n.last_seen_at > m.last_seen_at THEN n.last_seen_at ELSE m.last_seen_at END AS last_seen_at, r.report,"
            + " m.image_id, i.publisher, i.offer, i.sku, m.baseline_id, b.version, m.match_detail, m.status, m.status_reason, m.assessed_at,"
            + " m.missing_total, m.missing_critical, m.missing_security, m.missing_other"
            + " FROM machines m JOIN nodes n ON n.id = m.node_id JOIN machine_reports r ON r.machine_id = m.id LEFT JOIN images i ON i.id = m.image_id"
            + " LEFT JOIN baselines b ON b.id = m.baseline_id";

    private static Machine row(ResultSet rs, org.jdbi.v3.core.statement.StatementContext ctx) throws SQLException {
        MachineReport r = Json.read(rs.getString("report"), MachineReport.class);
        String publisher = rs.getString("publisher");
        return new Machine(rs.getString("id"), rs.getString("name"), rs.getString("node_id"), rs.getString("hostname"),
                rs.getBoolean("present"), Instant.ofEpochMilli(rs.getLong("first_seen_at")), Instant.ofEpochMilli(rs.getLong("last_seen_at")),
                r.pid(), r.jvm(), r.agent() == null ? new MachineReport.Agent(false, null, "none", null) : r.agent(), rs.getString("image_id"),
                publisher == null ? null : publisher + "/" + rs.getString("offer") + "/" + rs.getString("sku"),
                rs.getString("baseline_id"), rs.getString("version"), rs.getString("match_detail"), rs.getString("status"),
                rs.getString("status_reason"), rs.getObject("assessed_at") == null ? null : Instant.ofEpochMilli(rs.getLong("assessed_at")),
                new Machine.Missing(rs.getInt("missing_total"), rs.getInt("missing_critical"), rs.getInt("missing_security"),
                        rs.getInt("missing_other")),
                r.configOrEmpty(), r.hotpatchesOrEmpty());
    }
}
