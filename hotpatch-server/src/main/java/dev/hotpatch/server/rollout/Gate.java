package dev.hotpatch.server.rollout;

import dev.hotpatch.server.machine.Machine;
import dev.hotpatch.server.machine.MachineReport;
import dev.hotpatch.server.machine.Signals;
import dev.hotpatch.server.policy.PolicySettings;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;

/**
 * The health gate of one machine after it was patched: the JVM alive and still reported by its
 * node, the agent answering, the patched code live (the SHA-256 of the classes in use equal to
 * the update's, or the machine running the new baseline), the health check not failing (passing,
 * when the policy requires a check), and no surge of failed health probes over the soak against
 * the JVM's rate before the patch. Failures that need no soak to be seen (the JVM restarted or
 * vanished, the health check failing, the agent quarantining the update) fail at once. Pure
 * judgement over what it is given; thread-safe.
 */
final class Gate {
    private Gate() {
    }

    enum Outcome {
        PASS, WAIT, FAIL, QUARANTINED
    }

    record Verdict(Outcome outcome, String reason) {
        static final Verdict WAIT = new Verdict(Outcome.WAIT, null);

        static Verdict fail(String why) {
            return new Verdict(Outcome.FAIL, why);
        }
    }

    /**
     * What the gate looks at.
     *
     * @param installedAt when the install was seen to succeed (the soak's start)
     * @param preSamples  health probes of the JVM when its install was issued (null: unknown)
     * @param expected    for a hotpatch: class name → SHA-256 of the package's bytes
     */
    record Subject(Rollout.Settings target, Instant installedAt, Instant soakUntil, Long prePid, Instant preStartedAt, Long preSamples,
                   Long preFailures, Machine machine, Signals.Signal signal, PolicySettings policy, Map<String, String> expected) {
    }

    /**
     * The failures that show without waiting for the soak to end, from the machine's presence and
     * signals alone (so a soaking wave is watched cheaply); {@link Verdict#WAIT} when there is none.
     */
    static Verdict early(Rollout.Settings target, Instant installedAt, Long prePid, Instant preStartedAt, boolean present, Signals.Signal sig) {
        boolean hotpatch = Rollout.HOTPATCH.equals(target.kind());
        boolean fresh = sig != null && !sig.reportedAt().isBefore(installedAt);
        if (hotpatch && sig != null) {
            for (MachineReport.Quarantined q : sig.quarantined()) {
                if (q.id().equals(target.target())) {
                    return new Verdict(Outcome.QUARANTINED, "the agent quarantined " + q.id() + ": " + (q.reason() == null ? "" : q.reason()));
                }
            }
        }
        if (!present) {
            return Verdict.fail("the JVM is gone: its node no longer reports it");
        }
        if (hotpatch && fresh && prePid != null && !sig.sameJvm(prePid, preStartedAt)) {
            return Verdict.fail("the JVM restarted after the hotpatch (pid " + prePid + " → " + sig.pid() + ")");
        }
        if (sig != null && MachineReport.Health.FAILING.equals(sig.healthState()) && sig.healthCheckedAt() != null
                && !sig.healthCheckedAt().isBefore(installedAt)) {
            return Verdict.fail("health check failing" + (sig.healthDetail() == null ? "" : ": " + sig.healthDetail()));
        }
        return Verdict.WAIT;
    }

