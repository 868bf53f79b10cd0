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

    private record Planned(String fingerprint, Instant at, Instant nextDue) {
    }

    public Automation(Database db, Clock clock, Catalog catalog, Machines machines, Operations operations, History history, Policies policies,
                      Quarantines quarantines, Approvals approvals) {
        this.db = db;
        this.clock = clock;
        this.catalog = catalog;
        this.operations = operations;
        this.policies = policies;
        this.quarantines = quarantines;
        this.approvals = approvals;
        this.rollouts = new Rollouts(db, clock, catalog, policies, quarantines);
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

    /** Starts the automatic rollouts the image's approval rules and rings call for; returns how many started. */
    private int plan(Image image) {
        if (image.currentBaselineId() == null) {
            return 0;
        }
        Instant now = clock.instant();
        String fp = db.read(h -> fingerprint(h, image.id()));
        Planned last = planned.get(image.id());
        if (last != null && last.fingerprint().equals(fp) && now.isBefore(last.at().plus(RESCAN))
                && (last.nextDue() == null || now.isBefore(last.nextDue()))) {
            return 0;
        }
        Instant[] nextDue = {null};
        int started = db.tx(h -> {
            PolicySettings p = policies.forImage(h, image.id());
            Policies.Resolver resolver = policies.resolver(h);
            int n = 0;
            for (Approvals.Candidate c : approvals.candidates(h, image, p, true)) {
                if (approvals.reasonNot(h, image, c, p, now) != null) {
                    Instant from = c.publishedAt().plus(Duration.ofHours(p.delayHours()));
                    if (from.isAfter(now)) {
                        nextDue[0] = min(nextDue[0], from);
                    }
                    continue;
                }
                List<String> rings = p.rings().isEmpty() ? java.util.Collections.singletonList(null) : p.rings();
                approvals.openRing(h, image.id(), c.target(), rings.get(0), "policy", "policy", now);
                for (int i = 0; i < rings.size(); i++) {
                    String ring = rings.get(i);
                    if (approvals.ringApprovedAt(h, image.id(), c.target(), ring).isEmpty()) {
                        Optional<Instant> due = i > 0 && p.promoteAfterHours() != null
                                ? doneAt(h, image.id(), c.target(), rings.get(i - 1)).map(t -> t.plus(Duration.ofHours(p.promoteAfterHours())))
                                : Optional.empty();
                        if (due.isEmpty()) {
                            break;
                        }
                        if (due.get().isAfter(now)) {
                            nextDue[0] = min(nextDue[0], due.get());
                            break;
                        }
                        approvals.openRing(h, image.id(), c.target(), ring, "policy", "timed", now);
                    }
                    n += maybeStart(h, image, c, ring, p, resolver);
                }
            }
            return n;
        });
        planned.put(image.id(), new Planned(db.read(h -> fingerprint(h, image.id())), now, nextDue[0]));
        return started;
    }

    private int maybeStart(Handle h, Image image, Approvals.Candidate c, String ring, PolicySettings p, Policies.Resolver resolver) {
        int blocking = h.createQuery("SELECT COUNT(*) FROM rollouts WHERE image_id = :i AND target = :t AND COALESCE(ring, '') = :r"
                        + " AND (state IN ('running', 'halted') OR (state = 'canceled' AND origin = 'automatic'))")
                .bind("i", image.id()).bind("t", c.target()).bind("r", ring == null ? "" : ring).mapTo(Integer.class).one();
        if (blocking > 0) {
            return 0;
        }
        Targets.Target t = "hotpatch".equals(c.kind())
                ? new Targets.Target(Rollout.HOTPATCH, c.target(), image.id(), c.update().baselineId(), c.update(), c.label())
                : new Targets.Target(Rollout.BASELINE, c.target(), image.id(), c.target(), null, Targets.baselineLabel(c.baseline()));
        Targets.Result r = rollouts.targets().candidates(h, t, new Targets.Filter(true, ring, null, null), resolver);
        if (r.included().isEmpty()) {
            return 0;
        }
        String id = rollouts.create(h, t, r, Rollout.AUTOMATIC, ring, false, p, "automation");
        LOG.info("automatic rollout {} of {} {}{} started: {} machine(s)", id, t.kind(), t.label(), ring == null ? "" : " (ring " + ring + ")",
                r.included().size());
        return 1;
    }

    /** When the ring's rollouts of {@code target} finished (the last completed one, or the ring's opening when it needed none); empty while one runs, halted or canceled. */
    private Optional<Instant> doneAt(Handle h, String imageId, String target, String ring) {
        String r = ring == null ? "" : ring;
        int open = h.createQuery("SELECT COUNT(*) FROM rollouts WHERE image_id = :i AND target = :t AND COALESCE(ring, '') = :r"
                        + " AND (state IN ('running', 'halted') OR (state = 'canceled' AND origin = 'automatic'))")
                .bind("i", imageId).bind("t", target).bind("r", r).mapTo(Integer.class).one();
        if (open > 0) {
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
        StringBuilder b = new StringBuilder();
        // The machines' code (hotpatches included), status and baseline; not the assessment time, which periodic assessments move.
        for (String sql : List.of(
                "SELECT id || '/' || code_digest || '/' || status || '/' || COALESCE(baseline_id, '') FROM machines WHERE image_id = :i ORDER BY id",
                "SELECT scope || '/' || ref || '/' || document FROM policies ORDER BY scope, ref",
                "SELECT COUNT(*) || '/' || COALESCE(MAX(completed_at), 0) FROM rollouts WHERE image_id = :i",
                "SELECT id || '/' || state || '/' || current_wave FROM rollouts WHERE image_id = :i AND state IN ('running', 'halted') ORDER BY id",
                "SELECT COUNT(*) FROM ring_approvals WHERE image_id = :i",
                "SELECT COUNT(*) || '/' || COALESCE(MAX(created_at), 0) FROM updates WHERE image_id = :i",
                "SELECT COUNT(*) || '/' || COALESCE(MAX(created_at), 0) FROM baselines WHERE image_id = :i",
                "SELECT id || '/' || state FROM quarantines WHERE image_id = :i ORDER BY id")) {
            var q = h.createQuery(sql);
            if (sql.contains(":i")) {
                q.bind("i", imageId);
            }
            q.mapTo(String.class).forEach(row -> b.append(row).append('\n'));
            b.append(';');
        }
        return dev.hotpatch.format.Sha256.hex(b.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private static Instant min(Instant a, Instant b) {
        return a == null ? b : b == null ? a : a.isBefore(b) ? a : b;
    }
}
