package dev.hotpatch.builder.rewrite;

import java.lang.ref.WeakReference;

/**
 * The template of every hidden helper class. It is never used in the builder's JVM: the builder
 * copies this class file, renames it into the patched class's package ({@code acme/Fees$Hotpatch}),
 * and adds the moved methods, the slots and accessors of shadowed fields, and static fields.
 * It may use {@code java.base} only, since it runs in other people's JVMs, in any class loader.
 *
 * <p>An instance is one row of the side table that holds added instance fields: a weak reference
 * to the object whose fields it holds (kpatch's shadow variables). The table is an open-addressing
 * array keyed by identity hash, at most half full. Readers never lock: a row is published once and
 * never moved out of an array that readers can still see (growth builds a new array of the same
 * rows), so a reader finds the row or reads the field's initial value, exactly as a plain field
 * read could race with its first write. Creating a row takes the lock. Rows whose object was
 * collected are dropped when the table is rebuilt. As with {@link java.util.WeakHashMap}, a value
 * that refers back to its own object keeps that object alive.
 *
 * <p>No descriptor here names this class: a hidden class's name is changed when it is defined, and
 * only references through its constant-pool class entry follow the change, so the table is an
 * {@code Object[]} and rows travel as {@code Object} with casts.
 */
final class HelperTemplate extends WeakReference<Object> {
    private static final Object hp$lock = new Object();
    private static volatile Object[] hp$table = new Object[16];
    /** Rows in {@link #hp$table}, live or not; guarded by {@link #hp$lock}. */
    private static int hp$count;

    private final int hp$hash;

    private HelperTemplate(Object key, int hash) {
        super(key);
        this.hp$hash = hash;
    }

    /** The row of {@code key}, or null when none was created. */
    static Object hp$find(Object key) {
        int h = System.identityHashCode(key);
        Object[] t = hp$table;
        int mask = t.length - 1;
        for (int i = h & mask; ; i = (i + 1) & mask) {
            HelperTemplate e = (HelperTemplate) t[i];
            if (e == null) {
                return null;
            }
            if (e.hp$hash == h && e.get() == key) {
                return e;
            }
        }
    }

    /** The row of {@code key}, created with the fields' initial values when there is none. */
    static Object hp$create(Object key) {
        synchronized (hp$lock) {
            Object found = hp$find(key);
            if (found != null) {
                return found;
            }
            Object[] t = hp$table;
            if ((hp$count + 1) * 2 > t.length) {
                t = hp$rebuild(t);
            }
            int h = System.identityHashCode(key);
            HelperTemplate e = new HelperTemplate(key, h);
            hp$initialise(e);
            int mask = t.length - 1;
            int i = h & mask;
            while (t[i] != null) {
                i = (i + 1) & mask;
            }
            t[i] = e;
            hp$count++;
            return e;
        }
    }

    /** A new array of the live rows, at most a quarter full; the caller holds the lock. */
    private static Object[] hp$rebuild(Object[] old) {
        int live = 0;
        for (Object o : old) {
            if (o != null && ((HelperTemplate) o).get() != null) {
                live++;
            }
        }
        int size = 16;
        while (size < (live + 1) * 4) {
            size <<= 1;
        }
        Object[] t = new Object[size];
        int mask = size - 1;
        for (Object o : old) {
            HelperTemplate e = (HelperTemplate) o;
            if (e != null && e.get() != null) {
                int i = e.hp$hash & mask;
                while (t[i] != null) {
                    i = (i + 1) & mask;
                }
                t[i] = e;
            }
        }
        hp$count = live;
        hp$table = t;
        return t;
    }

    /** Sets the initial values of a new row; the builder writes its body. */
    private static void hp$initialise(Object e) {
    }
}
