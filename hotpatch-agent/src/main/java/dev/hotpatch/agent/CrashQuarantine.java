package dev.hotpatch.agent;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Crash quarantine for an enrolled JVM: a hotpatch is on probation for a while after it is
 * applied live ({@code probation=}, default 10 minutes). If the JVM dies during that time (killed,
 * crashed, out of memory; a normal shutdown is not a death), the hotpatch is not re-applied at the
 * next start but kept, listed as {@code quarantined} with the reason, until an operator applies it
 * again or clears the quarantine.
 *
 * <p>How a death is told from a shutdown: the state folder's run record says {@code clean=false}
 * from start-up until the shutdown hook writes {@code clean=true}; a JVM that dies runs no hook.
 * While a hotpatch is on probation a daemon thread touches the run record every few seconds, so
 * its modification time tells roughly when the JVM died; when a probation ends, the record's end
 * time is removed, so a later death does not quarantine it.
 *
 * <p>Not thread-safe on its own: every method runs under the engine's lock, except the shutdown
 * hook, which writes only the run record.
 */
final class CrashQuarantine {
    private static final long BEAT_MILLIS = 5000;

    private final StateStore store;
    private final long probationMillis;
    private final Instant started = Instant.now();
    private boolean watching;

    /**
     * @param store the enrolled agent's state, or null when nothing persists (then nothing is on probation)
     */
    CrashQuarantine(StateStore store, long probationMillis) {
        this.store = store;
        this.probationMillis = probationMillis;
    }

    /** When the probation of a hotpatch applied {@code now} ends, or null when there is none. */
    Instant probationFrom(Instant now) {
        return store == null || probationMillis <= 0 ? null : now.plusMillis(probationMillis);
    }

    /**
     * At start-up, before anything is re-applied: quarantines the records whose probation the
     * previous run's death cut short.
     *
     * @return whether a record changed (and must be saved)
     */
    boolean onStart(List<StateStore.Record> records, StateStore.PreviousRun previous) {
        if (previous == null || previous.clean) {
            return false;
        }
        boolean changed = false;
        for (StateStore.Record r : records) {
            if (r.quarantinedSince == null && r.probationUntil != null && previous.lastAlive.isBefore(r.probationUntil)) {
                r.quarantinedSince = Instant.now();
                r.quarantineReason = reason(r, previous);
                r.probationUntil = null;
                changed = true;
            }
        }
        return changed;
    }

    /** Records this run as started, and registers the shutdown hook that marks a clean stop. */
    void startRun() {
        if (store == null) {
            return;
        }
        try {
            store.startRun(started);
        } catch (IOException e) {
            System.err.println("[hotpatch] cannot record this run in " + store.dir() + " (" + e.getMessage()
                    + "): a crash during a probation cannot be told from a shutdown");
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                store.endRun(started);
            } catch (IOException e) {
                System.err.println("[hotpatch] cannot record the clean stop in " + store.dir() + ": " + e.getMessage());
            }
        }, "hotpatch-agent-stop"));
    }

    /** Ends the probations that are over at {@code now}; returns whether a record changed. */
    boolean expire(List<Installed> installed, Instant now) {
        boolean changed = false;
        for (Installed i : installed) {
            if (i.record.probationUntil != null && !now.isBefore(i.record.probationUntil)) {
                i.record.probationUntil = null;
                changed = true;
            }
        }
        return changed;
    }

    boolean onProbation(List<Installed> installed) {
        for (Installed i : installed) {
            if (i.record.probationUntil != null) {
                return true;
            }
        }
        return false;
    }

    /** Starts the watch thread unless it runs: it beats and ends probations until none is left. */
    void watch(Engine engine) {
        if (watching || store == null) {
            return;
        }
        watching = true;
        store.heartbeat();
        Thread t = new Thread(() -> {
            try {
                do {
                    Thread.sleep(BEAT_MILLIS);
                } while (engine.probationTick());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "hotpatch-agent-probation");
        t.setDaemon(true);
        t.start();
    }

    /** A beat of the watch: a sign of life while something is on probation; false (and the watch ends) when nothing is. */
    boolean beat(List<Installed> installed) {
        if (!onProbation(installed)) {
            watching = false;
            return false;
        }
        store.heartbeat();
        return true;
    }

    private static String reason(StateStore.Record r, StateStore.PreviousRun previous) {
        long after = Duration.between(r.installedOn, previous.lastAlive).getSeconds();
        long probation = Duration.between(r.installedOn, r.probationUntil).getSeconds();
        return "the JVM (pid " + previous.pid + ") stopped without a clean shutdown "
                + (after > 0 ? "about " + human(after) + " after " : "right after ") + r.id + " was applied (probation "
                + human(probation) + "); not re-applied at start. Once the cause is understood, apply it again or run"
                + " 'hotpatch quarantine --pid <pid> --clear " + r.id + "'";
    }

    static String human(long seconds) {
        if (seconds < 120) {
            return seconds + " s";
        }
        if (seconds < 7200) {
            return (seconds / 60) + " min";
        }
        return (seconds / 3600) + " h";
    }
}
