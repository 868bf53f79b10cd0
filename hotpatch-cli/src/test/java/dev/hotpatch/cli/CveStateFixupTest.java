package dev.hotpatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.cli.CveHotpatchTest.Cve;
import dev.hotpatch.testkit.JarMaker;
import dev.hotpatch.testkit.Jdks;
import dev.hotpatch.testkit.TargetJvm;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The three corpus CVEs whose fix changes state the library computed once with the vulnerable
 * code (see CveHotpatchTest): with a fix-up class each, a JVM that ran the exploit BEFORE the patch
 * answers as the fixed release after the apply, and as the vulnerable one again after the
 * uninstall. Built from the real releases (Maven Central, copied by the pom) with
 * {@code hotpatch build --fixup}; the fix-ups are compiled here against the fixed jars. Java 17 and 25.
 */
class CveStateFixupTest {
    /** commons-beanutils picks its introspectors when its (context-class-loader keyed) singleton is made, and caches descriptors. */
    static final String BEANUTILS_FIXUP = """
            package org.apache.commons.beanutils;
            /** Re-picks the introspectors of this loader's PropertyUtilsBean with the code now running, and drops its cached descriptors. */
            public final class IntrospectorsFixup {
                public static void afterApply() { reset(); }
                public static void afterUninstall() { reset(); }
                private static void reset() {
                    PropertyUtilsBean p = PropertyUtilsBean.getInstance();
                    p.resetBeanIntrospectors();
                    p.clearDescriptors();
                }
            }
            """;
    /** spring-beans caches each class's introspection, including Object's and Class's. */
    static final String SPRING_FIXUP = """
            package org.springframework.beans;
            /** Drops every cached introspection, so that the code now running introspects again. */
            public final class IntrospectionCacheFixup {
                public static void afterApply() { reset(); }
                public static void afterUninstall() { reset(); }
                private static void reset() {
                    CachedIntrospectionResults.strongClassCache.clear();
                    CachedIntrospectionResults.softClassCache.clear();
                }
            }
            """;
    /** commons-text built its default interpolator, with the script, dns and url lookups, once. */
    static final String TEXT_FIXUP = """
            package org.apache.commons.text.lookup;
            import java.util.HashMap;
            import java.util.Locale;
            import java.util.Map;
            /** Brings the default interpolator's lookups to the defaults of the code now running; lookups it keeps stay the same objects. */
            public final class DefaultLookupsFixup {
                public static void afterApply() { reset(); }
                public static void afterUninstall() { reset(); }
                private static void reset() {
                    Map<String, StringLookup> defaults = new HashMap<>();
                    StringLookupFactory.INSTANCE.addDefaultStringLookups(defaults);
                    Map<String, StringLookup> wanted = new HashMap<>();
                    for (Map.Entry<String, StringLookup> e : defaults.entrySet()) {
                        // As the interpolator keys its lookups (1.9 in InterpolatorStringLookup.toKey, 1.10.0 in StringLookupFactory's).
                        wanted.put(e.getKey().toLowerCase(Locale.ROOT), e.getValue());
                    }
                    Map<String, StringLookup> live = ((InterpolatorStringLookup) InterpolatorStringLookup.INSTANCE).getStringLookupMap();
                    live.keySet().retainAll(wanted.keySet());
                    live.putAll(wanted);
                }
            }
            """;

    /** A CVE of CveHotpatchTest with its fix-up class and source. */
    record StateCve(Cve cve, String fixupClass, String fixupSource) {
    }

    static final List<StateCve> CVES = List.of(
            new StateCve(cve("CVE-2019-10086"), "org.apache.commons.beanutils.IntrospectorsFixup", BEANUTILS_FIXUP),
            new StateCve(cve("CVE-2022-22965"), "org.springframework.beans.IntrospectionCacheFixup", SPRING_FIXUP),
            new StateCve(cve("CVE-2022-42889"), "org.apache.commons.text.lookup.DefaultLookupsFixup", TEXT_FIXUP));

    @TempDir
    static Path dir;
    static Path keys;
    static Path probe;
    static final Map<String, Path> packages = new LinkedHashMap<>();
    static final Map<String, String> ids = new LinkedHashMap<>();

    static Cve cve(String id) {
        return CveHotpatchTest.CVES.stream().filter(c -> c.id().equals(id)).findFirst().orElseThrow();
    }

