package dev.hotpatch.bench;

import dev.hotpatch.builder.DiffReport;
import dev.hotpatch.builder.PatchBuilder;
import dev.hotpatch.format.Sha256;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * Builder speed on a large real jar: {@link PatchBuilder#analyse} of log4j-core 2.14.1 against its
 * hotfix build (a handful of changed classes among ~1,200 entries) and against itself, in classes
 * per second, versus the least any jar diff must do: read every entry of both jars with
 * {@link JarFile} and hash it with SHA-256. Runs in this JVM; the first analyse is reported apart
 * (cold, as in a one-shot {@code hotpatch build} process), the rest after warm-up, interleaved.
 */
final class BuilderSpeed implements Benchmark {
    public static void main(String[] args) throws Exception {
        All.runOne(new BuilderSpeed(), args);
    }

    @Override
    public String name() {
        return "builder";
    }

    @Override
    public String description() {
        return "PatchBuilder.analyse on log4j-core 2.14.1 vs its hotfix jar, classes/s vs JarFile read + SHA-256 of both jars";
    }

    @Override
    public void run(Workspace ws, Settings settings, Report report) throws Exception {
        Path base = require(ws.repo.resolve("examples/log4shell/target/log4j-core-2.14.1.jar"));
        Path fixed = require(ws.repo.resolve("examples/log4shell/target/log4j-core-2.14.1-hotfix.jar"));
        int warmup = settings.n(5);
        int n = settings.n(20);
        Sample diff = new Sample("ms");
        Sample same = new Sample("ms");
        Sample bare = new Sample("ms");
        long[] cold = new long[3];
        DiffReport last = null;
        int classes = 0;
        for (int i = -1; i < warmup + n; i++) {
            long t0 = System.nanoTime();
            last = PatchBuilder.analyse(base, fixed, List.of());
            long t1 = System.nanoTime();
            DiffReport self = PatchBuilder.analyse(base, base, List.of());
            long t2 = System.nanoTime();
            classes = readAndHash(base) + readAndHash(fixed);
            long t3 = System.nanoTime();
            if (i < 0) {
                cold = new long[] {t1 - t0, t2 - t1, t3 - t2};
                if (!self.changed().isEmpty()) {
                    throw new IllegalStateException("a jar compared with itself reported changes: " + self);
                }
            } else if (i >= warmup) {
                diff.addNanos(t1 - t0);
                same.addNanos(t2 - t1);
                bare.addNanos(t3 - t2);
            }
        }
        int compared = last.classesCompared();
        report.detail("log4j-core 2.14.1 (%,d bytes) vs hotfix: %d classes compared, %d changed, %d refused; JarFile pass read %d class"
                + " entries of the two jars", Files.size(base), compared, last.changed().size(), last.refusals().size(), classes);
        report.detail("first run in this JVM (cold): analyse vs hotfix %.0f ms, vs itself %.0f ms, JarFile+SHA-256 %.0f ms",
                cold[0] / 1e6, cold[1] / 1e6, cold[2] / 1e6);
        report.detail("warm, %d runs after %d: analyse vs hotfix %s", n, warmup, diff.describe());
        report.detail("                     analyse vs itself %s", same.describe());
        report.detail("                     JarFile read + SHA-256 of both jars %s", bare.describe());
        report.detail("analyse vs hotfix: %,.0f classes/s; vs itself: %,.0f classes/s; bare read+hash: %,.0f classes/s",
                compared / (diff.median() / 1e3), compared / (same.median() / 1e3), compared / (bare.median() / 1e3));
        report.ratio("builder", "analyse log4j-core vs hotfix, " + compared + " classes (warm; "
                + String.format("%,.0f", compared / (diff.median() / 1e3)) + " classes/s)", diff, bare, null);
        report.ratio("builder", "analyse log4j-core vs itself (warm; "
                + String.format("%,.0f", compared / (same.median() / 1e3)) + " classes/s)", same, bare, null);
        // No ratio: the first bare pass runs after the first analyse has warmed the JDK's jar and hash code.
        report.figure("builder", "first analyse vs hotfix in a fresh JVM (cold, as one 'hotpatch build' process)",
                String.format("%.0f ms", cold[0] / 1e6), "—");
    }

    /** Reads every entry and hashes it; returns how many were class files. */
    private static int readAndHash(Path jar) throws IOException {
        int classes = 0;
        try (JarFile j = new JarFile(jar.toFile())) {
            Enumeration<JarEntry> entries = j.entries();
            while (entries.hasMoreElements()) {
                JarEntry e = entries.nextElement();
                if (e.isDirectory()) {
                    continue;
                }
                try (InputStream in = j.getInputStream(e)) {
                    Sha256.hex(in.readAllBytes());
                }
                if (e.getName().endsWith(".class")) {
                    classes++;
                }
            }
        }
        return classes;
    }

    private static Path require(Path jar) {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: build it with 'mvn -o -q -pl examples/log4shell install -DskipTests'");
        }
        return jar;
    }
}
