package dev.hotpatch.server.rollout;

import dev.hotpatch.server.ServerException;
import dev.hotpatch.server.catalog.Baseline;
import dev.hotpatch.server.catalog.Catalog;
import dev.hotpatch.server.catalog.Image;
import dev.hotpatch.server.catalog.Update;
import dev.hotpatch.server.policy.Policies;
import dev.hotpatch.server.policy.PolicySettings;
import dev.hotpatch.server.quarantine.Quarantines;
import dev.hotpatch.server.store.Database;
import dev.hotpatch.server.store.Ids;
import dev.hotpatch.server.store.Json;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.PreparedBatch;

/**
 * Rollouts as operators and the automation see them: starting one (planned into waves at once
 * and stored, so any replica can advance it and a restart loses nothing), reading them with
 * their waves, machines and events, and the operator's resume and cancel. The waves advance in
 * {@link Engine}. Thread-safe; everything is in the database.
 */
public final class Rollouts {
    private static final int MAX_PAGE = 1000;

    private final Database db;
    private final Clock clock;
    private final Catalog catalog;
    private final Policies policies;
    private final Quarantines quarantines;
    private final Targets targets;
    private final int membersPerTx;

    public Rollouts(Database db, Clock clock, Catalog catalog, Policies policies, Quarantines quarantines) {
        this(db, clock, catalog, policies, quarantines, MEMBERS_PER_TX);
    }

    /** @param membersPerTx machines stored per transaction (tests lower it to store a small fleet's rollout in parts) */
    Rollouts(Database db, Clock clock, Catalog catalog, Policies policies, Quarantines quarantines, int membersPerTx) {
        if (membersPerTx < 1) {
            throw new IllegalArgumentException("membersPerTx must be at least 1, not " + membersPerTx);
        }
        this.membersPerTx = membersPerTx;
        this.db = db;
        this.clock = clock;
        this.catalog = catalog;
        this.policies = policies;
        this.quarantines = quarantines;
        this.targets = new Targets(catalog, clock);
    }

    Targets targets() {
        return targets;
    }

    /** Starts an operator's rollout; refuses (changing nothing) when no machine needs the target. */
    public Rollout start(Rollout.Request req, String actor) {
        if (req == null || (blank(req.update()) == blank(req.baseline()))) {
            throw new ServerException.BadRequest("invalid-rollout", "a rollout needs exactly one of 'update' (a hotpatch KB) and 'baseline'",
                    "e.g. {\"update\": \"KB2026-0001\"} or {\"image\": \"acme:fees:1.x\", \"baseline\": \"1.1\"}");
        }
        Targets.Filter f = new Targets.Filter(false, blank(req.ring()) ? null : req.ring().trim(),
                blank(req.group()) ? null : req.group().trim(),
                req.machines() == null || req.machines().isEmpty() ? null : new HashSet<>(req.machines()));
        // Planned from committed state without the write lock (see store); the quarantine is checked again when it is stored.
        Planned plan = db.read(h -> {
            Targets.Target t = target(h, req);
            refuseQuarantined(h, t);
            if (f.group() != null) {
                refuseUniformGroup(h, f.group());
            }
            Policies.Resolver resolver = policies.resolver(h);
            Targets.Result r = targets.candidates(h, t, f, resolver);
            if (r.included().isEmpty()) {
                throw new ServerException.Conflict("nothing-to-roll-out", "no machine needs " + t.kind() + " " + label(t) + " now: "
                        + summary(r), "see each machine's assessment; machines in an unfinished rollout join after it ends");
            }
            return new Planned(t, r, resolver.image(t.imageId()));
        });
        String id = store(plan.target(), plan.result(), Rollout.OPERATOR, f.ring(), Boolean.TRUE.equals(req.ignoreWindows()), plan.image(), actor,
                (h, self) -> refuseQuarantined(h, plan.target()));
        return get(id);
    }

    private record Planned(Targets.Target target, Targets.Result result, PolicySettings image) {
    }

