package dev.hotpatch.server.machine;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.hotpatch.server.store.Json;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Handle;

/**
 * What a node last observed about a machine besides its code: which JVM it is (pid and start
 * time), its health-check counters, whether the agent answered, and the hotpatches the agent
 * quarantined. Kept in its own small row beside the report, written whenever a changed report
 * is recorded, so that health gates and the quarantine scan read a few columns instead of
 * parsing whole reports. Thread-safe (stateless).
 */
public final class Signals {
    private static final TypeReference<List<MachineReport.Quarantined>> QUARANTINED = new TypeReference<>() {
    };

    private Signals() {
    }

    /**
     * A machine's signals.
     *
     * @param reportedAt when the report these come from was recorded
     */
    public record Signal(String machineId, Long pid, Instant startedAt, String healthState, Instant healthCheckedAt,
                         String healthDetail, Long samples, Long failures, boolean agentPresent, Boolean agentReachable,
                         List<MachineReport.Quarantined> quarantined, Instant reportedAt) {
        /** Whether this and {@code other} describe the same JVM process (same pid and start time). */
        public boolean sameJvm(Long otherPid, Instant otherStartedAt) {
            return java.util.Objects.equals(pid, otherPid) && java.util.Objects.equals(startedAt, otherStartedAt);
        }
    }

    /** Records the signals of {@code report} for machine {@code machineId} in the caller's transaction. */
    static void store(Handle h, String machineId, MachineReport report, Instant now) {
        MachineReport.Health health = report.health();
        MachineReport.Agent agent = report.agent();
        List<MachineReport.Quarantined> q = report.quarantinedOrEmpty();
        h.createUpdate("INSERT INTO machine_signals (machine_id, pid, started_at, health_state, health_checked_at, health_detail,"
                        + " health_samples, health_failures, agent_present, agent_reachable, quarantined, quarantine_count, reported_at)"
                        + " VALUES (:m, :pid, :st, :hs, :hc, :hd, :sa, :fa, :ap, :ar, :q, :qc, :t)"
                        + " ON CONFLICT (machine_id) DO UPDATE SET pid = excluded.pid, started_at = excluded.started_at,"
                        + " health_state = excluded.health_state, health_checked_at = excluded.health_checked_at,"
                        + " health_detail = excluded.health_detail, health_samples = excluded.health_samples,"
                        + " health_failures = excluded.health_failures, agent_present = excluded.agent_present,"
                        + " agent_reachable = excluded.agent_reachable, quarantined = excluded.quarantined,"
                        + " quarantine_count = excluded.quarantine_count, reported_at = excluded.reported_at")
                .bind("m", machineId).bind("pid", report.pid())
                .bind("st", report.startedAt() == null ? null : report.startedAt().toEpochMilli())
                .bind("hs", health == null ? null : health.state())
                .bind("hc", health == null || health.checkedAt() == null ? null : health.checkedAt().toEpochMilli())
                .bind("hd", health == null ? null : health.detail())
                .bind("sa", health == null ? null : health.samples())
                .bind("fa", health == null ? null : health.failures())
                .bind("ap", agent != null && agent.present())
                .bind("ar", agent == null ? null : agent.reachable())
                .bind("q", q.isEmpty() ? null : Json.write(q)).bind("qc", q.size())
                .bind("t", now.toEpochMilli())
                .execute();
    }

    /**
     * Records a machine's health alone, in the caller's transaction: what a check-in that reports
     * the machine by digest brings. The rest of the row, and when it was reported, stay as the last
     * full report left them; the health in the stored report itself may be older than this.
     */
    public static void storeHealth(Handle h, String machineId, MachineReport.Health health) {
        h.createUpdate("UPDATE machine_signals SET health_state = :hs, health_checked_at = :hc, health_detail = :hd, health_samples = :sa,"
                        + " health_failures = :fa WHERE machine_id = :m")
                .bind("m", machineId)
                .bind("hs", health == null ? null : health.state())
                .bind("hc", health == null || health.checkedAt() == null ? null : health.checkedAt().toEpochMilli())
                .bind("hd", health == null ? null : health.detail())
                .bind("sa", health == null ? null : health.samples())
                .bind("fa", health == null ? null : health.failures())
                .execute();
    }

    /** Whether {@code stored} (as read back, to the millisecond) and {@code reported} say the same. */
    public static boolean sameHealth(MachineReport.Health stored, MachineReport.Health reported) {
        if (stored == null || reported == null) {
            return stored == null && (reported == null || (reported.state() == null && reported.checkedAt() == null
                    && reported.detail() == null && reported.samples() == null && reported.failures() == null));
        }
        Long a = stored.checkedAt() == null ? null : stored.checkedAt().toEpochMilli();
        Long b = reported.checkedAt() == null ? null : reported.checkedAt().toEpochMilli();
        return java.util.Objects.equals(stored.state(), reported.state()) && java.util.Objects.equals(a, b)
                && java.util.Objects.equals(stored.detail(), reported.detail()) && java.util.Objects.equals(stored.samples(), reported.samples())
                && java.util.Objects.equals(stored.failures(), reported.failures());
    }

    /** The signals of one machine; empty before its first recorded report. */
    public static Optional<Signal> find(Handle h, String machineId) {
        return h.createQuery(SELECT + " WHERE machine_id = :m").bind("m", machineId).map(Signals::row).findOne();
    }

    /** The signals of several machines, by machine id. */
    public static Map<String, Signal> find(Handle h, Collection<String> machineIds) {
        Map<String, Signal> out = new HashMap<>();
        List<String> ids = new ArrayList<>(machineIds);
        for (int i = 0; i < ids.size(); i += 500) {
            List<String> chunk = ids.subList(i, Math.min(ids.size(), i + 500));
            h.createQuery(SELECT + " WHERE machine_id IN (<ids>)").bindList("ids", chunk).map(Signals::row)
                    .forEach(s -> out.put(s.machineId(), s));
        }
        return out;
    }

    /** Machines whose agent reports at least one quarantined hotpatch. */
    public static List<Signal> quarantining(Handle h) {
        return h.createQuery(SELECT + " WHERE quarantine_count > 0").map(Signals::row).list();
    }

    private static final String SELECT = "SELECT machine_id, pid, started_at, health_state, health_checked_at, health_detail,"
            + " health_samples, health_failures, agent_present, agent_reachable, quarantined, reported_at FROM machine_signals";

    private static Signal row(ResultSet rs, org.jdbi.v3.core.statement.StatementContext ctx) throws SQLException {
        String q = rs.getString("quarantined");
        return new Signal(rs.getString("machine_id"), longOrNull(rs, "pid"), instant(rs, "started_at"), rs.getString("health_state"),
                instant(rs, "health_checked_at"), rs.getString("health_detail"), longOrNull(rs, "health_samples"),
                longOrNull(rs, "health_failures"), rs.getBoolean("agent_present"),
                rs.getObject("agent_reachable") == null ? null : rs.getBoolean("agent_reachable"),
                q == null ? List.of() : Json.read(q, QUARANTINED), Instant.ofEpochMilli(rs.getLong("reported_at")));
    }

    private static Long longOrNull(ResultSet rs, String col) throws SQLException {
        long v = rs.getLong(col);
        return rs.wasNull() ? null : v;
    }

    private static Instant instant(ResultSet rs, String col) throws SQLException {
        long v = rs.getLong(col);
        return rs.wasNull() ? null : Instant.ofEpochMilli(v);
    }
}
