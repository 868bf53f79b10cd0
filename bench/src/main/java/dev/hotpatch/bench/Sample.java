package dev.hotpatch.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Repeated measurements of one quantity, summarised robustly: median, quartiles and extremes,
 * because the machines this runs on are shared and a mean would follow the outliers. The one
 * statistics class of every benchmark here, the fleet ones included. Not thread-safe.
 */
public final class Sample {
    private final String unit;
    private final List<Double> values = new ArrayList<>();

    /** An empty sample of values in {@code unit} (e.g. {@code ms}, {@code /s}, or empty for ratios). */
    public Sample(String unit) {
        this.unit = unit;
    }

    public void add(double value) {
        values.add(value);
    }

    /** Adds {@code n} values from {@code from}, each multiplied by {@code scale} (e.g. nanoseconds to ms). */
    public void addAll(long[] from, int n, double scale) {
        for (int i = 0; i < n; i++) {
            values.add(from[i] * scale);
        }
    }

    /** Adds every value of this sample to {@code other}. */
    public void copyInto(Sample other) {
        other.values.addAll(values);
    }

    public boolean isEmpty() {
        return values.isEmpty();
    }

    /** Adds a duration measured with {@link System#nanoTime()}, converted to this sample's unit (ms or µs). */
    void addNanos(long nanos) {
        switch (unit) {
            case "ms": add(nanos / 1e6); break;
            case "µs": add(nanos / 1e3); break;
            case "s": add(nanos / 1e9); break;
            default: throw new IllegalStateException("sample in " + unit + " does not take durations");
        }
    }

    public int size() {
        return values.size();
    }

    public String unit() {
        return unit;
    }

    public double median() {
        return quantile(0.5);
    }

    public double min() {
        return sorted()[0];
    }

    public double max() {
        double[] s = sorted();
        return s[s.length - 1];
    }

    /** The {@code q} quantile (0..1), linearly interpolated between the two nearest ranks. */
    public double quantile(double q) {
        double[] s = sorted();
        double pos = q * (s.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = (int) Math.ceil(pos);
        return s[lo] + (s[hi] - s[lo]) * (pos - lo);
    }

    /** Interquartile range relative to the median, in percent: this sample's noise. */
    double spreadPercent() {
        double m = median();
        return m == 0 ? 0 : 100 * (quantile(0.75) - quantile(0.25)) / Math.abs(m);
    }

    /** Median of the first half versus the second half, in percent: drift over the run. */
    double driftPercent() {
        int half = values.size() / 2;
        if (half < 3) {
            return 0;
        }
        Sample first = new Sample(unit);
        Sample second = new Sample(unit);
        values.subList(0, half).forEach(first::add);
        values.subList(values.size() - half, values.size()).forEach(second::add);
        return 100 * (second.median() - first.median()) / first.median();
    }

    /** For example {@code 12.3 ms (IQR 11.9–13.0, min 11.2, max 19.0, n=30)}. */
    public String describe() {
        if (values.isEmpty()) {
            return "no data";
        }
        return String.format(Locale.ROOT, "%s %s (IQR %s–%s, min %s, max %s, n=%d)", fmt(median()), unit,
                fmt(quantile(0.25)), fmt(quantile(0.75)), fmt(min()), fmt(max()), values.size());
    }

    /** For example {@code 12.3 ms ±4%}: the median and the IQR relative to it. */
    public String brief() {
        if (values.isEmpty()) {
            return "no data";
        }
        return String.format(Locale.ROOT, "%s %s (IQR ±%.0f%%, n=%d)", fmt(median()), unit, spreadPercent() / 2, values.size());
    }

    public static String fmt(double v) {
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
        if (values.isEmpty()) {
            throw new IllegalStateException("empty sample");
        }
        double[] s = values.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(s);
        return s;
    }

    /** For example {@code 412 /s (range 371–455, n=5)}: median and extremes in {@code unit}, for short series of repeats. */
    public String range(String unit) {
        if (values.isEmpty()) {
            return "no data";
        }
        return String.format(Locale.ROOT, "%s %s (range %s–%s, n=%d)", fmt(median()), unit, fmt(min()), fmt(max()), values.size());
    }

    @Override
    public String toString() {
        return describe();
    }
}