    private void refuseQuarantined(Handle h, Targets.Target t) {
        if (!t.hotpatch()) {
            return;
        }
        quarantines.active(h, t.imageId(), t.id()).ifPresent(q -> {
            throw new ServerException.Conflict("update-quarantined", "update " + t.id() + " is quarantined for image " + q.image()
                    + " since " + q.since() + " (machine " + q.machine() + ": " + q.reason() + ")",
                    "clear the quarantine first (POST /api/v1/quarantines/" + q.id() + "/clear) if the update is safe after all");
        });
    }

    private Targets.Target target(Handle h, Rollout.Request req) {
        Image image = blank(req.image()) ? null : catalog.image(h, req.image());
        if (!blank(req.update())) {
            Update u = catalog.findUpdate(h, req.update().trim()).orElseThrow(() -> new ServerException.Refused("unknown-kb",
                    "KB " + req.update() + " is not in the catalog", "list updates with GET /api/v1/updates"));
            if (!u.isHotpatch()) {
                throw new ServerException.Refused("not-a-hotpatch", "update " + u.kbId() + " needs a restart (" + u.rebootBehavior()
                        + "); rollouts carry hotpatches and baselines", "install it with Install now, or publish it in a baseline");
            }
            if (image != null && !image.id().equals(u.imageId())) {
                throw new ServerException.Refused("unknown-kb", "KB " + u.kbId() + " is an update of " + u.image() + ", not of " + image.name(),
                        "check the image or leave it out");
            }
            return new Targets.Target(Rollout.HOTPATCH, u.kbId(), u.imageId(), u.baselineId(), u, u.kbId());
        }
        Baseline b = image != null ? catalog.findBaseline(h, image, req.baseline().trim()).orElse(null)
                : catalog.findBaseline(h, req.baseline().trim()).orElse(null);
        if (b == null) {
            throw new ServerException.Refused("unknown-baseline", "baseline '" + req.baseline() + "' is not in the catalog"
                    + (image == null ? "" : " for image " + image.name()), image == null ? "name it by id, or give the image to name it by version"
                    : "list baselines with GET /api/v1/images/{image}/baselines");
        }
        return new Targets.Target(Rollout.BASELINE, b.id(), b.imageId(), b.id(), null, Targets.baselineLabel(b));
    }

    /**
     * What must still hold when a planned rollout is stored; throws to refuse (nothing is then
     * left of the rollout). {@code self} is the id of the rollout being stored.
     */
    interface Guard {
        void check(Handle h, String self);
    }

