package dev.hotpatch.node;

import dev.hotpatch.format.ClassPatch;
import dev.hotpatch.format.Classification;
import dev.hotpatch.format.PackageManifest;
import dev.hotpatch.format.PackageWriter;
import dev.hotpatch.format.RebootBehavior;
import dev.hotpatch.format.Sha256;
import dev.hotpatch.format.SigningKey;
import dev.hotpatch.testkit.JarMaker;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.zip.ZipFile;

/**
 * A small target application for node tests, built in versions: {@code demo.App} prints
 * {@code fees <version> started, fee=<n>} and then answers {@code fee} on standard input (or
 * sleeps when standard input is closed); {@code demo.Fees} is the class hotpatches replace. With
 * {@code -Dfees.healthPort=N} (0: any) it also serves {@code GET /health} on 127.0.0.1, printing
 * {@code health port <port>} first: 200 until the line {@code sick} arrives on standard input,
 * 503 until {@code well}.
 */
final class TestApp {
    static final String MAIN = "demo.App";
    static final String FEES = "demo/Fees";

    private TestApp() {
    }

    /** A unique machine name, so tests never meet other tests' JVMs on this host. */
    static String machineName(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** The application jar of {@code version}; {@code divisor} shapes the fee; {@code exitCode} ≥ 0 makes it exit at start. */
    static Path jar(Path out, String version, int divisor, int exitCode) {
        String app = "package demo;\n"
                + "public class App {\n"
                + "  static volatile boolean sick;\n"
                + "  public static void main(String[] args) throws Exception {\n"
                + "    String hp = System.getProperty(\"fees.healthPort\");\n"
                + "    if (hp != null) {\n"
                + "      com.sun.net.httpserver.HttpServer s = com.sun.net.httpserver.HttpServer.create(\n"
                + "          new java.net.InetSocketAddress(\"127.0.0.1\", Integer.parseInt(hp)), 0);\n"
                + "      s.createContext(\"/health\", ex -> { byte[] b = (sick ? \"sick\" : \"ok\").getBytes();\n"
                + "        ex.sendResponseHeaders(sick ? 503 : 200, b.length); ex.getResponseBody().write(b); ex.close(); });\n"
                + "      s.start();\n"
                + "      System.out.println(\"health port \" + s.getAddress().getPort());\n"
                + "    }\n"
                + "    Fees f = new Fees();\n"
                + "    System.out.println(\"fees \" + Fees.version() + \" started, fee=\" + f.fee(100));\n"
                + "    System.out.flush();\n"
                + (exitCode >= 0 ? "    if (true) { System.out.println(\"broken build, exiting\"); System.exit(" + exitCode + "); }\n" : "")
                + "    java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(System.in));\n"
                + "    for (String line; (line = in.readLine()) != null; ) {\n"
                + "      if (line.equals(\"fee\")) { System.out.println(\"fee=\" + f.fee(100)); System.out.flush(); }\n"
                + "      if (line.equals(\"sick\") || line.equals(\"well\")) { sick = line.equals(\"sick\"); System.out.println(\"health \" + line); System.out.flush(); }\n"
                + "    }\n"
                + "    Thread.sleep(Long.MAX_VALUE);\n"
                + "  }\n"
                + "}\n";
        return JarMaker.compile(out, Map.of("demo.App", app, "demo.Fees", fees(version, divisor)), List.of(), 11);
    }

    static String fees(String version, int divisor) {
        return "package demo;\n"
                + "public class Fees {\n"
                + "  public static String version() { return \"" + version + "\"; }\n"
                + "  public int fee(int amount) { return amount / " + divisor + "; }\n"
                + "}\n";
    }

    /** The bytes of {@code demo/Fees} in {@code jar}. */
    static byte[] feesBytes(Path jar) {
        try (ZipFile z = new ZipFile(jar.toFile()); InputStream in = z.getInputStream(z.getEntry(FEES + ".class"))) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A signed release descriptor of baseline {@code version} made of {@code jars}, written to {@code out}, as a command names it. */
    static dev.hotpatch.node.command.Artifact descriptor(Path out, String version, Path jar, SigningKey key) {
        try {
            dev.hotpatch.format.ReleaseDescriptor d = dev.hotpatch.format.ReleaseDescriptor.baseline("test/fees/1.x", version)
                    .file(dev.hotpatch.format.ReleaseDescriptor.FileEntry.of(jar)).build();
            dev.hotpatch.format.ReleaseDescriptorWriter.write(d, key, out);
            return new dev.hotpatch.node.command.Artifact(out.getFileName().toString(), Sha256.hex(out), out.toUri());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Like {@link #hotpatch}, with a fix-up class {@code demo.FeesFixup} whose {@code afterApply()}
     * sets the system property {@code fees.fixup} to {@code ran}.
     */
    static Path hotpatchWithFixup(Path out, String id, Path baselineJar, int divisor, SigningKey key, Path work) {
        String fixup = "package demo;\npublic final class FeesFixup {\n"
                + "  public static void afterApply() { System.setProperty(\"fees.fixup\", \"ran\"); }\n}\n";
        Path patched = JarMaker.compile(work.resolve(id + "-patched.jar"), Map.of("demo.Fees", fees("1.0", divisor), "demo.FeesFixup", fixup),
                List.of(), 11);
        byte[] fixupBytes;
        try (ZipFile z = new ZipFile(patched.toFile()); InputStream in = z.getInputStream(z.getEntry("demo/FeesFixup.class"))) {
            fixupBytes = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        PackageManifest m = PackageManifest.builder().id(id).title("Fee rounding fix " + id).classification(Classification.SECURITY)
                .severity("Important").image("test/fees/1.x").baseline("1.0").rebootBehavior(RebootBehavior.NEVER_REBOOTS)
                .published(Instant.parse("2026-03-01T00:00:00Z"))
                .addClass(ClassPatch.replace(FEES, Sha256.hex(feesBytes(baselineJar)), feesBytes(patched)))
                .addClass(ClassPatch.added("demo/FeesFixup", fixupBytes)).fixup("demo/FeesFixup").build();
        PackageWriter.write(m, key, out);
        return out;
    }

    /**
     * A signed hotpatch {@code id} that changes {@code Fees.fee} to divide by {@code divisor}, for
     * the build {@code baselineJar}; written to {@code out}.
     */
    static Path hotpatch(Path out, String id, Path baselineJar, int divisor, SigningKey key, Path work) {
        Path patched = jar(work.resolve(id + "-patched.jar"), "1.0", divisor, -1);
        PackageManifest m = PackageManifest.builder().id(id).title("Fee rounding fix " + id).classification(Classification.SECURITY)
                .severity("Important").image("test/fees/1.x").baseline("1.0").rebootBehavior(RebootBehavior.NEVER_REBOOTS)
                .published(Instant.parse("2026-03-01T00:00:00Z"))
                .addClass(ClassPatch.replace(FEES, Sha256.hex(feesBytes(baselineJar)), feesBytes(patched))).build();
        PackageWriter.write(m, key, out);
        return out;
    }
}
