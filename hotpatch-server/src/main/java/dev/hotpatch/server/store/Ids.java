package dev.hotpatch.server.store;

import java.security.SecureRandom;
import java.time.Instant;

/**
 * Row identifiers and secret tokens. Ids are a kind prefix, the creation time in base 36 and
 * random characters, so they sort roughly by creation and never collide across replicas.
 * Thread-safe.
 */
public final class Ids {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final java.util.concurrent.atomic.AtomicLong COUNTER = new java.util.concurrent.atomic.AtomicLong();
    private static final char[] ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789".toCharArray();

    private Ids() {
    }

    /**
     * A new id such as {@code op-0mk3x1c2a-0001a-7hq3m9xe}: fixed-width time and a per-process
     * counter, so ids of one replica sort in creation order even within a millisecond.
     */
    public static String next(String prefix, Instant now) {
        String time = pad(Long.toString(Math.max(0, now.toEpochMilli()), 36), 9);
        String seq = pad(Long.toString(COUNTER.getAndIncrement() & 0x7fffffffL, 36), 6);
        return prefix + "-" + time + "-" + seq + "-" + random(6);
    }

    private static String pad(String s, int width) {
        return s.length() >= width ? s : "0".repeat(width - s.length()) + s;
    }

    /** A new secret token: the prefix and 43 random characters (over 200 bits). */
    public static String secret(String prefix) {
        return prefix + "_" + random(43);
    }

    private static String random(int n) {
        char[] c = new char[n];
        for (int i = 0; i < n; i++) {
            c[i] = ALPHABET[RANDOM.nextInt(ALPHABET.length)];
        }
        return new String(c);
    }
}