    /**
     * Plans the waves of a rollout of {@code t} over the candidates (planned by the caller from
     * committed state, outside any write transaction) and stores it; returns its id.
     *
     * <p>A rollout of up to {@value #MEMBERS_PER_TX} machines (by default) is stored in one transaction. A larger
     * one (a whole fleet's automatic rollout can have 75,000 machines) is stored in transactions of
     * that many machines, so that on SQLite, whose single writer everything else queues for, check-ins
     * and the re-assessment get the database between them: it is written as {@code preparing}, which
     * no reader shows and the engine does not advance, and turns {@code running} in the last one. The
     * guard is checked in the first and in the last transaction; a refusal, or any failure on the
     * way, removes what was written. A server that dies meanwhile leaves a {@code preparing} rollout
     * that {@link #discardAbandoned} removes. Machines are planned from a snapshot: the engine checks
     * each one again when its turn comes (still needed, not in an earlier unfinished rollout).
     */
    String store(Targets.Target t, Targets.Result r, String origin, String ring, boolean ignoreWindows, PolicySettings image, String actor,
                 Guard guard) {
        List<Waves.Member> members = r.included().stream().map(Targets.Candidate::member).toList();
        List<Waves.Wave> waves = Waves.plan(members, Waves.Rules.of(image.maxPercentOfSet(), image.regionsPerPhase(), image.regionPairs()));
        List<Object[]> rows = new ArrayList<>(members.size());
        for (Waves.Wave w : waves) {
            int pos = 0;
            for (Waves.Member m : w.members()) {
                rows.add(new Object[] {m, w.wave(), pos++});
            }
        }
        String id = Ids.next("ro", clock.instant());
        boolean oneTx = rows.size() <= membersPerTx;
        db.txRun(h -> {
            guard.check(h, id);
            Instant now = clock.instant();
            Rollout.Settings settings = settings(h, t, ignoreWindows, image);
            h.createUpdate("INSERT INTO rollouts (id, kind, image_id, target, ring, origin, state, created_at, created_by, updated_at, current_wave,"
                            + " wave_count, machine_count, failures_acknowledged, settings) VALUES (:id, :k, :i, :t, :ring, :o, :st, :now, :by,"
                            + " :now, 1, :wc, :mc, 0, :s)")
                    .bind("id", id).bind("k", t.kind()).bind("i", t.imageId()).bind("t", t.id()).bind("ring", ring).bind("o", origin)
                    .bind("st", oneTx ? Rollout.RUNNING : PREPARING).bind("now", now.toEpochMilli()).bind("by", actor)
                    .bind("wc", waves.size()).bind("mc", members.size()).bind("s", Json.write(settings)).execute();
            PreparedBatch wb = h.prepareBatch("INSERT INTO rollout_waves (rollout_id, wave, phase, description, machine_count, state, started_at)"
                    + " VALUES (:r, :w, :p, :d, :n, :s, :t)");
            for (Waves.Wave w : waves) {
                wb.bind("r", id).bind("w", w.wave()).bind("p", w.phase()).bind("d", w.description()).bind("n", w.members().size())
                        .bind("s", w.wave() == 1 ? "running" : "pending").bind("t", w.wave() == 1 ? now.toEpochMilli() : null).add();
            }
            wb.execute();
            insertMembers(h, id, rows.subList(0, Math.min(rows.size(), membersPerTx)), now);
            if (oneTx) {
                started(h, id, t, r, origin, ring, ignoreWindows, waves, actor);
            }
        });
        if (oneTx) {
            return id;
        }
        try {
            for (int from = membersPerTx; from < rows.size(); from += membersPerTx) {
                List<Object[]> chunk = rows.subList(from, Math.min(rows.size(), from + membersPerTx));
                db.txRun(h -> {
                    Instant now = clock.instant();
                    if (h.createUpdate("UPDATE rollouts SET updated_at = :t WHERE id = :id AND state = :st").bind("t", now.toEpochMilli())
                            .bind("id", id).bind("st", PREPARING).execute() != 1) {
                        throw new IllegalStateException("rollout " + id + " was removed while it was being stored (it was left preparing for"
                                + " over " + ABANDONED.toMinutes() + " min)");
                    }
                    insertMembers(h, id, chunk, now);
                });
            }
            db.txRun(h -> {
                guard.check(h, id);
                long now = clock.millis();
                if (h.createUpdate("UPDATE rollouts SET state = 'running', created_at = :t, updated_at = :t WHERE id = :id AND state = :st")
                        .bind("t", now).bind("id", id).bind("st", PREPARING).execute() != 1) {
                    throw new IllegalStateException("rollout " + id + " was removed while it was being stored");
                }
                h.createUpdate("UPDATE rollout_waves SET started_at = :t WHERE rollout_id = :id AND wave = 1").bind("t", now).bind("id", id).execute();
                started(h, id, t, r, origin, ring, ignoreWindows, waves, actor);
            });
        } catch (RuntimeException e) {
            try {
                discard(id);
            } catch (RuntimeException again) {
                e.addSuppressed(again);
            }
            throw e;
        }
        return id;
    }

    /** Machines a rollout stores per transaction (about 20-40 ms of SQLite's write lock each, measured at 75,000). */
    static final int MEMBERS_PER_TX = 2000;
    /** A rollout being stored is written as this, never shown, never advanced (see {@link #store}). */
    static final String PREPARING = "preparing";
    /** How long a rollout may stay {@code preparing} before it counts as left behind by a server that stopped storing it. */
    static final java.time.Duration ABANDONED = java.time.Duration.ofMinutes(10);

