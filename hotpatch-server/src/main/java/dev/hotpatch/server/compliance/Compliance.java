package dev.hotpatch.server.compliance;

import dev.hotpatch.server.ServerException;
import dev.hotpatch.server.catalog.Catalog;
import dev.hotpatch.server.catalog.Image;
import dev.hotpatch.server.catalog.Update;
import dev.hotpatch.server.machine.MachineReport;
import dev.hotpatch.server.policy.Effective;
import dev.hotpatch.server.policy.Policies;
import dev.hotpatch.server.release.Cadence;
import dev.hotpatch.server.store.Database;
import dev.hotpatch.server.store.Json;
import dev.hotpatch.server.window.Window;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jdbi.v3.core.Handle;

/**
 * Compliance and exposure, per update and per CVE, over the machines present now. A machine is
 * fixed <em>in memory</em> when it runs the hotpatch (or one that supersedes it) live, fixed
 * <em>on disk</em> when it runs a baseline that includes the fix (released on or after the fix's
 * publish date, or naming the CVE) or has the restart update installed, and <em>exposed</em>
 * otherwise. Its exposure window runs from the fix's publish date to when it was fixed (the
 * agent's install time, or when the machine was first seen on that baseline), or to now while it
 * is exposed; the fleet's windows are given as percentiles. A machine fixed only in memory owes a
 * baseline restart: onto the newer baseline when one is out (due in its next maintenance window),
 * else onto the next planned baseline of the image's release calendar (due by the end of its
 * month). Computed on request from the database; thread-safe.
 */
public final class Compliance {
    public static final String MEMORY = "memory";
    public static final String DISK = "disk";
    public static final String EXPOSED = "exposed";

    private final Database db;
    private final Clock clock;
    private final Catalog catalog;
    private final Policies policies;

    public Compliance(Database db, Clock clock, Catalog catalog, Policies policies) {
        this.db = db;
        this.clock = clock;
        this.catalog = catalog;
        this.policies = policies;
    }

    /**
     * Exposure windows of a set of machines, in seconds: percentiles (nearest rank) over the
     * machines fixed (whose windows closed), and the machines still exposed with the longest of
     * their open windows. Null where there is nothing to measure.
     */
    public record Exposure(int closed, Long p50Seconds, Long p90Seconds, Long p99Seconds, Long maxSeconds, int open, Long longestOpenSeconds) {
    }

    /** One update's compliance over its image's machines. */
    public record UpdateCompliance(String kbId, String image, String kind, String title, String classification, String severity,
                                   List<String> cves, Instant publishedAt, int machines, int memory, int disk, int exposed, Exposure exposure) {
    }

    /** One CVE's compliance over the machines of every image that has a fix for it. */
    public record CveCompliance(String cve, List<String> images, List<String> fixes, Instant firstPublishedAt, int machines, int memory,
                                int disk, int exposed, Exposure exposure) {
    }

    /**
     * The baseline restart a machine fixed only in memory still owes.
     *
     * @param baselineId    the baseline it should restart on, when it is out; null while it is only planned
     * @param expectedMonth the month the next planned baseline is due, when none is out yet
     * @param dueBy         when: the machine's next maintenance window for a baseline that is out, the end of
     *                      the expected month otherwise
     */
    public record OwedRestart(String baselineId, String version, String expectedMonth, Instant dueBy, String note) {
    }

    /**
     * One machine's state for an update or a CVE.
     *
     * @param state           {@code memory}, {@code disk} or {@code exposed}
     * @param exposureSeconds from the fix's publish date to {@code fixedAt}, or to now while {@code open}; null when the fix time is unknown
     */
    public record MachineCompliance(String machineId, String machine, String image, String state, String fixedBy, Instant publishedAt,
                                    Instant fixedAt, Long exposureSeconds, boolean open, OwedRestart owedRestart) {
    }

    public record UpdatePage(List<UpdateCompliance> items, int total, int limit, int offset) {
    }

    public record CvePage(List<CveCompliance> items, int total, int limit, int offset) {
    }

