package dev.hotpatch.server.catalog;

import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.jdbi.v3.core.Handle;

/**
 * Catalog reads remembered while the catalog stays the same, so that re-assessing a fleet after a
 * publish reads each image, baseline, update list and class table once, not once per machine.
 *
 * <p>An instance belongs to one <em>catalog generation</em>: a token that every transaction
 * changing what assessment depends on replaces ({@link #catalogChanged}, in the same transaction
 * as the change), and that a reader checks in its own transaction ({@link #current}) before using
 * what is remembered. So a replica never assesses against a catalog older than the one its
 * transaction sees. {@link #NONE} remembers nothing, for reads that must see the catalog as it is
 * at that moment. Absent values (empty {@link Optional}s, nulls) are never remembered. Each value
 * has a weight (1, or the number of names in its key, such as a machine's class list), and a
 * generation keeps at most {@value #BUDGET} units; beyond that, reads go to the database each
 * time, so a fleet of very different machines costs what it did without the cache, not memory.
 * Thread-safe.
 */
public final class CatalogCache {
    /** Remembers nothing: every read goes to the database. */
    public static final CatalogCache NONE = new CatalogCache(null);

    private static final long BUDGET = 200_000;
    private static final String SETTING = "catalog-generation";

    private final String generation;
    private final ConcurrentMap<List<Object>, Object> values = new ConcurrentHashMap<>();
    private final AtomicLong weight = new AtomicLong();

    private CatalogCache(String generation) {
        this.generation = generation;
    }

    /** Starts a new catalog generation, in the caller's transaction (the one that changes the catalog). */
    public static void catalogChanged(Handle h) {
        h.createUpdate("INSERT INTO settings (name, value) VALUES (:n, :v) ON CONFLICT (name) DO UPDATE SET value = excluded.value")
                .bind("n", SETTING).bind("v", UUID.randomUUID().toString()).execute();
    }

    /** This cache if it belongs to the generation the caller's transaction sees, else a new, empty one for that generation. */
    public CatalogCache current(Handle h) {
        String seen = h.createQuery("SELECT value FROM settings WHERE name = :n").bind("n", SETTING).mapTo(String.class).findOne().orElse("");
        return seen.equals(generation) ? this : new CatalogCache(seen);
    }

    /** The value {@code kind} has for {@code key}: remembered, or read by {@code load} now; weight 1. */
    public <T> T get(String kind, Object key, Supplier<T> load) {
        return get(kind, key, 1, load);
    }

    /** The value {@code kind} has for {@code key}: remembered, or read by {@code load} now and remembered if the budget allows. */
    @SuppressWarnings("unchecked")
    public <T> T get(String kind, Object key, int weight, Supplier<T> load) {
        if (generation == null) {
            return load.get();
        }
        List<Object> k = List.of(kind, key);
        Object v = values.get(k);
        if (v != null) {
            return (T) v;
        }
        T loaded = load.get();
        if (loaded != null && !(loaded instanceof Optional<?> o && o.isEmpty()) && this.weight.addAndGet(weight) <= BUDGET) {
            values.putIfAbsent(k, loaded);
        }
        return loaded;
    }
}
