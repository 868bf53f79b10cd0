package acme.bench;

/**
 * Stage 4 of the ten-stage checksum that {@code busy} runs, one class per stage so that a
 * benchmark can measure a hotpatch that replaces ten classes at once.
 *
 * <p>Version 1.0.1 masks the sign bit so the result is never negative; only the body differs.
 */
public final class Op4 {
    private Op4() {
    }

    /** This stage applied to {@code x}. */
    public static long step(long x) {
        return (x * 39 + 5) & Long.MAX_VALUE;
    }
}