    public record MachinePage(List<MachineCompliance> items, int total, int limit, int offset, Exposure exposure) {
    }

    // ---- views -------------------------------------------------------------------------------

    /** Per update (hotpatches and restart updates), newest first. */
    public UpdatePage updates(String imageRef, int limit, int offset) {
        return db.read(h -> {
            List<Update> all = new ArrayList<>(imageRef == null || imageRef.isBlank() ? catalog.updates(null, null) : catalog.updates(imageRef, null));
            int lim = page(limit);
            int off = Math.max(0, offset);
            List<UpdateCompliance> items = new ArrayList<>();
            Map<String, Fleet> fleets = new HashMap<>();
            for (Update u : all.subList(Math.min(off, all.size()), Math.min(all.size(), off + lim))) {
                Fleet f = fleets.computeIfAbsent(u.imageId(), id -> fleet(h, id));
                List<MachineCompliance> ms = evaluate(h, f, fixOf(f, u));
                Exposure e = exposure(ms);
                items.add(new UpdateCompliance(u.kbId(), u.image(), u.kind(), u.title(), u.classification(), u.severity(), u.cves(),
                        u.publishedAt(), ms.size(), count(ms, MEMORY), count(ms, DISK), count(ms, EXPOSED), e));
            }
            return new UpdatePage(items, all.size(), lim, off);
        });
    }

    /** Per machine, for one update. */
    public MachinePage updateMachines(String kb, String state, int limit, int offset) {
        return db.read(h -> {
            Update u = catalog.update(h, kb);
            Fleet f = fleet(h, u.imageId());
            return machinePage(evaluate(h, f, fixOf(f, u)), state, limit, offset);
        });
    }

    /** Per CVE, by id. */
    public CvePage cves(int limit, int offset) {
        return db.read(h -> {
            List<String> all = new ArrayList<>(allCves(h));
            int lim = page(limit);
            int off = Math.max(0, offset);
            List<CveCompliance> items = new ArrayList<>();
            for (String cve : all.subList(Math.min(off, all.size()), Math.min(all.size(), off + lim))) {
                items.add(cve(h, cve));
            }
            return new CvePage(items, all.size(), lim, off);
        });
    }

    /** Per machine, for one CVE. */
    public MachinePage cveMachines(String cve, String state, int limit, int offset) {
        return db.read(h -> machinePage(cveMachines(h, cve(cve)), state, limit, offset));
    }

    private CveCompliance cve(Handle h, String cve) {
        List<MachineCompliance> ms = cveMachines(h, cve);
        List<String> images = new ArrayList<>();
        List<String> fixes = new ArrayList<>();
        Instant first = null;
        for (String imageId : imagesWith(h, cve)) {
            Fleet f = fleet(h, imageId);
            Fix fix = fixOfCve(f, cve);
            images.add(f.image.name());
            fixes.addAll(fix.names);
            first = first == null || fix.published.isBefore(first) ? fix.published : first;
        }
        return new CveCompliance(cve, images, fixes, first, ms.size(), count(ms, MEMORY), count(ms, DISK), count(ms, EXPOSED), exposure(ms));
    }

    private List<MachineCompliance> cveMachines(Handle h, String cve) {
        List<String> images = imagesWith(h, cve);
        if (images.isEmpty()) {
            throw new ServerException.NotFound("CVE", cve, "list CVEs with fixes with GET /api/v1/compliance/cves");
        }
        List<MachineCompliance> out = new ArrayList<>();
        for (String imageId : images) {
            Fleet f = fleet(h, imageId);
            out.addAll(evaluate(h, f, fixOfCve(f, cve)));
        }
        return out;
    }

    // ---- the model ---------------------------------------------------------------------------

    /** An image's catalog and present machines, read once per request. */
    private record Fleet(Image image, Map<String, BaselineInfo> baselines, List<Update> updates, Map<String, List<String>> supersedes,
                         List<MachineInfo> machines) {
    }

    private record BaselineInfo(String id, String version, LocalDate releasedOn, List<String> cves) {
    }

    private record MachineInfo(String id, String name, String baselineId, MachineReport report, Map<String, Instant> firstSeenOn) {
    }