    private Rollout.Settings settings(Handle h, Targets.Target t, boolean ignoreWindows, PolicySettings image) {
        if (t.hotpatch()) {
            Update u = t.update();
            return new Rollout.Settings(t.kind(), t.id(), u.kbId(), u.baselineVersion(), u.title(), u.classification(), u.baselineId(),
                    ignoreWindows, image.maxFailures(), image.maxFailurePercent(), image.maxPercentOfSet(), image.regionsPerPhase(),
                    image.regionPairs());
        }
        Baseline b = catalog.baseline(h, t.id());
        return new Rollout.Settings(t.kind(), t.id(), b.kbId(), b.version(), b.title(), b.classification(), b.id(), ignoreWindows,
                image.maxFailures(), image.maxFailurePercent(), image.maxPercentOfSet(), image.regionsPerPhase(), image.regionPairs());
    }

    /** Rows of {@code [member, wave, position]}. */
    private static void insertMembers(Handle h, String id, List<Object[]> rows, Instant now) {
        PreparedBatch mb = h.prepareBatch("INSERT INTO rollout_machines (rollout_id, machine_id, machine_name, wave, position, region, zone,"
                + " availability_set, update_domain, grp, state, done, attempts, updated_at) VALUES (:r, :m, :n, :w, :p, :region, :zone, :set,"
                + " :ud, :g, 'pending', FALSE, 0, :t)");
        for (Object[] row : rows) {
            Waves.Member m = (Waves.Member) row[0];
            mb.bind("r", id).bind("m", m.machineId()).bind("n", m.name()).bind("w", (Integer) row[1]).bind("p", (Integer) row[2])
                    .bind("region", m.region()).bind("zone", m.zone()).bind("set", m.availabilitySet()).bind("ud", m.updateDomain())
                    .bind("g", m.group()).bind("t", now.toEpochMilli()).add();
        }
        if (!rows.isEmpty()) {
            mb.execute();
        }
    }

    private void started(Handle h, String id, Targets.Target t, Targets.Result r, String origin, String ring, boolean ignoreWindows,
                         List<Waves.Wave> waves, String actor) {
        String left = r.excluded().isEmpty() ? "" : "; left out: " + summary(r);
        event(h, id, null, null, "created", actor, (Rollout.AUTOMATIC.equals(origin) ? "automatic " : "") + t.kind() + " " + label(t)
                + (ring == null ? "" : " for ring " + ring) + ": " + r.included().size() + " machine(s) in " + waves.size() + " wave(s)"
                + (ignoreWindows ? ", starting at once (windows ignored)" : ", each in its maintenance window") + left);
        if (!waves.isEmpty()) {
            event(h, id, 1, null, "wave-started", actor, "wave 1 of " + waves.size() + ": " + waves.get(0).description());
        }
    }

    /** Removes a rollout that is still {@code preparing}, its machines a transaction's worth at a time; nothing when it is not. */
    void discard(String id) {
        while (db.tx(h -> {
            if (h.createQuery("SELECT COUNT(*) FROM rollouts WHERE id = :id AND state = :st").bind("id", id).bind("st", PREPARING)
                    .mapTo(Integer.class).one() == 0) {
                return false;
            }
            int n = h.createUpdate("DELETE FROM rollout_machines WHERE rollout_id = :id AND machine_id IN (SELECT machine_id FROM rollout_machines"
                    + " WHERE rollout_id = :id LIMIT :n)").bind("id", id).bind("n", membersPerTx).execute();
            if (n > 0) {
                return true;
            }
            h.createUpdate("DELETE FROM rollout_events WHERE rollout_id = :id").bind("id", id).execute();
            h.createUpdate("DELETE FROM rollout_waves WHERE rollout_id = :id").bind("id", id).execute();
            h.createUpdate("DELETE FROM rollouts WHERE id = :id AND state = :st").bind("id", id).bind("st", PREPARING).execute();
            return false;
        })) {
            // One transaction's worth of machines at a time.
        }
    }

    /** Removes rollouts left {@code preparing} for longer than {@link #ABANDONED} (by a server that stopped meanwhile); returns how many. */
    int discardAbandoned() {
        List<String> ids = db.read(h -> h.createQuery("SELECT id FROM rollouts WHERE state = :st AND updated_at < :cut")
                .bind("st", PREPARING).bind("cut", clock.instant().minus(ABANDONED).toEpochMilli()).mapTo(String.class).list());
        for (String id : ids) {
            discard(id);
        }
        return ids.size();
    }

