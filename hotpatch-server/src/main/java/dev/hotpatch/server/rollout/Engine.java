package dev.hotpatch.server.rollout;

import dev.hotpatch.server.ServerException;
import dev.hotpatch.server.assessment.Assessment;
import dev.hotpatch.server.assessment.MissingUpdate;
import dev.hotpatch.server.catalog.Baseline;
import dev.hotpatch.server.catalog.Catalog;
import dev.hotpatch.server.catalog.Update;
import dev.hotpatch.server.history.History;
import dev.hotpatch.server.install.Operation;
import dev.hotpatch.server.install.Operations;
import dev.hotpatch.server.machine.Machine;
import dev.hotpatch.server.machine.Machines;
import dev.hotpatch.server.machine.Signals;
import dev.hotpatch.server.policy.Effective;
import dev.hotpatch.server.policy.Policies;
import dev.hotpatch.server.store.Database;
import dev.hotpatch.server.store.Json;
import dev.hotpatch.server.window.Window;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Handle;

/**
 * Advances rollouts. Each machine of the current wave is started when its maintenance window is
 * open with enough time left for the work (else it is {@code not_attempted} and tried in its
 * next window, up to the policy's attempts), through the same operations as Install now with
 * {@code rollout:ID} as the actor; a machine whose install succeeded soaks and is then judged by
 * the {@link Gate}; a machine that fails its gate is rolled back at once (the hotpatch uninstalled
 * live, or the last known good baseline put back). The rollout halts when its failures exceed the
 * error budget; a wave whose machines are all done is followed by the next.
 *
 * <p>Every step is one transaction that moves one machine from the state it was read in
 * (a conditional update), together with the operation it queues: two replicas, or a replica
 * restarted in the middle, can neither start a machine twice nor lose one. Thread-safe.
 */