    /**
     * What fixes an update or a CVE on an image.
     *
     * @param hotpatches    hotpatch KBs that fix it (a machine running one, or one superseding it, is fixed in memory)
     * @param restart       restart-update KBs that fix it
     * @param fromDate      baselines released on or after this date include the fix (cumulative)
     * @param notBaselines  baselines that do not include it although released then (those the hotpatches are for)
     * @param cveBaselines  baselines that name the CVE
     */
    private record Fix(Set<String> hotpatches, Set<String> restart, Instant published, LocalDate fromDate, Set<String> notBaselines,
                       Set<String> cveBaselines, List<String> names) {
    }

    private Fleet fleet(Handle h, String imageId) {
        Image image = catalog.findImage(h, imageId).orElseThrow();
        Map<String, BaselineInfo> baselines = new LinkedHashMap<>();
        h.createQuery("SELECT id, version, released_on, cves FROM baselines WHERE image_id = :i ORDER BY released_on, created_at").bind("i", imageId)
                .map((rs, ctx) -> new BaselineInfo(rs.getString(1), rs.getString(2), LocalDate.parse(rs.getString(3)), split(rs.getString(4))))
                .forEach(b -> baselines.put(b.id(), b));
        List<Update> updates = catalog.updates(imageId, null);
        Map<String, List<String>> supersedes = new HashMap<>();
        updates.forEach(u -> supersedes.put(u.kbId(), u.supersedes()));
        Map<String, Map<String, Instant>> seen = new HashMap<>();
        h.createQuery("SELECT mb.machine_id, mb.baseline_id, mb.first_seen_at FROM machine_baselines mb JOIN machines m ON m.id = mb.machine_id"
                        + " WHERE m.image_id = :i").bind("i", imageId).mapToMap()
                .forEach(r -> seen.computeIfAbsent((String) r.get("machine_id"), k -> new HashMap<>())
                        .put((String) r.get("baseline_id"), Instant.ofEpochMilli(((Number) r.get("first_seen_at")).longValue())));
        List<MachineInfo> machines = h.createQuery("SELECT m.id, m.name, m.baseline_id, r.report FROM machines m"
                        + " JOIN machine_reports r ON r.machine_id = m.id WHERE m.image_id = :i AND m.present = TRUE ORDER BY m.name")
                .bind("i", imageId)
                .map((rs, ctx) -> new MachineInfo(rs.getString(1), rs.getString(2), rs.getString(3), Json.read(rs.getString(4), MachineReport.class),
                        seen.getOrDefault(rs.getString(1), Map.of())))
                .list();
        return new Fleet(image, baselines, updates, supersedes, machines);
    }

    private static Fix fixOf(Fleet f, Update u) {
        Set<String> hot = new HashSet<>();
        Set<String> restart = new HashSet<>();
        Set<String> not = new HashSet<>();
        if (u.isHotpatch()) {
            hot.add(u.kbId());
            not.add(u.baselineId());
        } else {
            restart.add(u.kbId());
        }
        return new Fix(hot, restart, u.publishedAt(), u.publishedAt().atZone(ZoneOffset.UTC).toLocalDate(), not, Set.of(), List.of(u.kbId()));
    }

    private static Fix fixOfCve(Fleet f, String cve) {
        Set<String> hot = new HashSet<>();
        Set<String> restart = new HashSet<>();
        Set<String> not = new HashSet<>();
        Set<String> withCve = new HashSet<>();
        List<String> names = new ArrayList<>();
        Instant first = null;
        for (Update u : f.updates()) {
            if (u.cves().contains(cve)) {
                (u.isHotpatch() ? hot : restart).add(u.kbId());
                if (u.isHotpatch()) {
                    not.add(u.baselineId());
                }
                names.add(u.kbId());
                first = first == null || u.publishedAt().isBefore(first) ? u.publishedAt() : first;
            }
        }
        for (BaselineInfo b : f.baselines().values()) {
            if (b.cves().contains(cve)) {
                withCve.add(b.id());
                names.add(f.image().name() + " " + b.version());
                Instant at = b.releasedOn().atStartOfDay().toInstant(ZoneOffset.UTC);
                first = first == null || at.isBefore(first) ? at : first;
            }
        }
        Instant published = first == null ? Instant.EPOCH : first;
        return new Fix(hot, restart, published, published.atZone(ZoneOffset.UTC).toLocalDate(), not, withCve, names);
    }

