package dev.hotpatch.bench;

import dev.hotpatch.format.HotpatchPackage;
import dev.hotpatch.format.PackageManifest;
import dev.hotpatch.format.PackageWriter;
import dev.hotpatch.format.SigningKey;
import dev.hotpatch.format.TrustStore;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What checking a package costs the JVM that checks it, by signature path and key type: the
 * ten-class benchmark package read with {@code HotpatchPackage.read(file, trust)} again and again
 * in a fresh JVM, through its manifest signature (as packages are read now) and through its JAR
 * signature alone (the same package with the zip comment removed, as agents read packages before
 * the manifest signature). CPU time of the reading thread, so that other work on the machine
 * counts less; per read window: the first read (a cold JVM, the attached agent's first apply), the
 * 2nd and 10th, the median of reads 11-50 (where the warm-apply benchmark measures) and of reads
 * 201-400 (compiled). The JAR path is the baseline the manifest signature replaces.
 */
final class VerifyCost implements Benchmark {
    private static final int READS = 400;
    private static final int[][] WINDOWS = {{0, 1}, {1, 2}, {9, 10}, {10, 50}, {200, 400}};

    public static void main(String[] args) throws Exception {
        All.runOne(new VerifyCost(), args);
    }

    @Override
    public String name() {
        return "verify-cost";
    }

    @Override
    public String description() {
        return "CPU time of one package check: manifest signature vs JAR signature, RSA-3072 vs EC P-256, fresh JVMs";
    }

    @Override
    public void run(Workspace ws, Settings settings, Report report) throws Exception {
        int jvms = Math.max(1, settings.n(3));
        PackageManifest manifest = HotpatchPackage.read(ws.patch, TrustStore.fromDirectory(ws.keyDir)).manifest();
        for (SigningKey.Type type : SigningKey.Type.values()) {
            Path keyDir = ws.fresh("verify-key-");
            SigningKey key = SigningKey.generate(keyDir, "CN=Verify Cost", type);
            Path manifestSigned = Files.createDirectories(ws.fresh("verify-pkg-")).resolve("manifest.hotpatch");
            PackageWriter.write(manifest, key, manifestSigned);
            Path jarOnly = manifestSigned.resolveSibling("jar-only.hotpatch");
            Files.write(jarOnly, withoutComment(Files.readAllBytes(manifestSigned)));
            for (Path java : settings.jdks()) {
                for (Path pkg : List.of(manifestSigned, jarOnly)) {
                    List<long[]> runs = new ArrayList<>();
                    for (int i = 0; i < jvms; i++) {
                        runs.add(child(java, pkg, keyDir));
                    }
                    report.detail("%s, %s, %s signature, %d JVMs × %d reads, CPU µs per read (range over JVMs): %s", Workspace.label(java),
                            key.keyDescription(), pkg == jarOnly ? "JAR" : "manifest", jvms, READS, windows(runs));
                }
            }
        }
    }

    /** "1st a–b, 2nd …": each window's median per JVM, as the range over JVMs. */
    private static String windows(List<long[]> runs) {
        String[] names = {"1st", "2nd", "10th", "11-50", "201-400"};
        StringBuilder out = new StringBuilder();
        for (int w = 0; w < WINDOWS.length; w++) {
            long lo = Long.MAX_VALUE;
            long hi = Long.MIN_VALUE;
            for (long[] r : runs) {
                long[] window = Arrays.copyOfRange(r, WINDOWS[w][0], WINDOWS[w][1]);
                Arrays.sort(window);
                long median = window[window.length / 2] / 1000;
                lo = Math.min(lo, median);
                hi = Math.max(hi, median);
            }
            out.append(w == 0 ? "" : ", ").append(names[w]).append(' ').append(lo).append(lo == hi ? "" : "–" + hi);
        }
        return out.toString();
    }

    private static long[] child(Path java, Path pkg, Path trust) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"), Reads.class.getName(),
                pkg.toString(), trust.toString(), Integer.toString(READS)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (p.waitFor() != 0 || !out.startsWith("cpu-nanos ")) {
            throw new IllegalStateException("the reading JVM failed: " + out);
        }
        return Arrays.stream(out.substring("cpu-nanos ".length()).split(",")).mapToLong(Long::parseLong).toArray();
    }

    /** The zip without its comment: the end-of-central-directory record is the last 22 bytes plus the comment. */
    static byte[] withoutComment(byte[] zip) {
        for (int end = zip.length - 22; end >= Math.max(0, zip.length - 22 - 0xffff); end--) {
            ByteBuffer b = ByteBuffer.wrap(zip).order(ByteOrder.LITTLE_ENDIAN);
            if (b.getInt(end) == 0x06054b50 && (b.getShort(end + 20) & 0xffff) == zip.length - end - 22) {
                byte[] out = Arrays.copyOf(zip, end + 22);
                out[end + 20] = 0;
                out[end + 21] = 0;
                return out;
            }
        }
        throw new IllegalArgumentException("not a zip file: no end-of-central-directory record");
    }

    /** The child JVM: reads the package {@code n} times and prints each read's CPU time. */
    static final class Reads {
        public static void main(String[] args) {
            Path pkg = Path.of(args[0]);
            TrustStore trust = TrustStore.fromDirectory(Path.of(args[1]));
            int n = Integer.parseInt(args[2]);
            ThreadMXBean mx = ManagementFactory.getThreadMXBean();
            StringBuilder out = new StringBuilder("cpu-nanos ");
            for (int i = 0; i < n; i++) {
                long t0 = mx.getCurrentThreadCpuTime();
                HotpatchPackage.read(pkg, trust);
                out.append(i == 0 ? "" : ",").append(mx.getCurrentThreadCpuTime() - t0);
            }
            System.out.println(out);
        }
    }
}
