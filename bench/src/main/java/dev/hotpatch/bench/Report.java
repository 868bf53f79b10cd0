package dev.hotpatch.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The figures of one benchmark run: details printed as they are measured, and a summary table of
 * subject versus bare-JDK baseline, their ratio and the target from issue 2, printed at the end.
 * A missed target is reported, never thrown: benchmarks do not pass or fail. Not thread-safe.
 */
final class Report {
    /** One line of the summary table; all cells are preformatted text. */
    record Row(String benchmark, String measure, String value, String baseline, String ratio, String target, String verdict) {
    }

    private final PrintStream out;
    private final List<Row> rows = new ArrayList<>();

    Report(PrintStream out) {
        this.out = out;
    }

    /** Prints a line of detail at once, indented under the current benchmark. */
    void detail(String format, Object... args) {
        out.println("  " + String.format(Locale.ROOT, format, args));
        out.flush();
    }

    void heading(String title) {
        out.println();
        out.println("== " + title + "  [load average " + loadAverage() + "]");
        out.flush();
    }

    /**
     * A time or size ratio, subject median over baseline median; {@code maxRatio} is the target,
     * or null when there is none.
     */
    void ratio(String benchmark, String measure, Sample subject, Sample baseline, Double maxRatio) {
        double r = subject.median() / baseline.median();
        String target = maxRatio == null ? "—" : "≤ " + Sample.fmt(maxRatio) + "×";
        String verdict = maxRatio == null ? "—" : r <= maxRatio ? "met" : "missed";
        add(new Row(benchmark, measure, subject.brief(), baseline.brief(), String.format(Locale.ROOT, "%.2f×", r), target, verdict));
    }

    /**
     * A throughput loss in percent, {@code 1 - subject/baseline} of the medians;
     * {@code maxLossPercent} is the target, or null when there is none.
     */
    void loss(String benchmark, String measure, Sample subject, Sample baseline, Double maxLossPercent) {
        double loss = 100 * (1 - subject.median() / baseline.median());
        String target = maxLossPercent == null ? "—" : "loss ≤ " + Sample.fmt(maxLossPercent) + "%";
        String verdict = maxLossPercent == null ? "—" : loss <= maxLossPercent ? "met" : "missed";
        add(new Row(benchmark, measure, subject.brief(), baseline.brief(),
                String.format(Locale.ROOT, "%+.1f%% loss", loss), target, verdict));
    }

    /**
     * An absolute time goal: {@code subject}'s median against {@code maxMillis}, shown with the
     * baseline beside it and their ratio.
     */
    void goal(String benchmark, String measure, Sample subject, Sample baseline, double maxMillis) {
        double r = subject.median() / baseline.median();
        add(new Row(benchmark, measure, subject.brief(), baseline.brief(), String.format(Locale.ROOT, "%.2f×", r),
                "≤ " + Sample.fmt(maxMillis) + " ms", subject.median() <= maxMillis ? "met" : "missed"));
    }

    /** A figure with no baseline ratio, e.g. a size. */
    void figure(String benchmark, String measure, String value, String baseline) {
        add(new Row(benchmark, measure, value, baseline, "—", "—", "—"));
    }

    /** A row whose figure could not be measured in this run, with the reason. */
    void skipped(String benchmark, String measure, String why) {
        add(new Row(benchmark, measure, "not measured: " + why, "—", "—", "—", "—"));
    }

    private void add(Row row) {
        rows.add(row);
        detail("→ %s: %s vs %s = %s (target %s: %s)", row.measure(), row.value(), row.baseline(), row.ratio(), row.target(),
                row.verdict());
    }

    /** The summary as a Markdown table. */
    String table() {
        StringBuilder b = new StringBuilder();
        b.append("| benchmark | measure | hotpatch | bare-JDK baseline | ratio | target | verdict |\n");
        b.append("|---|---|---|---|---|---|---|\n");
        for (Row r : rows) {
            b.append("| ").append(String.join(" | ", r.benchmark(), r.measure(), r.value(), r.baseline(), r.ratio(),
                    r.target(), r.verdict())).append(" |\n");
        }
        return b.toString();
    }

    void printTable() {
        out.println();
        out.println("== Summary (median; IQR ± is half the interquartile range relative to the median)");
        out.println();
        out.print(table());
        out.flush();
    }

    /** The 1-, 5- and 15-minute load averages, a rough measure of how shared the machine was. */
    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }
}