    private List<MachineCompliance> evaluate(Handle h, Fleet f, Fix fix) {
        Instant now = clock.instant();
        Policies.Resolver resolver = null;
        List<MachineCompliance> out = new ArrayList<>();
        for (MachineInfo m : f.machines()) {
            BaselineInfo b = m.baselineId() == null ? null : f.baselines().get(m.baselineId());
            String state = EXPOSED;
            String by = null;
            Instant fixedAt = null;
            if (b != null && (fix.cveBaselines().contains(b.id()) || (!b.releasedOn().isBefore(fix.fromDate()) && !fix.notBaselines().contains(b.id())))) {
                state = DISK;
                by = f.image().name() + " " + b.version();
                fixedAt = m.firstSeenOn().get(b.id());
            } else if (m.report().installedUpdatesOrEmpty().stream().anyMatch(fix.restart()::contains)) {
                state = DISK;
                by = m.report().installedUpdatesOrEmpty().stream().filter(fix.restart()::contains).findFirst().orElseThrow();
            } else {
                for (MachineReport.InstalledHotpatch hp : m.report().hotpatchesOrEmpty()) {
                    if (covers(hp.id(), fix.hotpatches(), f.supersedes(), new HashSet<>())) {
                        state = MEMORY;
                        by = hp.id();
                        fixedAt = hp.installedAt();
                        break;
                    }
                }
            }
            boolean open = EXPOSED.equals(state);
            Instant end = open ? now : fixedAt;
            Duration exposure = end == null ? null : Duration.between(fix.published(), end).isNegative() ? Duration.ZERO
                    : Duration.between(fix.published(), end);
            OwedRestart owed = null;
            if (MEMORY.equals(state)) {
                if (resolver == null) {
                    resolver = policies.resolver(h);
                }
                owed = owed(f, m, b, fix, resolver.machine(m.id(), f.image().id(), m.report().configOrEmpty()), now);
            }
            out.add(new MachineCompliance(m.id(), m.name(), f.image().name(), state, by, fix.published(), fixedAt,
                    exposure == null ? null : exposure.toSeconds(), open, owed));
        }
        return out;
    }

    private OwedRestart owed(Fleet f, MachineInfo m, BaselineInfo current, Fix fix, Effective eff, Instant now) {
        BaselineInfo newer = null;
        for (BaselineInfo b : f.baselines().values()) {
            // The machine runs the hotpatch's baseline; a baseline that includes the fix is a later one.
            if ((fix.cveBaselines().contains(b.id()) || !b.releasedOn().isBefore(fix.fromDate())) && !fix.notBaselines().contains(b.id())
                    && (current == null || !b.id().equals(current.id()))) {
                newer = b;
            }
        }
        if (newer != null) {
            Window w = eff.window();
            var open = w.openAt(now, eff.zone());
            Instant due = open.isPresent() ? now : w.next(now, eff.zone()).map(Window.Occurrence::start).orElse(now);
            return new OwedRestart(newer.id(), newer.version(), null, due, eff.automatic()
                    ? "baseline " + newer.version() + " is out: the restart is scheduled in the machine's next maintenance window"
                    : "baseline " + newer.version() + " is out: restart the machine on it (its patch mode is " + eff.settings().patchMode() + ")");
        }
        Cadence cadence = new Cadence(f.image().cadenceMonths(), f.image().cadenceAnchorMonth());
        YearMonth month = YearMonth.from(now.atZone(ZoneOffset.UTC));
        Set<YearMonth> released = new HashSet<>();
        f.baselines().values().forEach(b -> released.add(YearMonth.from(b.releasedOn())));
        while (!cadence.isBaselineMonth(month) || released.contains(month)) {
            month = month.plusMonths(1);
        }
        Instant due = month.atEndOfMonth().plusDays(1).atStartOfDay().toInstant(ZoneOffset.UTC);
        return new OwedRestart(null, null, month.toString(), due, "fixed only in memory: the next planned baseline of " + f.image().name()
                + " is due in " + month + "; the machine should restart on it by then");
    }

