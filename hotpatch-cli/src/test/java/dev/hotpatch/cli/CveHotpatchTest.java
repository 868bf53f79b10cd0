package dev.hotpatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpatch.testkit.JarMaker;
import dev.hotpatch.testkit.Jdks;
import dev.hotpatch.testkit.TargetJvm;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every CVE of the corpus that ships as a hotpatch (docs/rewriting.md), live: one JVM runs the
 * vulnerable releases of all eleven libraries and answers an exploit per CVE; each hotpatch is built
 * from the real vulnerable and fixed releases (Maven Central, copied by the pom), with the options a
 * publisher would give ({@code --include}, {@code --shadow-init}, {@code --classpath}), applied, and must
 * make the JVM answer exactly as the fixed release started fresh does; uninstalling it must bring
 * the vulnerable answer back. Java 17 and 25.
 *
 * <p>Three fixes change what a library computes once and keeps (commons-beanutils chooses its
 * introspectors when its singleton is made; Spring caches each class's introspection; commons-text
 * builds its default interpolator, with the script, dns and url lookups, once in a static field): a
 * JVM that ran the vulnerable path before the patch keeps the vulnerable result, and the test says
 * so, so docs/rewriting.md does not count them as shipping. A JVM patched before first use is fixed.
 * The commons-text fix also adds a class, which the agent defines.
 */
class CveHotpatchTest {
    static final Path RELEASES = Path.of("target", "cves");

    /** A CVE: its library's vulnerable and fixed jar, the classes the hotpatch carries, and what the exploit needs besides. */
    record Cve(String id, String vulnerable, String fixed, List<String> include, List<String> runtime) {
    }

    /** Fixes whose effect is computed once and cached by the library: they fix only JVMs that had not used the path. */
    static final List<String> FIXED_ONLY_BEFORE_FIRST_USE = List.of("CVE-2019-10086", "CVE-2022-22965", "CVE-2022-42889");

    static final List<Cve> CVES = List.of(
            new Cve("CVE-2020-36518", "jackson-databind-2.13.2.jar", "jackson-databind-2.13.2.1.jar", List.of(),
                    List.of("jackson-core-2.13.2.jar", "jackson-annotations-2.13.2.jar")),
            new Cve("CVE-2023-1370", "json-smart-2.4.8.jar", "json-smart-2.4.9.jar", List.of("net/minidev/json/parser/**"),
                    List.of("accessors-smart-2.4.8.jar", "asm-9.1.jar")),
            new Cve("CVE-2019-10086", "commons-beanutils-1.9.3.jar", "commons-beanutils-1.9.4.jar", List.of(),
                    List.of("commons-logging-1.2.jar", "commons-collections-3.2.2.jar")),
            new Cve("CVE-2022-22965", "spring-beans-5.3.17.jar", "spring-beans-5.3.18.jar", List.of(),
                    List.of("spring-core-5.3.17.jar", "spring-jcl-5.3.17.jar")),
            new Cve("CVE-2020-13956", "httpclient-4.5.12.jar", "httpclient-4.5.13.jar", List.of(), List.of("httpcore-4.4.13.jar")),
            new Cve("CVE-2024-1597", "postgresql-42.7.1.jar", "postgresql-42.7.2.jar", List.of("org/postgresql/core/v3/SimpleParameterList"),
                    List.of()),
            // Text4Shell: the fix adds a class (StringLookupFactory$DefaultStringLookupsHolder), defined by the agent.
            new Cve("CVE-2022-42889", "commons-text-1.9.jar", "commons-text-1.10.0.jar", List.of("org/apache/commons/text/lookup/**"),
                    List.of("commons-lang3-3.12.0.jar")),
            // The release also carries unrelated work; the fix (LOG4J2-3293) is the JDBC appender's JNDI data source
            // going through JndiManager, which 2.17.1 turns off unless log4j2.enableJndiJdbc is set.
            new Cve("CVE-2021-44832", "log4j-core-2.17.0.jar", "log4j-core-2.17.1.jar",
                    List.of("org/apache/logging/log4j/core/net/JndiManager*",
                            "org/apache/logging/log4j/core/appender/db/jdbc/DataSourceConnectionSource"),
                    List.of("log4j-api-2.17.0.jar")),
            // The fixed tokeniser and tree builder use a method the fix added to Node through subclass Element.
            new Cve("CVE-2021-37714", "jsoup-1.14.1.jar", "jsoup-1.14.2.jar", List.of(), List.of()),
            // Composer's added nestingDepthLimit is computed from LoaderOptions: declared with --shadow-init (below).
            new Cve("CVE-2022-25857", "snakeyaml-1.30.jar", "snakeyaml-1.31.jar",
                    List.of("org/yaml/snakeyaml/composer/**", "org/yaml/snakeyaml/LoaderOptions"), List.of()),
            // ReaderConfig's added mMaxDtdDepth (--shadow-init) and its accessors, whose supertypes come from stax2-api (--classpath).
            new Cve("CVE-2022-40152", "woodstox-core-6.3.1.jar", "woodstox-core-6.4.0.jar", List.of(), List.of("stax2-api-4.2.1.jar")));

