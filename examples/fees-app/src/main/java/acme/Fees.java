package acme;

/**
 * The card processing fee: 2.5 % of a payment, in whole cents.
 *
 * <p>Version 1.0 truncates the fee instead of rounding it half-up, so any payment whose fee has a
 * half cent or more is undercharged by a cent: {@code fee(100)} is 2 where it should be 3.
 * Version 1.0.1 ({@code src/fixed/java}) fixes the method body only, so it can be hotpatched.
 */
public final class Fees {
    /** The fee rate in tenths of a percent. */
    static final long RATE_PER_MILLE = 25;

    private Fees() {
    }

    /** The fee on a payment of {@code cents}. */
    public static long fee(long cents) {
        return cents * RATE_PER_MILLE / 1000;
    }
}
