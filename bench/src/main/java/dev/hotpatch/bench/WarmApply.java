package dev.hotpatch.bench;

import com.sun.tools.attach.VirtualMachine;
import dev.hotpatch.attach.AgentClient;
import dev.hotpatch.attach.ApplyResult;
import dev.hotpatch.attach.Outcome;
import dev.hotpatch.attach.UninstallResult;
import dev.hotpatch.testkit.TargetJvm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Warm apply: the ten-class patch applied by an agent that is already resident, against bare
 * {@code redefineClasses} of the same ten classes with the same bytes, in the same target JVM.
 *
 * <p>Each round does both, in alternating order: the bare agent redefines the classes to the 1.0.1
 * bytes and back (each {@code loadAgent} a real redefinition), and the hotpatch agent applies the
 * package and uninstalls it. Measured: the time inside each agent (the hotpatch agent's own
 * {@code durationMicros}; the bare agent's whole {@code agentmain}), and the round trip a tool
 * sees (an apply request on an already connected {@link AgentClient}; a {@code loadAgent} on an
 * already attached VM). The first rounds start 5 s after the agent loaded and are warm-up, not
 * recorded; the measured rounds start 3 s after them, 20 ms apart (see {@link #SETTLE_MILLIS}).
 *
 * <p>The target logs its safepoints, so that the VM operation of each redefinition (the pause of
 * the application) is reported apart from the rest of the {@code redefineClasses} call.
 *
 * <p>As {@code warm-apply-large}, the same in a target that first loads {@value #LARGE} of the JDK's
 * classes ({@link Ballast}), the size of a real service: both sides' costs grow with the classes a
 * JVM holds, and this shows how. Its rows carry no target; goal 1 is stated for the plain one.
 */
final class WarmApply implements Benchmark {
    /** The classes the large variant's target loads before the fees app starts. */
    static final int LARGE = 12_000;
    /** How long the agent has been loaded before the first round. */
    private static final long RESIDENT_NANOS = 5_000_000_000L;
    /**
     * The pause between the warm-up rounds and the measured ones. The JVM's first redefinition
     * (in the warm-up) deoptimizes all compiled code of an attached JVM, the JDK's and the
     * application's: without the pause the rounds measure that recompilation, on both cores,
     * rather than an apply to a resident agent in a running JVM.
     */
    private static final long SETTLE_MILLIS = 3_000;
    /** The pause before each measured round, so that the compiler work one round causes does not run into the next. */
    private static final long GAP_MILLIS = 20;
    /** A RedefineClasses line of {@code -Xlog:safepoint}: its time at the safepoint, in ns (JDK 17 and 25). */
    private static final Pattern REDEFINE_SAFEPOINT = Pattern.compile("Safepoint \"RedefineClasses\".*At safepoint: (\\d+) ns");
    /** JDK classes the target loads first; 0 for the plain fees app. */
    private final int ballastClasses;

    WarmApply() {
        this(0);
    }

    WarmApply(int ballastClasses) {
        this.ballastClasses = ballastClasses;
    }

    public static void main(String[] args) throws Exception {
        All.runOne(new WarmApply(), args);
    }

    @Override
    public String name() {
        return ballastClasses == 0 ? "warm-apply" : "warm-apply-large";
    }

    @Override
    public String description() {
        return "10-class patch, agent resident: hotpatch apply vs bare redefineClasses in the same JVM"
                + (ballastClasses == 0 ? "" : ", in a target grown by " + ballastClasses + " JDK classes");
    }

    @Override
    public void run(Workspace ws, Settings settings, Report report) throws Exception {
        for (Path java : settings.jdks()) {
            measure(ws, java, settings.n(10), settings.n(40), report);
        }
    }

    private void measure(Workspace ws, Path java, int warmup, int rounds, Report report) throws Exception {
        String jdk = Workspace.label(java);
        Sample hpInside = new Sample("ms");
        Sample hpRoundTrip = new Sample("ms");
        Sample hpUninstall = new Sample("ms");
        Sample bareInside = new Sample("ms");
        Sample bareRedefine = new Sample("ms");
        Sample bareRedefineMicros = new Sample("µs");
        Sample bareRoundTrip = new Sample("ms");
        Sample bareBack = new Sample("ms");
        Sample paired = new Sample("×");
        Map<String, Sample> phases = new LinkedHashMap<>();
        String names = String.join(",", Workspace.PATCH_CLASSES);
        String probe;
        Path safepoints = ws.fresh("safepoints-");
        List<Double> pausesBefore = List.of();
        List<Double> pausesAfter = List.of();
        try (TargetJvm target = FeesTarget.startPrimed(ws, java, FeesTarget.Mode.PLAIN, ballastClasses,
                "-Xlog:safepoint=info:file=" + safepoints + ":none")) {
            AgentClient client = AgentClient.connect(target.pid());
            long loaded = System.nanoTime();
            VirtualMachine vm = VirtualMachine.attach(Long.toString(target.pid()));
            try {
                ws.awaitSettledTrust();
                // A resident agent, as in production: not in the seconds after its load, while its
                // own warm-up thread and the JIT compiling its load path share the target's cores.
                long settle = RESIDENT_NANOS - (System.nanoTime() - loaded);
                if (settle > 0) {
                    Thread.sleep(settle / 1_000_000);
                }
                for (int i = 0; i < warmup + rounds; i++) {
                    boolean record = i >= warmup;
                    if (i == warmup) {
                        Thread.sleep(SETTLE_MILLIS);
                        pausesBefore = redefinitionPauses(safepoints);
                    }
                    if (record) {
                        Thread.sleep(GAP_MILLIS);
                    }
                    long[] bare;
                    long[] hp;
                    if (i % 2 == 0) {
                        bare = bare(vm, ws, "w" + i, names);
                        hp = hotpatch(client, ws, i == 0, record ? phases : null);
                    } else {
                        hp = hotpatch(client, ws, false, record ? phases : null);
                        bare = bare(vm, ws, "w" + i, names);
                    }
                    if (record) {
                        bareInside.addNanos(bare[0]);
                        bareRedefine.addNanos(bare[1]);
                        bareRedefineMicros.addNanos(bare[1]);
                        bareRoundTrip.addNanos(bare[2]);
                        bareBack.addNanos(bare[3]);
                        hpInside.addNanos(hp[0]);
                        hpRoundTrip.addNanos(hp[1]);
                        hpUninstall.addNanos(hp[2]);
                        paired.add((double) hp[0] / bare[0]);
                    }
                }
                pausesAfter = redefinitionPauses(safepoints);
                probe = breakdown(vm, ws, Math.max(10, rounds / 2));
            } finally {
                vm.detach();
            }
        }
        report.detail("%s, %d rounds after %d warm-up rounds, one target JVM (fees-app 1.0%s, agent attached %d s before the first):",
                jdk, rounds, warmup, ballastClasses == 0 ? "" : " after " + ballastClasses + " JDK classes", RESIDENT_NANOS / 1_000_000_000L);
        report.detail("hotpatch apply, inside the agent:        %s", hpInside.describe());
        report.detail("hotpatch apply, client round trip:       %s", hpRoundTrip.describe());
        report.detail("hotpatch uninstall, client round trip:   %s", hpUninstall.describe());
        report.detail("bare agentmain (read 10 files + redefine): %s", bareInside.describe());
        report.detail("bare redefineClasses call alone:         %s", bareRedefine.describe());
        report.detail("bare loadAgent round trip (to 1.0.1):    %s", bareRoundTrip.describe());
        report.detail("bare loadAgent round trip (back to 1.0): %s", bareBack.describe());
        report.detail("per-round ratio hotpatch/bare inside:    %s", paired.describe());
        report.detail("drift first→second half: hotpatch %+.0f%%, bare %+.0f%%", hpInside.driftPercent(), bareInside.driftPercent());
        report.detail("%s, inside the agent's own applies, step by step (the agent's phase timings, median µs of the %d rounds):", jdk, rounds);
        double phaseSum = 0;
        for (Map.Entry<String, Sample> p : phases.entrySet()) {
            report.detail("  %-34s %8.0f", p.getKey(), p.getValue().median());
            phaseSum += p.getValue().median();
        }
        report.detail("  %-34s %8.0f  (sum of medians) vs %.0f µs median apply", "sum", phaseSum, hpInside.median() * 1000);
        printBreakdown(probe, hpInside, bareRedefine, jdk, report);
        String row = "warm apply " + jdk + (ballastClasses == 0 ? "" : " (+" + ballastClasses + " classes)");
        Double goal = ballastClasses == 0 ? 1.5 : null;
        report.ratio(row, "time inside the agent", hpInside, bareInside, goal);
        // The agent's redefine phase against the bare agent's call of the same redefineClasses.
        Sample hpRedefine = phases.get("redefine");
        if (hpRedefine != null) {
            report.ratio(row, "redefineClasses call alone", hpRedefine, bareRedefineMicros, null);
        }
        // Within that call, the VM operation: the safepoint that stops the application.
        Sample[] pauses = pauses(pausesBefore, pausesAfter, warmup, rounds);
        if (pauses != null) {
            report.ratio(row, "the application's pause (VM operation)", pauses[0], pauses[1], null);
        } else {
            report.detail("%s: the target's safepoint log did not grow by one RedefineClasses operation per redefinition"
                    + " (%d before the measured rounds, %d after, %d rounds); the pause row is left out", jdk, pausesBefore.size(),
                    pausesAfter.size(), rounds);
        }
        report.ratio(row, "tool round trip", hpRoundTrip, bareRoundTrip, goal);
        report.ratio(row, "uninstall round trip (no target)", hpUninstall, bareBack, null);
    }

    /** The time at safepoint of each RedefineClasses VM operation in the target's safepoint log so far, in µs. */
    private static List<Double> redefinitionPauses(Path log) throws IOException {
        List<Double> out = new ArrayList<>();
        for (String line : Files.readAllLines(log)) {
            Matcher m = REDEFINE_SAFEPOINT.matcher(line);
            if (m.find()) {
                out.add(Long.parseLong(m.group(1)) / 1000.0);
            }
        }
        return out;
    }

    /**
     * The measured rounds' pauses, {hotpatch apply, bare redefinition to 1.0.1}, from the safepoint
     * log read before and after them; null unless the log grew by exactly four redefinitions a round.
     * A round is bare to 1.0.1, bare back, apply, uninstall when even, and apply, uninstall, bare to
     * 1.0.1, bare back when odd (see {@link #measure}).
     */
    private static Sample[] pauses(List<Double> before, List<Double> after, int warmup, int rounds) {
        if (after.size() - before.size() != rounds * 4) {
            return null;
        }
        Sample hp = new Sample("µs");
        Sample bare = new Sample("µs");
        for (int i = warmup; i < warmup + rounds; i++) {
            int first = before.size() + (i - warmup) * 4;
            boolean bareFirst = i % 2 == 0;
            bare.add(after.get(bareFirst ? first : first + 2));
            hp.add(after.get(bareFirst ? first + 2 : first));
        }
        return new Sample[] {hp, bare};
    }

    /**
     * Loads {@link ApplyProbe} into the target (after the measured rounds, so it cannot disturb
     * them) and prints what each step of an apply costs on its own.
     */
    private static String breakdown(VirtualMachine vm, Workspace ws, int reps) throws Exception {
        String key = "p" + System.nanoTime();
        vm.loadAgent(ws.probeJar.toString(), String.join("|", key, ws.patch.toString(), ws.keyDir.toString(),
                ws.originalClasses.toString(), ws.fresh("probe-").toString(), Integer.toString(reps),
                String.join(",", Workspace.PATCH_CLASSES)));
        return reps + ";" + vm.getSystemProperties().getProperty(ApplyProbe.PROPERTY_PREFIX + key);
    }

    private static void printBreakdown(String probe, Sample hpInside, Sample bareRedefine, String jdk, Report report) {
        String[] parts = probe.split(";");
        report.detail("%s breakdown of one apply, each step timed alone by ApplyProbe in the same JVM after the rounds"
                + " (median of %s, µs):", jdk, parts[0]);
        long sum = 0;
        for (int i = 1; i < parts.length; i++) {
            String[] kv = parts[i].split("=", 2);
            report.detail("  %-34s %8s", kv[0], kv[1]);
            if (!kv[0].equals("loadedClasses") && !kv[0].startsWith(" ")) {
                sum += Long.parseLong(kv[1]);
            }
        }
        report.detail("  %-34s %8d  (indented steps left out) vs %.0f µs measured inside the agent; redefineClasses alone in"
                + " the rounds: %.0f µs", "sum of steps", sum, hpInside.median() * 1000, bareRedefine.median() * 1000);
    }

    /** Redefines to 1.0.1 and back with the bare agent: {inside, redefine alone, round trip, round trip back}. */
    private static long[] bare(VirtualMachine vm, Workspace ws, String key, String names) throws Exception {
        long t0 = System.nanoTime();
        vm.loadAgent(ws.bareJar.toString(), key + "a|" + ws.patchedClasses + "|" + names);
        long t1 = System.nanoTime();
        vm.loadAgent(ws.bareJar.toString(), key + "b|" + ws.originalClasses + "|" + names);
        long t2 = System.nanoTime();
        String[] inside = vm.getSystemProperties().getProperty(BareAgent.PROPERTY_PREFIX + key + "a").split(",");
        return new long[] {Long.parseLong(inside[0]), Long.parseLong(inside[1]), t1 - t0, t2 - t1};
    }

    /** Applies and uninstalls the package: {inside the agent, apply round trip, uninstall round trip}. */
    private static long[] hotpatch(AgentClient client, Workspace ws, boolean check, Map<String, Sample> phases) {
        long t0 = System.nanoTime();
        ApplyResult r = client.apply(ws.patch, ws.keyDir, "bench");
        long t1 = System.nanoTime();
        if (r.outcome() != Outcome.OK) {
            throw new IllegalStateException("apply answered " + r.outcome() + ": " + r.message());
        }
        if (phases != null) {
            for (String step : r.phases().split(",")) {
                String[] kv = step.split("=", 2);
                if (kv.length == 2) {
                    phases.computeIfAbsent(kv[0], k -> new Sample("µs")).add(Double.parseDouble(kv[1]));
                }
            }
        }
        if (check) {
            int copies = r.classes().stream().mapToInt(ApplyResult.PatchedClass::loaders).sum();
            if (copies != Workspace.PATCH_CLASSES.size()) {
                throw new IllegalStateException("apply redefined " + copies + " class copies, expected "
                        + Workspace.PATCH_CLASSES.size() + ": " + r);
            }
        }
        UninstallResult u = client.uninstall(Workspace.PATCH_ID, "bench");
        long t2 = System.nanoTime();
        if (u.outcome() != Outcome.OK) {
            throw new IllegalStateException("uninstall answered " + u.outcome() + ": " + u.message());
        }
        return new long[] {r.durationMicros() * 1000, t1 - t0, t2 - t1};
    }
}
