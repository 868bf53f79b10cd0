package dev.hotpatch.bench;

import com.sun.tools.attach.VirtualMachine;
import dev.hotpatch.attach.AgentClient;
import dev.hotpatch.attach.ApplyResult;
import dev.hotpatch.attach.Outcome;
import dev.hotpatch.testkit.TargetJvm;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Cold apply: a fresh target JVM without any agent, patched once, against bare attach +
 * loadAgent + redefineClasses of the same classes; like is compared with like.
 *
 * <ul>
 *   <li>in-process: {@link AgentClient#connect} + {@code apply} from this (warm) JVM, versus
 *       {@link VirtualMachine#attach} + {@code loadAgent(BareAgent)} + reading its result + detach;</li>
 *   <li>whole process: {@code java -jar hotpatch.jar apply --pid …}, versus {@code java -cp bare.jar
 *       BareAttach …}, each timed from process start to exit.</li>
 * </ul>
 * Every measurement gets its own freshly started target; the variants rotate their order from one
 * trial to the next so that drift in the machine's load spreads over all of them.
 */
final class ColdApply implements Benchmark {
    public static void main(String[] args) throws Exception {
        All.runOne(new ColdApply(), args);
    }

    @Override
    public String name() {
        return "cold-apply";
    }

    @Override
    public String description() {
        return "fresh target: hotpatch connect+apply (in-process and CLI process) vs bare attach+loadAgent+redefine";
    }

    @Override
    public void run(Workspace ws, Settings settings, Report report) throws Exception {
        // As in production, where the trust folder is old: an enrolled agent's start-up parse is then kept.
        ws.awaitSettledTrust();
        for (Path java : settings.jdks()) {
            measure(ws, java, settings.n(12), report);
        }
    }

    /** The measurements of one JDK. */
    private static final class Figures {
        final Sample hpTotal = new Sample("ms");
        final Sample hpConnect = new Sample("ms");
        final Sample hpApply = new Sample("ms");
        final Sample hpInside = new Sample("ms");
        final Sample bareTotal = new Sample("ms");
        final Sample bareAttach = new Sample("ms");
        final Sample bareLoad = new Sample("ms");
        final Sample bareInside = new Sample("ms");
        final Sample bareRedefine = new Sample("ms");
        final Sample hpProcess = new Sample("ms");
        final Sample bareProcess = new Sample("ms");
        final Sample cliStartup = new Sample("ms");
        final Sample hpProcessCds = new Sample("ms");
        final Sample enrolledProcess = new Sample("ms");
        final Sample enrolledInProcess = new Sample("ms");
        final Sample enrolledInside = new Sample("ms");
        final Sample agentStart = new Sample("ms");
        final Map<String, Sample> coldSteps = new LinkedHashMap<>();
        final Map<String, Sample> attachedPhases = new LinkedHashMap<>();
        final Map<String, Sample> enrolledPhases = new LinkedHashMap<>();
    }

    /** Adds the agent's own phase timings of one apply ({@code step=µs,…}) to {@code into}, in ms. */
    private static void addPhases(String phases, Map<String, Sample> into) {
        for (String step : phases.split(",")) {
            String[] kv = step.split("=", 2);
            if (kv.length == 2) {
                into.computeIfAbsent(kv[0], x -> new Sample("ms")).add(Long.parseLong(kv[1]) / 1000.0);
            }
        }
    }

    private void measure(Workspace ws, Path java, int trials, Report report) throws Exception {
        String jdk = Workspace.label(java);
        Optional<Path> cli = ws.cliJar();
        Figures f = new Figures();
        List<Variant> variants = new ArrayList<>(List.of(this::hotpatchInProcess, this::bareInProcess, this::bareProcess,
                this::breakdown, this::enrolledInProcess));
        List<FeesTarget.Mode> modes = new ArrayList<>(List.of(FeesTarget.Mode.PLAIN, FeesTarget.Mode.PLAIN,
                FeesTarget.Mode.PLAIN, FeesTarget.Mode.PLAIN, FeesTarget.Mode.ENROLLED));
        if (cli.isPresent()) {
            Path jsa = cdsArchive(ws, cli.get());
            variants.add((w, t, k, fig) -> hotpatchProcess(w, t, cli.get(), fig));
            modes.add(FeesTarget.Mode.PLAIN);
            variants.add((w, t, k, fig) -> fig.hpProcessCds.addNanos(timeProcess(cliCommand(w, t, cli.get(), jsa))));
            modes.add(FeesTarget.Mode.PLAIN);
            variants.add((w, t, k, fig) -> fig.enrolledProcess.addNanos(timeProcess(cliCommand(w, t, cli.get(), jsa))));
            modes.add(FeesTarget.Mode.ENROLLED);
        }
        // One unrecorded trial first: this JVM's own attach and agent classes load once, not per trial.
        for (int trial = -1; trial < trials; trial++) {
            for (int v = 0; v < variants.size(); v++) {
                int which = Math.floorMod(v + trial, variants.size());
                Variant variant = variants.get(which);
                try (TargetJvm target = FeesTarget.startPrimed(ws, java, modes.get(which))) {
                    // Let the target's JIT finish compiling the priming work before the clock starts.
                    Thread.sleep(300);
                    variant.run(ws, target, "c" + trial + "v" + v, trial < 0 ? new Figures() : f);
                }
            }
        }
        report.detail("%s, %d trials, a fresh fees-app 1.0 target per measurement:", jdk, trials);
        report.detail("hotpatch in-process total:        %s", f.hpTotal.describe());
        report.detail("  AgentClient.connect (attach, probe, loadAgent): %s", f.hpConnect.describe());
        report.detail("  apply round trip:               %s", f.hpApply.describe());
        report.detail("  of which inside the agent:      %s", f.hpInside.describe());
        f.attachedPhases.forEach((step, sample) -> report.detail("    agent phase %-20s %s", step, sample.brief()));
        report.detail("bare in-process total:            %s", f.bareTotal.describe());
        report.detail("  VirtualMachine.attach:          %s", f.bareAttach.describe());
        report.detail("  loadAgent (runs agentmain):     %s", f.bareLoad.describe());
        report.detail("  agentmain inside:               %s", f.bareInside.describe());
        report.detail("  redefineClasses alone:          %s", f.bareRedefine.describe());
        report.detail("bare whole process (BareAttach):  %s", f.bareProcess.describe());
        report.detail("breakdown in separate fresh targets: VirtualMachine.attach + loadAgent(hotpatch agent), then ApplyProbe"
                + " runs each step of an apply once, cold:");
        report.detail("  loadAgent(hotpatch agent) alone (agent start-up): %s", f.agentStart.describe());
        f.coldSteps.forEach((step, sample) -> report.detail("  %-34s %s", step, sample.brief()));
        report.detail("enrolled target, in-process (socket in the runtime folder + apply): %s", f.enrolledInProcess.describe());
        report.detail("  of which inside the agent:      %s", f.enrolledInside.describe());
        f.enrolledPhases.forEach((step, sample) -> report.detail("    agent phase %-20s %s", step, sample.brief()));
        report.ratio("cold apply " + jdk, "in-process (attach → patched)", f.hpTotal, f.bareTotal, 1.3);
        report.ratio("enrolled apply " + jdk, "in-process, enrolled JVM over its runtime socket vs bare attach", f.enrolledInProcess,
                f.bareTotal, 0.8);
        if (cli.isPresent()) {
            report.detail("hotpatch CLI whole process:       %s", f.hpProcess.describe());
            report.detail("  of which CLI start-up alone ('hotpatch --version' as a process): %s", f.cliStartup.describe());
            report.detail("hotpatch CLI whole process, with the launcher's CDS archive: %s", f.hpProcessCds.describe());
            report.detail("hotpatch CLI whole process, CDS, enrolled target (runtime socket): %s", f.enrolledProcess.describe());
            report.ratio("cold apply " + jdk, "whole process (CLI vs minimal Java program)", f.hpProcess, f.bareProcess, 1.3);
            report.ratio("cold apply " + jdk, "whole process, CLI with its CDS archive (as ./hotpatch runs it)", f.hpProcessCds,
                    f.bareProcess, 1.3);
            report.ratio("enrolled apply " + jdk, "whole process, CLI with CDS on an enrolled JVM vs bare attach program",
                    f.enrolledProcess, f.bareProcess, 0.8);
        } else {
            report.skipped("cold apply " + jdk, "whole process (CLI vs minimal Java program)",
                    "hotpatch-cli/target/hotpatch.jar is not built (bare process: " + f.bareProcess.brief() + ")");
        }
    }

    /** One way of patching a fresh target, adding its timings to the figures. */
    private interface Variant {
        void run(Workspace ws, TargetJvm target, String key, Figures f) throws Exception;
    }

    private void hotpatchInProcess(Workspace ws, TargetJvm target, String key, Figures f) {
        long t0 = System.nanoTime();
        AgentClient client = AgentClient.connect(target.pid());
        long t1 = System.nanoTime();
        ApplyResult r = client.apply(ws.patch, ws.keyDir, "bench");
        long t2 = System.nanoTime();
        client.close();
        if (r.outcome() != Outcome.OK) {
            throw new IllegalStateException("apply answered " + r.outcome() + ": " + r.message());
        }
        f.hpTotal.addNanos(t2 - t0);
        f.hpConnect.addNanos(t1 - t0);
        f.hpApply.addNanos(t2 - t1);
        f.hpInside.addNanos(r.durationMicros() * 1000);
        addPhases(r.phases(), f.attachedPhases);
    }

    private void bareInProcess(Workspace ws, TargetJvm target, String key, Figures f) throws Exception {
        long t0 = System.nanoTime();
        VirtualMachine vm = VirtualMachine.attach(Long.toString(target.pid()));
        long t1 = System.nanoTime();
        String inside;
        long t2;
        try {
            vm.loadAgent(ws.bareJar.toString(), key + "|" + ws.patchedClasses + "|" + String.join(",", Workspace.PATCH_CLASSES));
            t2 = System.nanoTime();
            inside = vm.getSystemProperties().getProperty(BareAgent.PROPERTY_PREFIX + key);
        } finally {
            vm.detach();
        }
        long t3 = System.nanoTime();
        String[] nanos = inside.split(",");
        f.bareTotal.addNanos(t3 - t0);
        f.bareAttach.addNanos(t1 - t0);
        f.bareLoad.addNanos(t2 - t1);
        f.bareInside.addNanos(Long.parseLong(nanos[0]));
        f.bareRedefine.addNanos(Long.parseLong(nanos[1]));
    }

    private void bareProcess(Workspace ws, TargetJvm target, String key, Figures f) throws Exception {
        String agentArgs = key + "|" + ws.patchedClasses + "|" + String.join(",", Workspace.PATCH_CLASSES);
        f.bareProcess.addNanos(timeProcess(List.of(Workspace.java17().toString(), "-cp", ws.bareJar.toString(),
                BareAttach.class.getName(), Long.toString(target.pid()), ws.bareJar.toString(), agentArgs)));
    }

    /** Not a compared variant: where the cold in-process time goes, measured beside it. */
    private void breakdown(Workspace ws, TargetJvm target, String key, Figures f) throws Exception {
        VirtualMachine vm = VirtualMachine.attach(Long.toString(target.pid()));
        try {
            long t0 = System.nanoTime();
            vm.loadAgent(ws.agentJar.toString(), "");
            f.agentStart.addNanos(System.nanoTime() - t0);
            vm.loadAgent(ws.probeJar.toString(), String.join("|", key, ws.patch.toString(), ws.keyDir.toString(),
                    ws.originalClasses.toString(), ws.fresh("probe-").toString(), "1", String.join(",", Workspace.PATCH_CLASSES)));
            for (String part : vm.getSystemProperties().getProperty(ApplyProbe.PROPERTY_PREFIX + key).split(";")) {
                String[] kv = part.split("=", 2);
                if (!kv[0].equals("loadedClasses")) {
                    f.coldSteps.computeIfAbsent(kv[0], x -> new Sample("ms")).add(Long.parseLong(kv[1]) / 1000.0);
                }
            }
        } finally {
            vm.detach();
        }
    }

    private void hotpatchProcess(Workspace ws, TargetJvm target, Path cli, Figures f) throws Exception {
        f.cliStartup.addNanos(timeProcess(List.of(Workspace.java17().toString(), "-jar", cli.toString(), "--version")));
        f.hpProcess.addNanos(timeProcess(List.of(Workspace.java17().toString(), "-jar", cli.toString(), "apply",
                "--pid", Long.toString(target.pid()), ws.patch.toString(), "--trust", ws.keyDir.toString())));
    }

    private void enrolledInProcess(Workspace ws, TargetJvm target, String key, Figures f) {
        long t0 = System.nanoTime();
        AgentClient client = AgentClient.connect(target.pid());
        ApplyResult r = client.apply(ws.patch, ws.keyDir, "bench");
        long t1 = System.nanoTime();
        client.close();
        if (r.outcome() != Outcome.OK || !client.reachedBy().equals("socket")) {
            throw new IllegalStateException("enrolled apply answered " + r.outcome() + " via " + client.reachedBy() + ": " + r.message());
        }
        f.enrolledInProcess.addNanos(t1 - t0);
        f.enrolledInside.addNanos(r.durationMicros() * 1000);
        addPhases(r.phases(), f.enrolledPhases);
    }

    /** The CLI's class-data sharing archive, written from its training run's class list as the {@code hotpatch} launcher does. */
    private static Path cdsArchive(Workspace ws, Path cli) throws IOException, InterruptedException {
        Path dir = ws.fresh("cli-cds-");
        Files.createDirectories(dir);
        Path list = dir.resolve("hotpatch-cli.classlist");
        Path jsa = dir.resolve("hotpatch-cli.jsa");
        timeProcess(List.of(Workspace.java17().toString(), "-XX:DumpLoadedClassList=" + list, "-cp", cli.toString(),
                "dev.hotpatch.cli.CdsTraining"));
        timeProcess(List.of(Workspace.java17().toString(), "-Xshare:dump", "-XX:SharedClassListFile=" + list,
                "-XX:SharedArchiveFile=" + jsa, "-Xlog:cds=off", "-cp", cli.toString()));
        return jsa;
    }

    /** The CLI's apply as the {@code hotpatch} launcher runs it: with its CDS archive, C1 only, serial GC. */
    private static List<String> cliCommand(Workspace ws, TargetJvm target, Path cli, Path jsa) {
        return List.of(Workspace.java17().toString(), "-XX:SharedArchiveFile=" + jsa, "-Xlog:cds=off", "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC", "-jar", cli.toString(), "apply", "--pid", Long.toString(target.pid()), ws.patch.toString(),
                "--trust", ws.keyDir.toString());
    }

    /** Runs a command to completion and returns its wall time; a non-zero exit is an error, with the output. */
    static long timeProcess(List<String> command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        long t0 = System.nanoTime();
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("still running after 120 s: " + String.join(" ", command));
        }
        long elapsed = System.nanoTime() - t0;
        if (p.exitValue() != 0) {
            throw new IllegalStateException("exit " + p.exitValue() + " from " + String.join(" ", command) + ":\n"
                    + new String(out, StandardCharsets.UTF_8));
        }
        return elapsed;
    }
}
