package dev.hotpatch.builder;

import static dev.hotpatch.builder.TestJars.compile;
import static dev.hotpatch.builder.TestJars.jar;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import dev.hotpatch.builder.rewrite.RewritePolicy;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Holds the builder's verdicts against the real thing: each case's class is loaded in a fresh JVM
 * and redefined with {@code Instrumentation.redefineClasses}; with rewriting off the builder must
 * refuse exactly the cases HotSpot refuses, and with rewriting on, HotSpot must accept every class
 * the builder rewrites. Runs on the JDK running the tests and on Java 25.
 */
class HotSpotAgreementTest {
    private static final String F = """
            package p;
            public class F {
                private long rate = 3;
                public long fee(long a) { return a * rate; }
                public long total(long a) { return a + fee(a); }
            }
            """;
    private static final String PROBE = """
            import java.lang.instrument.ClassDefinition;
            import java.lang.instrument.Instrumentation;
            import java.net.URL;
            import java.net.URLClassLoader;
            import java.nio.file.Files;
            import java.nio.file.Path;
            public class Probe {
                static volatile Instrumentation inst;
                public static void premain(String args, Instrumentation i) { inst = i; }
                public static void main(String[] args) throws Exception {
                    for (String line : Files.readAllLines(Path.of(args[0]))) {
                        String[] f = line.split("\\t");
                        try (URLClassLoader l = new URLClassLoader(new URL[] {Path.of(f[2]).toUri().toURL()}, null)) {
                            Class<?> c = Class.forName(f[1], true, l);
                            try {
                                inst.redefineClasses(new ClassDefinition(c, Files.readAllBytes(Path.of(f[3]))));
                                System.out.println(f[0] + "\\tOK");
                            } catch (Exception | LinkageError e) {
                                System.out.println(f[0] + "\\tREFUSED\\t" + e);
                            }
                        }
                    }
                }
            }
            """;

    /** One redefinition: {@code className} compiled from {@code before}, replaced by its build from {@code after}. */
    private record Case(String label, String className, String[] before, String[] after) {
    }

    @TempDir
    static Path dir;
    private static Path probe;
    private static Path casesFile;
    private static final Map<String, Boolean> builderAccepts = new LinkedHashMap<>();
    private static final Map<String, Boolean> rewrittenAccepted = new LinkedHashMap<>();

    private static List<Case> cases() {
        String g = F.replace("private long rate = 3;", "private long rate = 3;\n    private long cap = 9;");
        String i = F.replace("public class F", "public class F implements java.io.Serializable, Cloneable");
        String k = F.replace("private long rate = 3;", "static final int LIMIT = 10;\n    private long rate = 3;");
        String r = "package p; public record R(java.util.List<String> xs) {}";
        String t = "package p; public sealed interface T permits A, B {}";
        String a = "package p; public final class A implements T {}";
        String b = "package p; public final class B implements T {}";
        String base = "package p; public class Base {}";
        String other = "package p; public class Other {}";
        String sub = F.replace("public class F", "public class F extends Base");
        return List.of(
                new Case("body", "p.F", new String[] {F}, new String[] {F.replace("a * rate", "Math.max(0, a) * rate")}),
                new Case("becomes-native", "p.F", new String[] {F},
                        new String[] {F.replace("public long total(long a) { return a + fee(a); }", "public native long total(long a);")}),
                new Case("throws-and-annotation", "p.F", new String[] {F},
                        new String[] {F.replace("public long total(long a)", "@Deprecated public long total(long a) throws IllegalStateException")}),
                new Case("method-order", "p.F", new String[] {F}, new String[] {F.replace(
                        "public long fee(long a) { return a * rate; }\n    public long total(long a) { return a + fee(a); }",
                        "public long total(long a) { return a + fee(a); }\n    public long fee(long a) { return a * rate; }")}),
                new Case("field-order", "p.F", new String[] {g}, new String[] {g.replace(
                        "private long rate = 3;\n    private long cap = 9;", "private long cap = 9;\n    private long rate = 3;")}),
                new Case("interface-order", "p.F", new String[] {i},
                        new String[] {i.replace("java.io.Serializable, Cloneable", "Cloneable, java.io.Serializable")}),
                new Case("nested-class-added", "p.F", new String[] {F},
                        new String[] {F.replace("private long rate", "private static class N { }\n    private long rate")}),
                new Case("field-modifiers", "p.F", new String[] {F}, new String[] {F.replace("private long rate", "public long rate")}),
                new Case("field-type", "p.F", new String[] {F}, new String[] {F.replace("private long rate", "private int rate")}),
                new Case("field-added", "p.F", new String[] {F}, new String[] {F.replace("private long rate = 3;", "private long rate = 3; int x;")}),
                new Case("method-removed", "p.F", new String[] {F},
                        new String[] {F.replace("public long total(long a) { return a + fee(a); }", "")}),
                new Case("constant-value", "p.F", new String[] {k}, new String[] {k.replace("LIMIT = 10", "LIMIT = 20")}),
                new Case("final-class", "p.F", new String[] {F}, new String[] {F.replace("public class F", "public final class F")}),
                new Case("deprecated-class", "p.F", new String[] {F}, new String[] {F.replace("public class F", "@Deprecated public class F")}),
                new Case("synchronized", "p.F", new String[] {F}, new String[] {F.replace("public long fee", "public synchronized long fee")}),
                new Case("lambda", "p.F", new String[] {F}, new String[] {F.replace("return a * rate;",
                        "java.util.function.LongUnaryOperator o = y -> y * rate; return o.applyAsLong(a);")}),
                new Case("superclass", "p.F", new String[] {sub, base, other},
                        new String[] {sub.replace("extends Base", "extends Other"), base, other}),
                new Case("permits-reordered", "p.T", new String[] {t, a, b}, new String[] {t.replace("A, B", "B, A"), a, b}),
                new Case("record-generic-signature", "p.R", new String[] {r}, new String[] {r.replace("List<String>", "List<Integer>")}),
                new Case("record-component-annotation", "p.R", new String[] {r}, new String[] {r.replace("(java.util", "(@Deprecated java.util")}));
    }