    static Verdict judge(Subject s, Instant now) {
        boolean hotpatch = Rollout.HOTPATCH.equals(s.target().kind());
        Machine m = s.machine();
        Signals.Signal sig = s.signal();
        Verdict early = early(s.target(), s.installedAt(), s.prePid(), s.preStartedAt(), m.present(), sig);
        if (early.outcome() != Outcome.WAIT || now.isBefore(s.soakUntil())) {
            return early;
        }
        if (m.lastSeenAt().isBefore(s.soakUntil())) {
            Duration timeout = Duration.ofMinutes(s.policy().gateTimeoutMinutes());
            return now.isBefore(s.soakUntil().plus(timeout)) ? Verdict.WAIT
                    : Verdict.fail("no report from the machine since its soak ended at " + s.soakUntil() + " (waited "
                    + timeout.toMinutes() + " min)");
        }
        if (m.agent() == null || !m.agent().present()) {
            return Verdict.fail("the agent is no longer in the JVM");
        }
        if (sig != null && Boolean.FALSE.equals(sig.agentReachable())) {
            return Verdict.fail("the node could not reach the agent in its last collection");
        }
        if (hotpatch) {
            String live = liveClasses(m, s.target().target(), s.expected());
            if (live != null) {
                return Verdict.fail(live);
            }
        } else if (!s.target().target().equals(m.baselineId())) {
            return Verdict.fail("after the restart the machine runs baseline " + (m.baselineVersion() == null ? "(none matched)" : m.baselineVersion())
                    + ", not " + s.target().version());
        }
        if (Boolean.TRUE.equals(s.policy().requireHealth()) && (sig == null || !MachineReport.Health.PASSING.equals(sig.healthState())
                || sig.healthCheckedAt() == null || sig.healthCheckedAt().isBefore(s.installedAt()))) {
            return Verdict.fail("no passing health check since the patch (the policy requires one)"
                    + (sig == null || sig.healthState() == null ? ": the node reports no health check" : ": last state " + sig.healthState()));
        }
        String surge = surge(s, hotpatch);
        if (surge != null) {
            return Verdict.fail(surge);
        }
        return new Verdict(Outcome.PASS, hotpatch ? "classes live, no failure surge" : "runs the new baseline, no failure surge");
    }

    /** Why the hotpatch's classes are not live as packaged; null when they are. */
    private static String liveClasses(Machine m, String kb, Map<String, String> expected) {
        MachineReport.InstalledHotpatch hp = m.hotpatches().stream().filter(x -> x.id().equals(kb)).findFirst().orElse(null);
        if (hp == null) {
            return "hotpatch " + kb + " is not live: the agent does not list it";
        }
        if (hp.classes() == null || hp.classes().isEmpty()) {
            // None of its classes is loaded yet: the agent patches each one as it loads (a lazily loaded
            // vulnerable class is the usual case), so there is no running copy to check and nothing wrong.
            return null;
        }
        for (MachineReport.Hash c : hp.classes()) {
            String want = expected.get(c.name());
            if (want == null || !want.equals(c.sha256())) {
                return "class " + c.name().replace('/', '.') + " runs bytes " + c.sha256().substring(0, 12) + "… instead of the package's "
                        + (want == null ? "(not in the package)" : want.substring(0, 12) + "…");
            }
        }
        return null;
    }

    /** Why the failed-probe rate rose too much over the soak; null when it did not (or nothing is known). */
    private static String surge(Subject s, boolean hotpatch) {
        Signals.Signal sig = s.signal();
        if (sig == null || sig.samples() == null || sig.failures() == null) {
            return null;
        }
        boolean sameJvm = s.prePid() != null && sig.sameJvm(s.prePid(), s.preStartedAt());
        long samples;
        long failures;
        if (sameJvm && s.preSamples() != null && s.preFailures() != null) {
            samples = sig.samples() - s.preSamples();
            failures = sig.failures() - s.preFailures();
        } else if (!hotpatch) {
            // A baseline restarts the JVM: its counters since start are all after the patch.
            samples = sig.samples();
            failures = sig.failures();
        } else {
            return null;
        }
        if (samples <= 0 || failures <= 0) {
            return null;
        }
        double before = s.preSamples() != null && s.preSamples() > 0 && s.preFailures() != null ? (double) s.preFailures() / s.preSamples() : 0;
        double after = (double) failures / samples;
        double limit = s.policy().maxFailureRateIncrease();
        if ((after - before) * 100 > limit) {
            return String.format(Locale.ROOT, "failure surge: %d of %d health probes failed during the soak (%.1f%%), against %.1f%% before"
                    + " the patch (limit +%.1f points)", failures, samples, after * 100, before * 100, limit);
        }
        return null;
    }
}