    /**
     * What a publisher adds to {@code hotpatch build} for some CVEs: the pre-patch values of added fields
     * the fixed constructors compute (here the defaults of LoaderOptions and ReaderConfig in the fixed
     * releases), and the library's dependencies for override checks.
     */
    static final Map<String, List<String>> BUILD_OPTIONS = Map.of(
            "CVE-2022-25857", List.of("--shadow-init", "org/yaml/snakeyaml/composer/Composer.nestingDepthLimit=50"),
            "CVE-2022-40152", List.of("--shadow-init", "com/ctc/wstx/api/ReaderConfig.mMaxDtdDepth=500",
                    "--classpath", RELEASES.resolve("stax2-api-4.2.1.jar").toString()));

    /**
     * Answers each line naming a CVE with "CVE -> what the exploit got". Exploits run on a thread
     * with a 4 MiB stack: the fixed releases' depth limits must be reached before it overflows, and
     * rewritten code reached through method handles takes more stack per call while interpreted.
     */
    static final String PROBE = """
            package probe;
            import java.io.*;
            public class Probe {
                static String nest(String open, String close, int n) { return open.repeat(n) + close.repeat(n); }
                static String exploit(String cve) throws Exception {
                    switch (cve) {
                        case "CVE-2020-36518":
                            new com.fasterxml.jackson.databind.ObjectMapper().readValue(nest("[", "]", 200000), Object.class);
                            return "parsed";
                        case "CVE-2023-1370":
                            return "parsed " + net.minidev.json.JSONValue.parseWithException(nest("[", "]", 200000)).getClass().getName();
                        case "CVE-2019-10086":
                            return "read " + org.apache.commons.beanutils.PropertyUtils.getProperty(new Object(), "class");
                        case "CVE-2022-22965":
                            return "read " + new org.springframework.beans.BeanWrapperImpl(new Object()).getPropertyValue("class.module.name");
                        case "CVE-2020-13956":
                            return "host " + org.apache.http.client.utils.URIUtils.extractHost(new java.net.URI("http://user@evil.example:@good.example/"));
                        case "CVE-2024-1597": {
                            Class<?> c = Class.forName("org.postgresql.core.v3.SimpleParameterList");
                            java.lang.reflect.Constructor<?> k = c.getDeclaredConstructor(int.class, Class.forName("org.postgresql.core.v3.TypeTransferModeRegistry"));
                            k.setAccessible(true);
                            Object p = k.newInstance(1, null);
                            java.lang.reflect.Method set = c.getMethod("setIntParameter", int.class, int.class);
                            set.setAccessible(true);
                            set.invoke(p, 1, -1);
                            java.lang.reflect.Method show = c.getMethod("toString", int.class, boolean.class);
                            show.setAccessible(true);
                            return "sql SELECT -" + show.invoke(p, 1, true);
                        }
                        case "CVE-2022-42889":
                            // The dns lookup of localhost needs no network; the script and url lookups go the same way.
                            return "interpolated " + org.apache.commons.text.StringSubstitutor.createInterpolator().replace("${dns:address|localhost}");
                        case "CVE-2021-37714": {
                            // 1.14.2: a tag name starts with an ASCII letter, an element keeps at most 512 attributes, and a
                            // formatting element rebuilt after </p> copies its attributes (through the added Node.attributesSize).
                            StringBuilder tag = new StringBuilder("<p");
                            for (int i = 0; i < 600; i++) {
                                tag.append(" a").append(i).append("=1");
                            }
                            return "html " + org.jsoup.Jsoup.parse("<\\u00e4>x<p><b c=1>y</p>z").body().html().replace("\\n", "")
                                    + ", attributes " + org.jsoup.Jsoup.parse(tag + ">").body().child(0).attributes().size();
                        }
                        case "CVE-2022-25857":
                            // a Yaml made now, and one made before the patch (whose LoaderOptions predate it)
                            return "new " + yaml(new org.yaml.snakeyaml.Yaml()) + "; made before " + yaml(EARLY_YAML);
                        case "CVE-2022-40152":
                            return "new " + dtd(new com.ctc.wstx.stax.WstxInputFactory()) + "; made before " + dtd(EARLY_XML);
                        case "CVE-2021-44832":
                            return jndiDataSource();
                        default:
                            return "unknown " + cve;
                    }
                }
                /** Objects made when the JVM starts, before any patch: their fields added by a fix are shadowed. */
                static org.yaml.snakeyaml.Yaml EARLY_YAML;
                static com.ctc.wstx.stax.WstxInputFactory EARLY_XML;
                static String yaml(org.yaml.snakeyaml.Yaml y) {
                    try {
                        return "loaded " + y.load(nest("[", "]", 200000)).getClass().getName();
                    } catch (Throwable e) {
                        return shortly(e);
                    }
                }
                /** A document type whose element declaration nests 100,000 groups (the CVE's exploit). */
                static String dtd(javax.xml.stream.XMLInputFactory f) {
                    try {
                        javax.xml.stream.XMLStreamReader r = f.createXMLStreamReader(new StringReader(
                                "<!DOCTYPE r [<!ELEMENT r " + nest("(", "", 100000) + "a" + nest("", ")", 100000) + ">]><r/>"));
                        int events = 0;
                        while (r.hasNext()) {
                            r.next();
                            events++;
                        }
                        return "read " + events + " events";
                    } catch (Throwable e) {
                        return shortly(e);
                    }
                }
                static String shortly(Throwable e) {
                    String m = String.valueOf(e.getMessage()).split("\\n")[0];
                    return "threw " + e.getClass().getName() + ": " + m.substring(0, Math.min(90, m.length()));
                }
                /**
                 * The JDBC appender's data source by a JNDI name that is an LDAP URL of a socket opened here, which
                 * accepts and closes at once (no LDAP server, no network): whether the library connected, and what it made.
                 */
                static String jndiDataSource() throws Exception {
                    try (java.net.ServerSocket server = new java.net.ServerSocket(0, 50, java.net.InetAddress.getByName("127.0.0.1"))) {
                        boolean[] connected = {false};
                        Thread acceptor = new Thread(() -> {
                            try (java.net.Socket s = server.accept()) {
                                connected[0] = true;
                            } catch (IOException closed) {
                                // the server closed without a connection
                            }
                        });
                        acceptor.start();
                        String made;
                        try {
                            made = "made " + org.apache.logging.log4j.core.appender.db.jdbc.DataSourceConnectionSource
                                    .createConnectionSource("ldap://127.0.0.1:" + server.getLocalPort() + "/x");
                        } catch (Exception e) {
                            made = "threw " + e.getClass().getName();
                        }
                        server.close();
                        acceptor.join();
                        return (connected[0] ? "connected, " : "no connection, ") + made;
                    }
                }
                public static void main(String[] args) throws Exception {
                    BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
                    EARLY_YAML = new org.yaml.snakeyaml.Yaml();
                    EARLY_XML = new com.ctc.wstx.stax.WstxInputFactory();
                    System.out.println("ready");
                    for (String line; (line = in.readLine()) != null; ) {
                        String cve = line.trim();
                        String[] out = new String[1];
                        Thread t = new Thread(null, () -> {
                            try {
                                out[0] = exploit(cve);
                            } catch (Throwable e) {
                                Throwable c = e instanceof java.lang.reflect.InvocationTargetException ? e.getCause() : e;
                                String m = String.valueOf(c.getMessage()).split("\\n")[0];
                                out[0] = "threw " + c.getClass().getName() + ": " + m.substring(0, Math.min(90, m.length()));
                            }
                        }, "exploit", 4 * 1024 * 1024);
                        t.start();
                        t.join();
                        System.out.println(cve + " -> " + out[0]);
                    }
                }
            }
            """;

