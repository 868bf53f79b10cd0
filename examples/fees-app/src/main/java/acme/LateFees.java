package acme;

/**
 * The late-payment fee: 1.5 % of the overdue amount, in whole cents.
 *
 * <p>Version 1.0 truncates instead of rounding half-up: {@code fee(100)} is 1 where it should be
 * 2. Nothing loads this class until the first {@code late} command, which is what makes it the
 * sample for hotpatching a class that loads after the patch was applied.
 */
public final class LateFees {
    /** The fee rate in tenths of a percent. */
    static final long RATE_PER_MILLE = 15;

    private LateFees() {
    }

    /** The late fee on an overdue amount of {@code cents}. */
    public static long fee(long cents) {
        return cents * RATE_PER_MILLE / 1000;
    }
}
