package dev.hotpatch.server.auth;

import dev.hotpatch.server.ServerException;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Failed authentications, per source address: each is logged with the address and what was asked
 * (token entropy makes guessing impractical, but operators want to see attempts), and a source that
 * fails {@code limit} times within {@code window} is refused (HTTP 429) until that window has passed,
 * without its credentials being looked at. Counted per replica, in memory. Behind a reverse proxy the
 * source is the proxy. Thread-safe.
 */
public final class FailedLogins {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(FailedLogins.class);
    private static final int MAX_SOURCES = 100_000;

    private final Clock clock;
    private final int limit;
    private final Duration window;
    private final Map<String, Window> sources = new ConcurrentHashMap<>();

    /** One source's failures in the current window. */
    private static final class Window {
        final long start;
        int failures;

        Window(long start) {
            this.start = start;
        }
    }

    public FailedLogins(Clock clock, int limit, Duration window) {
        this.clock = clock;
        this.limit = limit;
        this.window = window;
    }

    /** Refuses a source that failed too often lately (HTTP 429 with when to retry). */
    public void checkAllowed(String source) {
        Window w = sources.get(source);
        long now = clock.millis();
        if (w == null || now - w.start >= window.toMillis()) {
            return;
        }
        synchronized (w) {
            if (w.failures >= limit) {
                long retry = Math.max(1, (w.start + window.toMillis() - now + 999) / 1000);
                throw new ServerException.RateLimited("too many failed authentications from " + source + " (" + w.failures + " within "
                        + window.toSeconds() + " s); this address is refused for " + retry + " s", retry);
            }
        }
    }

    /** Records and logs a failed authentication from {@code source} asking {@code what}. */
    public void failed(String source, String what, String reason) {
        long now = clock.millis();
        if (sources.size() > MAX_SOURCES) {
            sources.values().removeIf(x -> now - x.start >= window.toMillis());
        }
        Window w = sources.compute(source, (k, old) -> old == null || now - old.start >= window.toMillis() ? new Window(now) : old);
        int n;
        synchronized (w) {
            n = ++w.failures;
        }
        if (n < limit) {
            LOG.warn("failed authentication from {} for {}: {}", source, what, reason);
        } else if (n == limit) {
            LOG.warn("failed authentication from {} for {}: {}; {} failures within {} s, refusing that address until the window ends",
                    source, what, reason, n, window.toSeconds());
        }
    }
}
