package dev.hotpatch.server.rollout;

import dev.hotpatch.server.assessment.Assessment;
import dev.hotpatch.server.catalog.Catalog;
import dev.hotpatch.server.catalog.Update;
import dev.hotpatch.server.machine.MachineReport;
import dev.hotpatch.server.machine.Planning;
import dev.hotpatch.server.policy.Effective;
import dev.hotpatch.server.policy.Policies;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jdbi.v3.core.Handle;

/**
 * Which machines of an image need a rollout's target, and why the others are left out. A
 * machine needs a hotpatch when it is {@code Enabled} on the hotpatch's baseline and runs neither
 * it nor an update that supersedes it; it needs a baseline when it runs an older baseline of the
 * image. Machines already in an unfinished rollout wait for it; automatic rollouts take only
 * machines whose patch mode is AutomaticByPlatform and leave out machines that failed this
 * target before (an operator decides about those). Thread-safe (stateless).
 */
final class Targets {
    /**
     * The agent's default probation: a JVM that stops this soon after a hotpatch was applied gets it
     * quarantined at its next start (agent option {@code probation}).
     */
    static final java.time.Duration PROBATION = java.time.Duration.ofMinutes(10);

    private final Catalog catalog;
    private final java.time.Clock clock;

    Targets(Catalog catalog, java.time.Clock clock) {
        this.catalog = catalog;
        this.clock = clock;
    }

    /** What a rollout carries. */
    record Target(String kind, String id, String imageId, String baselineId, Update update, String label) {
        boolean hotpatch() {
            return Rollout.HOTPATCH.equals(kind);
        }
    }

    /** Which machines to consider: all of the image's, or a ring, a group, named machines. */
    record Filter(boolean automatic, String ring, String group, Set<String> names) {
    }

    /** A machine that needs the target, with where it sits in the fleet. */
    record Candidate(Waves.Member member, String ring) {
    }

    record Result(List<Candidate> included, Map<String, String> excluded, int alreadyFixed) {
    }

    Result candidates(Handle h, Target t, Filter f, Policies.Resolver policies) {
        Set<String> busy = new HashSet<>(h.createQuery("SELECT rm.machine_id FROM rollout_machines rm JOIN rollouts r ON r.id = rm.rollout_id"
                + " WHERE rm.done = FALSE AND r.state IN ('running', 'halted', 'canceled', 'preparing')").mapTo(String.class).list());
        Set<String> failedBefore = f.automatic() ? new HashSet<>(h.createQuery("SELECT rm.machine_id FROM rollout_machines rm"
                        + " JOIN rollouts r ON r.id = rm.rollout_id WHERE r.image_id = :i AND r.target = :t AND rm.state IN (<failed>)")
                .bind("i", t.imageId()).bind("t", t.id()).bindList("failed", Rollout.Machine.FAILURES).mapTo(String.class).list()) : Set.of();
        Map<String, List<String>> supersedes = supersedes(h, t);
        List<Candidate> in = new ArrayList<>();
        Map<String, String> out = new HashMap<>();
        int fixed = 0;
        // The planning facts (a few hundred bytes); the full report only of a machine recorded before them (see Planning).
        List<Map<String, Object>> rows = h.createQuery("SELECT m.id, m.name, m.status, m.status_reason, m.baseline_id, p.facts,"
                        + " CASE WHEN p.facts IS NULL THEN r.report END AS report FROM machines m JOIN machine_reports r ON r.machine_id = m.id"
                        + " LEFT JOIN machine_planning p ON p.machine_id = m.id WHERE m.image_id = :i ORDER BY m.name")
                .bind("i", t.imageId()).mapToMap().list();
        for (Map<String, Object> row : rows) {
            String id = (String) row.get("id");
            String name = (String) row.get("name");
            if (f.names() != null && !f.names().contains(id) && !f.names().contains(name)) {
                continue;
            }
            String status = (String) row.get("status");
            String baseline = (String) row.get("baseline_id");
            // Cheap column checks first: most machines of a large image are settled without parsing their report.
            if (!t.hotpatch() && t.id().equals(baseline) && f.group() == null && f.ring() == null) {
                fixed++;
                continue;
            }
            Planning.Facts facts = Planning.of((String) row.get("facts"), (String) row.get("report"));
            MachineReport.Config c = facts.config();
            if (f.group() != null && !f.group().equals(c.group())) {
                continue;
            }
            Effective eff = policies.machine(id, t.imageId(), c);
            if (f.ring() != null && !f.ring().equals(eff.ring())) {
                continue;
            }
            if (t.hotpatch() ? covers(facts.hotpatches(), t.id(), supersedes) : t.id().equals(baseline)) {
                fixed++;
                continue;
            }
            String why = null;
            if (!Assessment.ENABLED.equals(status) && !Assessment.ACTION_REQUIRED.equals(status)) {
                why = "status " + status + (row.get("status_reason") == null ? "" : ": " + row.get("status_reason"));
            } else if (eff.disabled()) {
                why = "patch mode Disabled (from " + eff.sources().get("patchMode") + ")";
            } else if (f.automatic() && !eff.automatic()) {
                why = eff.whyNot();
            } else if (t.hotpatch() && !t.baselineId().equals(baseline)) {
                why = "runs another baseline than the hotpatch's; it needs the baseline restart first";
            } else if (busy.contains(id)) {
                why = "already in an unfinished rollout";
            } else if (failedBefore.contains(id)) {
                why = "failed this update in an earlier rollout; an operator's rollout may retry it";
            } else if (f.automatic() && t.hotpatch()) {
                why = awaitingAgent(h, id, t.id(), facts);
            }
            if (why != null) {
                out.put(name, why);
                continue;
            }
            in.add(new Candidate(new Waves.Member(id, name, c.region(), c.zone(), c.availabilitySet(), c.updateDomain(), c.group()), eff.ring()));
        }
        return new Result(in, out, fixed);
    }