    // ---- reads -------------------------------------------------------------------------------

    /** Rollouts newest first. */
    public Rollout.RolloutPage list(String state, String imageRef, String target, String origin, int limit, int offset) {
        return db.read(h -> {
            StringBuilder where = new StringBuilder(" WHERE r.state <> '" + PREPARING + "'");
            Map<String, Object> args = new LinkedHashMap<>();
            if (!blank(state)) {
                where.append(" AND r.state = :st");
                args.put("st", state.trim().toLowerCase(Locale.ROOT));
            }
            if (!blank(imageRef)) {
                where.append(" AND r.image_id = :img");
                args.put("img", catalog.image(h, imageRef).id());
            }
            if (!blank(target)) {
                where.append(" AND r.target = :tg");
                args.put("tg", target.trim());
            }
            if (!blank(origin)) {
                where.append(" AND r.origin = :o");
                args.put("o", origin.trim().toLowerCase(Locale.ROOT));
            }
            int total = h.createQuery("SELECT COUNT(*) FROM rollouts r" + where).bindMap(args).mapTo(Integer.class).one();
            int lim = page(limit);
            int off = Math.max(0, offset);
            List<String> ids = h.createQuery("SELECT r.id FROM rollouts r" + where + " ORDER BY r.created_at DESC, r.id DESC LIMIT :lim OFFSET :off")
                    .bindMap(args).bind("lim", lim).bind("off", off).mapTo(String.class).list();
            List<Rollout> items = new ArrayList<>();
            for (String id : ids) {
                items.add(rollout(h, id, false));
            }
            return new Rollout.RolloutPage(items, total, lim, off);
        });
    }

    /** One rollout with its waves and latest events. */
    public Rollout get(String id) {
        return db.read(h -> rollout(h, id, true));
    }

    Rollout rollout(Handle h, String id, boolean detail) {
        Map<String, Object> r = h.createQuery("SELECT r.*, i.publisher, i.offer, i.sku FROM rollouts r JOIN images i ON i.id = r.image_id"
                + " WHERE r.id = :id AND r.state <> :hidden").bind("id", id).bind("hidden", PREPARING).mapToMap().findOne()
                .orElseThrow(() -> new ServerException.NotFound("rollout", id, "list rollouts with GET /api/v1/rollouts"));
        Map<String, Integer> states = new TreeMap<>();
        h.createQuery("SELECT state, COUNT(*) AS n FROM rollout_machines WHERE rollout_id = :id GROUP BY state").bind("id", id).mapToMap()
                .forEach(row -> states.put((String) row.get("state"), ((Number) row.get("n")).intValue()));
        int failures = Rollout.Machine.FAILURES.stream().mapToInt(s -> states.getOrDefault(s, 0)).sum();
        Rollout.Settings settings = Json.read((String) r.get("settings"), Rollout.Settings.class);
        int machineCount = ((Number) r.get("machine_count")).intValue();
        List<Rollout.Wave> waves = null;
        List<Rollout.Event> events = null;
        if (detail) {
            Map<Integer, Map<String, Integer>> perWave = new TreeMap<>();
            h.createQuery("SELECT wave, state, COUNT(*) AS n FROM rollout_machines WHERE rollout_id = :id GROUP BY wave, state").bind("id", id)
                    .mapToMap().forEach(row -> perWave.computeIfAbsent(((Number) row.get("wave")).intValue(), k -> new TreeMap<>())
                            .put((String) row.get("state"), ((Number) row.get("n")).intValue()));
            waves = h.createQuery("SELECT wave, phase, description, machine_count, state, started_at, completed_at FROM rollout_waves"
                            + " WHERE rollout_id = :id ORDER BY wave").bind("id", id)
                    .map((rs, ctx) -> new Rollout.Wave(rs.getInt(1), rs.getInt(2), rs.getString(3), rs.getInt(4), rs.getString(5),
                            instant(rs, 6), instant(rs, 7), perWave.getOrDefault(rs.getInt(1), Map.of())))
                    .list();
            events = events(h, id, 100, 0).items();
        }
        return new Rollout((String) r.get("id"), (String) r.get("kind"), (String) r.get("target"), settings.title(), (String) r.get("image_id"),
                r.get("publisher") + "/" + r.get("offer") + "/" + r.get("sku"), (String) r.get("ring"), (String) r.get("origin"),
                (String) r.get("state"), instant(r.get("created_at")), (String) r.get("created_by"), instant(r.get("updated_at")),
                instant(r.get("completed_at")), ((Number) r.get("current_wave")).intValue(), ((Number) r.get("wave_count")).intValue(),
                machineCount, states, failures, budget(settings, machineCount), (String) r.get("halt_reason"), instant(r.get("halted_at")),
                settings, waves, events);
    }

