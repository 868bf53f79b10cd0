package dev.hotpatch.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpatch.format.ClassPatch;
import dev.hotpatch.format.Classification;
import dev.hotpatch.format.PackageManifest;
import dev.hotpatch.format.PackageWriter;
import dev.hotpatch.format.Sha256;
import dev.hotpatch.format.channel.Message;
import dev.hotpatch.testkit.JarMaker;
import dev.hotpatch.testkit.TargetJvm;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hotpatches that add classes, through the real agent in real JVMs (Java 17 and 25): the added
 * classes are defined into the loader of the replaced class, supertypes first, before the
 * replaced code runs (live, in a loader made after the patch, after an enrolled restart); they stay
 * defined after uninstall, so applying the same fix again works, and a fix whose added class has
 * other bytes is refused without changing anything.
 */
class AddedClassesTest {
    /** v2 of Fees: a limit held by a new class, a new exception (with a new superclass) thrown and caught. */
    static final String FEES_ADDING = "package acme; public class Fees { public static long fee(long c) {"
            + " try { if (c > 1000000) throw new FeeException(\"too big\"); return new FeeRule(40).apply(c); }"
            + " catch (FeeProblem e) { return -1; } } }";
    static final String FEE_PROBLEM = "package acme; public class FeeProblem extends RuntimeException {"
            + " public FeeProblem(String m) { super(m); } }";
    static final String FEE_EXCEPTION = "package acme; public class FeeException extends FeeProblem {"
            + " public FeeException(String m) { super(m); } }";
    static final String RULE = "package acme; interface Rule { long apply(long c); }";
    static final String FEE_RULE = "package acme; final class FeeRule implements Rule { private final long per;"
            + " FeeRule(long per) { this.per = per; } public long apply(long c) { return (c + per / 2) / per; } }";
    /** Another build of the same fix whose FeeRule differs: it cannot join a JVM that holds the first one. */
    static final String FEE_RULE_OTHER = "package acme; final class FeeRule implements Rule { private final long per;"
            + " FeeRule(long per) { this.per = per; } public long apply(long c) { return (c + per / 2) / per + 0; }"
            + " public String toString() { return \"rule\" + per; } }";

    @TempDir
    static Path dir;
    static AgentHarness h;
    static Path fix;
    static Path otherBuild;

    @TempDir
    Path state;

    @BeforeAll
    static void setUp() throws IOException {
        h = new AgentHarness(dir);
        fix = addingPackage("KB2026-0901", FEE_RULE);
        otherBuild = addingPackage("KB2026-0902", FEE_RULE_OTHER);
    }

    /**
     * A package replacing acme/Fees and adding FeeException, FeeProblem, Rule and FeeRule, listed
     * subclass first so that only a define order computed from the class files works.
     */
    static Path addingPackage(String id, String feeRule) throws IOException {
        Map<String, byte[]> v1 = AgentHarness.classes(h.appJar);
        Map<String, String> sources = new LinkedHashMap<>(AgentHarness.sources(FEES_ADDING, AgentHarness.LATE_V1));
        sources.put("acme.FeeProblem", FEE_PROBLEM);
        sources.put("acme.FeeException", FEE_EXCEPTION);
        sources.put("acme.Rule", RULE);
        sources.put("acme.FeeRule", feeRule);
        Map<String, byte[]> v2 = AgentHarness.classes(JarMaker.compile(dir.resolve(id + "-patched.jar"), sources, List.of(), 11));
        PackageManifest.Builder m = PackageManifest.builder().id(id).title("Cap fees " + id).classification(Classification.SECURITY)
                .cves(List.of("CVE-2026-1234")).published(Instant.now())
                .addClass(ClassPatch.replace("acme/Fees", Sha256.hex(v1.get("acme/Fees")), v2.get("acme/Fees")));
        for (String added : List.of("acme/FeeException", "acme/FeeRule", "acme/FeeProblem", "acme/Rule")) {
            m.addClass(ClassPatch.added(added, v2.get(added)));
        }
        Path out = dir.resolve(id + ".hotpatch");
        PackageWriter.write(m.build(), h.key, out);
        return out;
    }

    @ParameterizedTest
    @MethodSource("dev.hotpatch.agent.AgentHarness#jdks")
    void apply_definesTheAddedClassesBeforeTheReplacedCodeRuns_inOldAndNewLoaders(Path java) {
        try (TargetJvm app = h.start(java, state)) {
            assertThat(app.request("fee 1030", "fee=")).isEqualTo("fee=25");

            Message r = h.apply(app, fix);

            assertThat(r.get("status")).as(r.toString()).isEqualTo("ok");
            assertThat(r.fields()).containsEntry("classes.0.name", "acme/Fees").containsEntry("classes.0.kind", "replace")
                    .containsEntry("classes.0.loaders", "1").containsEntry("classes.1.name", "acme/FeeException")
                    .containsEntry("classes.1.kind", "added").containsEntry("classes.1.loaders", "1");
            assertThat(r.get("message")).contains("1 loaded class copy redefined", "4 added class copies in place");
            assertThat(app.request("fee 1030", "fee=")).as("the replaced code uses the added holder").isEqualTo("fee=26");
            assertThat(app.request("fee 2000000", "fee=")).as("and throws and catches the added exception").isEqualTo("fee=-1");
            // A loader made after the patch: no class of acme is in it when Fees loads, so the transformer defines them.
            assertThat(app.request("iso 1030", "iso=")).isEqualTo("iso=26");
            assertThat(app.request("iso 2000000", "iso=")).isEqualTo("iso=-1");
            Message list = h.send(app, "op", "list");
            assertThat(list.fields()).containsEntry("installed.0.classes.1.kind", "added")
                    .containsEntry("installed.0.classes.1.copies.count", "2").containsEntry("installed.0.classes.1.loaders", "2");
            assertThat(app.output()).noneMatch(l -> l.contains("left unpatched") || l.contains("Error"));
        }
    }

