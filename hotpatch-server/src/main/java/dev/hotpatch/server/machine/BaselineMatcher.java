package dev.hotpatch.server.machine;

import dev.hotpatch.server.catalog.Catalog;
import dev.hotpatch.server.catalog.CatalogCache;
import dev.hotpatch.server.catalog.Image;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.jdbi.v3.core.Handle;

/**
 * Recognises which published baseline a machine runs, byte for byte: first by the SHA-256 of its
 * jars (every jar of the baseline must be present), else by the SHA-256 of its loaded classes (the
 * baseline's bytes, or a published hotpatch's bytes for that baseline). A class of the baseline
 * running other bytes makes the machine a custom image. When a JVM holds several catalogued
 * images, the one the machine declares wins, else the newest baseline. Stateless; catalog reads
 * go through the {@link CatalogCache} the caller passes.
 */
public final class BaselineMatcher {
    private static final int CHUNK = 500;

    private final Catalog catalog;

    public BaselineMatcher(Catalog catalog) {
        this.catalog = catalog;
    }

    /** The outcome: a baseline, or the reason none matches. */
    public record Match(String imageId, String baselineId, String detail, String refusal) {
        public boolean matched() {
            return baselineId != null;
        }
    }

    public Match match(Handle h, MachineReport r) {
        return match(h, r, CatalogCache.NONE);
    }

    /** The match, reading the catalog through {@code cache} (which must be current for {@code h}'s transaction). */
    public Match match(Handle h, MachineReport r, CatalogCache cache) {
        Image declared = null;
        if (r.image() != null && !r.image().isBlank()) {
            Optional<Image> img = cache.get("image", r.image(), () -> catalog.findImage(h, r.image()));
            if (img.isEmpty()) {
                return new Match(null, null, null, "the machine declares image '" + r.image() + "', which is not in the catalog");
            }
            declared = img.get();
        }
        List<String> jarShas = r.jarsOrEmpty().stream().map(MachineReport.Hash::sha256).distinct().toList();
        Map<String, Integer> hits = cache.get("jar-hits", jarShas, jarShas.size(), () -> Collections.unmodifiableMap(count(h, jarShas, chunk -> h.createQuery(
                        "SELECT baseline_id, COUNT(*) AS n FROM baseline_jars WHERE sha256 IN (<s>) GROUP BY baseline_id")
                .bindList("s", chunk).mapToMap().list())));
        List<Candidate> full = new ArrayList<>();
        for (var e : hits.entrySet()) {
            Candidate c = candidate(h, e.getKey(), cache);
            if (c.jarCount == e.getValue() && (declared == null || declared.id().equals(c.imageId))) {
                full.add(c);
            }
        }
        if (!full.isEmpty()) {
            Candidate best = newest(full);
            String mismatch = classMismatch(h, r, best.baselineId, cache);
            if (mismatch != null) {
                return new Match(best.imageId, null, null, mismatch);
            }
            return new Match(best.imageId, best.baselineId, "jars match baseline " + best.version + " by SHA-256", null);
        }
        List<String> classShas = r.classesOrEmpty().stream().map(MachineReport.Hash::sha256).distinct().toList();
        if (!classShas.isEmpty()) {
            Map<String, Integer> byClass = count(h, classShas, chunk -> h.createQuery(
                            "SELECT baseline_id, COUNT(*) AS n FROM baseline_classes WHERE sha256 IN (<s>) GROUP BY baseline_id")
                    .bindList("s", chunk).mapToMap().list());
            Map<String, Integer> viaHotpatch = count(h, classShas, chunk -> h.createQuery(
                            "SELECT u.baseline_id, COUNT(*) AS n FROM update_classes uc JOIN updates u ON u.kb_id = uc.kb_id"
                                    + " WHERE uc.sha256 IN (<s>) GROUP BY u.baseline_id")
                    .bindList("s", chunk).mapToMap().list());
            viaHotpatch.forEach((k, v) -> byClass.merge(k, v, Integer::sum));
            Candidate best = null;
            int bestCount = 0;
            for (var e : byClass.entrySet()) {
                Candidate c = candidate(h, e.getKey(), cache);
                if (declared != null && !declared.id().equals(c.imageId)) {
                    continue;
                }
                if (e.getValue() > bestCount || (e.getValue() == bestCount && best != null && c.releasedOn.compareTo(best.releasedOn) > 0)) {
                    best = c;
                    bestCount = e.getValue();
                }
            }
            if (best != null) {
                String mismatch = classMismatch(h, r, best.baselineId, cache);
                if (mismatch != null) {
                    return new Match(best.imageId, null, null, mismatch);
                }
                return new Match(best.imageId, best.baselineId, bestCount + " loaded classes match baseline " + best.version
                        + " (or its hotpatches) by SHA-256", null);
            }
        }
        StringBuilder why = new StringBuilder(declared != null
                ? "custom image: its code matches no published baseline of " + declared.name() + " byte for byte"
                : "custom image: its code matches no published baseline of any catalogued image byte for byte");
        if (!r.jarsOrEmpty().isEmpty()) {
            why.append(" (jars: ");
            int n = 0;
            for (MachineReport.Hash j : r.jarsOrEmpty()) {
                if (n++ == 3) {
                    why.append(", … ").append(r.jarsOrEmpty().size() - 3).append(" more");
                    break;
                }
                why.append(n > 1 ? ", " : "").append(j.name()).append(" sha256 ").append(j.sha256(), 0, 12).append('…');
            }
            why.append(')');
        } else if (r.classesOrEmpty().isEmpty()) {
            why.setLength(0);
            why.append("the node reported no jars or classes for this machine, so its build cannot be recognised");
        }
        return new Match(declared == null ? null : declared.id(), null, null, why.toString());
    }

