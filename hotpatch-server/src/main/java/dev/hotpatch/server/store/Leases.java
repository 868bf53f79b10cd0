package dev.hotpatch.server.store;

import java.time.Clock;
import java.time.Duration;

/**
 * Named leases in the database, so that of several replicas one at a time runs a periodic duty
 * (expiring operations, pruning history). Acquiring is one conditional statement: safe under
 * concurrency on both engines. Thread-safe.
 */
public final class Leases {
    private final Database db;
    private final Clock clock;
    private final String holder;

    public Leases(Database db, Clock clock, String holder) {
        this.db = db;
        this.clock = clock;
        this.holder = holder;
    }

    /** Takes or renews lease {@code name} for {@code ttl}; false when another holder has it. */
    public boolean tryAcquire(String name, Duration ttl) {
        long now = clock.millis();
        long until = now + ttl.toMillis();
        return db.tx(h -> {
            h.createUpdate("INSERT INTO leases (name, holder, expires_at) VALUES (:n, '', 0) ON CONFLICT (name) DO NOTHING")
                    .bind("n", name).execute();
            return h.createUpdate("UPDATE leases SET holder = :h, expires_at = :u WHERE name = :n AND (expires_at < :now OR holder = :h)")
                    .bind("h", holder).bind("u", until).bind("n", name).bind("now", now)
                    .execute() == 1;
        });
    }
}
