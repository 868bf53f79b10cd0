package dev.hotpatch.server.assessment;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.hotpatch.server.catalog.Baseline;
import dev.hotpatch.server.catalog.Catalog;
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
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jdbi.v3.core.Handle;

/**
 * Works out each machine's hotpatch status and missing updates from its last report and the
 * catalog, and stores the result on the machine row. A machine on an older baseline than its
 * image's current one is {@code ActionRequired} (a baseline restart is owed) and is offered that
 * baseline and its own baseline's updates, never newer hotpatches. Superseded updates are not
 * offered. Thread-safe.
 */
public final class Assessor {
    private static final TypeReference<List<MissingUpdate>> LIST = new TypeReference<>() {
    };

    private final Database db;
    private final Catalog catalog;
    private final Machines machines;
    private final BaselineMatcher matcher;
    private final Clock clock;

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
     */
    public void markStale(Handle h, String imageId) {
        h.createUpdate("UPDATE machines SET stale = TRUE WHERE image_id = :i OR image_id IS NULL").bind("i", imageId).execute();
    }

    /**
     * Re-assesses machines marked stale until none are left or {@code budget} has passed; returns
     * how many it assessed. Each machine is claimed with a conditional update, so replicas draining
     * at the same time share the work.
     */
    public int drainStale(Duration budget) {
        long end = System.nanoTime() + budget.toNanos();
        int n = 0;
        while (System.nanoTime() < end) {
            List<String> ids = db.read(h -> h.createQuery("SELECT id FROM machines WHERE stale = TRUE ORDER BY id LIMIT 200")
                    .mapTo(String.class).list());
            if (ids.isEmpty()) {
                break;
            }
            for (String id : ids) {
                if (System.nanoTime() >= end) {
                    return n;
                }
                boolean done = db.tx(h -> {
                    if (h.createUpdate("UPDATE machines SET stale = FALSE WHERE id = :id AND stale = TRUE").bind("id", id).execute() != 1) {
                        return false;
                    }
                    assess(h, id);
                    return true;
                });
                n += done ? 1 : 0;
            }
        }
        return n;
    }

    /** Assesses machine {@code machineId} in the caller's transaction and stores the result. */
    public Assessment assess(Handle h, String machineId) {
        Instant now = clock.instant();
        MachineReport r = machines.report(h, machineId);
        Machine before = machines.get(h, machineId);
        BaselineMatcher.Match match = matcher.match(h, r);
        Image image = match.imageId() == null ? null : catalog.findImage(h, match.imageId()).orElse(null);
        Baseline baseline = match.matched() ? catalog.baseline(h, match.baselineId()) : null;
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
                Baseline current = catalog.baseline(h, image.currentBaselineId());
                missing.add(new MissingUpdate(current.title(), current.classification(), current.kbId() == null ? current.id() : current.kbId(),
                        current.rebootBehavior(), current.releasedOn().atStartOfDay().toInstant(ZoneOffset.UTC), "baseline", current.id()));
            }
            Set<String> installed = new HashSet<>(r.installedUpdatesOrEmpty());
            r.hotpatchesOrEmpty().forEach(hp -> installed.add(hp.id()));
            List<Update> updates = catalog.updatesFor(h, baseline.id());
            Set<String> superseded = new HashSet<>();
            for (Update u : updates) {
                superseded.addAll(u.supersedes());
            }
            for (Update u : updates) {
                if (installed.contains(u.kbId()) || superseded.contains(u.kbId()) || (u.isHotpatch() && !live)) {
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
        String lastGood = h.createQuery("SELECT last_good_baseline FROM machines WHERE id = :id").bind("id", machineId)
                .mapTo(String.class).findOne().orElse(null);
        if (baseline != null && before.baselineId() != null && !before.baselineId().equals(baseline.id())) {
            lastGood = before.baselineId();
        }
        h.createUpdate("UPDATE machines SET image_id = :img, baseline_id = :b, last_good_baseline = :lg, match_detail = :md, status = :s,"
                        + " status_reason = :sr, assessed_at = :t, missing_total = :mt, missing_critical = :mc, missing_security = :ms,"
                        + " missing_other = :mo, missing_updates = :mu, stale = FALSE WHERE id = :id")
                .bind("img", match.imageId()).bind("b", match.baselineId()).bind("lg", lastGood)
                .bind("md", match.matched() ? match.detail() : match.refusal()).bind("s", status).bind("sr", reason)
                .bind("t", now.toEpochMilli()).bind("mt", counts.total()).bind("mc", counts.critical()).bind("ms", counts.security())
                .bind("mo", counts.other()).bind("mu", Json.write(missing)).bind("id", machineId)
                .execute();
        if (baseline != null) {
            h.createUpdate("INSERT INTO machine_baselines (machine_id, baseline_id, first_seen_at, last_seen_at) VALUES (:m, :b, :t, :t)"
                            + " ON CONFLICT (machine_id, baseline_id) DO UPDATE SET last_seen_at = excluded.last_seen_at")
                    .bind("m", machineId).bind("b", baseline.id()).bind("t", now.toEpochMilli()).execute();
        }
        return new Assessment(machineId, before.name(), status, reason, now, image == null ? null : image.name(),
                baseline == null ? null : baseline.id(), baseline == null ? null : baseline.version(),
                image == null ? null : image.currentBaselineId(), counts, missing);
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
