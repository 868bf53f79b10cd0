package acme;

/**
 * The card processing fee: 2.5 % of a payment, in whole cents, rounded half-up.
 *
 * <p>Version 1.0.1: same fields and methods as 1.0, only the body of {@link #fee} differs, so the
 * fix can be applied to a running 1.0 as a hotpatch.
 */
public final class Fees {
    /** The fee rate in tenths of a percent. */
    static final long RATE_PER_MILLE = 25;

    private Fees() {
    }

    /** The fee on a payment of {@code cents}. */
    public static long fee(long cents) {
        // floorDiv rather than '/' so that refunds (negative amounts) round half-up as well.
        return Math.floorDiv(cents * RATE_PER_MILLE + 500, 1000);
    }
}