    private static boolean covers(String installed, Set<String> fixes, Map<String, List<String>> supersedes, Set<String> seen) {
        if (fixes.contains(installed)) {
            return true;
        }
        if (!seen.add(installed)) {
            return false;
        }
        for (String older : supersedes.getOrDefault(installed, List.of())) {
            if (covers(older, fixes, supersedes, seen)) {
                return true;
            }
        }
        return false;
    }

    private MachinePage machinePage(List<MachineCompliance> all, String state, int limit, int offset) {
        List<MachineCompliance> ms = all;
        if (state != null && !state.isBlank()) {
            String s = state.trim().toLowerCase(Locale.ROOT);
            if (!List.of(MEMORY, DISK, EXPOSED).contains(s)) {
                throw new ServerException.BadRequest("invalid-state", "state '" + state + "' is not known", "use memory, disk or exposed");
            }
            ms = all.stream().filter(m -> m.state().equals(s)).toList();
        }
        int lim = page(limit);
        int off = Math.max(0, offset);
        return new MachinePage(ms.subList(Math.min(off, ms.size()), Math.min(ms.size(), off + lim)), ms.size(), lim, off, exposure(all));
    }

    /** Percentiles (nearest rank) of the closed windows; the open ones counted apart. */
    static Exposure exposure(List<MachineCompliance> ms) {
        List<Long> closed = new ArrayList<>();
        int open = 0;
        Long longestOpen = null;
        for (MachineCompliance m : ms) {
            if (m.exposureSeconds() == null) {
                continue;
            }
            if (m.open()) {
                open++;
                longestOpen = longestOpen == null || m.exposureSeconds() > longestOpen ? m.exposureSeconds() : longestOpen;
            } else {
                closed.add(m.exposureSeconds());
            }
        }
        closed.sort(Comparator.naturalOrder());
        return new Exposure(closed.size(), rank(closed, 50), rank(closed, 90), rank(closed, 99), closed.isEmpty() ? null : closed.get(closed.size() - 1),
                open, longestOpen);
    }

    private static Long rank(List<Long> sorted, int p) {
        if (sorted.isEmpty()) {
            return null;
        }
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }

    private static List<String> allCves(Handle h) {
        Set<String> out = new java.util.TreeSet<>();
        h.createQuery("SELECT cves FROM updates").mapTo(String.class).forEach(s -> out.addAll(split(s)));
        h.createQuery("SELECT cves FROM baselines").mapTo(String.class).forEach(s -> out.addAll(split(s)));
        return new ArrayList<>(out);
    }

    private static List<String> imagesWith(Handle h, String cve) {
        Set<String> out = new java.util.TreeSet<>();
        h.createQuery("SELECT image_id, cves FROM updates").mapToMap().forEach(r -> {
            if (split((String) r.get("cves")).contains(cve)) {
                out.add((String) r.get("image_id"));
            }
        });
        h.createQuery("SELECT image_id, cves FROM baselines").mapToMap().forEach(r -> {
            if (split((String) r.get("cves")).contains(cve)) {
                out.add((String) r.get("image_id"));
            }
        });
        return new ArrayList<>(out);
    }

    private static String cve(String s) {
        return s == null ? "" : s.trim().toUpperCase(Locale.ROOT);
    }

    private static List<String> split(String s) {
        return s == null || s.isBlank() ? List.of() : Arrays.stream(s.split(",")).map(String::trim).filter(x -> !x.isEmpty()).toList();
    }

    private static int count(List<MachineCompliance> ms, String state) {
        return (int) ms.stream().filter(m -> m.state().equals(state)).count();
    }

    private static int page(int limit) {
        return Math.max(1, Math.min(limit, 1000));
    }

}
