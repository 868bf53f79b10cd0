package dev.hotpatch.server.quarantine;

import dev.hotpatch.server.ServerException;
import dev.hotpatch.server.catalog.Catalog;
import dev.hotpatch.server.catalog.Update;
import dev.hotpatch.server.history.History;
import dev.hotpatch.server.machine.MachineReport;
import dev.hotpatch.server.machine.Signals;
import dev.hotpatch.server.store.Database;
import dev.hotpatch.server.store.Ids;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Handle;

/**
 * Crash quarantine, server side. When a machine's agent reports that it quarantined a hotpatch
 * (the JVM died or broke soon after it was applied, so the agent does not re-apply it), the
 * update is blocked for the machine's image: no automatic install and no rollout installs it
 * until an operator clears the quarantine. Each quarantine and each clearing is recorded in the
 * machine's history. A cleared quarantine stays cleared for the reports it covered; a machine
 * quarantining the update again after the clearing blocks it again. Thread-safe.
 */
public final class Quarantines {
    public static final String ACTIVE = "active";
    public static final String CLEARED = "cleared";

    private final Database db;
    private final Clock clock;
    private final Catalog catalog;
    private final History history;

    public Quarantines(Database db, Clock clock, Catalog catalog, History history) {
        this.db = db;
        this.clock = clock;
        this.catalog = catalog;
        this.history = history;
    }

    /**
     * An update blocked for an image.
     *
     * @param machine   the machine whose agent reported it first
     * @param since     when that agent quarantined it
     * @param reporting how many machines report it quarantined now
     */
    public record Quarantine(String id, String imageId, String image, String kbId, String state, String machineId, String machine,
                             Instant since, String reason, Instant detectedAt, int reporting, Instant clearedAt, String clearedBy,
                             String note) {
    }

    /**
     * Records the quarantines machines report that are not known yet, in the caller's
     * transaction; returns the new ones (the caller halts the rollouts of their updates).
     */
    public List<Quarantine> scan(Handle h) {
        List<Quarantine> created = new ArrayList<>();
        for (Signals.Signal s : Signals.quarantining(h)) {
            Optional<Map<String, Object>> m = h.createQuery("SELECT m.name, m.image_id, n.hostname FROM machines m JOIN nodes n ON n.id = m.node_id"
                    + " WHERE m.id = :id").bind("id", s.machineId()).mapToMap().findOne();
            if (m.isEmpty()) {
                continue;
            }
            for (MachineReport.Quarantined q : s.quarantined()) {
                String imageId = catalog.findUpdate(h, q.id()).map(Update::imageId).orElse((String) m.get().get("image_id"));
                if (imageId == null) {
                    continue;
                }
                Instant since = q.since() == null ? s.reportedAt() : q.since();
                if (active(h, imageId, q.id()).isPresent()) {
                    continue;
                }
                Long cleared = h.createQuery("SELECT MAX(cleared_at) FROM quarantines WHERE image_id = :i AND kb_id = :k AND state = 'cleared'")
                        .bind("i", imageId).bind("k", q.id()).mapTo(Long.class).findOne().orElse(null);
                if (cleared != null && !since.isAfter(Instant.ofEpochMilli(cleared))) {
                    continue;
                }
                Instant now = clock.instant();
                String id = Ids.next("qr", now);
                String reason = q.reason() == null || q.reason().isBlank() ? "the agent quarantined it" : q.reason();
                h.createUpdate("INSERT INTO quarantines (id, image_id, kb_id, state, machine_id, machine_name, since, reason, detected_at)"
                                + " VALUES (:id, :i, :k, 'active', :m, :mn, :s, :r, :t)")
                        .bind("id", id).bind("i", imageId).bind("k", q.id()).bind("m", s.machineId()).bind("mn", m.get().get("name"))
                        .bind("s", since.toEpochMilli()).bind("r", reason).bind("t", now.toEpochMilli()).execute();
                history.append(h, s.machineId(), (String) m.get().get("name"), (String) m.get().get("hostname"), "quarantine", q.id(), "agent",
                        "quarantined", "the agent quarantined " + q.id() + ": " + reason + "; the update is blocked for the image until an"
                                + " operator clears it", null);
                created.add(get(h, id));
            }
        }
        return created;
    }

    /** The active quarantine of {@code kb} on image {@code imageId}, if any. */
    public Optional<Quarantine> active(Handle h, String imageId, String kb) {
        return h.createQuery(SELECT + " WHERE q.image_id = :i AND q.kb_id = :k AND q.state = 'active'").bind("i", imageId).bind("k", kb)
                .map(this::row).findFirst();
    }

    public Quarantine get(String id) {
        return db.read(h -> get(h, id));
    }

    private Quarantine get(Handle h, String id) {
        return h.createQuery(SELECT + " WHERE q.id = :id").bind("id", id).map(this::row).findOne().map(q -> withReporting(h, q))
                .orElseThrow(() -> new ServerException.NotFound("quarantine", id, "list quarantines with GET /api/v1/quarantines"));
    }

