package dev.hotpatch.server.rollout;

import dev.hotpatch.server.approval.Approvals;
import dev.hotpatch.server.catalog.Catalog;
import dev.hotpatch.server.catalog.Image;
import dev.hotpatch.server.history.History;
import dev.hotpatch.server.install.Operations;
import dev.hotpatch.server.machine.Machines;
import dev.hotpatch.server.machine.Planning;
import dev.hotpatch.server.policy.Policies;
import dev.hotpatch.server.policy.PolicySettings;
import dev.hotpatch.server.quarantine.Quarantines;
import dev.hotpatch.server.store.Database;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.jdbi.v3.core.Handle;

/**
 * Automatic patching, one run at a time (the server runs it periodically under a lease, so one
 * replica at a time does it): records the quarantines agents report and halts the rollouts of
 * the quarantined updates; starts the rollouts the approval rules call for, ring by ring (and
 * opens rings whose timed promotion is due); then advances every unfinished rollout. Each part
 * is safe to run twice or on two replicas at once: everything it decides is re-read from the
 * database and written with conditional statements. Thread-safe.
 */
public final class Automation {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Automation.class);
    /** Longest time between two looks at an image's candidates even when nothing seems to have changed. */
    private static final Duration RESCAN = Duration.ofMinutes(10);
    /**
     * Longest time planning waits for an image's machines owed a re-assessment (after a publish):
     * beyond it, something keeps a machine stale, and planning from its last assessment is better
     * than never patching automatically.
     */
    private static final Duration REASSESSMENT_WAIT = Duration.ofMinutes(2);

    private final Database db;
    private final Clock clock;
    private final Catalog catalog;
    private final Operations operations;
    private final Policies policies;
    private final Quarantines quarantines;
    private final Approvals approvals;
    private final Rollouts rollouts;
    private final Engine engine;
    /** Per image: what the candidates were last planned against, to skip planning when nothing changed (a cache only). */
    private final Map<String, Planned> planned = new ConcurrentHashMap<>();
    /** Whether every machine had planning facts at the last look (machines recorded since get them with their report). */
    private volatile boolean factsComplete;

    /** Per image: since when planning has waited for its stale machines (see {@link #REASSESSMENT_WAIT}). */
    private final Map<String, Instant> waitingSince = new ConcurrentHashMap<>();

    private record Planned(String fingerprint, Instant at, Instant nextDue) {
    }

    public Automation(Database db, Clock clock, Catalog catalog, Machines machines, Operations operations, History history, Policies policies,
                      Quarantines quarantines, Approvals approvals) {
        this(db, clock, catalog, machines, operations, history, policies, quarantines, approvals, Rollouts.MEMBERS_PER_TX);
    }

    /** @param membersPerTx machines a rollout stores per transaction (see {@link Rollouts#store}; tests lower it) */
    Automation(Database db, Clock clock, Catalog catalog, Machines machines, Operations operations, History history, Policies policies,
               Quarantines quarantines, Approvals approvals, int membersPerTx) {
        this.db = db;
        this.clock = clock;
        this.catalog = catalog;
        this.operations = operations;
        this.policies = policies;
        this.quarantines = quarantines;
        this.approvals = approvals;
        this.rollouts = new Rollouts(db, clock, catalog, policies, quarantines, membersPerTx);
        this.engine = new Engine(db, clock, machines, catalog, operations, policies, history);
    }

    public Rollouts rollouts() {
        return rollouts;
    }

    /** What one run did. */
    public record Run(int quarantined, int started, int steps) {
    }

    /** One run of automatic patching. */
    public Run run() {
        operations.expireOverdue();
        int quarantined = db.tx(h -> {
            int n = 0;
            for (Quarantines.Quarantine q : quarantines.scan(h)) {
                n++;
                engine.haltFor(h, q.imageId(), q.kbId(), "update " + q.kbId() + " was quarantined by the agent of " + q.machine() + ": "
                        + q.reason(), clock.instant());
            }
            return n;
        });
        rollouts.discardAbandoned();
        if (!factsComplete) {
            // Machines recorded before the planning facts get them once, in small transactions, outside planning's.
            factsComplete = Planning.backfill(db) == 0;
        }
        int started = 0;
        for (Image image : catalog.images()) {
            try {
                started += plan(image);
            } catch (RuntimeException e) {
                // One image's trouble must not stop the others; the next run tries again.
                LOG.warn("automatic rollouts of image {} not planned: {}", image.name(), e.toString());
            }
        }
        int steps = engine.advanceAll();
        return new Run(quarantined, started, steps);
    }

    /** Advances one rollout now (after an operator's resume, for instance). */
    public int advance(String rolloutId) {
        return engine.advance(rolloutId);
    }

    /**
     * Starts the automatic rollouts the image's approval rules and rings call for; returns how many
     * started. Each decision (is the update approved, is the next ring open) is its own short write
     * transaction, and a rollout is planned from committed state without the write lock and
     * stored in parts (see {@link Rollouts#store}): on SQLite, a whole fleet's rollout must not
     * keep check-ins and the re-assessment from the database for seconds. A ring is looked at only
     * after the rollout of the ring before it was stored, so rings still go one after another.
     */
    private int plan(Image image) {
        if (image.currentBaselineId() == null) {
            return 0;
        }
        Instant now = clock.instant();
        // After a publish every machine of the image is owed a re-assessment: plan once they have it, from their new status, and
        // leave the database (SQLite's single writer above all) to the re-assessment meanwhile instead of competing with it.
        if (db.read(h -> h.createQuery("SELECT COUNT(*) FROM (SELECT 1 FROM stale_machines s JOIN machines m ON m.id = s.machine_id"
                + " WHERE m.image_id = :i LIMIT 1) x").bind("i", image.id()).mapTo(Integer.class).one()) > 0) {
            Instant since = waitingSince.computeIfAbsent(image.id(), k -> now);
            if (now.isBefore(since.plus(REASSESSMENT_WAIT))) {
                return 0;
            }
            if (!since.equals(Instant.MIN)) {
                LOG.warn("image {}: machines still owed a re-assessment {} after planning began waiting for them; planning from their"
                        + " last assessment until none is", image.name(), Duration.between(since, now));
                waitingSince.put(image.id(), Instant.MIN); // said once
            }
        } else {
            waitingSince.remove(image.id());
        }
        String fp = db.read(h -> fingerprint(h, image.id()));
        Planned last = planned.get(image.id());
        if (last != null && last.fingerprint().equals(fp) && now.isBefore(last.at().plus(RESCAN))
                && (last.nextDue() == null || now.isBefore(last.nextDue()))) {
            return 0;
        }
        Instant[] nextDue = {null};
        PolicySettings p = db.read(h -> policies.forImage(h, image.id()));
        int started = 0;
        for (Approvals.Candidate c : db.read(h -> approvals.candidates(h, image, p, true))) {
            List<String> rings = p.rings().isEmpty() ? java.util.Collections.singletonList(null) : p.rings();
            boolean approved = db.tx(h -> {
                if (approvals.reasonNot(h, image, c, p, now) != null) {
                    Instant from = c.publishedAt().plus(Duration.ofHours(p.delayHours()));
                    if (from.isAfter(now)) {
                        nextDue[0] = min(nextDue[0], from);
                    }
                    return false;
                }
                approvals.openRing(h, image.id(), c.target(), rings.get(0), "policy", "policy", now);
                return true;
            });
            if (!approved) {
                continue;
            }
            for (int i = 0; i < rings.size(); i++) {
                int ringIndex = i;
                boolean open = db.tx(h -> ringOpen(h, image, c, rings, ringIndex, p, now, nextDue));
                if (!open) {
                    break;
                }
                started += maybeStart(image, c, rings.get(i), p);
            }
        }
        planned.put(image.id(), new Planned(db.read(h -> fingerprint(h, image.id())), now, nextDue[0]));
        return started;
    }

    /** Whether ring {@code i} of the candidate's rings is open, opening it when its timed promotion is due. */
    private boolean ringOpen(Handle h, Image image, Approvals.Candidate c, List<String> rings, int i, PolicySettings p, Instant now,
                             Instant[] nextDue) {
        String ring = rings.get(i);
        if (approvals.ringApprovedAt(h, image.id(), c.target(), ring).isPresent()) {
            return true;
        }
        Optional<Instant> due = i > 0 && p.promoteAfterHours() != null
                ? doneAt(h, image.id(), c.target(), rings.get(i - 1)).map(t -> t.plus(Duration.ofHours(p.promoteAfterHours())))
                : Optional.empty();
        if (due.isEmpty()) {
            return false;
        }
        if (due.get().isAfter(now)) {
            nextDue[0] = min(nextDue[0], due.get());
            return false;
        }
        approvals.openRing(h, image.id(), c.target(), ring, "policy", "timed", now);
        return true;
    }

    /** Thrown by the guard of an automatic rollout that another one (another replica's, say) made unneeded while it was planned. */
    private static final class Overtaken extends RuntimeException {
        Overtaken() {
            super(null, null, false, false);
        }
    }

    private int maybeStart(Image image, Approvals.Candidate c, String ring, PolicySettings p) {
        if (db.read(h -> blocking(h, image.id(), c.target(), ring, null)) > 0) {
            return 0;
        }
        Targets.Target t = "hotpatch".equals(c.kind())
                ? new Targets.Target(Rollout.HOTPATCH, c.target(), image.id(), c.update().baselineId(), c.update(), c.label())
                : new Targets.Target(Rollout.BASELINE, c.target(), image.id(), c.target(), null, Targets.baselineLabel(c.baseline()));
        long t0 = System.nanoTime();
        Targets.Result r = db.read(h -> rollouts.targets().candidates(h, t, new Targets.Filter(true, ring, null, null), policies.resolver(h)));
        if (r.included().isEmpty()) {
            return 0;
        }
        long t1 = System.nanoTime();
        String id;
        try {
            id = rollouts.store(t, r, Rollout.AUTOMATIC, ring, false, p, "automation", (h, self) -> {
                if (blocking(h, image.id(), c.target(), ring, self) > 0 || quarantines.active(h, image.id(), c.target()).isPresent()) {
                    throw new Overtaken();
                }
            });
        } catch (Overtaken e) {
            return 0;
        }
        LOG.info("automatic rollout {} of {} {}{} started: {} machine(s) (planned in {} ms, stored in {} ms)", id, t.kind(), t.label(),
                ring == null ? "" : " (ring " + ring + ")", r.included().size(), (t1 - t0) / 1_000_000, (System.nanoTime() - t1) / 1_000_000);
        return 1;
    }

    /** Rollouts (other than {@code self}) that keep the automation from starting another of {@code target} in the ring. */
    private static int blocking(Handle h, String imageId, String target, String ring, String self) {
        return h.createQuery("SELECT COUNT(*) FROM rollouts WHERE image_id = :i AND target = :t AND COALESCE(ring, '') = :r AND id <> :self"
                        + " AND (state IN ('running', 'halted', 'preparing') OR (state = 'canceled' AND origin = 'automatic'))")
                .bind("i", imageId).bind("t", target).bind("r", ring == null ? "" : ring).bind("self", self == null ? "" : self)
                .mapTo(Integer.class).one();
    }

    /** When the ring's rollouts of {@code target} finished (the last completed one, or the ring's opening when it needed none); empty while one runs, halted or canceled. */
    private Optional<Instant> doneAt(Handle h, String imageId, String target, String ring) {
        String r = ring == null ? "" : ring;
        if (blocking(h, imageId, target, ring, null) > 0) {
            return Optional.empty();
        }
        Optional<Long> completed = h.createQuery("SELECT MAX(completed_at) FROM rollouts WHERE image_id = :i AND target = :t"
                        + " AND COALESCE(ring, '') = :r AND state = 'completed'")
                .bind("i", imageId).bind("t", target).bind("r", r).mapTo(Long.class).findOne();
        if (completed.isPresent() && completed.get() != null) {
            return Optional.of(Instant.ofEpochMilli(completed.get()));
        }
        return approvals.ringApprovedAt(h, imageId, target, ring);
    }

    /** Changes that can alter what the image's automatic rollouts should be (a digest of the rows that matter). */
    private static String fingerprint(Handle h, String imageId) {
        // Rows go into the digest as they are read: at 75,000 machines a string of them all would be ~7 MB every run.
        java.security.MessageDigest d;
        try {
            d = java.security.MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("this Java runtime has no SHA-256", e);
        }
        // The machines' code (hotpatches included), status and baseline; not the assessment time, which periodic assessments move.
        for (String sql : List.of(
                "SELECT id || '/' || code_digest || '/' || status || '/' || COALESCE(baseline_id, '') FROM machines WHERE image_id = :i ORDER BY id",
                "SELECT scope || '/' || ref || '/' || document FROM policies ORDER BY scope, ref",
                "SELECT COUNT(*) || '/' || COALESCE(MAX(completed_at), 0) FROM rollouts WHERE image_id = :i",
                "SELECT id || '/' || state || '/' || current_wave FROM rollouts WHERE image_id = :i AND state IN ('running', 'halted', 'preparing') ORDER BY id",
                "SELECT COUNT(*) FROM ring_approvals WHERE image_id = :i",
                "SELECT COUNT(*) || '/' || COALESCE(MAX(created_at), 0) FROM updates WHERE image_id = :i",
                "SELECT COUNT(*) || '/' || COALESCE(MAX(created_at), 0) FROM baselines WHERE image_id = :i",
                "SELECT id || '/' || state FROM quarantines WHERE image_id = :i ORDER BY id")) {
            var q = h.createQuery(sql);
            if (sql.contains(":i")) {
                q.bind("i", imageId);
            }
            q.mapTo(String.class).forEach(row -> d.update((row + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            d.update((byte) ';');
        }
        return java.util.HexFormat.of().formatHex(d.digest());
    }

    private static Instant min(Instant a, Instant b) {
        return a == null ? b : b == null ? a : a.isBefore(b) ? a : b;
    }
}
