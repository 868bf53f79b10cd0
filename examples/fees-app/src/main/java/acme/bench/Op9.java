package acme.bench;

/**
 * Stage 9 of the ten-stage checksum that {@code busy} runs, one class per stage so that a
 * benchmark can measure a hotpatch that replaces ten classes at once.
 *
 * <p>Version 1.0 lets the result overflow into negative numbers.
 */
public final class Op9 {
    private Op9() {
    }

    /** This stage applied to {@code x}. */
    public static long step(long x) {
        return x * 49 + 10;
    }
}