    /** A page of quarantines: {@code total} match, {@code items} are those from {@code offset}. */
    public record QuarantinePage(List<Quarantine> items, int total, int limit, int offset) {
    }

    /** Quarantines newest first, optionally in one state and for one image. */
    public QuarantinePage list(String state, String imageRef, int limit, int offset) {
        return db.read(h -> {
            StringBuilder sql = new StringBuilder(" WHERE 1 = 1");
            Map<String, Object> args = new LinkedHashMap<>();
            if (state != null && !state.isBlank()) {
                if (!state.equals(ACTIVE) && !state.equals(CLEARED)) {
                    throw new ServerException.BadRequest("invalid-state", "quarantine state '" + state + "' is not known", "use active or cleared");
                }
                sql.append(" AND q.state = :s");
                args.put("s", state);
            }
            if (imageRef != null && !imageRef.isBlank()) {
                sql.append(" AND q.image_id = :i");
                args.put("i", catalog.image(h, imageRef).id());
            }
            int total = h.createQuery("SELECT COUNT(*) FROM quarantines q" + sql).bindMap(args).mapTo(Integer.class).one();
            int lim = Math.max(1, Math.min(limit, 1000));
            int off = Math.max(0, offset);
            List<Quarantine> items = h.createQuery(SELECT + sql + " ORDER BY q.detected_at DESC, q.id DESC LIMIT :lim OFFSET :off")
                    .bindMap(args).bind("lim", lim).bind("off", off).map(this::row).list().stream().map(q -> withReporting(h, q)).toList();
            return new QuarantinePage(items, total, lim, off);
        });
    }

    /** Clears an active quarantine: the update may install automatically again. Recorded in the reporting machine's history. */
    public Quarantine clear(String id, String note, String actor) {
        return db.tx(h -> {
            Quarantine q = get(h, id);
            if (!ACTIVE.equals(q.state())) {
                throw new ServerException.Conflict("not-active", "quarantine " + id + " of " + q.kbId() + " was already cleared by "
                        + q.clearedBy() + " at " + q.clearedAt(), "nothing to do");
            }
            Instant now = clock.instant();
            h.createUpdate("UPDATE quarantines SET state = 'cleared', cleared_at = :t, cleared_by = :by, clear_note = :n WHERE id = :id AND state = 'active'")
                    .bind("t", now.toEpochMilli()).bind("by", actor).bind("n", note).bind("id", id).execute();
            String node = h.createQuery("SELECT n.hostname FROM machines m JOIN nodes n ON n.id = m.node_id WHERE m.id = :id")
                    .bind("id", q.machineId()).mapTo(String.class).findOne().orElse(null);
            history.append(h, q.machineId(), q.machine(), node, "quarantine", q.kbId(), actor, "cleared",
                    "quarantine of " + q.kbId() + " on image " + q.image() + " cleared" + (note == null || note.isBlank() ? "" : ": " + note), null);
            return get(h, id);
        });
    }

    private static final String SELECT = "SELECT q.id, q.image_id, i.publisher, i.offer, i.sku, q.kb_id, q.state, q.machine_id, q.machine_name,"
            + " q.since, q.reason, q.detected_at, q.cleared_at, q.cleared_by, q.clear_note FROM quarantines q JOIN images i ON i.id = q.image_id";

    private Quarantine row(ResultSet rs, org.jdbi.v3.core.statement.StatementContext ctx) throws SQLException {
        long cleared = rs.getLong("cleared_at");
        boolean wasCleared = !rs.wasNull();
        String kb = rs.getString("kb_id");
        return new Quarantine(rs.getString("id"), rs.getString("image_id"),
                rs.getString("publisher") + "/" + rs.getString("offer") + "/" + rs.getString("sku"), kb, rs.getString("state"),
                rs.getString("machine_id"), rs.getString("machine_name"), Instant.ofEpochMilli(rs.getLong("since")), rs.getString("reason"),
                Instant.ofEpochMilli(rs.getLong("detected_at")), 0, wasCleared ? Instant.ofEpochMilli(cleared) : null,
                rs.getString("cleared_by"), rs.getString("clear_note"));
    }

    /** {@code q} with the number of machines of its image that report its update quarantined now. */
    private static Quarantine withReporting(Handle h, Quarantine q) {
        int n = h.createQuery("SELECT COUNT(*) FROM machine_signals s JOIN machines m ON m.id = s.machine_id"
                        + " WHERE m.image_id = :i AND s.quarantine_count > 0 AND s.quarantined LIKE :p")
                .bind("i", q.imageId()).bind("p", "%\"id\":\"" + q.kbId() + "\"%").mapTo(Integer.class).one();
        return new Quarantine(q.id(), q.imageId(), q.image(), q.kbId(), q.state(), q.machineId(), q.machine(), q.since(), q.reason(),
                q.detectedAt(), n, q.clearedAt(), q.clearedBy(), q.note());
    }
}
