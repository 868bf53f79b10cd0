package dev.hotpatch.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Runs the benchmarks and prints their figures, each next to a bare-JDK baseline measured in the
 * same run, then a summary table (Markdown, for {@code docs/performance.md}).
 *
 * <p>Usage: {@code java -jar bench/target/hotpatch-bench.jar [--quick] [--jdk=17|25|all] [NAME...]}
 * from the repository root, where NAME is one of the benchmarks' names (all of them by default).
 */
public final class All {
    private All() {
    }

    /** Every benchmark, in the order they run. */
    static Map<String, Benchmark> benchmarks() {
        Map<String, Benchmark> all = new LinkedHashMap<>();
        for (Benchmark b : List.of(new WarmApply(), new WarmApply(WarmApply.LARGE), new ColdApply(), new Throughput(), new BuilderSpeed(), new AgentCost(),
                new InstallNow(), new RewriteCost(), new VerifyCost())) {
            all.put(b.name(), b);
        }
        return all;
    }

    public static void main(String[] args) throws Exception {
        List<String> names = new ArrayList<>();
        Settings settings;
        try {
            settings = Settings.parse(Arrays.asList(args), names);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        Map<String, Benchmark> all = benchmarks();
        List<Benchmark> chosen = new ArrayList<>();
        for (String n : names.isEmpty() ? all.keySet() : names) {
            Benchmark b = all.get(n);
            if (b == null) {
                System.err.println("unknown benchmark '" + n + "'; choose from " + String.join(", ", all.keySet()));
                System.exit(2);
                return;
            }
            chosen.add(b);
        }
        run(chosen, settings);
    }

    /** Entry for a single benchmark's own {@code main}. */
    static void runOne(Benchmark b, String[] args) throws Exception {
        List<String> rest = new ArrayList<>();
        Settings settings = Settings.parse(Arrays.asList(args), rest);
        run(List.of(b), settings);
    }

    private static void run(List<Benchmark> chosen, Settings settings) throws Exception {
        Report report = new Report(System.out);
        try (Workspace ws = Workspace.open(settings.key())) {
            System.out.println("Hotpatch benchmarks" + (settings.quick() ? " (--quick: too few repetitions to quote)" : ""));
            System.out.println("  date:      " + ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
            System.out.println("  machine:   " + Runtime.getRuntime().availableProcessors() + " CPUs, " + cpuModel()
                    + ", load average " + Report.loadAverage());
            for (Path java : settings.jdks()) {
                System.out.println("  target:    " + describeJdk(java));
            }
            System.out.println("  tool JVM:  " + System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
            System.out.println("  repo:      " + ws.repo);
            System.out.println("  key:       " + settings.key().label() + " (packages are signed with a new key of this type; --key=ec|rsa)");
            System.out.println("  agent jar: " + ws.agentJar + " (" + Files.size(ws.agentJar) + " bytes)");
            for (Benchmark b : chosen) {
                report.heading(b.name() + ": " + b.description());
                try {
                    b.run(ws, settings, report);
                } catch (Exception | AssertionError e) {
                    // One broken benchmark must not hide the figures of the others; the reason goes in the table.
                    e.printStackTrace(System.out);
                    report.skipped(b.name(), "(all)", e.getClass().getSimpleName() + ": " + firstLine(e.getMessage()));
                }
            }
        }
        report.printTable();
    }

    static String describeJdk(Path java) {
        Path release = java.getParent().getParent().resolve("release");
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(release)) {
            p.load(in);
        } catch (IOException e) {
            return java.toString();
        }
        String vendor = p.getProperty("IMPLEMENTOR", "").replace("\"", "");
        String version = p.getProperty("JAVA_RUNTIME_VERSION", p.getProperty("JAVA_VERSION", "?")).replace("\"", "");
        return (vendor + " " + version).trim() + " (" + java + ")";
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException e) {
            // Not Linux: the CPU count alone will do.
        }
        return "unknown CPU";
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