    @BeforeAll
    static void buildTheHotpatches() throws IOException {
        for (Cve c : CveHotpatchTest.CVES) {
            assertThat(CveHotpatchTest.RELEASES.resolve(c.vulnerable())).as("copied from Maven Central by the pom").isRegularFile();
            assertThat(CveHotpatchTest.RELEASES.resolve(c.fixed())).as("copied from Maven Central by the pom").isRegularFile();
        }
        keys = dir.resolve("keys");
        assertThat(CliRun.of("keygen", "--out", keys.toString()).exit()).isZero();
        probe = JarMaker.compile(dir.resolve("probe.jar"), Map.of("probe.Probe", CveHotpatchTest.PROBE), classpath(Cve::vulnerable), 11);
        int n = 1;
        for (StateCve s : CVES) {
            Cve c = s.cve();
            Path fixup = fixupClass(s);
            String id = "KB2026-097" + n++;
            Path out = dir.resolve(c.id() + ".hotpatch");
            List<String> args = new ArrayList<>(List.of("build", "--baseline", CveHotpatchTest.RELEASES.resolve(c.vulnerable()).toString(),
                    "--patched", CveHotpatchTest.RELEASES.resolve(c.fixed()).toString(), "--id", id, "--title", "Fix " + c.id(),
                    "--classification", "Security", "--cve", c.id(), "--key", keys.toString(), "--out", out.toString(),
                    "--fixup", fixup.toString()));
            c.include().forEach(i -> args.addAll(List.of("--include", i)));
            CliRun build = CliRun.of(args.toArray(String[]::new));
            assertThat(build.exit()).as(c.id() + ": " + build).isZero();
            assertThat(build.out()).as("the report names the fix-up").contains("fix-up: " + s.fixupClass().replace('.', '/')
                    + " (afterApply, afterUninstall)");
            CliRun inspect = CliRun.of("inspect", out.toString());
            assertThat(inspect.out()).contains("fix-up: " + s.fixupClass().replace('.', '/') + " (afterApply, afterUninstall)");
            packages.put(c.id(), out);
            ids.put(c.id(), id);
        }
    }

    /** Compiles the fix-up against the fixed release (and what it needs) and returns its one .class file. */
    private static Path fixupClass(StateCve s) throws IOException {
        List<Path> cp = Stream.concat(Stream.of(s.cve().fixed()), s.cve().runtime().stream()).map(CveHotpatchTest.RELEASES::resolve).toList();
        Path jar = JarMaker.compile(dir.resolve(s.cve().id() + "-fixup.jar"), Map.of(s.fixupClass(), s.fixupSource()), cp, 11);
        Path out = dir.resolve(s.cve().id() + "-" + s.fixupClass().substring(s.fixupClass().lastIndexOf('.') + 1) + ".class");
        try (JarFile j = new JarFile(jar.toFile());
             InputStream in = j.getInputStream(j.getEntry(s.fixupClass().replace('.', '/') + ".class"))) {
            Files.write(out, in.readAllBytes());
        }
        return out;
    }

    static List<Path> javas() {
        return Jdks.all();
    }

    @ParameterizedTest
    @MethodSource("javas")
    void eachStateCve_isFixedWithItsFixup_inAJvmThatRanTheExploitFirst_andVulnerableAgainAfterUninstall(Path java) {
        Map<String, String> fixed;
        try (TargetJvm fresh = start(java, classpath(Cve::fixed))) {
            fixed = exploitAll(fresh);
        }
        try (TargetJvm target = start(java, classpath(Cve::vulnerable))) {
            String pid = Long.toString(target.pid());
            Map<String, String> vulnerable = exploitAll(target);
            for (StateCve s : CVES) {
                assertThat(vulnerable.get(s.cve().id())).as(s.cve().id() + ": the exploit tells the releases apart")
                        .isNotEqualTo(fixed.get(s.cve().id()));
            }

            for (StateCve s : CVES) {
                CliRun apply = CliRun.of("apply", "--pid", pid, packages.get(s.cve().id()).toString(), "--trust", keys.toString());
                assertThat(apply.exit()).as(s.cve().id() + ": " + apply).isZero();
            }

            assertThat(exploitAll(target)).as("after the hotpatches and their fix-ups, as the fixed releases").isEqualTo(fixed);
            JsonNode list = CliRun.of("list", "--pid", pid, "--json").json();
            for (JsonNode h : list.path("installed")) {
                assertThat(h.at("/fixup/ran").asBoolean()).as(h.toString()).isTrue();
                assertThat(h.at("/fixup/hooks").toString()).isEqualTo("[\"afterApply\",\"afterUninstall\"]");
            }
            assertThat(list.path("installed")).hasSize(3);
            assertThat(CliRun.of("list", "--pid", pid).out()).contains("fix-up: org.apache.commons.text.lookup.DefaultLookupsFixup"
                    + " (afterApply, afterUninstall): afterApply() ran in 1 class loader at the live apply");

            for (StateCve s : CVES) {
                CliRun uninstall = CliRun.of("uninstall", "--pid", pid, "--id", ids.get(s.cve().id()));
                assertThat(uninstall.exit()).as(s.cve().id() + ": " + uninstall).isZero();
            }

            assertThat(exploitAll(target)).as("after uninstalling them, with afterUninstall()").isEqualTo(vulnerable);
            assertThat(target.isAlive()).isTrue();
        }
    }

    private static Map<String, String> exploitAll(TargetJvm target) {
        return CveHotpatchTest.exploits(target, CVES.stream().map(s -> s.cve().id()).toList());
    }

    private static TargetJvm start(Path java, List<Path> libraries) {
        return CveHotpatchTest.startProbe(java, probe, dir, libraries);
    }

    private static List<Path> classpath(Function<Cve, String> release) {
        return CveHotpatchTest.classpath(release);
    }
}
