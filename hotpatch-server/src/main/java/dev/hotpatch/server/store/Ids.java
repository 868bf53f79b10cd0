package dev.hotpatch.server.store;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.Locale;

/**
 * Row identifiers and secret tokens. Ids are a kind prefix, the creation time in base 36 and
 * random characters, so they sort roughly by creation and never collide across replicas.
 * Thread-safe.
 */
public final class Ids {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final char[] ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789".toCharArray();

    private Ids() {
    }

    /** A new id such as {@code op-lz8k1c2a-7hq3m9xe}. */
    public static String next(String prefix, Instant now) {
        String time = Long.toString(now.toEpochMilli(), 36).toLowerCase(Locale.ROOT);
        return prefix + "-" + time + "-" + random(8);
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
