package acme;

/**
 * The late-payment fee: 1.5 % of the overdue amount, in whole cents, rounded half-up.
 *
 * <p>Version 1.0.1: same fields and methods as 1.0, only the body of {@link #fee} differs.
 */
public final class LateFees {
    /** The fee rate in tenths of a percent. */
    static final long RATE_PER_MILLE = 15;

    private LateFees() {
    }

    /** The late fee on an overdue amount of {@code cents}. */
    public static long fee(long cents) {
        return Math.floorDiv(cents * RATE_PER_MILLE + 500, 1000);
    }
}
