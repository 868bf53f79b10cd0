package dev.hotpatch.bench.fleet;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;

/** Facts about where a benchmark runs, printed with its figures: the load caused by others matters on a shared machine. */
final class Environment {
    private Environment() {
    }

    /** The 1-, 5- and 15-minute load averages. */
    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    /** CPU time this JVM has used so far, in seconds: all its threads (server, database driver, clients). */
    static double processCpuSeconds() {
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() / 1e9 : Double.NaN;
    }

    /** CPU model, cores, JDK and date, on one line. */
    static String describe() {
        String cpu = "unknown CPU";
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    cpu = line.substring(line.indexOf(':') + 1).trim();
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            // Not Linux: the model stays unknown.
        }
        return String.format(Locale.ROOT, "%s, %d cores, %d MiB heap max, Java %s (%s), %s", cpu, Runtime.getRuntime().availableProcessors(),
                Runtime.getRuntime().maxMemory() >> 20, System.getProperty("java.version"), System.getProperty("java.vm.name"),
                Instant.now().toString().substring(0, 16) + "Z");
    }
}
