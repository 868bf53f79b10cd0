package dev.hotpatch.server.assessment;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.hotpatch.server.catalog.Baseline;
import dev.hotpatch.server.catalog.Catalog;
import dev.hotpatch.server.catalog.CatalogCache;
import dev.hotpatch.server.catalog.Image;
import dev.hotpatch.server.catalog.Update;
import dev.hotpatch.server.machine.BaselineMatcher;
import dev.hotpatch.server.machine.Machine;
import dev.hotpatch.server.machine.MachineReport;
import dev.hotpatch.server.machine.Machines;
import dev.hotpatch.server.store.Database;
import dev.hotpatch.server.store.Json;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.jdbi.v3.core.Handle;

/**
 * Works out each machine's hotpatch status and missing updates from its last report and the
 * catalog, and stores the result on the machine row. A machine on an older baseline than its
 * image's current one is {@code ActionRequired} (a baseline restart is owed) and is offered that
 * baseline and its own baseline's updates, never newer hotpatches. Superseded updates are not
 * offered. Thread-safe.
 */
public final class Assessor {
    /*
     * Re-assessing after a catalog change reads the catalog through a CatalogCache: every machine
     * of an image needs the same image, baseline, update list and class hashes, and reading them
     * once per machine was most of the cost of re-assessing a fleet. The cache is checked against
     * the catalog generation inside each batch's transaction, after its machines are claimed, so
     * it is never older than what that transaction would read. Other assessments (check-in,
     * Assess now, command results) read the catalog afresh.
     *
     * The drain works a batch at a time: one statement claims the batch, one reads the machines'
     * rows, and machines with the same result share one UPDATE (and one machine_baselines insert).
     * Statements per machine, not rows written, were what a re-assessed machine cost once the
     * report had left the machine row (25,000 machines: 10.3 s one by one, 1.2 s by batch).
     */
    private static final TypeReference<List<MissingUpdate>> LIST = new TypeReference<>() {
    };

    private final Database db;
    private final Catalog catalog;
    private final Machines machines;
    private final BaselineMatcher matcher;
    private final Clock clock;
    private volatile CatalogCache drainCache = CatalogCache.NONE;
    private final AtomicInteger draining = new AtomicInteger();
    /**
     * Machines re-assessed per transaction when draining: fewer round trips and commits against a
     * short hold of SQLite's write lock (a batch of machines of one code is one claim, one read and
     * about two writes; 100 hold it a few milliseconds).
     */
    private static final int BATCH = 100;
    /**
     * Connections one drain uses at once on PostgreSQL, where its pace is one connection's round
     * trips and claims skip each other's rows (SQLite has one writer: one connection).
     */
    private static final int POSTGRESQL_DRAINERS = 3;
    /**
     * How long an interrupted drain waits for its workers to finish the batch in hand: a batch takes
     * milliseconds, and the server that interrupts it closes the database right after.
     */
    private static final long WORKER_STOP_SECONDS = 5;

    public Assessor(Database db, Catalog catalog, Machines machines, Clock clock) {
        this.db = db;
        this.catalog = catalog;
        this.machines = machines;
        this.matcher = new BaselineMatcher(catalog);
        this.clock = clock;
    }

    /** Assesses one machine now, in its own transaction. */
    public Assessment assess(String machineRef) {
        return db.tx(h -> assess(h, machines.get(h, machineRef).id()));
    }

    /**
     * Marks the machines of {@code imageId} (and those matching no image yet, which may match now)
     * for re-assessment, in the caller's transaction: the catalog change and the mark commit together.
     * Every catalog change that can alter an assessment must call this (it also starts a new
     * {@linkplain CatalogCache catalog generation}).
     */
    public void markStale(Handle h, String imageId) {
        h.createUpdate("INSERT INTO stale_machines (machine_id) SELECT id FROM machines WHERE image_id = :i OR image_id IS NULL"
                + " ON CONFLICT (machine_id) DO NOTHING").bind("i", imageId).execute();
        CatalogCache.catalogChanged(h);
    }

