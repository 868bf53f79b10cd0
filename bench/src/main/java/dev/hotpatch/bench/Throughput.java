package dev.hotpatch.bench;

import dev.hotpatch.attach.AgentClient;
import dev.hotpatch.attach.ApplyResult;
import dev.hotpatch.attach.Outcome;
import dev.hotpatch.testkit.TargetJvm;
import java.io.IOException;
import java.nio.file.Files;
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
 * in back-to-back 100 ms slices (ten acme.bench stages and Fees.fee per operation) and a
 * ten-class patch goes in at 2.5 s, while the slices keep running.
 *
 * <p>The patch replaces the ten stages with their own code ({@link Workspace#neutralPatch}): the
 * 1.0.1 fix itself makes the loop several times slower (1.0's chain of multiply-adds folds into one,
 * 1.0.1's masks do not), which would drown the cost of patching. A control applies the real fix
 * and compares the rate after it with 1.0.1 started from the beginning.
 *
 * <p>Two throughputs per run: operations per second of wall time over the window as the driver
 * sees it (a pause hurts wherever it falls, but so does any other process taking the CPU), and
 * operations per CPU-second the target process used in the window ({@code /proc/PID/stat}), which
 * counts deoptimisation, recompilation and the agent's own work but not other processes' load.
 * Modes: no patch (the baseline); enrolled ({@code -javaagent} at start) patched by connect +
 * apply; the agent loaded dynamically by the same calls at 2.5 s; enrolled without a patch.
 * Each target is warmed up for 3 s of slices first; runs of the modes interleave.
 */
final class Throughput implements Benchmark {
    private static final int SLICE_MILLIS = 100;
    private static final int WARMUP_SLICES = 30;
    private static final int WINDOW_SLICES = 50;
    private static final int PATCH_AT_SLICE = 25;
    /** The last second of the window: the steady state after the patch. */
    private static final int TAIL_SLICES = 10;

    public static void main(String[] args) throws Exception {
        All.runOne(new Throughput(), args);
    }

    @Override
    public String name() {
        return "throughput";
    }

    @Override
    public String description() {
        return "busy fees-app, ops/s in the 5 s window around a 10-class hotpatch at 2.5 s: enrolled vs attached vs no patch";
    }

    /** Which patch a run applies. */
    enum Patch {
        NONE, NEUTRAL, FIX
    }

    /** What happens to the target in one run. */
    enum Mode {
        BASELINE("no patch (baseline)", FeesTarget.Mode.PLAIN, Patch.NONE, false),
        ENROLLED("enrolled, patched at 2.5 s", FeesTarget.Mode.ENROLLED, Patch.NEUTRAL, false),
        ATTACHED("attached at 2.5 s and patched", FeesTarget.Mode.PLAIN, Patch.NEUTRAL, false),
        ENROLLED_IDLE("control: enrolled, no patch", FeesTarget.Mode.ENROLLED, Patch.NONE, false),
        ENROLLED_FIX("control: enrolled, real 1.0.1 fix at 2.5 s", FeesTarget.Mode.ENROLLED, Patch.FIX, false),
        FIXED("control: 1.0.1 from start, no patch", FeesTarget.Mode.PLAIN, Patch.NONE, true);

        final String label;
        final FeesTarget.Mode agent;
        final Patch patch;
        final boolean fixedJar;

        Mode(String label, FeesTarget.Mode agent, Patch patch, boolean fixedJar) {
            this.label = label;
            this.agent = agent;
            this.patch = patch;
            this.fixedJar = fixedJar;
        }
    }

    /** One run's result: throughput over the window (wall and CPU), per-slice rates, and how long the patch took. */
    record Run(double opsPerSecond, double opsPerCpuSecond, double opsPerThreadCpuSecond, double[] sliceRates, long patchNanos) {
        /** The slowest slice, in ops per ms. */
        double worstSlice() {
            double w = Double.MAX_VALUE;
            for (double r : sliceRates) {
                w = Math.min(w, r);
            }
            return w;
        }

        /** Mean rate of the last second, in ops per ms. */
        double tail() {
            double sum = 0;
            for (int i = sliceRates.length - TAIL_SLICES; i < sliceRates.length; i++) {
                sum += sliceRates[i];
            }
            return sum / TAIL_SLICES;
        }
    }

    @Override
    public void run(Workspace ws, Settings settings, Report report) throws Exception {
        for (Path java : settings.jdks()) {
            measure(ws, java, settings.n(8), report);
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
                    report.detail("%s rep %d %-44s %,5.0f Mops/s wall, %,5.0f per process CPU-s, %,5.0f per busy-thread CPU-s,"
                            + " worst slice %,5.0f Mops/s%s", jdk, rep + 1, mode.label, run.opsPerSecond() / 1e6,
                            run.opsPerCpuSecond() / 1e6, run.opsPerThreadCpuSecond() / 1e6, run.worstSlice() / 1e3,
                            mode.patch != Patch.NONE ? String.format(Locale.ROOT, ", connect+apply %.0f ms", run.patchNanos() / 1e6) : "");
                }
            }
        } finally {
            patcher.shutdownNow();
        }
        Map<Mode, Sample> wall = new EnumMap<>(Mode.class);
        Map<Mode, Sample> cpu = new EnumMap<>(Mode.class);
        Map<Mode, Sample> threadCpu = new EnumMap<>(Mode.class);
        Map<Mode, Sample> worst = new EnumMap<>(Mode.class);
        Map<Mode, Sample> tail = new EnumMap<>(Mode.class);
        Map<Mode, Sample> patchTime = new EnumMap<>(Mode.class);
        for (Mode mode : modes) {
            wall.put(mode, new Sample("Mops/s"));
            cpu.put(mode, new Sample("Mops/CPU-s"));
            threadCpu.put(mode, new Sample("Mops/CPU-s"));
            worst.put(mode, new Sample("Mops/s"));
            tail.put(mode, new Sample("Mops/s"));
            patchTime.put(mode, new Sample("ms"));
            for (Run r : runs.get(mode)) {
                wall.get(mode).add(r.opsPerSecond() / 1e6);
                cpu.get(mode).add(r.opsPerCpuSecond() / 1e6);
                threadCpu.get(mode).add(r.opsPerThreadCpuSecond() / 1e6);
                worst.get(mode).add(r.worstSlice() / 1e3);
                tail.get(mode).add(r.tail() / 1e3);
                patchTime.get(mode).addNanos(r.patchNanos());
            }
        }
        report.detail("%s timeline: median rate of slices %d–%d over the runs, %% of the baseline's median slice"
                + " (the patch is sent as slice %d starts):", jdk, PATCH_AT_SLICE - 3, PATCH_AT_SLICE + 12, PATCH_AT_SLICE);
        for (Mode mode : List.of(Mode.BASELINE, Mode.ENROLLED, Mode.ATTACHED)) {
            report.detail("  %-32s %s", mode.label, timeline(runs.get(mode), runs.get(Mode.BASELINE)));
        }
        for (Mode mode : modes) {
            report.detail("%-44s wall %s; per process CPU-s %s; per busy-thread CPU-s %s; worst slice %s; last second %s%s",
                    mode.label, wall.get(mode).brief(), cpu.get(mode).brief(), threadCpu.get(mode).brief(),
                    worst.get(mode).brief(), tail.get(mode).brief(),
                    mode.patch == Patch.NONE ? "" : "; connect+apply " + patchTime.get(mode).brief());
        }
        String bench = "throughput " + jdk;
        Double target = jdk.equals("JDK 17") ? 2.0 : null;
        report.loss(bench, "enrolled, patched at 2.5 s: ops/s over 5 s (wall)", wall.get(Mode.ENROLLED), wall.get(Mode.BASELINE), target);
        report.loss(bench, "enrolled, patched at 2.5 s: ops per process CPU-second", cpu.get(Mode.ENROLLED),
                cpu.get(Mode.BASELINE), target);
        report.loss(bench, "enrolled, patched at 2.5 s: ops per busy-thread CPU-second", threadCpu.get(Mode.ENROLLED),
                threadCpu.get(Mode.BASELINE), target);
        report.loss(bench, "attached at 2.5 s: ops/s over 5 s (wall)", wall.get(Mode.ATTACHED), wall.get(Mode.BASELINE), null);
        report.loss(bench, "attached at 2.5 s: ops per process CPU-second", cpu.get(Mode.ATTACHED), cpu.get(Mode.BASELINE), null);
        report.loss(bench, "attached at 2.5 s: ops per busy-thread CPU-second", threadCpu.get(Mode.ATTACHED),
                threadCpu.get(Mode.BASELINE), null);
        report.loss(bench, "enrolled: worst 100 ms slice", worst.get(Mode.ENROLLED), worst.get(Mode.BASELINE), null);
        report.loss(bench, "attached: worst 100 ms slice", worst.get(Mode.ATTACHED), worst.get(Mode.BASELINE), null);
        report.loss(bench, "control: enrolled, no patch (wall)", wall.get(Mode.ENROLLED_IDLE), wall.get(Mode.BASELINE), null);
        report.loss(bench, "control: real 1.0.1 fix, last second vs 1.0.1 from start", tail.get(Mode.ENROLLED_FIX),
                tail.get(Mode.FIXED), null);
    }

    private Run once(Workspace ws, Path java, Mode mode, ExecutorService patcher) throws Exception {
        try (TargetJvm target = FeesTarget.start(ws, java, mode.agent, mode.fixedJar ? ws.feesFixed : ws.feesBaseline)) {
            for (int i = 0; i < WARMUP_SLICES; i++) {
                slice(target);
            }
            double[] rates = new double[WINDOW_SLICES];
            long ops = 0;
            Future<Long> patch = null;
            long cpu0 = cpuTicks(target.pid());
            Map<String, Long> threads0 = threadTicks(target.pid());
            long start = System.nanoTime();
            for (int i = 0; i < WINDOW_SLICES; i++) {
                if (i == PATCH_AT_SLICE && mode.patch != Patch.NONE) {
                    Path file = mode.patch == Patch.FIX ? ws.patch : ws.neutralPatch;
                    patch = patcher.submit(() -> patch(ws, target.pid(), file));
                }
                long t0 = System.nanoTime();
                long n = slice(target);
                rates[i] = n / ((System.nanoTime() - t0) / 1e6);
                ops += n;
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            double cpuSeconds = (cpuTicks(target.pid()) - cpu0) / 100.0;
            Map<String, Long> threads1 = threadTicks(target.pid());
            long busiest = 0;
            for (Map.Entry<String, Long> e : threads1.entrySet()) {
                Long before = threads0.get(e.getKey());
                busiest = Math.max(busiest, e.getValue() - (before == null ? 0 : before));
            }
            long patchNanos = patch == null ? 0 : patch.get();
            return new Run(ops / seconds, ops / cpuSeconds, ops / (busiest / 100.0), rates, patchNanos);
        }
    }

    private static long slice(TargetJvm target) {
        String line = target.request("busy " + SLICE_MILLIS, "busy ops=");
        return Long.parseLong(line.substring("busy ops=".length()).trim());
    }

    /** CPU time the process has used, user + system, in clock ticks (1/100 s on Linux), dead threads included. */
    private static long cpuTicks(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        // Fields after the command name, which is in parentheses and may contain spaces.
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    /** CPU ticks per thread of the process, by thread id; the busy thread is the one whose count grows most. */
    private static Map<String, Long> threadTicks(long pid) throws IOException {
        Map<String, Long> out = new java.util.HashMap<>();
        try (var tasks = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks) {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    out.put(task.getFileName().toString(), Long.parseLong(f[11]) + Long.parseLong(f[12]));
                } catch (IOException e) {
                    // The thread ended between listing and reading: it is not the busy one.
                }
            }
        }
        return out;
    }

    /** Connects (loading the agent when absent) and applies {@code file}; returns the elapsed time. */
    private static long patch(Workspace ws, long pid, Path file) {
        long t0 = System.nanoTime();
        AgentClient client = AgentClient.connect(pid);
        ApplyResult r = client.apply(file, ws.keyDir, "bench");
        if (r.outcome() != Outcome.OK) {
            throw new IllegalStateException("apply answered " + r.outcome() + ": " + r.message());
        }
        return System.nanoTime() - t0;
    }

    /** Slices around the patch as a percentage of the baseline's median slice rate, from the median over runs. */
    private static String timeline(List<Run> runs, List<Run> baseline) {
        Sample all = new Sample("ops/ms");
        for (Run r : baseline) {
            for (double v : r.sliceRates()) {
                all.add(v);
            }
        }
        double ref = all.median();
        StringBuilder b = new StringBuilder();
        for (int i = PATCH_AT_SLICE - 3; i <= PATCH_AT_SLICE + 12; i++) {
            Sample s = new Sample("ops/ms");
            for (Run r : runs) {
                s.add(r.sliceRates()[i]);
            }
            b.append(String.format(Locale.ROOT, "%4.0f", 100 * s.median() / ref));
        }
        return b.toString();
    }
}