    /** Failures a rollout tolerates: the larger of the count and the percentage of its machines. */
    static int budget(Rollout.Settings s, int machineCount) {
        return Math.max(s.maxFailures(), (int) Math.floor(s.maxFailurePercent() * machineCount / 100.0));
    }

    /** A rollout's machines, by wave and position; optionally one wave or one state. */
    public Rollout.MachinePage machines(String id, Integer wave, String state, int limit, int offset) {
        return db.read(h -> {
            rollout(h, id, false);
            StringBuilder where = new StringBuilder(" WHERE rollout_id = :id");
            Map<String, Object> args = new LinkedHashMap<>();
            args.put("id", id);
            if (wave != null) {
                where.append(" AND wave = :w");
                args.put("w", wave);
            }
            if (!blank(state)) {
                where.append(" AND state = :s");
                args.put("s", state.trim().toLowerCase(Locale.ROOT));
            }
            int total = h.createQuery("SELECT COUNT(*) FROM rollout_machines" + where).bindMap(args).mapTo(Integer.class).one();
            int lim = page(limit);
            int off = Math.max(0, offset);
            List<Rollout.Machine> items = h.createQuery("SELECT * FROM rollout_machines" + where + " ORDER BY wave, position LIMIT :lim OFFSET :off")
                    .bindMap(args).bind("lim", lim).bind("off", off).map(Rollouts::machineRow).list();
            return new Rollout.MachinePage(items, total, lim, off);
        });
    }

    /**
     * The rollouts machine {@code machineId} has been in, newest first, with its part in each; a
     * rollout still being planned is not shown (its machine list is not complete yet).
     */
    public List<Rollout.MachineRollout> ofMachine(String machineId, int limit) {
        return db.read(h -> h.createQuery("SELECT r.id, r.kind, r.target, r.state AS rollout_state, r.created_at, rm.wave, rm.state,"
                        + " rm.reason, rm.completed_at FROM rollout_machines rm JOIN rollouts r ON r.id = rm.rollout_id"
                        + " WHERE rm.machine_id = :m AND r.state <> :preparing ORDER BY r.created_at DESC, r.id DESC LIMIT :lim")
                .bind("m", machineId).bind("preparing", PREPARING).bind("lim", page(limit))
                .map((rs, ctx) -> new Rollout.MachineRollout(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                        Instant.ofEpochMilli(rs.getLong(5)), rs.getInt(6), rs.getString(7), rs.getString(8),
                        rs.getObject(9) == null ? null : Instant.ofEpochMilli(rs.getLong(9))))
                .list());
    }

    public Rollout.EventPage events(String id, int limit, int offset) {
        return db.read(h -> {
            rollout(h, id, false);
            return events(h, id, limit, offset);
        });
    }