    /**
     * Re-assesses machines marked stale until none are left or {@code budget} has passed; returns
     * how many it assessed. Each machine is claimed with a conditional update, so replicas draining
     * at the same time share the work; on PostgreSQL one drain also works on {@value
     * #POSTGRESQL_DRAINERS} connections at once.
     *
     * <p>An interrupt (the server stopping) ends it between batches: the batches in hand commit, the
     * rest stay marked stale for the next drain, and it returns only once its workers have stopped,
     * so that the caller can close the database.
     */
    public int drainStale(Duration budget) {
        draining.incrementAndGet();
        try {
            int workers = db.engine() == Database.Engine.POSTGRESQL ? POSTGRESQL_DRAINERS : 1;
            if (workers == 1) {
                return drain(budget);
            }
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(workers - 1, r -> {
                Thread t = new Thread(r, "hotpatch-drain");
                t.setDaemon(true);
                return t;
            });
            try {
                List<java.util.concurrent.Future<Integer>> others = new ArrayList<>();
                for (int i = 1; i < workers; i++) {
                    others.add(pool.submit(() -> drain(budget)));
                }
                int n = drain(budget);
                for (java.util.concurrent.Future<Integer> f : others) {
                    n += joined(f);
                }
                return n;
            } finally {
                pool.shutdownNow();
                awaitWorkers(pool);
            }
        } finally {
            draining.decrementAndGet();
        }
    }

