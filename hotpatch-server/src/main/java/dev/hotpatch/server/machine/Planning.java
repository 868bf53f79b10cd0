package dev.hotpatch.server.machine;

import dev.hotpatch.server.store.Database;
import dev.hotpatch.server.store.Json;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.jdbi.v3.core.Handle;

/**
 * What rollout planning needs of each machine's report, copied into {@code machine_planning} with
 * the report in the same transaction (as {@link Placement} is), so that planning an image's
 * rollouts reads a few hundred bytes per machine instead of parsing its whole report with the class
 * hashes. Machines recorded before this table existed are filled in by {@link #backfill}; until
 * then {@link #of(String, String)} reads their report. Thread-safe.
 */
public final class Planning {
    private static final int BACKFILL_BATCH = 500;

    private Planning() {
    }

    /**
     * A machine's planning facts.
     *
     * @param config        the reported config, never null ({@link MachineReport#configOrEmpty()})
     * @param hotpatches    ids of the hotpatches the JVM runs, in reported order
     * @param startedAt     when the JVM started (null: not reported)
     * @param agentAnswered whether the report carries the agent's quarantine list (even an empty one)
     */
    public record Facts(MachineReport.Config config, List<String> hotpatches, Instant startedAt, boolean agentAnswered) {
        public static Facts of(MachineReport r) {
            return new Facts(r.configOrEmpty(), r.hotpatchesOrEmpty().stream().map(MachineReport.InstalledHotpatch::id).toList(),
                    r.startedAt(), r.quarantined() != null);
        }
    }

    /**
     * The facts of one machine from its stored facts, or, when it has none yet (recorded before
     * this table), from its full report.
     */
    public static Facts of(String facts, String report) {
        if (facts != null) {
            return Json.read(facts, Facts.class);
        }
        if (report == null) {
            throw new IllegalStateException("a machine has neither planning facts nor a report; check machine_reports");
        }
        return Facts.of(Json.read(report, MachineReport.class));
    }

    /** A machine whose reported config puts it in a group with uniform orchestration. */
    public record UniformMember(String machineId, String name, MachineReport.Config config) {
    }

    /**
     * The machines whose config declares {@code groupOrchestration = uniform}, from their planning
     * facts (the report only for a machine without facts). The {@code LIKE} narrows the rows parsed;
     * the parsed config decides.
     */
    public static List<UniformMember> uniformMembers(Handle h) {
        String like = " LIKE '%\"grouporchestration\":\"uniform\"%'";
        List<UniformMember> out = new java.util.ArrayList<>();
        for (Map<String, Object> row : h.createQuery("SELECT m.id, m.name, p.facts, NULL AS report FROM machines m"
                        + " JOIN machine_planning p ON p.machine_id = m.id WHERE LOWER(p.facts)" + like
                        + " UNION ALL SELECT m.id, m.name, NULL AS facts, r.report FROM machines m JOIN machine_reports r ON r.machine_id = m.id"
                        + " LEFT JOIN machine_planning p ON p.machine_id = m.id WHERE p.machine_id IS NULL AND LOWER(r.report)" + like)
                .mapToMap().list()) {
            MachineReport.Config c = of((String) row.get("facts"), (String) row.get("report")).config();
            if ("uniform".equalsIgnoreCase(c.groupOrchestration())) {
                out.add(new UniformMember((String) row.get("id"), (String) row.get("name"), c));
            }
        }
        return out;
    }

    /** Stores the report's facts in the caller's transaction. */
    static void store(Handle h, String machineId, MachineReport report) {
        h.createUpdate("INSERT INTO machine_planning (machine_id, facts) VALUES (:m, :f)"
                        + " ON CONFLICT (machine_id) DO UPDATE SET facts = excluded.facts")
                .bind("m", machineId).bind("f", Json.write(Facts.of(report))).execute();
    }

    /**
     * Stores the facts of the machines that have none (recorded by a server before this table), a
     * batch per transaction; returns how many. The usual call finds none and only reads.
     */
    public static int backfill(Database db) {
        String missing = "SELECT m.id FROM machines m LEFT JOIN machine_planning p ON p.machine_id = m.id WHERE p.machine_id IS NULL ORDER BY m.id";
        List<String> ids = db.read(h -> h.createQuery(missing).mapTo(String.class).list());
        for (int from = 0; from < ids.size(); from += BACKFILL_BATCH) {
            List<String> batch = ids.subList(from, Math.min(from + BACKFILL_BATCH, ids.size()));
            db.txRun(h -> {
                // Only machines still without facts: a check-in in between stored newer ones.
                List<Map<String, Object>> rows = h.createQuery("SELECT r.machine_id, r.report FROM machine_reports r"
                                + " LEFT JOIN machine_planning p ON p.machine_id = r.machine_id WHERE r.machine_id IN (<ids>) AND p.machine_id IS NULL")
                        .bindList("ids", batch).mapToMap().list();
                for (Map<String, Object> row : rows) {
                    store(h, (String) row.get("machine_id"), Json.read((String) row.get("report"), MachineReport.class));
                }
            });
        }
        return ids.size();
    }
}