    private Rollout.EventPage events(Handle h, String id, int limit, int offset) {
        int total = h.createQuery("SELECT COUNT(*) FROM rollout_events WHERE rollout_id = :id").bind("id", id).mapTo(Integer.class).one();
        int lim = page(limit);
        int off = Math.max(0, offset);
        List<Rollout.Event> items = h.createQuery("SELECT at, wave, machine_id, kind, actor, message FROM rollout_events WHERE rollout_id = :id"
                        + " ORDER BY at DESC, id DESC LIMIT :lim OFFSET :off")
                .bind("id", id).bind("lim", lim).bind("off", off)
                .map((rs, ctx) -> new Rollout.Event(Instant.ofEpochMilli(rs.getLong(1)), rs.getObject(2) == null ? null : rs.getInt(2),
                        rs.getString(3), rs.getString(4), rs.getString(5), rs.getString(6)))
                .list();
        return new Rollout.EventPage(items, total, lim, off);
    }

    // ---- operator actions --------------------------------------------------------------------

    /**
     * Resumes a halted rollout: the failures so far are acknowledged (the error budget counts
     * again from here) and the halted wave goes on. Refused while its update is quarantined.
     */
    public Rollout resume(String id, String note, String actor) {
        db.txRun(h -> {
            Rollout r = rollout(h, id, false);
            if (!Rollout.HALTED.equals(r.state())) {
                throw new ServerException.Conflict("not-halted", "rollout " + id + " is " + r.state() + ", not halted",
                        Rollout.RUNNING.equals(r.state()) ? "it is running already" : "start a new rollout instead");
            }
            if (Rollout.HOTPATCH.equals(r.kind())) {
                Optional<Quarantines.Quarantine> q = quarantines.active(h, r.imageId(), r.target());
                if (q.isPresent()) {
                    throw new ServerException.Conflict("update-quarantined", "update " + r.target() + " is quarantined for image " + r.image()
                            + " (machine " + q.get().machine() + ": " + q.get().reason() + ")",
                            "clear the quarantine first (POST /api/v1/quarantines/" + q.get().id() + "/clear), or cancel the rollout");
                }
            }
            long now = clock.millis();
            int n = h.createUpdate("UPDATE rollouts SET state = 'running', halt_reason = NULL, halted_at = NULL, failures_acknowledged = :f,"
                            + " updated_at = :t WHERE id = :id AND state = 'halted'")
                    .bind("f", r.failures()).bind("t", now).bind("id", id).execute();
            if (n == 1) {
                h.createUpdate("UPDATE rollout_waves SET state = 'running' WHERE rollout_id = :id AND wave = :w AND state = 'halted'")
                        .bind("id", id).bind("w", r.currentWave()).execute();
                event(h, id, r.currentWave(), null, "resumed", actor, "resumed by " + actor + " after " + r.failures() + " failure(s)"
                        + (blank(note) ? "" : ": " + note));
            }
        });
        return get(id);
    }

    /**
     * Cancels a rollout: machines not started are left alone ({@code canceled}); machines being
     * patched finish and are still judged (and rolled back if they fail). An automatic rollout
     * canceled this way is not started again for the same update and ring.
     */
    public Rollout cancel(String id, String note, String actor) {
        db.txRun(h -> {
            Rollout r = rollout(h, id, false);
            if (!Rollout.RUNNING.equals(r.state()) && !Rollout.HALTED.equals(r.state())) {
                throw new ServerException.Conflict("not-active", "rollout " + id + " is " + r.state(), "nothing to cancel");
            }
            long now = clock.millis();
            if (h.createUpdate("UPDATE rollouts SET state = 'canceled', completed_at = :t, updated_at = :t WHERE id = :id AND state IN ('running', 'halted')")
                    .bind("t", now).bind("id", id).execute() == 1) {
                int left = h.createUpdate("UPDATE rollout_machines SET state = 'canceled', done = TRUE, reason = :why, completed_at = :t,"
                                + " updated_at = :t WHERE rollout_id = :id AND done = FALSE AND state IN ('pending', 'not_attempted')")
                        .bind("why", "rollout canceled by " + actor).bind("t", now).bind("id", id).execute();
                h.createUpdate("UPDATE rollout_waves SET state = 'canceled' WHERE rollout_id = :id AND state IN ('pending', 'running', 'halted')")
                        .bind("id", id).execute();
                event(h, id, r.currentWave(), null, "canceled", actor, "canceled by " + actor + "; " + left + " machine(s) not started"
                        + (blank(note) ? "" : ": " + note));
            }
        });
        return get(id);
    }