    /**
     * Why an automatic rollout leaves out a machine whose JVM started within a probation after
     * {@code kb} was installed on it, while its report does not yet carry its agent's answer: that JVM
     * may have died of the hotpatch, and its agent then quarantines it at start, which the node
     * reports only once the agent answers. Installing before that would apply the hotpatch again
     * (an install is an operator's "apply it again") and lose the quarantine. Null when none of that
     * holds, or once a probation has passed since the start (a JVM whose agent never answers, say one
     * without an enrolled agent, is then patched as any other).
     */
    private String awaitingAgent(Handle h, String machineId, String kb, Planning.Facts facts) {
        java.time.Instant started = facts.startedAt();
        if (facts.agentAnswered() || started == null || !clock.instant().isBefore(started.plus(PROBATION))) {
            return null;
        }
        Long at = h.createQuery("SELECT MAX(at) FROM history WHERE machine_id = :m AND kb_id = :k AND action = 'install' AND outcome = 'succeeded'")
                .bind("m", machineId).bind("k", kb).mapTo(Long.class).findOne().orElse(null);
        if (at == null) {
            return null;
        }
        java.time.Instant installed = java.time.Instant.ofEpochMilli(at);
        if (installed.isAfter(started) || started.isAfter(installed.plus(PROBATION))) {
            return null;
        }
        return "its JVM restarted within " + PROBATION.toMinutes() + " min of " + kb + " being installed on it; waiting for its agent to"
                + " report whether it quarantined " + kb + " (until " + started.plus(PROBATION) + " at the latest)";
    }

    /** KB → the KBs it supersedes, for the hotpatches of the target's baseline. */
    Map<String, List<String>> supersedes(Handle h, Target t) {
        Map<String, List<String>> out = new HashMap<>();
        if (!t.hotpatch()) {
            return out;
        }
        for (Map<String, Object> r : h.createQuery("SELECT kb_id, supersedes FROM updates WHERE baseline_id = :b").bind("b", t.baselineId())
                .mapToMap().list()) {
            String s = (String) r.get("supersedes");
            out.put((String) r.get("kb_id"), s == null || s.isBlank() ? List.of() : List.of(s.split("\\s*,\\s*")));
        }
        return out;
    }

    /** Whether hotpatch {@code kb} or one that supersedes it (directly or not) is among the {@code installed} ones. */
    static boolean covers(Collection<String> installed, String kb, Map<String, List<String>> supersedes) {
        for (String k : installed) {
            if (k.equals(kb) || supersedes(k, kb, supersedes, new HashSet<>())) {
                return true;
            }
        }
        return false;
    }

    private static boolean supersedes(String k, String kb, Map<String, List<String>> s, Set<String> seen) {
        if (!seen.add(k)) {
            return false;
        }
        for (String older : s.getOrDefault(k, List.of())) {
            if (older.equals(kb) || supersedes(older, kb, s, seen)) {
                return true;
            }
        }
        return false;
    }

    /** How a baseline is named to people: its version, and its KB id when it has one. */
    static String baselineLabel(dev.hotpatch.server.catalog.Baseline b) {
        return b.version() + (b.kbId() == null ? "" : " (" + b.kbId() + ")");
    }
}