    @ParameterizedTest
    @MethodSource("dev.hotpatch.agent.AgentHarness#jdks")
    void uninstall_leavesTheAddedClassesDefined_andTheSameFixAppliesAgain(Path java) {
        try (TargetJvm app = h.start(java, state)) {
            assertThat(h.apply(app, fix).get("status")).isEqualTo("ok");
            assertThat(app.request("fee 2000000", "fee=")).isEqualTo("fee=-1");

            Message u = h.send(app, "op", "uninstall", "actor", "test");

            assertThat(u.get("status")).as(u.toString()).isEqualTo("ok");
            assertThat(u.get("message")).contains("the 4 class(es) it added stay defined", "unreferenced");
            assertThat(app.request("fee 2000000", "fee=")).as("the baseline's code is back").isEqualTo("fee=50000");

            Message again = h.apply(app, fix);

            assertThat(again.get("status")).as(again.toString()).isEqualTo("ok");
            assertThat(again.get("message")).contains("1 loaded class copy redefined", "4 added class copies in place");
            assertThat(app.request("fee 2000000", "fee=")).isEqualTo("fee=-1");
            assertThat(app.request("fee 1030", "fee=")).isEqualTo("fee=26");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.hotpatch.agent.AgentHarness#jdks")
    void apply_refusesAnAddedClassAlreadyDefinedWithOtherBytes_andChangesNothing(Path java) {
        try (TargetJvm app = h.start(java, state)) {
            assertThat(app.request("fee 1030", "fee=")).isEqualTo("fee=25");
            assertThat(h.apply(app, fix).get("status")).isEqualTo("ok");
            assertThat(app.request("fee 2000000", "fee=")).isEqualTo("fee=-1");
            assertThat(h.send(app, "op", "uninstall", "actor", "test").get("status")).isEqualTo("ok");

            Message r = h.apply(app, otherBuild);

            assertThat(r.get("status")).as(r.toString()).isEqualTo("refused");
            assertThat(r.get("message")).contains("acme.FeeRule", "already defined", "other bytes", "restart");
            assertThat(app.request("fee 2000000", "fee=")).as("nothing changed").isEqualTo("fee=50000");
            assertThat(h.send(app, "op", "list").get("installed.count")).isEqualTo("0");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.hotpatch.agent.AgentHarness#jdks")
    void enrolledRestart_definesTheAddedClassesWhenTheReplacedClassLoads(Path java) {
        try (TargetJvm app = h.start(java, state, h.enrolled())) {
            assertThat(h.apply(app, fix).get("status")).isEqualTo("ok");
        }
        try (TargetJvm app = h.start(java, state, h.enrolled())) {
            assertThat(app.request("fee 2000000", "fee=")).as("fixed from the first call").isEqualTo("fee=-1");
            assertThat(app.request("fee 1030", "fee=")).isEqualTo("fee=26");
            assertThat(app.request("iso 2000000", "iso=")).isEqualTo("iso=-1");
            assertThat(app.request("opens", "opens=")).as("java.lang is not opened to the class path the application shares with the agent")
                    .isEqualTo("opens=false");
            Message u = h.send(app, "op", "uninstall", "actor", "test");
            assertThat(u.get("status")).as(u.toString()).isEqualTo("ok");
            assertThat(app.request("fee 2000000", "fee=")).isEqualTo("fee=50000");
            assertThat(app.output()).noneMatch(l -> l.contains("left unpatched") || l.contains("Error"));
        }
    }

    @Test
    void order_putsSupertypesFirst_whateverTheListedOrder() throws IOException {
        Map<String, byte[]> v2 = AgentHarness.classes(dir.resolve("KB2026-0901-patched.jar"));
        List<ClassPatch> listed = List.of(ClassPatch.added("acme/FeeException", v2.get("acme/FeeException")),
                ClassPatch.added("acme/FeeRule", v2.get("acme/FeeRule")), ClassPatch.added("acme/FeeProblem", v2.get("acme/FeeProblem")),
                ClassPatch.added("acme/Rule", v2.get("acme/Rule")));

        List<String> order = AddedClasses.order(listed).stream().map(ClassPatch::name).toList();

        assertThat(order).containsExactly("acme/FeeProblem", "acme/FeeException", "acme/Rule", "acme/FeeRule");
        assertThat(AddedClasses.forPackage(listed, "other")).isEmpty();
        assertThat(ClassHeader.read(v2.get("acme/FeeException")).superName).isEqualTo("acme/FeeProblem");
        assertThat(ClassHeader.read(v2.get("acme/FeeRule")).interfaces).containsExactly("acme/Rule");
    }
}
