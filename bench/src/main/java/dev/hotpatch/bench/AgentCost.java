package dev.hotpatch.bench;

import dev.hotpatch.attach.AgentClient;
import dev.hotpatch.testkit.TargetJvm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarFile;

/**
 * What the agent costs a JVM that carries it: the jar's size, the start-up time {@code -javaagent}
 * adds to a program that exits at once (enrolled, empty state), and the resident memory and
 * threads it adds to an idle fees-app, enrolled or attached, against the same JVM without it and
 * with an empty agent (what {@code java.lang.instrument} itself costs).
 * Runs with and without the agent interleave.
 */
final class AgentCost implements Benchmark {
    public static void main(String[] args) throws Exception {
        All.runOne(new AgentCost(), args);
    }

    @Override
    public String name() {
        return "agent-cost";
    }

    @Override
    public String description() {
        return "agent jar size; start-up time and idle RSS added by the agent vs the same JVM without it";
    }

    @Override
    public void run(Workspace ws, Settings settings, Report report) throws Exception {
        long size = Files.size(ws.agentJar);
        int classes;
        try (JarFile jar = new JarFile(ws.agentJar.toFile())) {
            classes = (int) jar.stream().filter(e -> e.getName().endsWith(".class")).count();
        }
        report.detail("agent jar %s: %,d bytes, %d classes", ws.agentJar.getFileName(), size, classes);
        report.figure("agent cost", "agent jar size", String.format("%,d bytes (%d classes)", size, classes), "—");
        for (Path java : settings.jdks()) {
            startup(ws, java, settings.n(25), report);
        }
        for (Path java : settings.jdks()) {
            memory(ws, java, settings.n(6), report);
        }
    }

    private void startup(Workspace ws, Path java, int n, Report report) throws Exception {
        String jdk = Workspace.label(java);
        Path state = ws.fresh("state-startup-");
        List<String> bare = List.of(java.toString(), "-cp", ws.bareJar.toString(), Trivial.class.getName());
        List<String> enrolled = List.of(java.toString(), "-javaagent:" + ws.agentJar + "=name=bench-startup,state=" + state,
                "-cp", ws.bareJar.toString(), Trivial.class.getName());
        List<String> emptyAgent = List.of(java.toString(), "-javaagent:" + ws.bareJar, "-cp", ws.bareJar.toString(),
                Trivial.class.getName());
        List<List<String>> commands = List.of(bare, emptyAgent, enrolled);
        List<Sample> samples = List.of(new Sample("ms"), new Sample("ms"), new Sample("ms"));
        for (int i = -2; i < n; i++) {
            for (int c = 0; c < commands.size(); c++) {
                int which = Math.floorMod(c + i, commands.size());
                long t = ColdApply.timeProcess(commands.get(which));
                if (i >= 0) {
                    samples.get(which).addNanos(t);
                }
            }
        }
        Sample without = samples.get(0);
        Sample empty = samples.get(1);
        Sample with = samples.get(2);
        report.detail("%s trivial main, %d runs each: no agent %s; empty -javaagent (no-op premain) %s; hotpatch agent %s",
                jdk, n, without.describe(), empty.describe(), with.describe());
        report.detail("%s classes loaded at start-up (-Xlog:class+load), no agent / empty agent / hotpatch agent: %s", jdk,
                classCounts(commands));
        report.ratio("agent cost " + jdk, "start-up of a trivial main, hotpatch -javaagent vs none (+"
                + Sample.fmt(with.median() - without.median()) + " ms)", with, without, null);
        report.ratio("agent cost " + jdk, "start-up, hotpatch -javaagent vs an empty -javaagent (+"
                + Sample.fmt(with.median() - empty.median()) + " ms)", with, empty, null);
    }

    /** How many classes each command loads, and how many of those were not in the CDS archive, e.g. {@code 402 (4 not shared)}. */
    private static String classCounts(List<List<String>> commands) throws IOException, InterruptedException {
        List<String> out = new java.util.ArrayList<>();
        for (List<String> command : commands) {
            Path log = Files.createTempFile("class-load-", ".log");
            try {
                List<String> logged = new java.util.ArrayList<>(command);
                logged.add(1, "-Xlog:class+load=info:file=" + log);
                ColdApply.timeProcess(logged);
                List<String> lines = Files.readAllLines(log);
                long parsed = lines.stream().filter(l -> !l.contains("shared objects file")).count();
                out.add(lines.size() + " (" + parsed + " not from CDS)");
            } finally {
                Files.deleteIfExists(log);
            }
        }
        return String.join(" / ", out);
    }

    private void memory(Workspace ws, Path java, int n, Report report) throws Exception {
        String jdk = Workspace.label(java);
        Sample plain = new Sample("MiB");
        Sample empty = new Sample("MiB");
        Sample enrolled = new Sample("MiB");
        Sample attached = new Sample("MiB");
        int plainThreads = 0;
        int enrolledThreads = 0;
        int attachedThreads = 0;
        for (int i = 0; i < n; i++) {
            try (TargetJvm t = FeesTarget.start(ws, java, FeesTarget.Mode.PLAIN, ws.feesBaseline)) {
                t.request("fee 100", "fee ");
                Thread.sleep(1000);
                plain.add(status(t.pid(), "VmRSS") / 1024.0);
                plainThreads = (int) status(t.pid(), "Threads");
                AgentClient.connect(t.pid()).close();
                t.request("fee 100", "fee ");
                Thread.sleep(1000);
                attached.add(status(t.pid(), "VmRSS") / 1024.0);
                attachedThreads = (int) status(t.pid(), "Threads");
            }
            try (TargetJvm t = FeesTarget.start(ws, java, FeesTarget.Mode.PLAIN, ws.feesBaseline, "-javaagent:" + ws.bareJar)) {
                t.request("fee 100", "fee ");
                Thread.sleep(1000);
                empty.add(status(t.pid(), "VmRSS") / 1024.0);
            }
            try (TargetJvm t = FeesTarget.start(ws, java, FeesTarget.Mode.ENROLLED, ws.feesBaseline)) {
                t.request("fee 100", "fee ");
                Thread.sleep(1000);
                enrolled.add(status(t.pid(), "VmRSS") / 1024.0);
                enrolledThreads = (int) status(t.pid(), "Threads");
            }
        }
        report.detail("%s idle fees-app RSS: no agent %s (%d threads); empty -javaagent %s; enrolled %s (%d threads); "
                + "after attach+loadAgent %s (%d threads, includes the attach listener)", jdk, plain.describe(), plainThreads,
                empty.describe(), enrolled.describe(), enrolledThreads, attached.describe(), attachedThreads);
        report.ratio("agent cost " + jdk, "idle RSS, enrolled vs an empty -javaagent (+"
                + Sample.fmt(enrolled.median() - empty.median()) + " MiB)", enrolled, empty, null);
        report.ratio("agent cost " + jdk, "idle RSS, enrolled (+" + Sample.fmt(enrolled.median() - plain.median()) + " MiB)",
                enrolled, plain, null);
        report.ratio("agent cost " + jdk, "idle RSS, after attach (+" + Sample.fmt(attached.median() - plain.median()) + " MiB)",
                attached, plain, null);
    }

    /** A numeric field of /proc/PID/status, e.g. {@code VmRSS} in KiB. */
    private static long status(long pid, String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.substring(field.length() + 1).trim().split("\\s+")[0]);
            }
        }
        throw new IOException("no " + field + " in /proc/" + pid + "/status");
    }
}