    // ---- helpers -----------------------------------------------------------------------------

    private void event(Handle h, String rolloutId, Integer wave, String machineId, String kind, String actor, String message) {
        eventAt(h, rolloutId, wave, machineId, kind, actor, message, clock.instant());
    }

    static void eventAt(Handle h, String rolloutId, Integer wave, String machineId, String kind, String actor, String message, Instant at) {
        h.createUpdate("INSERT INTO rollout_events (id, rollout_id, at, wave, machine_id, kind, actor, message) VALUES (:id, :r, :at, :w, :m, :k, :a, :msg)")
                .bind("id", Ids.next("ev", at)).bind("r", rolloutId).bind("at", at.toEpochMilli()).bind("w", wave).bind("m", machineId)
                .bind("k", kind).bind("a", actor).bind("msg", message.length() > 4000 ? message.substring(0, 4000) + "…" : message).execute();
    }

    private void refuseUniformGroup(Handle h, String group) {
        for (dev.hotpatch.server.machine.Planning.UniformMember m : dev.hotpatch.server.machine.Planning.uniformMembers(h)) {
            if (group.equals(m.config().group())) {
                throw new ServerException.Conflict("uniform-group", "group '" + group + "' uses uniform orchestration: hotpatching is refused for"
                        + " uniform groups, whose identical replicas an outside orchestrator manages",
                        "declare the group flexible in the nodes' config, or update it by replacing its replicas; nothing was started");
            }
        }
    }

    static String summary(Targets.Result r) {
        StringBuilder b = new StringBuilder();
        if (r.alreadyFixed() > 0) {
            b.append(r.alreadyFixed()).append(" already fixed");
        }
        Map<String, List<String>> byReason = r.excluded().entrySet().stream()
                .collect(Collectors.groupingBy(Map.Entry::getValue, TreeMap::new, Collectors.mapping(Map.Entry::getKey, Collectors.toList())));
        for (Map.Entry<String, List<String>> e : byReason.entrySet()) {
            if (b.length() > 0) {
                b.append("; ");
            }
            List<String> names = e.getValue().stream().sorted().toList();
            b.append(names.size()).append(" ").append(e.getKey()).append(" (").append(String.join(", ", names.subList(0, Math.min(5, names.size()))))
                    .append(names.size() > 5 ? ", …" : "").append(")");
        }
        return b.length() == 0 ? "the image has no machine that could take it" : b.toString();
    }

    static String label(Targets.Target t) {
        return t.label();
    }

    private static int page(int limit) {
        return Math.max(1, Math.min(limit, MAX_PAGE));
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    static Rollout.Machine machineRow(ResultSet rs, org.jdbi.v3.core.statement.StatementContext ctx) throws SQLException {
        return new Rollout.Machine(rs.getString("machine_id"), rs.getString("machine_name"), rs.getInt("wave"), rs.getString("region"),
                rs.getString("zone"), rs.getString("availability_set"), intOrNull(rs, "update_domain"), rs.getString("grp"), rs.getString("state"),
                rs.getBoolean("done"), rs.getString("reason"), rs.getInt("attempts"), rs.getString("operation_id"), rs.getString("rollback_op_id"),
                instant(rs, "next_try_at"), instant(rs, "window_end"), instant(rs, "started_at"), instant(rs, "installed_at"),
                instant(rs, "soak_until"), instant(rs, "completed_at"));
    }

    private static Integer intOrNull(ResultSet rs, String col) throws SQLException {
        int v = rs.getInt(col);
        return rs.wasNull() ? null : v;
    }

    static Instant instant(ResultSet rs, String col) throws SQLException {
        long v = rs.getLong(col);
        return rs.wasNull() ? null : Instant.ofEpochMilli(v);
    }

    static Instant instant(ResultSet rs, int col) throws SQLException {
        long v = rs.getLong(col);
        return rs.wasNull() ? null : Instant.ofEpochMilli(v);
    }

    static Instant instant(Object millis) {
        return millis == null ? null : Instant.ofEpochMilli(((Number) millis).longValue());
    }
}
