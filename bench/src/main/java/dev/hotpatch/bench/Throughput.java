package dev.hotpatch.bench;

import dev.hotpatch.attach.AgentClient;
import dev.hotpatch.attach.ApplyResult;
import dev.hotpatch.attach.Outcome;
import dev.hotpatch.testkit.TargetJvm;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Throughput of a busy application during the 5 s around a hotpatch: fees-app runs {@code busy}
 * in back-to-back 100 ms slices (ten acme.bench stages and Fees.fee per operation) and the
 * ten-class patch goes in at 2.5 s, while the slices keep running.
 *
 * <p>Throughput is operations per second of wall time over the whole window as the driver sees
 * it, so a pause hurts whether it falls inside a slice or between two. Modes: no patch
 * (the baseline), enrolled ({@code -javaagent} at start) patched by {@code connect + apply}, agent
 * loaded dynamically by the same calls at 2.5 s, and two controls that separate the causes:
 * enrolled without a patch (the agent's presence) and 1.0.1 from the start (the patched code's own
 * speed). Each target is warmed up for 3 s of slices first. Runs of the modes interleave.
 */
final class Throughput implements Benchmark {
    private static final int SLICE_MILLIS = 100;
    private static final int WARMUP_SLICES = 30;
    private static final int WINDOW_SLICES = 50;
    private static final int PATCH_AT_SLICE = 25;

    public static void main(String[] args) throws Exception {
        All.runOne(new Throughput(), args);
    }

    @Override
    public String name() {
        return "throughput";
    }

    @Override
    public String description() {
        return "busy fees-app, ops/s in the 5 s window around a hotpatch at 2.5 s: enrolled vs attached vs no patch";
    }

    /** What happens to the target in one run. */
    enum Mode {
        BASELINE("no patch (baseline)", FeesTarget.Mode.PLAIN, false, false),
        ENROLLED("enrolled, patched at 2.5 s", FeesTarget.Mode.ENROLLED, true, false),
        ATTACHED("attached at 2.5 s and patched", FeesTarget.Mode.PLAIN, true, false),
        ENROLLED_IDLE("control: enrolled, no patch", FeesTarget.Mode.ENROLLED, false, false),
        FIXED("control: 1.0.1 from start, no patch", FeesTarget.Mode.PLAIN, false, true);

        final String label;
        final FeesTarget.Mode agent;
        final boolean patches;
        final boolean fixedJar;

        Mode(String label, FeesTarget.Mode agent, boolean patches, boolean fixedJar) {
            this.label = label;
            this.agent = agent;
            this.patches = patches;
            this.fixedJar = fixedJar;
        }
    }

    /** One run's result: throughput over the window, per-slice rates, and how long the patch took. */
    record Run(double opsPerSecond, double[] sliceRates, long patchNanos) {
        double worstSlice() {
            double w = Double.MAX_VALUE;
            for (double r : sliceRates) {
                w = Math.min(w, r);
            }
            return w;
        }
    }

    @Override
    public void run(Workspace ws, Settings settings, Report report) throws Exception {
        for (Path java : settings.jdks()) {
            measure(ws, java, settings.n(6), report);
        }
    }