final class Engine {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Engine.class);
    private static final DateTimeFormatter LOCAL = DateTimeFormatter.ofPattern("EEE yyyy-MM-dd HH:mm", Locale.ENGLISH);
    /** The window an operator's rollout that ignores maintenance windows gives each install. */
    private static final Duration IMMEDIATE_WINDOW = Duration.ofMinutes(120);

    private final Database db;
    private final Clock clock;
    private final Machines machines;
    private final Catalog catalog;
    private final Operations operations;
    private final Policies policies;
    private final History history;

    Engine(Database db, Clock clock, Machines machines, Catalog catalog, Operations operations, Policies policies, History history) {
        this.db = db;
        this.clock = clock;
        this.machines = machines;
        this.catalog = catalog;
        this.operations = operations;
        this.policies = policies;
        this.history = history;
    }

    /** A rollout as the engine needs it. */
    private record Run(String id, String imageId, String state, int currentWave, int waveCount, int machineCount, int acknowledged,
                       Rollout.Settings settings, String origin) {
        boolean hotpatch() {
            return Rollout.HOTPATCH.equals(settings.kind());
        }

        String actor() {
            return "rollout:" + id;
        }
    }

    /** A rollout machine row. */
    private record Row(String machineId, String name, int wave, String state, int attempts, String operationId, String rollbackOpId,
                       Instant installedAt, Instant soakUntil, Long prePid, Instant preStartedAt, Long preSamples, Long preFailures,
                       String fromBaseline) {
    }

    /** Another replica (or an earlier step) moved the machine first: skip it. */
    private static final class Moved extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Moved() {
            super(null, null, false, false);
        }
    }

    /** Advances every unfinished rollout; returns how many steps changed something. */
    int advanceAll() {
        List<String> ids = db.read(h -> h.createQuery("SELECT r.id FROM rollouts r WHERE r.state IN ('running', 'halted')"
                        + " OR (r.state = 'canceled' AND EXISTS (SELECT 1 FROM rollout_machines m WHERE m.rollout_id = r.id AND m.done = FALSE))"
                        + " ORDER BY r.created_at")
                .mapTo(String.class).list());
        int n = 0;
        for (String id : ids) {
            n += advance(id);
        }
        return n;
    }

    /** Advances one rollout as far as it can go now. */
    int advance(String id) {
        int changed = 0;
        for (int round = 0; round < 100_000; round++) {
            Run r = db.read(h -> run(h, id));
            if (r == null) {
                return changed;
            }
            Instant now = clock.instant();
            boolean running = Rollout.RUNNING.equals(r.state());
            List<Row> work = db.read(h -> h.createQuery("SELECT * FROM rollout_machines WHERE rollout_id = :r AND done = FALSE AND ("
                            + " state IN ('installing', 'soaking', 'rolling_back') OR (:running AND wave = :w AND state IN ('pending', 'not_attempted')"
                            + " AND (next_try_at IS NULL OR next_try_at <= :now))) ORDER BY wave, position")
                    .bind("r", id).bind("running", running).bind("w", r.currentWave()).bind("now", now.toEpochMilli())
                    .map((rs, ctx) -> new Row(rs.getString("machine_id"), rs.getString("machine_name"), rs.getInt("wave"), rs.getString("state"),
                            rs.getInt("attempts"), rs.getString("operation_id"), rs.getString("rollback_op_id"), Rollouts.instant(rs, "installed_at"),
                            Rollouts.instant(rs, "soak_until"), longOrNull(rs, "pre_pid"), Rollouts.instant(rs, "pre_started_at"),
                            longOrNull(rs, "pre_samples"), longOrNull(rs, "pre_failures"), rs.getString("from_baseline")))
                    .list());
            for (Row m : work) {
                try {
                    if (db.tx(h -> step(h, r, m, now))) {
                        changed++;
                    }
                } catch (Moved e) {
                    // Another replica took this step; the next round sees where it is.
                } catch (ServerException e) {
                    // The machine cannot take the step as things are (e.g. it was removed from its node): say so and go on.
                    LOG.warn("rollout {}: machine {}: {}", id, m.name(), e.getMessage());
                }
            }
            if (!db.tx(h -> settle(h, id, clock.instant()))) {
                return changed;
            }
        }
        return changed;
    }

    private Run run(Handle h, String id) {
        return h.createQuery("SELECT id, image_id, state, current_wave, wave_count, machine_count, failures_acknowledged, settings, origin"
                        + " FROM rollouts WHERE id = :id")
                .bind("id", id)
                .map((rs, ctx) -> new Run(rs.getString(1), rs.getString(2), rs.getString(3), rs.getInt(4), rs.getInt(5), rs.getInt(6),
                        rs.getInt(7), Json.read(rs.getString(8), Rollout.Settings.class), rs.getString(9)))
                .findOne().orElse(null);
    }

    // ---- one machine -------------------------------------------------------------------------

    private boolean step(Handle h, Run r, Row m, Instant now) {
        return switch (m.state()) {
            case Rollout.Machine.PENDING, Rollout.Machine.NOT_ATTEMPTED -> start(h, r, m, now);
            case Rollout.Machine.INSTALLING -> installing(h, r, m, now);
            case Rollout.Machine.SOAKING -> soaking(h, r, m, now);
            case Rollout.Machine.ROLLING_BACK -> rollingBack(h, r, m, now);
            default -> false;
        };
    }

    /** Starts the machine's install if it still needs it and its window is open with time enough. */
    private boolean start(Handle h, Run r, Row m, Instant now) {
        if (!Rollout.RUNNING.equals(h.createQuery("SELECT state FROM rollouts WHERE id = :id").bind("id", r.id()).mapTo(String.class).one())) {
            return false;
        }
        Machine mac = machines.get(h, m.machineId());
        String skip = noLongerNeeded(h, r, mac);
        if (skip == null) {
            skip = inEarlierRollout(h, r, m);
        }
        if (skip != null) {
            finish(h, r, m, Rollout.Machine.SKIPPED, skip, now);
            return true;
        }
        Effective eff = policies.resolver(h).machine(mac.id(), mac.imageId(), mac.config());
        if (eff.disabled()) {
            finish(h, r, m, Rollout.Machine.SKIPPED, "patch mode is Disabled now (from " + eff.sources().get("patchMode") + ")", now);
            return true;
        }
        if (Rollout.AUTOMATIC.equals(r.origin()) && !eff.automatic()) {
            finish(h, r, m, Rollout.Machine.SKIPPED, "no longer patched automatically: " + eff.whyNot(), now);
            return true;
        }
        Duration window;
        Instant windowEnd = null;
        if (r.settings().ignoreWindows()) {
            window = IMMEDIATE_WINDOW;
        } else {
            ZoneId zone = eff.zone();
            Window w = eff.window();
            Optional<Window.Occurrence> open = w.openAt(now, zone);
            if (open.isEmpty()) {
                Instant next = w.next(now, zone).map(Window.Occurrence::start).orElse(now.plus(Duration.ofDays(1)));
                update(h, r, m, "next_try_at = :n, reason = :why", Map.of("n", next.toEpochMilli(),
                        "why", "waiting for its maintenance window '" + w.text() + "' (next opens " + local(next, zone) + ")"), now);
                return false;
            }
            Duration need = Duration.ofMinutes(r.hotpatch() ? eff.settings().hotpatchMinutes() : eff.settings().restartMinutes());
            Duration left = open.get().remaining(now);
            if (left.compareTo(need) < 0) {
                notAttempted(h, r, m, mac, eff, "only " + left.toMinutes() + " min left of its window (closes " + local(open.get().end(), zone)
                        + "); " + (r.hotpatch() ? "a hotpatch" : "a baseline restart") + " needs " + need.toMinutes() + " min", now);
                return true;
            }
            window = left.compareTo(Window.MAX_DURATION) > 0 ? Window.MAX_DURATION : left;
            windowEnd = open.get().end().equals(Instant.MAX) ? null : open.get().end();
        }
        if (!mac.present()) {
            notAttempted(h, r, m, mac, eff, "the machine was not present (its node does not report the JVM) in its window", now);
            return true;
        }
        MissingUpdate what;
        String fromBaseline = null;
        if (r.hotpatch()) {
            Update u = catalog.update(h, r.settings().target());
            what = new MissingUpdate(u.title(), u.classification(), u.kbId(), u.rebootBehavior(), u.publishedAt(), Rollout.HOTPATCH, u.baselineId());
        } else {
            Baseline b = catalog.baseline(h, r.settings().target());
            what = new MissingUpdate(b.title(), b.classification(), b.kbId() == null ? b.id() : b.kbId(), b.rebootBehavior(),
                    b.releasedOn().atStartOfDay().toInstant(java.time.ZoneOffset.UTC), "baseline", b.id());
            fromBaseline = mac.baselineId();
        }
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("rollout", r.id());
        request.put("wave", m.wave());
        request.put(r.hotpatch() ? "kbId" : "baselineId", r.settings().target());
        request.put("reboot", "IfRequired");
        request.put("maxDurationMinutes", window.toMinutes());
        Signals.Signal pre = Signals.find(h, mac.id()).orElse(null);
        int n = h.createUpdate("UPDATE rollout_machines SET state = 'installing', reason = NULL, started_at = :t, window_end = :we, next_try_at = NULL,"
                        + " pre_pid = :pid, pre_started_at = :ps, pre_samples = :sa, pre_failures = :fa, from_baseline = :fb, updated_at = :t"
                        + " WHERE rollout_id = :r AND machine_id = :m AND state = :s AND done = FALSE")
                .bind("t", now.toEpochMilli()).bind("we", windowEnd == null ? null : windowEnd.toEpochMilli())
                .bind("pid", pre == null ? mac.pid() : pre.pid()).bind("ps", pre == null || pre.startedAt() == null ? null : pre.startedAt().toEpochMilli())
                .bind("sa", pre == null ? null : pre.samples()).bind("fa", pre == null ? null : pre.failures()).bind("fb", fromBaseline)
                .bind("r", r.id()).bind("m", m.machineId()).bind("s", m.state()).execute();
        if (n != 1) {
            throw new Moved();
        }
        String opId = operations.install(h, mac, List.of(what), "IfRequired", window, request,
                "rollout " + r.id() + " wave " + m.wave() + " of " + r.waveCount(), r.actor());
        h.createUpdate("UPDATE rollout_machines SET operation_id = :op WHERE rollout_id = :r AND machine_id = :m")
                .bind("op", opId).bind("r", r.id()).bind("m", m.machineId()).execute();
        return true;
    }

    /**
     * Why the machine waits for another rollout: one started before this one that has not finished
     * with it. Rollouts are planned without a write lock (see Rollouts#store), so two planned at the
     * same moment can both take a machine; the earlier one (by id, which sorts by creation) keeps it.
     */
    private static String inEarlierRollout(Handle h, Run r, Row m) {
        return h.createQuery("SELECT r.id FROM rollout_machines rm JOIN rollouts r ON r.id = rm.rollout_id WHERE rm.machine_id = :m"
                        + " AND rm.done = FALSE AND r.id < :id AND r.state IN ('running', 'halted') ORDER BY r.id LIMIT 1")
                .bind("m", m.machineId()).bind("id", r.id()).mapTo(String.class).findOne()
                .map(other -> "in rollout " + other + ", started before this one").orElse(null);
    }

    /** Why the machine no longer needs the rollout's target; null when it does. */
    private String noLongerNeeded(Handle h, Run r, Machine mac) {
        if (r.hotpatch()) {
            Targets.Target t = new Targets.Target(Rollout.HOTPATCH, r.settings().target(), r.imageId(), r.settings().baselineId(), null, null);
            Map<String, List<String>> sup = new Targets(catalog, clock).supersedes(h, t);
            if (Targets.covers(mac.hotpatches().stream().map(x -> x.id()).toList(), t.id(), sup)) {
                return "already runs " + t.id() + " or an update that supersedes it";
            }
            if (!r.settings().baselineId().equals(mac.baselineId())) {
                return "no longer runs the hotpatch's baseline " + r.settings().version() + " (now " + mac.baselineVersion() + ")";
            }
            if (!Assessment.ENABLED.equals(mac.status())) {
                return "status " + mac.status() + (mac.statusReason() == null ? "" : ": " + mac.statusReason());
            }
        } else {
            if (r.settings().target().equals(mac.baselineId())) {
                return "already runs baseline " + r.settings().version();
            }
            if (!Assessment.ENABLED.equals(mac.status()) && !Assessment.ACTION_REQUIRED.equals(mac.status())) {
                return "status " + mac.status() + (mac.statusReason() == null ? "" : ": " + mac.statusReason());
            }
        }
        return null;
    }

    /** The install's operation: installed → soak; failed → failed (a baseline whose restart failed is put back); not reached → next window. */
    private boolean installing(Handle h, Run r, Row m, Instant now) {
        Operation op = operations.operation(h, m.operationId());
        if (!op.done()) {
            return false;
        }
        Operation.Item item = op.items().isEmpty() ? null : op.items().get(0);
        String itemState = item == null ? Operation.Item.FAILED : item.state();
        Machine mac = machines.get(h, m.machineId());
        switch (itemState) {
            case Operation.Item.INSTALLED -> {
                Effective eff = policies.resolver(h).machine(mac.id(), mac.imageId(), mac.config());
                Instant soak = now.plus(Duration.ofMinutes(eff.settings().soakMinutes()));
                update(h, r, m, "state = 'soaking', installed_at = :t, soak_until = :s, reason = :why",
                        Map.of("s", soak.toEpochMilli(), "why", "soaking until " + soak), now);
                return true;
            }
            case Operation.Item.NOT_ATTEMPTED -> {
                Effective eff = policies.resolver(h).machine(mac.id(), mac.imageId(), mac.config());
                notAttempted(h, r, m, mac, eff, "its node did not pick the work up before the window closed" + (item.reason() == null ? ""
                        : " (" + item.reason() + ")"), now);
                return true;
            }
            case Operation.Item.PENDING_RESTART -> {
                // A baseline was staged but the restart failed: put the last known good baseline back.
                return failAndRollBack(h, r, m, mac, "baseline restart failed: " + (item.reason() == null ? "(no reason)" : item.reason()), now);
            }
            default -> {
                String why = "install failed: " + (item == null || item.reason() == null ? op.state() : item.reason());
                if (!r.hotpatch() && r.settings().target().equals(mac.baselineId())) {
                    return failAndRollBack(h, r, m, mac, why, now);
                }
                finish(h, r, m, Rollout.Machine.FAILED, why, now);
                Rollouts.eventAt(h, r.id(), m.wave(), m.machineId(), "machine-failed", r.actor(), m.name() + ": " + why, now);
                return true;
            }
        }
    }

    private boolean soaking(Handle h, Run r, Row m, Instant now) {
        if (now.isBefore(m.soakUntil())) {
            // Still soaking: only what shows at once (from the signals and presence) can end it early.
            boolean present = h.createQuery("SELECT present FROM machines WHERE id = :id").bind("id", m.machineId()).mapTo(Boolean.class).one();
            if (Gate.early(r.settings(), m.installedAt(), m.prePid(), m.preStartedAt(), present, Signals.find(h, m.machineId()).orElse(null))
                    .outcome() == Gate.Outcome.WAIT) {
                return false;
            }
        }
        Machine mac = machines.get(h, m.machineId());
        Effective eff = policies.resolver(h).machine(mac.id(), mac.imageId(), mac.config());
        Map<String, String> expected = new HashMap<>();
        if (r.hotpatch()) {
            catalog.update(h, r.settings().target()).classes().forEach(c -> expected.put(c.name(), c.sha256()));
        }
        Gate.Verdict v = Gate.judge(new Gate.Subject(r.settings(), m.installedAt(), m.soakUntil(), m.prePid(), m.preStartedAt(), m.preSamples(),
                m.preFailures(), mac, Signals.find(h, mac.id()).orElse(null), eff.settings(), expected), now);
        switch (v.outcome()) {
            case PASS -> {
                gateHistory(h, r, mac, "succeeded", v.reason());
                finish(h, r, m, Rollout.Machine.HEALTHY, v.reason(), now);
                return true;
            }
            case QUARANTINED -> {
                gateHistory(h, r, mac, "failed", v.reason());
                finish(h, r, m, Rollout.Machine.QUARANTINED, v.reason(), now);
                Rollouts.eventAt(h, r.id(), m.wave(), m.machineId(), "machine-quarantined", r.actor(), m.name() + ": " + v.reason(), now);
                return true;
            }
            case FAIL -> {
                return failAndRollBack(h, r, m, mac, "health gate failed: " + v.reason(), now);
            }
            default -> {
                return false;
            }
        }
    }

    /** Records the failure and undoes the patch on this machine only: uninstall live, or the previous baseline back. */
    private boolean failAndRollBack(Handle h, Run r, Row m, Machine mac, String why, Instant now) {
        if (why.startsWith("health gate failed")) {
            gateHistory(h, r, mac, "failed", why.substring("health gate failed: ".length()));
        }
        Rollouts.eventAt(h, r.id(), m.wave(), m.machineId(), "machine-failed", r.actor(), m.name() + ": " + why, now);
        String opId = null;
        String undo;
        if (r.hotpatch()) {
            boolean live = mac.hotpatches().stream().anyMatch(x -> x.id().equals(r.settings().target()));
            if (live && mac.present()) {
                opId = operations.uninstall(h, mac, r.settings().target(), r.actor());
                undo = "; uninstalling " + r.settings().target() + " live";
            } else {
                undo = live ? "; the JVM is gone, nothing to uninstall" : "; nothing to uninstall: the hotpatch is not live";
            }
        } else {
            String back = m.fromBaseline() != null && !m.fromBaseline().equals(r.settings().target()) ? m.fromBaseline()
                    : h.createQuery("SELECT last_good_baseline FROM machines WHERE id = :id").bind("id", mac.id()).mapTo(String.class).findOne().orElse(null);
            // The new baseline's jars are in place (the restart failed, or it ran and failed its gate): put the old ones back.
            if (back != null && !back.equals(r.settings().target())) {
                Baseline b = catalog.baseline(h, back);
                opId = operations.rollbackBaseline(h, mac, b, r.actor());
                undo = "; putting baseline " + b.version() + " (last known good) back";
            } else {
                undo = "; no last known good baseline to put back";
            }
        }
        if (opId != null) {
            update(h, r, m, "state = 'rolling_back', rollback_op_id = :op, reason = :why", Map.of("op", opId, "why", why + undo), now);
        } else {
            finish(h, r, m, Rollout.Machine.FAILED, why + undo, now);
        }
        return true;
    }

    private boolean rollingBack(Handle h, Run r, Row m, Instant now) {
        Operation op = operations.operation(h, m.rollbackOpId());
        if (!op.done()) {
            return false;
        }
        String reason = h.createQuery("SELECT reason FROM rollout_machines WHERE rollout_id = :r AND machine_id = :m").bind("r", r.id())
                .bind("m", m.machineId()).mapTo(String.class).one();
        if (Operation.SUCCEEDED.equals(op.state())) {
            finish(h, r, m, Rollout.Machine.ROLLED_BACK, reason.replace("; uninstalling", "; uninstalled").replace("; putting", "; put"), now);
        } else {
            String detail = op.items().isEmpty() || op.items().get(0).reason() == null ? op.state() : op.items().get(0).reason();
            finish(h, r, m, Rollout.Machine.ROLLBACK_FAILED, reason + "; the rollback failed: " + detail, now);
            Rollouts.eventAt(h, r.id(), m.wave(), m.machineId(), "rollback-failed", r.actor(), m.name() + ": " + detail, now);
        }
        return true;
    }

    private void notAttempted(Handle h, Run r, Row m, Machine mac, Effective eff, String why, Instant now) {
        int attempts = m.attempts() + 1;
        int max = eff.settings().maxAttempts();
        Instant next = r.settings().ignoreWindows() ? now.plus(Duration.ofMinutes(5))
                : eff.window().next(now, eff.zone()).map(Window.Occurrence::start).orElse(now.plus(Duration.ofDays(1)));
        boolean giveUp = attempts >= max;
        String reason = why + (giveUp ? "; given up after " + attempts + " window(s)" : "; tried again in its next window ("
                + local(next, eff.zone()) + ")");
        int n = h.createUpdate("UPDATE rollout_machines SET state = 'not_attempted', attempts = :a, done = :d, next_try_at = :n, reason = :why,"
                        + " completed_at = :c, updated_at = :t WHERE rollout_id = :r AND machine_id = :m AND state = :s AND done = FALSE")
                .bind("a", attempts).bind("d", giveUp).bind("n", next.toEpochMilli()).bind("why", reason)
                .bind("c", giveUp ? now.toEpochMilli() : null).bind("t", now.toEpochMilli())
                .bind("r", r.id()).bind("m", m.machineId()).bind("s", m.state()).execute();
        if (n != 1) {
            throw new Moved();
        }
        history.append(h, mac.id(), mac.name(), mac.node(), "install", r.hotpatch() ? r.settings().target() : r.settings().kbId(), r.actor(),
                "not-attempted", reason, m.operationId());
    }

    private void finish(Handle h, Run r, Row m, String state, String reason, Instant now) {
        int n = h.createUpdate("UPDATE rollout_machines SET state = :st, done = TRUE, reason = :why, completed_at = :t, updated_at = :t"
                        + " WHERE rollout_id = :r AND machine_id = :m AND state = :s AND done = FALSE")
                .bind("st", state).bind("why", reason).bind("t", now.toEpochMilli()).bind("r", r.id()).bind("m", m.machineId())
                .bind("s", m.state()).execute();
        if (n != 1) {
            throw new Moved();
        }
    }

    private void update(Handle h, Run r, Row m, String set, Map<String, Object> args, Instant now) {
        // :t is now (callers may use it in SET); the other names are the row's key and expected state.
        int n = h.createUpdate("UPDATE rollout_machines SET " + set + ", updated_at = :t WHERE rollout_id = :rowRollout"
                        + " AND machine_id = :rowMachine AND state = :rowState AND done = FALSE")
                .bindMap(args).bind("t", now.toEpochMilli()).bind("rowRollout", r.id()).bind("rowMachine", m.machineId())
                .bind("rowState", m.state()).execute();
        if (n != 1) {
            throw new Moved();
        }
    }

    private void gateHistory(Handle h, Run r, Machine mac, String outcome, String details) {
        history.append(h, mac.id(), mac.name(), mac.node(), "health-gate", r.hotpatch() ? r.settings().target() : r.settings().kbId(), r.actor(),
                outcome, details, null);
    }

    // ---- the rollout as a whole --------------------------------------------------------------

    /**
     * Halts the rollout when its failures exceed the error budget; when the current wave is done,
     * completes it and starts the next (or completes the rollout). Returns true when a new wave
     * started, so its machines are taken at once.
     */
    private boolean settle(Handle h, String id, Instant now) {
        Run r = run(h, id);
        if (r == null || !Rollout.RUNNING.equals(r.state())) {
            return false;
        }
        Map<String, Integer> counts = new HashMap<>();
        h.createQuery("SELECT state, COUNT(*) AS n FROM rollout_machines WHERE rollout_id = :id GROUP BY state").bind("id", id).mapToMap()
                .forEach(row -> counts.put((String) row.get("state"), ((Number) row.get("n")).intValue()));
        int failures = Rollout.Machine.FAILURES.stream().mapToInt(s -> counts.getOrDefault(s, 0)).sum();
        int budget = Rollouts.budget(r.settings(), r.machineCount());
        if (failures - r.acknowledged() > budget) {
            List<String> why = h.createQuery("SELECT machine_name || ': ' || reason FROM rollout_machines WHERE rollout_id = :id AND state IN (<f>)"
                            + " ORDER BY completed_at DESC, machine_name LIMIT 5")
                    .bind("id", id).bindList("f", Rollout.Machine.FAILURES).mapTo(String.class).list();
            String reason = "error budget exceeded: " + (failures - r.acknowledged()) + " machine(s) failed"
                    + (r.acknowledged() > 0 ? " since the last resume" : "") + " (budget " + budget + "): " + String.join("; ", why);
            halt(h, r, reason, now);
            return false;
        }
        int open = h.createQuery("SELECT COUNT(*) FROM rollout_machines WHERE rollout_id = :id AND wave = :w AND done = FALSE")
                .bind("id", id).bind("w", r.currentWave()).mapTo(Integer.class).one();
        if (open > 0) {
            return false;
        }
        Map<String, Integer> wave = new java.util.TreeMap<>();
        h.createQuery("SELECT state, COUNT(*) AS n FROM rollout_machines WHERE rollout_id = :id AND wave = :w GROUP BY state")
                .bind("id", id).bind("w", r.currentWave()).mapToMap()
                .forEach(row -> wave.put((String) row.get("state"), ((Number) row.get("n")).intValue()));
        h.createUpdate("UPDATE rollout_waves SET state = 'completed', completed_at = :t WHERE rollout_id = :id AND wave = :w")
                .bind("t", now.toEpochMilli()).bind("id", id).bind("w", r.currentWave()).execute();
        Rollouts.eventAt(h, id, r.currentWave(), null, "wave-completed", r.actor(), "wave " + r.currentWave() + " of " + r.waveCount()
                + " completed: " + describe(wave), now);
        if (r.currentWave() >= r.waveCount()) {
            if (h.createUpdate("UPDATE rollouts SET state = 'completed', completed_at = :t, updated_at = :t WHERE id = :id AND state = 'running'"
                    + " AND current_wave = :w").bind("t", now.toEpochMilli()).bind("id", id).bind("w", r.currentWave()).execute() == 1) {
                Rollouts.eventAt(h, id, null, null, "completed", r.actor(), "completed: " + describe(counts), now);
            }
            return false;
        }
        int next = r.currentWave() + 1;
        if (h.createUpdate("UPDATE rollouts SET current_wave = :n, updated_at = :t WHERE id = :id AND state = 'running' AND current_wave = :w")
                .bind("n", next).bind("t", now.toEpochMilli()).bind("id", id).bind("w", r.currentWave()).execute() != 1) {
            return false;
        }
        h.createUpdate("UPDATE rollout_waves SET state = 'running', started_at = :t WHERE rollout_id = :id AND wave = :w")
                .bind("t", now.toEpochMilli()).bind("id", id).bind("w", next).execute();
        String description = h.createQuery("SELECT description FROM rollout_waves WHERE rollout_id = :id AND wave = :w").bind("id", id)
                .bind("w", next).mapTo(String.class).one();
        Rollouts.eventAt(h, id, next, null, "wave-started", r.actor(), "wave " + next + " of " + r.waveCount() + ": " + description, now);
        return true;
    }

    /** Halts a running rollout with {@code reason} (an error budget spent, its update quarantined). */
    void halt(Handle h, Run r, String reason, Instant now) {
        if (h.createUpdate("UPDATE rollouts SET state = 'halted', halt_reason = :why, halted_at = :t, updated_at = :t WHERE id = :id AND state = 'running'")
                .bind("why", reason).bind("t", now.toEpochMilli()).bind("id", r.id()).execute() == 1) {
            h.createUpdate("UPDATE rollout_waves SET state = 'halted' WHERE rollout_id = :id AND wave = :w AND state = 'running'")
                    .bind("id", r.id()).bind("w", r.currentWave()).execute();
            Rollouts.eventAt(h, r.id(), r.currentWave(), null, "halted", r.actor(), "halted in wave " + r.currentWave() + ": " + reason
                    + "; resume or cancel it (POST /api/v1/rollouts/" + r.id() + "/resume or /cancel)", now);
            LOG.warn("rollout {} halted: {}", r.id(), reason);
        }
    }

    /** Halts the running rollouts of {@code kb} on {@code imageId} (its update was quarantined). */
    int haltFor(Handle h, String imageId, String kb, String reason, Instant now) {
        int n = 0;
        for (String id : h.createQuery("SELECT id FROM rollouts WHERE image_id = :i AND target = :k AND state = 'running'").bind("i", imageId)
                .bind("k", kb).mapTo(String.class).list()) {
            halt(h, run(h, id), reason, now);
            n++;
        }
        return n;
    }

    private static String describe(Map<String, Integer> counts) {
        List<String> parts = new ArrayList<>();
        counts.forEach((k, v) -> parts.add(v + " " + k.replace('_', ' ')));
        return parts.isEmpty() ? "no machines" : String.join(", ", parts);
    }

    private static String local(Instant t, ZoneId zone) {
        return LOCAL.format(t.atZone(zone)) + " " + zone.getId();
    }

    private static Long longOrNull(java.sql.ResultSet rs, String col) throws java.sql.SQLException {
        long v = rs.getLong(col);
        return rs.wasNull() ? null : v;
    }
}