    /** Waits for the workers to finish the batch in hand, keeping the caller's interrupt for it to see. */
    private static void awaitWorkers(java.util.concurrent.ExecutorService pool) {
        boolean interrupted = Thread.interrupted();
        try {
            pool.awaitTermination(WORKER_STOP_SECONDS, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            interrupted = true;
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static int joined(java.util.concurrent.Future<Integer> f) {
        try {
            return f.get();
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while re-assessing", e);
        }
    }

    /**
     * Like {@link #drainStale}, unless this server is draining already (after a publish): then the
     * running drain finishes the job, and a second one would only compete with it for the same
     * machines. Returns how many it assessed.
     */
    public int drainStaleUnlessDraining(Duration budget) {
        return draining.get() > 0 ? 0 : drainStale(budget);
    }

    private int drain(Duration budget) {
        long end = System.nanoTime() + budget.toNanos();
        int n = 0;
        while (System.nanoTime() < end && !Thread.currentThread().isInterrupted()) {
            int claimed = db.tx(this::reassessNext);
            if (claimed == 0) {
                break;
            }
            n += claimed;
        }
        return n;
    }

    /**
     * Claims up to {@value #BATCH} stale machines (one statement; on PostgreSQL rows another
     * replica is claiming are skipped, not waited for, so replicas draining at once take different
     * machines) and re-assesses them in the caller's transaction; returns how many it claimed: 0
     * when none is left to claim. Machines with the same outcome and the same last good baseline are
     * stored by one statement.
     */
    private int reassessNext(Handle h) {
        List<String> claimed = h.createQuery("DELETE FROM stale_machines WHERE machine_id IN (SELECT machine_id FROM stale_machines"
                        + " ORDER BY machine_id LIMIT :n" + (db.engine() == Database.Engine.POSTGRESQL ? " FOR UPDATE SKIP LOCKED" : "")
                        + ") RETURNING machine_id")
                .bind("n", BATCH).mapTo(String.class).list();
        if (claimed.isEmpty()) {
            return 0;
        }
        // After the claim: a catalog change committed before it is seen (see CatalogCache).
        CatalogCache c = drainCache.current(h);
        drainCache = c;
        long now = clock.millis();
        // Outcome (by identity: one per code digest and generation) -> last good baseline -> machines.
        Map<Outcome, Map<String, List<String>>> groups = new IdentityHashMap<>();
        for (Before b : before(h, claimed)) {
            // Machines of one code share one outcome: no report is parsed twice.
            Outcome o = b.codeDigest() == null ? outcome(h, machines.report(h, b.id()), c)
                    : c.get("outcome", b.codeDigest(), () -> outcome(h, machines.report(h, b.id()), c));
            groups.computeIfAbsent(o, k -> new HashMap<>()).computeIfAbsent(lastGood(b, o), k -> new ArrayList<>()).add(b.id());
        }
        groups.forEach((o, byLastGood) -> byLastGood.forEach((lastGood, ids) -> {
            store(h, o, lastGood, now, ids);
            // A catalog change is not a sighting: a baseline the machine is known on keeps its last-seen time.
            recordBaseline(h, o, now, ids, false);
        }));
        return claimed.size();
    }

    /** Assesses machine {@code machineId} in the caller's transaction and stores the result. */
    public Assessment assess(Handle h, String machineId) {
        List<Before> found = before(h, List.of(machineId));
        if (found.isEmpty()) {
            throw new IllegalStateException("machine " + machineId + " is not in the machines table");
        }
        Before before = found.get(0);
        Outcome o = outcome(h, machines.report(h, machineId), CatalogCache.NONE);
        Instant now = clock.instant();
        List<String> ids = List.of(machineId);
        store(h, o, lastGood(before, o), now.toEpochMilli(), ids);
        // Assessed afresh (check-in, Assess now, a command result): no longer owed a re-assessment.
        h.createUpdate("DELETE FROM stale_machines WHERE machine_id = :id").bind("id", machineId).execute();
        recordBaseline(h, o, now.toEpochMilli(), ids, true);
        Baseline baseline = o.baseline();
        Image image = o.image();
        return new Assessment(machineId, before.name(), o.status(), o.reason(), now, image == null ? null : image.name(),
                baseline == null ? null : baseline.id(), baseline == null ? null : baseline.version(),
                image == null ? null : image.currentBaselineId(), o.counts(), o.missing());
    }

    /** What assessment needs of a machine's row. */
    private record Before(String id, String name, String baselineId, String lastGood, String codeDigest) {
    }

    private static List<Before> before(Handle h, List<String> ids) {
        return h.createQuery("SELECT id, name, baseline_id, last_good_baseline, code_digest FROM machines WHERE id IN (<ids>)")
                .bindList("ids", ids)
                .map((rs, ctx) -> new Before(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5)))
                .list();
    }

    /** The machine's last known good baseline after this assessment: the one it ran before, if it moved off it. */
    private static String lastGood(Before before, Outcome o) {
        Baseline baseline = o.baseline();
        return baseline != null && before.baselineId() != null && !before.baselineId().equals(baseline.id()) ? before.baselineId()
                : before.lastGood();
    }

    /**
     * What a machine's assessment works out from its report and the catalog: the same for every
     * machine with the same code digest (code, hotpatches, updates, image, the config that matters,
     * a pending restart) against the same catalog.
     */
    private record Outcome(BaselineMatcher.Match match, Image image, Baseline baseline, String status, String reason,
                           List<MissingUpdate> missing, String missingJson, Machine.Missing counts) {
    }

    /** Stores outcome {@code o} on the machine rows {@code ids}, which share last good baseline {@code lastGood}. */
    private static void store(Handle h, Outcome o, String lastGood, long now, List<String> ids) {
        BaselineMatcher.Match match = o.match();
        Machine.Missing counts = o.counts();
        h.createUpdate("UPDATE machines SET image_id = :img, baseline_id = :b, last_good_baseline = :lg, match_detail = :md, status = :s,"
                        + " status_reason = :sr, assessed_at = :t, missing_total = :mt, missing_critical = :mc, missing_security = :ms,"
                        + " missing_other = :mo, missing_updates = :mu WHERE id IN (<ids>)")
                .bind("img", match.imageId()).bind("b", match.baselineId()).bind("lg", lastGood)
                .bind("md", match.matched() ? match.detail() : match.refusal()).bind("s", o.status()).bind("sr", o.reason())
                .bind("t", now).bind("mt", counts.total()).bind("mc", counts.critical()).bind("ms", counts.security())
                .bind("mo", counts.other()).bind("mu", o.missingJson()).bindList("ids", ids)
                .execute();
    }

    /**
     * Records that machines {@code ids} run the outcome's baseline ({@code machine_baselines}, the
     * source of "first seen on"): a new row for a baseline new to the machine; an existing row's
     * last-seen time moves only when {@code seen} (the assessment of a report, not of a catalog change).
     */
    private static void recordBaseline(Handle h, Outcome o, long now, List<String> ids, boolean seen) {
        if (o.baseline() == null) {
            return;
        }
        // The WHERE lets SQLite parse ON CONFLICT after a SELECT.
        h.createUpdate("INSERT INTO machine_baselines (machine_id, baseline_id, first_seen_at, last_seen_at) SELECT id, :b, :t, :t"
                        + " FROM machines WHERE id IN (<ids>) ON CONFLICT (machine_id, baseline_id)"
                        + (seen ? " DO UPDATE SET last_seen_at = excluded.last_seen_at" : " DO NOTHING"))
                .bind("b", o.baseline().id()).bind("t", now).bindList("ids", ids).execute();
    }

    private Outcome outcome(Handle h, MachineReport r, CatalogCache cache) {
        BaselineMatcher.Match match = matcher.match(h, r, cache);
        Image image = match.imageId() == null ? null
                : cache.get("image", match.imageId(), () -> catalog.findImage(h, match.imageId())).orElse(null);
        Baseline baseline = match.matched() ? cache.get("baseline", match.baselineId(), () -> catalog.baseline(h, match.baselineId())) : null;
        MachineReport.Config cfg = r.configOrEmpty();
        boolean enabled = cfg.hotpatch() != null ? cfg.hotpatch() : image == null || image.hotpatchEnabledByDefault();

        String status;
        String reason = null;
        if ("uniform".equalsIgnoreCase(cfg.groupOrchestration())) {
            status = Assessment.NOT_SUPPORTED;
            reason = "machine group '" + (cfg.group() == null ? "?" : cfg.group()) + "' uses uniform orchestration; hotpatch is not"
                    + " supported for uniform groups (declare the group flexible)";
        } else if (!match.matched()) {
            status = Assessment.NOT_SUPPORTED;
            reason = match.refusal();
        } else if (!image.hotpatchSupported()) {
            status = Assessment.NOT_SUPPORTED;
            reason = "image " + image.name() + " is not hotpatch-supported";
        } else if (!enabled) {
            status = Assessment.DISABLED;
            reason = "hotpatch is turned off for this machine" + (cfg.hotpatch() == null ? " (image default)" : " (node config)");
        } else if (r.restartPending() != null) {
            status = Assessment.ACTION_REQUIRED;
            reason = "restart pending: " + (r.restartPending().reason() == null || r.restartPending().reason().isBlank()
                    ? "the JVM's code on disk changed after it was loaded" : r.restartPending().reason())
                    + "; hotpatches are offered again once the JVM runs the code on disk";
        } else if (!baseline.id().equals(image.currentBaselineId())) {
            status = Assessment.ACTION_REQUIRED;
            reason = "baseline restart owed: the machine runs baseline " + baseline.version() + ", but the current baseline of "
                    + image.name() + " is " + image.currentBaselineVersion() + "; newer hotpatches are offered only after it restarts on "
                    + image.currentBaselineVersion();
        } else {
            status = Assessment.ENABLED;
        }

        List<MissingUpdate> missing = new ArrayList<>();
        if (baseline != null) {
            boolean live = Assessment.ENABLED.equals(status) || Assessment.ACTION_REQUIRED.equals(status);
            if (!baseline.id().equals(image.currentBaselineId()) && image.currentBaselineId() != null) {
                Baseline current = cache.get("baseline", image.currentBaselineId(), () -> catalog.baseline(h, image.currentBaselineId()));
                missing.add(new MissingUpdate(current.title(), current.classification(), current.kbId() == null ? current.id() : current.kbId(),
                        current.rebootBehavior(), current.releasedOn().atStartOfDay().toInstant(ZoneOffset.UTC), "baseline", current.id()));
            }
            Set<String> installed = new HashSet<>(r.installedUpdatesOrEmpty());
            r.hotpatchesOrEmpty().forEach(hp -> installed.add(hp.id()));
            List<Update> updates = cache.get("updates", baseline.id(), () -> catalog.updatesFor(h, baseline.id()));
            Set<String> superseded = new HashSet<>();
            for (Update u : updates) {
                superseded.addAll(u.supersedes());
            }
            for (Update u : updates) {
                if (installed.contains(u.kbId()) || superseded.contains(u.kbId()) || (u.isHotpatch() && (!live || r.restartPending() != null))) {
                    continue;
                }
                missing.add(new MissingUpdate(u.title(), u.classification(), u.kbId(), u.rebootBehavior(), u.publishedAt(), u.kind(),
                        u.baselineId()));
            }
        }
        int critical = 0;
        int security = 0;
        for (MissingUpdate m : missing) {
            if ("Critical".equals(m.classification())) {
                critical++;
            } else if ("Security".equals(m.classification())) {
                security++;
            }
        }
        Machine.Missing counts = new Machine.Missing(missing.size(), critical, security, missing.size() - critical - security);
        return new Outcome(match, image, baseline, status, reason, List.copyOf(missing), Json.write(missing), counts);
    }

    /** The stored result of the last assessment (PendingEvaluation before the first). */
    public Assessment last(String machineRef) {
        return db.read(h -> {
            Machine m = machines.get(h, machineRef);
            String json = h.createQuery("SELECT missing_updates FROM machines WHERE id = :id").bind("id", m.id()).mapTo(String.class).one();
            String current = m.imageId() == null ? null : catalog.findImage(h, m.imageId()).map(Image::currentBaselineId).orElse(null);
            return new Assessment(m.id(), m.name(), m.status(), m.statusReason(), m.lastAssessedAt(), m.image(), m.baselineId(),
                    m.baselineVersion(), current, m.missing(), Json.read(json, LIST));
        });
    }
}