    private void measure(Workspace ws, Path java, int reps, Report report) throws Exception {
        String jdk = Workspace.label(java);
        Map<Mode, List<Run>> runs = new EnumMap<>(Mode.class);
        Mode[] modes = Mode.values();
        ExecutorService patcher = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "bench-patcher");
            t.setDaemon(true);
            return t;
        });
        try {
            for (int rep = 0; rep < reps; rep++) {
                for (int m = 0; m < modes.length; m++) {
                    Mode mode = modes[(m + rep) % modes.length];
                    Run run = once(ws, java, mode, patcher);
                    runs.computeIfAbsent(mode, x -> new ArrayList<>()).add(run);
                    report.detail("%s rep %d %-38s %,.0f ops/s, worst slice %,.0f ops/s%s", jdk, rep + 1, mode.label,
                            run.opsPerSecond(), run.worstSlice() * 1000,
                            mode.patches ? String.format(Locale.ROOT, ", connect+apply %.0f ms", run.patchNanos() / 1e6) : "");
                }
            }
        } finally {
            patcher.shutdownNow();
        }
        Map<Mode, Sample> window = new EnumMap<>(Mode.class);
        Map<Mode, Sample> worst = new EnumMap<>(Mode.class);
        for (Mode mode : modes) {
            Sample w = new Sample("Mops/s");
            Sample s = new Sample("Mops/s");
            for (Run r : runs.get(mode)) {
                w.add(r.opsPerSecond() / 1e6);
                s.add(r.worstSlice() * 1000 / 1e6);
            }
            window.put(mode, w);
            worst.put(mode, s);
        }
        report.detail("%s timeline: median slice rate per slice index, %% of the baseline's median slice (patch sent at slice %d):",
                jdk, PATCH_AT_SLICE);
        for (Mode mode : List.of(Mode.BASELINE, Mode.ENROLLED, Mode.ATTACHED)) {
            report.detail("  %-32s %s", mode.label, timeline(runs.get(mode), runs.get(Mode.BASELINE)));
        }
        for (Mode mode : modes) {
            report.detail("%-38s window %s; worst slice %s", mode.label, window.get(mode).describe(), worst.get(mode).describe());
        }
        String bench = "throughput " + jdk;
        Double target = jdk.equals("JDK 17") ? 2.0 : null;
        report.loss(bench, "enrolled, patched at 2.5 s: ops/s over 5 s", window.get(Mode.ENROLLED), window.get(Mode.BASELINE), target);
        report.loss(bench, "attached at 2.5 s: ops/s over 5 s", window.get(Mode.ATTACHED), window.get(Mode.BASELINE), null);
        report.loss(bench, "enrolled: worst 100 ms slice", worst.get(Mode.ENROLLED), worst.get(Mode.BASELINE), null);
        report.loss(bench, "attached: worst 100 ms slice", worst.get(Mode.ATTACHED), worst.get(Mode.BASELINE), null);
        report.loss(bench, "control: enrolled, no patch", window.get(Mode.ENROLLED_IDLE), window.get(Mode.BASELINE), null);
        report.loss(bench, "control: 1.0.1 code from start", window.get(Mode.FIXED), window.get(Mode.BASELINE), null);
    }

    private Run once(Workspace ws, Path java, Mode mode, ExecutorService patcher) throws Exception {
        try (TargetJvm target = FeesTarget.start(ws, java, mode.agent, mode.fixedJar ? ws.feesFixed : ws.feesBaseline)) {
            for (int i = 0; i < WARMUP_SLICES; i++) {
                slice(target);
            }
            double[] rates = new double[WINDOW_SLICES];
            long ops = 0;
            Future<Long> patch = null;
            long start = System.nanoTime();
            for (int i = 0; i < WINDOW_SLICES; i++) {
                if (i == PATCH_AT_SLICE && mode.patches) {
                    patch = patcher.submit(() -> patch(ws, target.pid()));
                }
                long t0 = System.nanoTime();
                long n = slice(target);
                rates[i] = n / ((System.nanoTime() - t0) / 1e6);
                ops += n;
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            long patchNanos = patch == null ? 0 : patch.get();
            return new Run(ops / seconds, rates, patchNanos);
        }
    }

    private static long slice(TargetJvm target) {
        String line = target.request("busy " + SLICE_MILLIS, "busy ops=");
        return Long.parseLong(line.substring("busy ops=".length()).trim());
    }

    /** Connects (loading the agent when absent) and applies the ten-class patch; returns the elapsed time. */
    private static long patch(Workspace ws, long pid) {
        long t0 = System.nanoTime();
        AgentClient client = AgentClient.connect(pid);
        ApplyResult r = client.apply(ws.patch, ws.keyDir, "bench");
        if (r.outcome() != Outcome.OK) {
            throw new IllegalStateException("apply answered " + r.outcome() + ": " + r.message());
        }
        return System.nanoTime() - t0;
    }

    /** Slices 22–37 as a percentage of the baseline's median slice rate, from the median over runs. */
    private static String timeline(List<Run> runs, List<Run> baseline) {
        Sample all = new Sample("ops/ms");
        for (Run r : baseline) {
            for (double v : r.sliceRates()) {
                all.add(v);
            }
        }
        double ref = all.median();
        StringBuilder b = new StringBuilder();
        for (int i = PATCH_AT_SLICE - 3; i < Math.min(WINDOW_SLICES, PATCH_AT_SLICE + 13); i++) {
            Sample s = new Sample("ops/ms");
            for (Run r : runs) {
                s.add(r.sliceRates()[i]);
            }
            b.append(String.format(Locale.ROOT, "%4.0f", 100 * s.median() / ref));
        }
        return b.toString();
    }
}