    @TempDir
    static Path dir;
    static Path keys;
    static Path probe;
    static final Map<String, Path> packages = new LinkedHashMap<>();

    @BeforeAll
    static void buildTheHotpatches() {
        for (Cve c : CVES) {
            assertThat(RELEASES.resolve(c.vulnerable())).as("copied from Maven Central by the pom").isRegularFile();
            assertThat(RELEASES.resolve(c.fixed())).as("copied from Maven Central by the pom").isRegularFile();
        }
        keys = dir.resolve("keys");
        assertThat(CliRun.of("keygen", "--out", keys.toString()).exit()).isZero();
        probe = JarMaker.compile(dir.resolve("probe.jar"), Map.of("probe.Probe", PROBE), classpath(Cve::vulnerable), 11);
        int n = 1;
        for (Cve c : CVES) {
            Path out = dir.resolve(c.id() + ".hotpatch");
            List<String> args = new ArrayList<>(List.of("build", "--baseline", RELEASES.resolve(c.vulnerable()).toString(),
                    "--patched", RELEASES.resolve(c.fixed()).toString(), "--id", "KB2026-09" + String.format("%02d", n++),
                    "--title", "Fix " + c.id(), "--classification", "Security", "--cve", c.id(), "--key", keys.toString(),
                    "--out", out.toString()));
            c.include().forEach(i -> args.addAll(List.of("--include", i)));
            args.addAll(BUILD_OPTIONS.getOrDefault(c.id(), List.of()));
            CliRun build = CliRun.of(args.toArray(String[]::new));
            assertThat(build.exit()).as(c.id() + ": " + build).isZero();
            packages.put(c.id(), out);
        }
    }

