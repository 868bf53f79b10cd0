package dev.hotpatch.bench;

import dev.hotpatch.attach.AgentClient;
import dev.hotpatch.attach.ApplyResult;
import dev.hotpatch.attach.Outcome;
import dev.hotpatch.attach.UninstallResult;
import dev.hotpatch.builder.BuildRequest;
import dev.hotpatch.builder.BuildResult;
import dev.hotpatch.builder.PatchBuilder;
import dev.hotpatch.builder.rewrite.Verdict;
import dev.hotpatch.format.Classification;
import dev.hotpatch.format.SigningKey;
import dev.hotpatch.testkit.JarMaker;
import dev.hotpatch.testkit.TargetJvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What a rewritten hotpatch (issue 8) costs: the steady-state speed of code that calls a moved
 * method or reads a shadowed field, and the time an apply takes.
 *
 * <p>The benchmark compiles a small library itself, ten classes {@code lib.Meter0…9} at three
 * versions: v1 (the running release), v2 (the fix: an added private method and an added instance
 * field, which {@link PatchBuilder} moves into the hidden helper and shadows in the weak side
 * table) and v1b (a body-only change of the same methods, which plain redefinition takes as is).
 * Both packages are built by the real builder and signed with the workspace key.
 *
 * <p>Steady state: a driver ({@code app.Driver}, compiled against v1) runs four loops over
 * {@code Meter0} objects in 500 ms slices and reports operations, wall nanoseconds and the CPU
 * nanoseconds of the loop's thread (on a shared machine wall time also counts the time other
 * processes held the CPU; thread CPU time is far steadier, though a loop of a few cycles still
 * moves with code placement and the sibling vCPU's load). The loops: {@code moved} calls
 * {@code scale}, whose body is one call of the moved method; {@code row}, {@code norow} and
 * {@code fresh} call {@code depth()}, whose body reads the shadowed field, of objects that wrote
 * the field (they have a side-table row), of objects created before the patch that never wrote it
 * (no row: the read finds none and gives the default), and of an object allocated in the same
 * iteration that does not escape (v2 may scalar-replace it; the rewritten read hashes it, so it
 * cannot: a figure without a target). Each fork is one target JVM: "patched" starts v1, runs every
 * loop for 1 s, applies the rewritten package through the attached agent, then warms up and
 * measures; "fixed" starts v2 and does the same without the patch. Forks of the two sides
 * alternate and are also compared pairwise; after warm-up the loops' slices rotate, so a change in
 * the machine's load falls on all of them. The driver's answers to one check command must be the
 * same on both sides, or the run stops: the figures are of code that behaves as the fix.
 *
 * <p>Apply time: in one target running v1 with the agent attached, the rewritten and the plain
 * package are applied and uninstalled in alternating order, as {@link WarmApply} does, with the
 * agent's own {@code durationMicros}, the client's round trip and the first call of every patched
 * method after the apply (which resolves the moved code's constants and defines the helper).
 */
final class RewriteCost implements Benchmark {
    static final String REWRITTEN_ID = "KB-BENCH-0801";
    static final String PLAIN_ID = "KB-BENCH-0802";
    private static final int CLASSES = 10;
    private static final int SLICE_MILLIS = 500;
    /** Per loop, before the patch (or the same time in the fixed JVM): the application was running. */
    private static final int BEFORE_SLICES = 2;
    /** Per loop, after the patch, not recorded. */
    private static final int WARMUP_SLICES = 4;
    /** Per loop, recorded: 5 s of each loop per fork in a full run. */
    private static final int MEASURED_SLICES = 10;

    /** v1: the release running JVMs have. {@code N} is the class number. */
    static final String METER_V1 = """
            package lib;
            public class MeterN {
                private final int base;
                public MeterN(int base) { this.base = base; }
                public int scale(int x) { return x + base; }
                public int depth() { return 0; }
                public void mark() { }
            }
            """;
    /** v2, the fix: an added private method (moved) and an added instance field (shadowed). */
    static final String METER_V2 = """
            package lib;
            public class MeterN {
                private final int base;
                private int depth;
                public MeterN(int base) { this.base = base; }
                public int scale(int x) { return bounded(x); }
                private int bounded(int x) { return (x ^ base) & 0x7fffffff; }
                public int depth() { return depth; }
                public void mark() { depth++; }
            }
            """;
    /** v1b: the same methods changed in their bodies only, which plain redefinition takes. */
    static final String METER_PLAIN = """
            package lib;
            public class MeterN {
                private final int base;
                public MeterN(int base) { this.base = base; }
                public int scale(int x) { return (x ^ base) & 0x7fffffff; }
                public int depth() { return base & 1; }
                public void mark() { }
            }
            """;
    /**
     * Answers {@code LOOP MILLIS} with {@code LOOP ops=N nanos=T cpu=C} (C: the thread's CPU time), {@code mark}, {@code check}
     * (the values the fix decides) and {@code first} (one call of each method of every class,
     * timed). 64 objects are marked by {@code mark}; 64 others never are; all are created at start.
     */
    static final String DRIVER = """
            package app;
            import java.io.*;
            import java.nio.charset.StandardCharsets;
            import lib.*;
            public final class Driver {
                static final int N = 64;
                static final Meter0[] marked = new Meter0[N];
                static final Meter0[] unmarked = new Meter0[N];
                static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();
                static volatile long sink;
                public static void main(String[] args) throws IOException {
                    for (int i = 0; i < N; i++) {
                        marked[i] = new Meter0(i);
                        unmarked[i] = new Meter0(N + i);
                    }
                    sink = first();
                    System.out.println("ready");
                    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                    for (String line; (line = in.readLine()) != null; ) {
                        String[] w = line.trim().split(" ");
                        String answer;
                        switch (w[0]) {
                            case "moved": answer = moved(Long.parseLong(w[1])); break;
                            case "row": answer = read(marked, Long.parseLong(w[1])); break;
                            case "norow": answer = read(unmarked, Long.parseLong(w[1])); break;
                            case "fresh": answer = fresh(Long.parseLong(w[1])); break;
                            case "mark": for (Meter0 m : marked) { m.mark(); } answer = ""; break;
                            case "check": answer = "scale=" + marked[1].scale(5) + " row=" + marked[1].depth()
                                    + " norow=" + unmarked[1].depth() + " fresh=" + new Meter0(3).depth(); break;
                            case "first": { long t0 = System.nanoTime(); long s = first(); answer = "nanos=" + (System.nanoTime() - t0); sink = s; break; }
                            case "quit": System.exit(0); return;
                            default: answer = "unknown command " + w[0];
                        }
                        System.out.println(w[0] + " " + answer);
                    }
                }
                static String moved(long millis) {
                    long cpu = THREADS.getCurrentThreadCpuTime();
                    long start = System.nanoTime();
                    long end = start + millis * 1_000_000L;
                    long ops = 0;
                    long s = 0;
                    Meter0[] ms = marked;
                    do {
                        for (int i = 0; i < 1024; i++) {
                            s += ms[i & (N - 1)].scale(i);
                        }
                        ops += 1024;
                    } while (System.nanoTime() < end);
                    sink = s;
                    return "ops=" + ops + " nanos=" + (System.nanoTime() - start) + " cpu=" + (THREADS.getCurrentThreadCpuTime() - cpu);
                }
                static String read(Meter0[] ms, long millis) {
                    long cpu = THREADS.getCurrentThreadCpuTime();
                    long start = System.nanoTime();
                    long end = start + millis * 1_000_000L;
                    long ops = 0;
                    long s = 0;
                    do {
                        for (int i = 0; i < 1024; i++) {
                            s += ms[i & (N - 1)].depth();
                        }
                        ops += 1024;
                    } while (System.nanoTime() < end);
                    sink = s;
                    return "ops=" + ops + " nanos=" + (System.nanoTime() - start) + " cpu=" + (THREADS.getCurrentThreadCpuTime() - cpu);
                }
                /** Each read is of an object made in the same iteration, which does not escape. */
                static String fresh(long millis) {
                    long cpu = THREADS.getCurrentThreadCpuTime();
                    long start = System.nanoTime();
                    long end = start + millis * 1_000_000L;
                    long ops = 0;
                    long s = 0;
                    do {
                        for (int i = 0; i < 1024; i++) {
                            s += new Meter0(i).depth();
                        }
                        ops += 1024;
                    } while (System.nanoTime() < end);
                    sink = s;
                    return "ops=" + ops + " nanos=" + (System.nanoTime() - start) + " cpu=" + (THREADS.getCurrentThreadCpuTime() - cpu);
                }
                static long first() {
                    long s = 0;
            FIRST
                    return s;
                }
            }
            """;

    /** The driver's loops, in the order their slices rotate. */
    enum Loop {
        MOVED("moved", "call of a moved method"),
        ROW("row", "shadowed field read, object has a row"),
        NOROW("norow", "shadowed field read, pre-patch object without a row"),
        FRESH("fresh", "shadowed field read, object allocated in the loop");

        final String command;
        final String label;

        Loop(String command, String label) {
            this.command = command;
            this.label = label;
        }

        static Loop named(String command) {
            for (Loop l : values()) {
                if (l.command.equals(command)) {
                    return l;
                }
            }
            throw new IllegalArgumentException("unknown loop '" + command + "': choose from moved, row, norow, fresh");
        }
    }

    /** What a fork runs. */
    enum Variant {
        PATCHED("v1 patched live (rewritten package)"),
        FIXED("v2 started fresh (baseline)");

        final String label;

        Variant(String label) {
            this.label = label;
        }
    }

    /** Forks per side of the steady-state comparison. */
    private final int forks;
    /** The loops measured, in the order their slices rotate; the others do not run. */
    private final List<Loop> loops;
    private final boolean steady;
    private final boolean apply;
    /** Extra options of every target JVM, e.g. diagnostics for a profile. */
    private final List<String> targetArgs;

    RewriteCost() {
        this(3, List.of(Loop.values()), true, true, List.of());
    }

    private RewriteCost(int forks, List<Loop> loops, boolean steady, boolean apply, List<String> targetArgs) {
        this.forks = forks;
        this.loops = List.copyOf(loops);
        this.steady = steady;
        this.apply = apply;
        this.targetArgs = List.copyOf(targetArgs);
    }

    /**
     * Also takes {@code --forks=N} (default 3), {@code --loops=moved,row,norow,fresh} (default all)
     * and {@code --part=steady|apply} (default both), for a longer look at one figure, and
     * {@code --target-arg=OPTION} (repeatable) to add a JVM option to every target, for a profile.
     */
    public static void main(String[] args) throws Exception {
        int forks = 3;
        List<Loop> loops = List.of(Loop.values());
        String part = "both";
        List<String> targetArgs = new ArrayList<>();
        List<String> rest = new ArrayList<>();
        try {
            for (String a : args) {
                if (a.startsWith("--forks=")) {
                    forks = Integer.parseInt(a.substring("--forks=".length()));
                    if (forks < 1) {
                        throw new IllegalArgumentException("--forks takes a positive number, not " + forks);
                    }
                } else if (a.startsWith("--loops=")) {
                    loops = new ArrayList<>();
                    for (String name : a.substring("--loops=".length()).split(",")) {
                        loops.add(Loop.named(name));
                    }
                } else if (a.startsWith("--target-arg=")) {
                    targetArgs.add(a.substring("--target-arg=".length()));
                } else if (a.startsWith("--part=")) {
                    part = a.substring("--part=".length());
                    if (!List.of("steady", "apply", "both").contains(part)) {
                        throw new IllegalArgumentException("--part takes steady, apply or both, not " + part);
                    }
                } else {
                    rest.add(a);
                }
            }
        } catch (NumberFormatException e) {
            System.err.println("--forks takes a number: " + e.getMessage());
            System.exit(2);
            return;
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        All.runOne(new RewriteCost(forks, loops, !part.equals("apply"), !part.equals("steady"), targetArgs), rest.toArray(new String[0]));
    }

    @Override
    public String name() {
        return "rewrite-cost";
    }

    @Override
    public String description() {
        return "rewritten patch: moved call and shadowed field read patched live vs v2 started fresh; apply time rewritten vs plain";
    }

    @Override
    public void run(Workspace ws, Settings settings, Report report) throws Exception {
        Library lib = Library.build(ws, report);
        for (Path java : settings.jdks()) {
            if (steady) {
                steadyState(ws, lib, java, settings, report);
            }
            if (apply) {
                applyTime(ws, lib, java, settings.n(10), settings.n(40), report);
            }
        }
    }

    /** The three library jars, the driver and the two packages, built once per run. */
    record Library(Path v1, Path v2, Path driver, Path rewritten, Path plain) {
        static Library build(Workspace ws, Report report) throws Exception {
            Path dir = ws.fresh("rewrite-");
            Path v1 = JarMaker.compile(dir.resolve("lib-1.jar"), sources(METER_V1), List.of(), 8);
            Path v2 = JarMaker.compile(dir.resolve("lib-2.jar"), sources(METER_V2), List.of(), 8);
            Path v1b = JarMaker.compile(dir.resolve("lib-1b.jar"), sources(METER_PLAIN), List.of(), 8);
            StringBuilder first = new StringBuilder();
            for (int i = 0; i < CLASSES; i++) {
                first.append(String.format(Locale.ROOT, "        { Meter%d m = new Meter%d(%d); s += m.scale(%d) + m.depth(); }%n", i, i, i, i));
            }
            Path driver = JarMaker.compile(dir.resolve("driver.jar"), Map.of("app.Driver", DRIVER.replace("FIRST\n", first.toString())),
                    List.of(v1), 11);
            SigningKey key = SigningKey.load(ws.keyDir);
            Path rewritten = dir.resolve(REWRITTEN_ID + ".hotpatch");
            Path plain = dir.resolve(PLAIN_ID + ".hotpatch");
            BuildResult rw = PatchBuilder.build(request(v1, v2, REWRITTEN_ID, "Benchmark: moved method and shadowed field"), key, rewritten);
            BuildResult pl = PatchBuilder.build(request(v1, v1b, PLAIN_ID, "Benchmark: the same methods, bodies only"), key, plain);
            Set<String> kinds = new TreeSet<>();
            for (Verdict v : rw.report().verdicts()) {
                kinds.add(v.kind().label());
            }
            if (rw.report().rewrittenClasses().size() != CLASSES || !kinds.contains(Verdict.Kind.MOVED.label())
                    || !kinds.contains(Verdict.Kind.SHADOWED.label())) {
                throw new IllegalStateException("the builder did not move and shadow in every class as this benchmark needs:\n"
                        + rw.report().render());
            }
            if (!pl.report().rewrittenClasses().isEmpty() || pl.manifest().classes().size() != CLASSES) {
                throw new IllegalStateException("the plain package is not " + CLASSES + " classes redefined as is:\n" + pl.report().render());
            }
            report.detail("library: %d classes lib.Meter0…%d compiled for Java 8; rewritten package %,d bytes (%s), plain package %,d bytes",
                    CLASSES, CLASSES - 1, Files.size(rewritten), String.join(", ", kinds), Files.size(plain));
            for (Verdict v : rw.report().verdictsFor("lib/Meter0")) {
                report.detail("  %s", v);
            }
            return new Library(v1, v2, driver, rewritten, plain);
        }

        private static Map<String, String> sources(String template) {
            Map<String, String> out = new LinkedHashMap<>();
            for (int i = 0; i < CLASSES; i++) {
                out.put("lib.Meter" + i, template.replace("MeterN", "Meter" + i));
            }
            return out;
        }

        private static BuildRequest request(Path baseline, Path patched, String id, String title) {
            return new BuildRequest(baseline, patched, List.of(), id, title, Classification.SECURITY, "Low", List.of(), null,
                    "bench-lib-1", List.of(), null);
        }
    }

    /**
     * One variant's figures for one loop: ns per operation of each fork's whole window and of each
     * slice, wall and thread CPU, and the forks' CPU figures in the order they ran. Not thread-safe.
     */
    record Figures(Sample wallPerFork, Sample cpuPerFork, Sample wallRate, Sample cpuRate, Sample wallPerSlice, Sample cpuPerSlice,
                   List<Double> cpuByFork) {
        Figures() {
            this(new Sample("ns"), new Sample("ns"), new Sample("M/s"), new Sample("M/CPU-s"), new Sample("ns"), new Sample("ns"),
                    new ArrayList<>());
        }

        /** Adds a fork's totals {operations, wall ns, CPU ns}. */
        void addFork(long[] t) {
            double wall = (double) t[1] / t[0];
            double cpu = (double) t[2] / t[0];
            wallPerFork.add(wall);
            cpuPerFork.add(cpu);
            cpuByFork.add(cpu);
            wallRate.add(1e3 / wall);
            cpuRate.add(1e3 / cpu);
        }
    }

    private void steadyState(Workspace ws, Library lib, Path java, Settings settings, Report report) throws Exception {
        String jdk = Workspace.label(java);
        int measured = settings.n(MEASURED_SLICES);
        Map<Variant, Map<Loop, Figures>> figures = new EnumMap<>(Variant.class);
        for (Variant v : Variant.values()) {
            figures.put(v, new EnumMap<>(Loop.class));
            for (Loop l : loops) {
                figures.get(v).put(l, new Figures());
            }
        }
        Sample applyMillis = new Sample("ms");
        Sample load = new Sample("");
        String expected = null;
        for (int fork = 0; fork < forks; fork++) {
            for (int k = 0; k < 2; k++) {
                Variant v = Variant.values()[(fork + k) % 2];
                load.add(loadAverage1());
                try (TargetJvm target = start(ws, java, v == Variant.FIXED ? lib.v2() : lib.v1(), lib.driver())) {
                    for (int s = 0; s < BEFORE_SLICES; s++) {
                        for (Loop l : loops) {
                            slice(target, l);
                        }
                    }
                    if (v == Variant.PATCHED) {
                        long t0 = System.nanoTime();
                        AgentClient client = AgentClient.connect(target.pid());
                        ApplyResult r = client.apply(lib.rewritten(), ws.keyDir, "bench");
                        applyMillis.addNanos(System.nanoTime() - t0);
                        if (r.outcome() != Outcome.OK) {
                            throw new IllegalStateException("apply answered " + r.outcome() + ": " + r.message());
                        }
                    }
                    target.request("mark", "mark");
                    String check = target.request("check", "check ");
                    if (expected == null) {
                        expected = check;
                    } else if (!expected.equals(check)) {
                        throw new IllegalStateException("the patched JVM and v2 started fresh answer differently: '" + check + "' vs '"
                                + expected + "'");
                    }
                    for (int s = 0; s < WARMUP_SLICES; s++) {
                        for (Loop l : loops) {
                            slice(target, l);
                        }
                    }
                    Map<Loop, long[]> totals = new EnumMap<>(Loop.class);
                    for (int s = 0; s < measured; s++) {
                        for (int j = 0; j < loops.size(); j++) {
                            Loop l = loops.get((s + j) % loops.size());
                            long[] r = slice(target, l);
                            figures.get(v).get(l).wallPerSlice().add((double) r[1] / r[0]);
                            figures.get(v).get(l).cpuPerSlice().add((double) r[2] / r[0]);
                            totals.merge(l, r, (a, b) -> new long[] {a[0] + b[0], a[1] + b[1], a[2] + b[2]});
                        }
                    }
                    StringBuilder line = new StringBuilder();
                    for (Loop l : loops) {
                        long[] t = totals.get(l);
                        figures.get(v).get(l).addFork(t);
                        line.append(String.format(Locale.ROOT, "  %s %.2f ns (CPU %.2f)", l.command, (double) t[1] / t[0], (double) t[2] / t[0]));
                    }
                    report.detail("%s fork %d %-38s%s  [load %s]", jdk, fork + 1, v.label, line, Report.loadAverage());
                }
            }
        }
        report.detail("%s check answer, both variants: %s", jdk, expected);
        for (Loop l : loops) {
            // Forks k of the two sides ran one after the other, so their ratio sees about the same machine.
            Sample paired = new Sample("×");
            List<Double> p = figures.get(Variant.PATCHED).get(l).cpuByFork();
            List<Double> f = figures.get(Variant.FIXED).get(l).cpuByFork();
            for (int i = 0; i < p.size(); i++) {
                paired.add(p.get(i) / f.get(i));
            }
            report.detail("%s %s: CPU time per iteration, patched/fixed paired by fork: %s", jdk, l.label, paired.describe());
        }
        report.detail("%s attach + apply of the rewritten package in the forks: %s", jdk, applyMillis.brief());
        for (Loop l : loops) {
            Figures p = figures.get(Variant.PATCHED).get(l);
            Figures f = figures.get(Variant.FIXED).get(l);
            report.detail("%s %s, per slice: wall patched %s, fixed %s; CPU patched %s, fixed %s", jdk, l.label, p.wallPerSlice().describe(),
                    f.wallPerSlice().describe(), p.cpuPerSlice().describe(), f.cpuPerSlice().describe());
        }
        String bench = "rewrite cost " + jdk;
        String runs = forks + " forks × " + Sample.fmt(measured * SLICE_MILLIS / 1000.0) + " s, load " + Sample.fmt(load.min()) + "–"
                + Sample.fmt(load.max());
        for (Loop l : loops) {
            Figures p = figures.get(Variant.PATCHED).get(l);
            Figures f = figures.get(Variant.FIXED).get(l);
            if (l == Loop.MOVED) {
                report.loss(bench, l.label + ": ops per CPU-second of the loop's thread (" + runs + ")", p.cpuRate(), f.cpuRate(), 5.0);
                report.loss(bench, l.label + ": ops/s, wall (" + runs + ")", p.wallRate(), f.wallRate(), 5.0);
            } else {
                // The fresh loop measures allocation too, which v2 can optimise away: no target.
                Double target = l == Loop.FRESH ? null : 2.0;
                report.ratio(bench, l.label + ": CPU ns per iteration (" + runs + ")", p.cpuPerFork(), f.cpuPerFork(), target);
                report.ratio(bench, l.label + ": wall ns per iteration (" + runs + ")", p.wallPerFork(), f.wallPerFork(), target);
            }
        }
    }

    private void applyTime(Workspace ws, Library lib, Path java, int warmup, int rounds, Report report) throws Exception {
        String jdk = Workspace.label(java);
        Map<String, Sample> inside = Map.of(REWRITTEN_ID, new Sample("ms"), PLAIN_ID, new Sample("ms"));
        Map<String, Sample> roundTrip = Map.of(REWRITTEN_ID, new Sample("ms"), PLAIN_ID, new Sample("ms"));
        Map<String, Sample> uninstall = Map.of(REWRITTEN_ID, new Sample("ms"), PLAIN_ID, new Sample("ms"));
        Map<String, Sample> first = Map.of(REWRITTEN_ID, new Sample("µs"), PLAIN_ID, new Sample("µs"));
        Map<String, Long> firstEver = new LinkedHashMap<>();
        double load0 = loadAverage1();
        try (TargetJvm target = start(ws, java, lib.v1(), lib.driver())) {
            AgentClient client = AgentClient.connect(target.pid());
            for (int i = 0; i < warmup + rounds; i++) {
                List<String> order = i % 2 == 0 ? List.of(REWRITTEN_ID, PLAIN_ID) : List.of(PLAIN_ID, REWRITTEN_ID);
                for (String id : order) {
                    long[] r = applyAndUninstall(client, target, id.equals(REWRITTEN_ID) ? lib.rewritten() : lib.plain(), ws.keyDir, id);
                    firstEver.putIfAbsent(id, r[3]);
                    if (i >= warmup) {
                        inside.get(id).addNanos(r[0]);
                        roundTrip.get(id).addNanos(r[1]);
                        uninstall.get(id).addNanos(r[2]);
                        first.get(id).addNanos(r[3]);
                    }
                }
            }
        }
        String loads = String.format(Locale.ROOT, "load %s–%s", Sample.fmt(load0), Sample.fmt(loadAverage1()));
        report.detail("%s apply and uninstall, %d rounds after %d warm-up rounds, alternating, one target JVM (v1, agent attached) [%s]:",
                jdk, rounds, warmup, loads);
        for (String id : List.of(REWRITTEN_ID, PLAIN_ID)) {
            String what = id.equals(REWRITTEN_ID) ? "rewritten" : "plain    ";
            report.detail("%s apply inside the agent %s; round trip %s; uninstall round trip %s", what, inside.get(id).describe(),
                    roundTrip.get(id).describe(), uninstall.get(id).describe());
            report.detail("%s first call of the %d patched classes' methods after apply: %s (the very first apply in the JVM: %.0f µs)",
                    what, CLASSES, first.get(id).describe(), firstEver.get(id) / 1e3);
        }
        String bench = "rewrite apply " + jdk;
        report.ratio(bench, CLASSES + " classes rewritten vs the same classes body-only: time inside the agent (" + loads + ")",
                inside.get(REWRITTEN_ID), inside.get(PLAIN_ID), null);
        report.ratio(bench, "tool round trip (" + loads + ")", roundTrip.get(REWRITTEN_ID), roundTrip.get(PLAIN_ID), null);
        report.ratio(bench, "uninstall round trip", uninstall.get(REWRITTEN_ID), uninstall.get(PLAIN_ID), null);
        report.ratio(bench, "first call of every patched method after apply (helper defined)", first.get(REWRITTEN_ID),
                first.get(PLAIN_ID), null);
    }

    /** {inside the agent, apply round trip, uninstall round trip, first calls after the apply}, in ns. */
    private static long[] applyAndUninstall(AgentClient client, TargetJvm target, Path pkg, Path trust, String id) {
        long t0 = System.nanoTime();
        ApplyResult r = client.apply(pkg, trust, "bench");
        long t1 = System.nanoTime();
        if (r.outcome() != Outcome.OK) {
            throw new IllegalStateException("apply of " + id + " answered " + r.outcome() + ": " + r.message());
        }
        int copies = r.classes().stream().mapToInt(ApplyResult.PatchedClass::loaders).sum();
        if (copies != CLASSES) {
            throw new IllegalStateException("apply of " + id + " redefined " + copies + " class copies, expected " + CLASSES + ": " + r);
        }
        String firstLine = target.request("first", "first ");
        long firstNanos = Long.parseLong(firstLine.substring("first nanos=".length()).trim());
        long t2 = System.nanoTime();
        UninstallResult u = client.uninstall(id, "bench");
        long t3 = System.nanoTime();
        if (u.outcome() != Outcome.OK) {
            throw new IllegalStateException("uninstall of " + id + " answered " + u.outcome() + ": " + u.message());
        }
        return new long[] {r.durationMicros() * 1000, t1 - t0, t3 - t2, firstNanos};
    }

    /** Runs one slice of {@code loop}: {operations, wall ns, CPU ns of the loop's thread} as the driver measured them. */
    private static long[] slice(TargetJvm target, Loop loop) {
        String line = target.request(loop.command + " " + SLICE_MILLIS, loop.command + " ops=");
        String[] f = line.split(" ");
        return new long[] {Long.parseLong(f[1].substring("ops=".length())), Long.parseLong(f[2].substring("nanos=".length())),
                Long.parseLong(f[3].substring("cpu=".length()))};
    }

    /** The driver on {@code lib}, with no agent; a tool attaches one when it applies. Its state goes to the workspace. */
    private TargetJvm start(Workspace ws, Path java, Path lib, Path driver) {
        List<String> args = new ArrayList<>(List.of("-Dhotpatch.state=" + ws.fresh("state-"), "-Dhotpatch.machine=bench"));
        args.addAll(targetArgs);
        TargetJvm t = TargetJvm.builder(java).classpath(driver, lib).mainClass("app.Driver").jvmArgs(args).start();
        t.await(line -> line.equals("ready"), Duration.ofSeconds(30));
        return t;
    }

    private static double loadAverage1() {
        String all = Report.loadAverage();
        try {
            return Double.parseDouble(all.split(" ")[0]);
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }
}