    @BeforeAll
    static void prepare() throws IOException {
        Map<String, byte[]> probeClasses = compile(dir, PROBE);
        probe = dir.resolve("probe.jar");
        Manifest mf = new Manifest();
        mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        mf.getMainAttributes().putValue("Premain-Class", "Probe");
        mf.getMainAttributes().putValue("Can-Redefine-Classes", "true");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(probe), mf)) {
            out.putNextEntry(new JarEntry("Probe.class"));
            out.write(probeClasses.get("Probe.class"));
            out.closeEntry();
        }
        List<String> lines = new ArrayList<>();
        for (Case c : cases()) {
            Path caseDir = Files.createDirectories(dir.resolve(c.label()));
            Map<String, byte[]> before = compile(caseDir, c.before());
            Map<String, byte[]> after = compile(caseDir, c.after());
            Path oldJar = jar(caseDir.resolve("old.jar"), before);
            Path newJar = jar(caseDir.resolve("new.jar"), after);
            String internal = c.className().replace('.', '/');
            DiffReport report = PatchBuilder.analyse(oldJar, newJar, List.of(), RewritePolicy.NONE);
            builderAccepts.put(c.label(), report.refusals().stream().noneMatch(x -> x.className().equals(internal)));
            Path newClass = Files.write(caseDir.resolve("new.class"), after.get(internal + ".class"));
            lines.add(c.label() + "\t" + c.className() + "\t" + oldJar + "\t" + newClass);
            JarDiff.Analysis rewritten = JarDiff.analyse(oldJar, newJar, List.of(), JarSource.Limits.DEFAULT, RewritePolicy.DEFAULT);
            if (rewritten.report().refusals().isEmpty()) {
                Path rewrittenClass = Files.write(caseDir.resolve("rewritten.class"), rewritten.patchedBytes().get(internal));
                rewrittenAccepted.put(c.label() + "#rewritten", true);
                lines.add(c.label() + "#rewritten\t" + c.className() + "\t" + oldJar + "\t" + rewrittenClass);
            }
        }
        casesFile = Files.write(dir.resolve("cases.txt"), lines);
    }

    private static Map<String, Boolean> hotSpotAccepts(Path javaHome) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(javaHome.resolve("bin/java").toString(), "-javaagent:" + probe,
                "-cp", probe.toString(), "Probe", casesFile.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        Map<String, Boolean> verdicts = new LinkedHashMap<>();
        for (String line : out.split("\n")) {
            String[] f = line.split("\t");
            if (f.length >= 2 && (builderAccepts.containsKey(f[0]) || rewrittenAccepted.containsKey(f[0]))) {
                verdicts.put(f[0], f[1].equals("OK"));
            }
        }
        return verdicts;
    }

    private static Map<String, Boolean> expected() {
        Map<String, Boolean> all = new LinkedHashMap<>(builderAccepts);
        all.putAll(rewrittenAccepted);
        return all;
    }

    @Test
    void analyse_agreesWithRedefineClasses_onThisJdk() throws Exception {
        assertThat(hotSpotAccepts(Path.of(System.getProperty("java.home")))).isEqualTo(expected());
        assertThat(builderAccepts).containsValues(true, false);
        assertThat(rewrittenAccepted.size()).as("cases the rewriting makes hotpatchable").isGreaterThan(
                (int) builderAccepts.values().stream().filter(b -> b).count());
    }

    @Test
    void analyse_agreesWithRedefineClasses_onJava25() throws Exception {
        Path java25 = Path.of(System.getProperty("hotpatch.test.java25", "/usr/lib/jvm/temurin-25-jdk-amd64"));
        assertThat(java25.resolve("bin/java")).as("Java 25 is needed; set -Dhotpatch.test.java25").isExecutable();

        assertThat(hotSpotAccepts(java25)).isEqualTo(expected());
    }
}