    static List<Path> javas() {
        return Jdks.all();
    }

    @ParameterizedTest
    @MethodSource("javas")
    void eachShippedCve_isFixedByItsHotpatch_asByTheFixedRelease_andBackAfterUninstall(Path java) {
        Map<String, String> fixed;
        try (TargetJvm fresh = start(java, classpath(Cve::fixed))) {
            fixed = exploitAll(fresh);
        }
        try (TargetJvm target = start(java, classpath(Cve::vulnerable))) {
            String pid = Long.toString(target.pid());
            Map<String, String> vulnerable = exploitAll(target);
            for (Cve c : CVES) {
                assertThat(vulnerable.get(c.id())).as(c.id() + ": the exploit tells the releases apart").isNotEqualTo(fixed.get(c.id()));
            }

            applyAll(pid);

            Map<String, String> patched = exploitAll(target);
            for (Cve c : CVES) {
                if (FIXED_ONLY_BEFORE_FIRST_USE.contains(c.id())) {
                    assertThat(patched.get(c.id())).as(c.id() + ": the library cached what the vulnerable code computed")
                            .isEqualTo(vulnerable.get(c.id()));
                } else {
                    assertThat(patched.get(c.id())).as(c.id() + " after its hotpatch").isEqualTo(fixed.get(c.id()));
                }
            }

            for (Cve c : CVES) {
                String id = CliRun.of("inspect", packages.get(c.id()).toString(), "--json").json().at("/manifest/id").asText();
                CliRun uninstall = CliRun.of("uninstall", "--pid", pid, "--id", id);
                assertThat(uninstall.exit()).as(c.id() + ": " + uninstall).isZero();
            }

            assertThat(exploitAll(target)).as("after uninstalling them").isEqualTo(vulnerable);
            assertThat(target.isAlive()).isTrue();
        }
    }

    @ParameterizedTest
    @MethodSource("javas")
    void everyShippedCve_isFixed_inAJvmPatchedBeforeItsFirstUse(Path java) {
        Map<String, String> fixed;
        try (TargetJvm fresh = start(java, classpath(Cve::fixed))) {
            fixed = exploitAll(fresh);
        }
        try (TargetJvm target = start(java, classpath(Cve::vulnerable))) {
            applyAll(Long.toString(target.pid()));

            assertThat(exploitAll(target)).isEqualTo(fixed);
        }
    }

    private static void applyAll(String pid) {
        for (Cve c : CVES) {
            CliRun apply = CliRun.of("apply", "--pid", pid, packages.get(c.id()).toString(), "--trust", keys.toString());
            assertThat(apply.exit()).as(c.id() + ": " + apply).isZero();
        }
    }

    private static Map<String, String> exploitAll(TargetJvm target) {
        return exploits(target, CVES.stream().map(Cve::id).toList());
    }

    /** Each CVE's exploit answer from a probe JVM, by CVE id. */
    static Map<String, String> exploits(TargetJvm target, List<String> ids) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String id : ids) {
            out.put(id, target.request(id, id + " -> ").substring(id.length() + 4));
        }
        return out;
    }

    private static TargetJvm start(Path java, List<Path> libraries) {
        return startProbe(java, probe, dir, libraries);
    }

    /** A JVM running {@code probeJar}'s probe over {@code libraries}, its agent state under {@code stateRoot}, ready for requests. */
    static TargetJvm startProbe(Path java, Path probeJar, Path stateRoot, List<Path> libraries) {
        List<Path> cp = new ArrayList<>(List.of(probeJar));
        cp.addAll(libraries);
        TargetJvm t = TargetJvm.builder(java).classpath(cp).mainClass("probe.Probe")
                .jvmArgs("-Dhotpatch.state=" + stateRoot.resolve("state-" + Jdks.featureVersion(java) + "-" + System.nanoTime())).start();
        t.await("ready"::equals, TargetJvm.REQUEST_TIMEOUT);
        return t;
    }

    /** Every corpus library in one release ({@link Cve#vulnerable} or {@link Cve#fixed}), with its runtime jars. */
    static List<Path> classpath(java.util.function.Function<Cve, String> release) {
        return CVES.stream().flatMap(c -> java.util.stream.Stream.concat(java.util.stream.Stream.of(release.apply(c)), c.runtime().stream()))
                .map(RELEASES::resolve).collect(Collectors.toList());
    }
}