    /** The first class of the baseline that the machine runs with bytes that are neither the baseline's nor a hotpatch's; null if none. */
    private String classMismatch(Handle h, MachineReport r, String baselineId, CatalogCache cache) {
        List<MachineReport.Hash> classes = r.classesOrEmpty();
        if (classes.isEmpty()) {
            return null;
        }
        List<String> names = classes.stream().map(MachineReport.Hash::name).distinct().toList();
        // Bytes allowed per class name: the baseline's (for the names the machine reports) and any hotpatch's of the baseline.
        Map<String, Set<String>> ofBaseline = cache.get("baseline-classes", List.of(baselineId, names), names.size(), () -> {
            Map<String, Set<String>> allowed = new HashMap<>();
            for (int i = 0; i < names.size(); i += CHUNK) {
                List<String> chunk = names.subList(i, Math.min(names.size(), i + CHUNK));
                h.createQuery("SELECT class_name, sha256 FROM baseline_classes WHERE baseline_id = :b AND class_name IN (<n>)")
                        .bind("b", baselineId).bindList("n", chunk)
                        .map((rs, ctx) -> allowed.computeIfAbsent(rs.getString(1), k -> new HashSet<>()).add(rs.getString(2)))
                        .list();
            }
            return allowed;
        });
        if (ofBaseline.isEmpty()) {
            return null;
        }
        Map<String, Set<String>> ofHotpatches = cache.get("hotpatch-classes", baselineId, () -> {
            Map<String, Set<String>> allowed = new HashMap<>();
            h.createQuery("SELECT uc.class_name, uc.sha256 FROM update_classes uc JOIN updates u ON u.kb_id = uc.kb_id WHERE u.baseline_id = :b")
                    .bind("b", baselineId)
                    .map((rs, ctx) -> allowed.computeIfAbsent(rs.getString(1), k -> new HashSet<>()).add(rs.getString(2)))
                    .list();
            return allowed;
        });
        // A hotpatch's bytes count only where the agent reports that hotpatch in use: the same bytes in a
        // jar on disk mean a build of its own (e.g. the fixed release), which is not a published baseline.
        Set<String> inUse = new HashSet<>();
        for (MachineReport.InstalledHotpatch hp : r.hotpatchesOrEmpty()) {
            for (MachineReport.Hash c : hp.classes() == null ? List.<MachineReport.Hash>of() : hp.classes()) {
                inUse.add(c.name() + ' ' + c.sha256());
            }
        }
        for (MachineReport.Hash c : classes) {
            Set<String> base = ofBaseline.get(c.name());
            Set<String> patched = ofHotpatches.get(c.name());
            boolean known = base != null || patched != null;
            boolean patchedLive = patched != null && patched.contains(c.sha256()) && inUse.contains(c.name() + ' ' + c.sha256());
            if (known && !(base != null && base.contains(c.sha256())) && !patchedLive) {
                return "custom image: class " + c.name().replace('/', '.') + " runs bytes (sha256 " + c.sha256().substring(0, 12)
                        + "…) that are neither the published baseline's nor those of a hotpatch installed in it";
            }
        }
        return null;
    }

    private record Candidate(String baselineId, String imageId, String version, String releasedOn, int jarCount) {
    }

    private Candidate candidate(Handle h, String baselineId, CatalogCache cache) {
        return cache.get("candidate", baselineId, () -> h.createQuery("SELECT b.id, b.image_id, b.version, b.released_on, (SELECT COUNT(*) FROM baseline_jars j WHERE j.baseline_id = b.id)"
                        + " FROM baselines b WHERE b.id = :id")
                .bind("id", baselineId)
                .map((rs, ctx) -> new Candidate(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getInt(5)))
                .one());
    }

    private static Candidate newest(List<Candidate> cs) {
        Candidate best = cs.get(0);
        for (Candidate c : cs) {
            if (c.releasedOn.compareTo(best.releasedOn) > 0) {
                best = c;
            }
        }
        return best;
    }

    private static Map<String, Integer> count(Handle h, List<String> values, Function<List<String>, List<Map<String, Object>>> query) {
        Map<String, Integer> out = new HashMap<>();
        for (int i = 0; i < values.size(); i += CHUNK) {
            for (Map<String, Object> row : query.apply(values.subList(i, Math.min(values.size(), i + CHUNK)))) {
                out.merge((String) row.get("baseline_id"), ((Number) row.get("n")).intValue(), Integer::sum);
            }
        }
        return out;
    }
}
