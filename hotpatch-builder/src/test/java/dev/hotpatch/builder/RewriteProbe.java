package dev.hotpatch.builder;

import static dev.hotpatch.builder.TestJars.compile;
import static dev.hotpatch.builder.TestJars.jar;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpatch.builder.rewrite.RewritePolicy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/**
 * Runs differential cases in a real JVM with raw {@code redefineClasses} (no hotpatch agent): a
 * scenario compiled against a library's v1 runs phase 0 and phase 1 on v2 started fresh, and phase
 * 0 on v1, then the builder's rewritten classes replace v1 live, then phase 1; both phase-1 outputs
 * must match, and so must a second phase 1 after phase 2 has warmed the code up (so that the JIT's
 * constant-folded handles are exercised too). Each side runs in its own class loader whose parent is the bootstrap loader, so only
 * {@code java.*} is delegated. The library and the scenario are compiled with the running JDK.
 */
final class RewriteProbe {
    private static final String PROBE = """
            import java.lang.instrument.ClassDefinition;
            import java.lang.instrument.Instrumentation;
            import java.lang.reflect.InvocationTargetException;
            import java.net.URL;
            import java.net.URLClassLoader;
            import java.nio.file.Files;
            import java.nio.file.Path;
            import java.util.ArrayList;
            import java.util.List;
            public class Probe {
                static volatile Instrumentation inst;
                public static void premain(String args, Instrumentation i) { inst = i; }
                static String phase(Class<?> s, int n) throws Exception {
                    try {
                        return String.valueOf(s.getMethod("run", int.class).invoke(null, n));
                    } catch (InvocationTargetException e) {
                        return "THREW " + e.getCause();
                    }
                }
                public static void main(String[] args) throws Exception {
                    for (String line : Files.readAllLines(Path.of(args[0]))) {
                        String[] f = line.split("\\t");
                        URL scenario = Path.of(f[4]).toUri().toURL();
                        String fresh;
                        try (URLClassLoader l = new URLClassLoader(new URL[] {Path.of(f[2]).toUri().toURL(), scenario}, null)) {
                            Class<?> s = Class.forName("Scenario", true, l);
                            phase(s, 0);
                            fresh = phase(s, 1);
                            for (int i = 0; i < 20000; i++) { phase(s, 2); }
                            fresh = fresh + " || " + phase(s, 1);
                        }
                        String live;
                        try (URLClassLoader l = new URLClassLoader(new URL[] {Path.of(f[1]).toUri().toURL(), scenario}, null)) {
                            Class<?> s = Class.forName("Scenario", true, l);
                            phase(s, 0);
                            List<ClassDefinition> defs = new ArrayList<>();
                            for (String c : f[3].split(",")) {
                                if (!c.isEmpty()) {
                                    Path bytes = Path.of(f[5], c.replace('.', '/') + ".class");
                                    defs.add(new ClassDefinition(Class.forName(c, false, l), Files.readAllBytes(bytes)));
                                }
                            }
                            try {
                                inst.redefineClasses(defs.toArray(new ClassDefinition[0]));
                                live = phase(s, 1);
                                for (int i = 0; i < 20000; i++) { phase(s, 2); }
                                live = live + " || " + phase(s, 1);
                            } catch (Throwable e) {
                                live = "REDEFINE FAILED " + e;
                            }
                        }
                        System.out.println(f[0] + "\\t" + (fresh.equals(live) ? "SAME" : "DIFF") + "\\t"
                                + live.replace('\\n', '|') + "\\t" + fresh.replace('\\n', '|'));
                    }
                }
            }
            """;

    /** A case: library sources at v1 and v2, a scenario, how to build. */
    record Case(String label, int release, String[] v1, String[] v2, String scenario, RewritePolicy policy) {
        Case(String label, int release, String[] v1, String[] v2, String scenario) {
            this(label, release, v1, v2, scenario, RewritePolicy.DEFAULT);
        }
    }

    /** What a case gave: the builder's report and the two phase-1 outputs (the first run, before the JIT warmed up). */
    record Outcome(DiffReport report, String verdict, String live, String fresh) {
        Outcome {
            live = live.contains(" || ") ? live.substring(0, live.indexOf(" || ")) : live;
            fresh = fresh.contains(" || ") ? fresh.substring(0, fresh.indexOf(" || ")) : fresh;
        }
    }

    private final Path dir;
    private final Path probe;

    RewriteProbe(Path dir) throws IOException {
        this.dir = dir;
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
    }

    /** Builds every case and runs them all in one JVM of {@code javaHome}. */
    Map<String, Outcome> run(Path javaHome, List<Case> cases) throws IOException, InterruptedException {
        List<String> lines = new ArrayList<>();
        Map<String, DiffReport> reports = new LinkedHashMap<>();
        for (Case c : cases) {
            Path caseDir = Files.createDirectories(dir.resolve(c.label()));
            Map<String, byte[]> v1 = compile(caseDir, c.release(), c.v1());
            Map<String, byte[]> v2 = compile(caseDir, c.release(), c.v2());
            String[] withScenario = new String[c.v1().length + 1];
            System.arraycopy(c.v1(), 0, withScenario, 0, c.v1().length);
            withScenario[c.v1().length] = c.scenario();
            Map<String, byte[]> scenario = new TreeMap<>(compile(caseDir, c.release(), withScenario));
            scenario.keySet().removeAll(v1.keySet()); // the scenario's own classes (Scenario and any helper class beside it)
            Path v1Jar = jar(caseDir.resolve("v1.jar"), v1);
            Path v2Jar = jar(caseDir.resolve("v2.jar"), v2);
            Path scenarioJar = jar(caseDir.resolve("scenario.jar"), scenario);
            JarDiff.Analysis a = JarDiff.analyse(v1Jar, v2Jar, List.of(), JarSource.Limits.DEFAULT, c.policy());
            reports.put(c.label(), a.report());
            Path out = Files.createDirectories(caseDir.resolve("rewritten"));
            List<String> names = new ArrayList<>();
            for (ClassChange ch : a.report().changed()) {
                Path f = out.resolve(ch.className() + ".class");
                Files.createDirectories(f.getParent());
                Files.write(f, a.patchedBytes().get(ch.className()));
                names.add(ch.className().replace('/', '.'));
            }
            if (a.report().refusals().isEmpty()) {
                lines.add(c.label() + "\t" + v1Jar + "\t" + v2Jar + "\t" + String.join(",", names) + "\t" + scenarioJar + "\t" + out);
            }
        }
        Path casesFile = Files.write(dir.resolve("cases-" + System.nanoTime() + ".txt"), lines);
        Process p = new ProcessBuilder(javaHome.resolve("bin/java").toString(), "-javaagent:" + probe, "-cp", probe.toString(),
                "Probe", casesFile.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).as("probe JVM finished").isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        Map<String, Outcome> outcomes = new LinkedHashMap<>();
        for (String line : out.split("\n")) {
            String[] f = line.split("\t", -1);
            if (f.length == 4 && reports.containsKey(f[0])) {
                outcomes.put(f[0], new Outcome(reports.get(f[0]), f[1], f[2], f[3]));
            }
        }
        reports.forEach((label, r) -> outcomes.putIfAbsent(label, new Outcome(r, "REFUSED", "", "")));
        return outcomes;
    }
}
