package dev.hotpatch.cli.demo;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/**
 * The two releases of the fees sample app the demo patches: 1.0 (the baseline, whose fee is
 * truncated) and 1.0.1 (rounded half-up, method bodies only, so hotpatchable). Taken from the
 * checkout this CLI was built in ({@code examples/fees-app/target}); when there is none, compiled
 * now from a small built-in copy of the app with the JDK's compiler.
 *
 * @param baseline the 1.0 jar
 * @param fixed    the 1.0.1 jar
 * @param origin   where they came from, for people
 */
record FeesJars(Path baseline, Path fixed, String origin) {
    private static final String APP = "package acme;\n"
            + "public final class FeesApp {\n"
            + "  public static void main(String[] args) throws java.io.IOException {\n"
            + "    System.out.println(\"ready pid=\" + ProcessHandle.current().pid());\n"
            + "    java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(System.in));\n"
            + "    for (String line; (line = in.readLine()) != null; ) {\n"
            + "      String c = line.trim();\n"
            + "      if (c.equals(\"quit\")) { System.out.println(\"bye\"); System.exit(0); }\n"
            + "      if (c.startsWith(\"fee \")) { long n = Long.parseLong(c.substring(4).trim());"
            + " System.out.println(\"fee \" + n + \" = \" + Fees.fee(n)); }\n"
            + "      else if (!c.isEmpty()) { System.out.println(\"error unknown command\"); }\n"
            + "    }\n"
            + "  }\n"
            + "}\n";
    private static final String FEES = "package acme;\n"
            + "public final class Fees {\n"
            + "  static final long RATE_PER_MILLE = 25;\n"
            + "  private Fees() {}\n"
            + "  public static long fee(long cents) { return %s; }\n"
            + "}\n";

    /** The checkout's jars when this CLI runs from one, else jars compiled into {@code work}. */
    static FeesJars locate(Path work) {
        for (Path dir = codeLocation(); dir != null; dir = dir.getParent()) {
            Path target = dir.resolve("examples").resolve("fees-app").resolve("target");
            Path v1 = target.resolve("fees-app-1.0.jar");
            Path v2 = target.resolve("fees-app-1.0.1.jar");
            if (Files.isRegularFile(v1) && Files.isRegularFile(v2)) {
                return new FeesJars(v1, v2, "the checkout's examples/fees-app (" + target + ")");
            }
        }
        return compile(work);
    }

    private static Path codeLocation() {
        try {
            CodeSource cs = FeesJars.class.getProtectionDomain().getCodeSource();
            return cs == null ? null : Path.of(cs.getLocation().toURI()).toAbsolutePath();
        } catch (URISyntaxException | IllegalArgumentException | SecurityException e) {
            return null;
        }
    }

    static FeesJars compile(Path work) {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        if (javac == null) {
            throw new IllegalStateException("the demo needs the fees sample app: run it from a checkout where"
                    + " examples/fees-app is built (mvn package), or with a JDK (this Java has no compiler)");
        }
        Path v1 = jar(javac, work.resolve("fees-1.0"), "cents * RATE_PER_MILLE / 1000", work.resolve("fees-app-1.0.jar"));
        Path v2 = jar(javac, work.resolve("fees-1.0.1"), "Math.floorDiv(cents * RATE_PER_MILLE + 500, 1000)", work.resolve("fees-app-1.0.1.jar"));
        return new FeesJars(v1, v2, "a built-in copy of the fees app, compiled now (no checkout found)");
    }

    private static Path jar(JavaCompiler javac, Path dir, String feeExpression, Path out) {
        try {
            Path src = Files.createDirectories(dir.resolve("src/acme"));
            Path classes = Files.createDirectories(dir.resolve("classes"));
            Files.writeString(src.resolve("FeesApp.java"), APP, StandardCharsets.UTF_8);
            Files.writeString(src.resolve("Fees.java"), FEES.formatted(feeExpression), StandardCharsets.UTF_8);
            int rc = javac.run(null, OutputStream.nullOutputStream(), System.err, "--release", "11", "-d", classes.toString(),
                    src.resolve("FeesApp.java").toString(), src.resolve("Fees.java").toString());
            if (rc != 0) {
                throw new IllegalStateException("compiling the built-in fees app failed (javac exit " + rc + "; its errors are above)");
            }
            Manifest mf = new Manifest();
            mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
            mf.getMainAttributes().put(Attributes.Name.MAIN_CLASS, "acme.FeesApp");
            List<Path> files = new ArrayList<>();
            try (Stream<Path> s = Files.walk(classes)) {
                s.filter(Files::isRegularFile).sorted().forEach(files::add);
            }
            try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(out), mf)) {
                for (Path f : files) {
                    JarEntry e = new JarEntry(classes.relativize(f).toString().replace('\\', '/'));
                    e.setTime(0);
                    jar.putNextEntry(e);
                    jar.write(Files.readAllBytes(f));
                    jar.closeEntry();
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot build the fees app in " + dir + ": " + e.getMessage(), e);
        }
    }
}
