package dev.hotpatch.bench.fleet;

import java.util.Arrays;
import java.util.Locale;

/**
 * A set of measurements of one quantity, summarised robustly (median, quartiles, extremes):
 * the machine is shared, so a mean would follow the outliers. Not thread-safe.
 */
final class Stats {
    private double[] values = new double[16];
    private int size;

    void add(double v) {
        if (size == values.length) {
            values = Arrays.copyOf(values, size * 2);
        }
        values[size++] = v;
    }

    /** Adds {@code n} values from {@code from}. */
    void addAll(long[] from, int n, double scale) {
        for (int i = 0; i < n; i++) {
            add(from[i] * scale);
        }
    }

    /** Adds every value of this set to {@code other}. */
    void copyInto(Stats other) {
        for (int i = 0; i < size; i++) {
            other.add(values[i]);
        }
    }

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    double median() {
        return quantile(0.5);
    }

    double min() {
        return sorted()[0];
    }

    double max() {
        return sorted()[size - 1];
    }

    /** The {@code q} quantile (0..1), linearly interpolated between the two nearest ranks. */
    double quantile(double q) {
        double[] s = sorted();
        double pos = q * (s.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = (int) Math.ceil(pos);
        return s[lo] + (s[hi] - s[lo]) * (pos - lo);
    }

    /** For example {@code 412 (IQR 398–430, min 371, max 455, n=5)}. */
    String describe(String unit) {
        if (size == 0) {
            return "no data";
        }
        return String.format(Locale.ROOT, "%s %s (IQR %s–%s, min %s, max %s, n=%d)", fmt(median()), unit, fmt(quantile(0.25)),
                fmt(quantile(0.75)), fmt(min()), fmt(max()), size);
    }

    /** For example {@code 412 /s (range 371–455, n=5)}: median and extremes, for short series of repeats. */
    String brief(String unit) {
        if (size == 0) {
            return "no data";
        }
        return String.format(Locale.ROOT, "%s %s (range %s–%s, n=%d)", fmt(median()), unit, fmt(min()), fmt(max()), size);
    }

    static String fmt(double v) {
        double a = Math.abs(v);
        if (a >= 1000) {
            return String.format(Locale.ROOT, "%,.0f", v);
        }
        if (a >= 100) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        if (a >= 10) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        return String.format(Locale.ROOT, "%.2f", v);
    }

    private double[] sorted() {
        if (size == 0) {
            throw new IllegalStateException("no measurements");
        }
        double[] s = Arrays.copyOf(values, size);
        Arrays.sort(s);
        return s;
    }
}
