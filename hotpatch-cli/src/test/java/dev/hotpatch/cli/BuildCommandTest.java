package dev.hotpatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.builder.DiffReport;
import dev.hotpatch.format.SigningKey;
import dev.hotpatch.testkit.JarMaker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BuildCommandTest {
    private static final String FEES = "package acme;\npublic class Fees {\n"
            + "  public static long fee(long cents) { return %s; }\n%s}\n";

    @TempDir
    static Path tmp;
    static Path keys;
    static Path baseline;
    static Path fixed;
    static Path widened;
    static Path constructor;
    static Path guardV1;
    static Path guardV2;
    static Path guardVolatile;
    static Path guardComputed;
    static Path adding;
    static Path guardWayAround;

    static final String GUARD_V1 = """
            package acme;
            public class Guard {
                private int limit = 10;
                public String check(String s) { return s.length() > limit ? "long" : legacy(s); }
                private String legacy(String s) { return "ok " + s; }
            }
            """;
    /** Every rewrite kind: legacy() removed (kept), clean() added (moved), seen added (shadowed), MARK added (inlined). */
    static final String GUARD_V2 = """
            package acme;
            public class Guard {
                static final String MARK = "blocked";
                private int limit = 10;
                private int seen;
                public synchronized String check(String s) { seen++; return s.contains("<") ? MARK : s.length() > limit ? "long" : clean(s); }
                private static String clean(String s) { return "ok " + s.strip(); }
            }
            """;
    static final String GUARD_VOLATILE = GUARD_V1.replace("private int limit", "private volatile int limit");
    static final String GUARD_COMPUTED = GUARD_V1.replace("private int limit = 10;",
            "private int limit = 10;\n    private final long born = System.nanoTime();");

    /** The vulnerable release: unchecked() skips the limit (the vulnerability), toString() overrides Object's. */
    static final String GUARD_WAY_AROUND = GUARD_V1.replace("    private String legacy(",
            "    public String unchecked(String s) { return legacy(s); }\n"
            + "    public static String describe(Guard g) { return \"limit \" + g.limit; }\n"
            + "    public String toString() { return \"guard \" + limit; }\n    private String legacy(");

    @BeforeAll
    static void jars() {
        keys = tmp.resolve("keys");
        SigningKey.generate(keys, "CN=Acme Security");
        baseline = JarMaker.compile(tmp.resolve("fees-1.0.jar"), Map.of("acme.Fees", FEES.formatted("cents / 100", "")), List.of(), 17);
        fixed = JarMaker.compile(tmp.resolve("fees-1.0-fix.jar"), Map.of("acme.Fees", FEES.formatted("Math.max(0, cents) / 100", "")), List.of(), 17);
        widened = JarMaker.compile(tmp.resolve("fees-1.0-new-method.jar"), Map.of("acme.Fees",
                FEES.formatted("clamp(cents) / 100", "  static long clamp(long c) { return Math.max(0, c); }\n")), List.of(), 17);
        constructor = JarMaker.compile(tmp.resolve("fees-1.0-new-constructor.jar"), Map.of("acme.Fees",
                FEES.formatted("cents / 100", "  public Fees() { }\n  public Fees(int scale) { }\n")), List.of(), 17);
        guardV1 = JarMaker.compile(tmp.resolve("guard-1.jar"), Map.of("acme.Guard", GUARD_V1), List.of(), 17);
        guardV2 = JarMaker.compile(tmp.resolve("guard-2.jar"), Map.of("acme.Guard", GUARD_V2), List.of(), 17);
        guardWayAround = JarMaker.compile(tmp.resolve("guard-way-around.jar"), Map.of("acme.Guard", GUARD_WAY_AROUND), List.of(), 17);
        guardVolatile = JarMaker.compile(tmp.resolve("guard-volatile.jar"), Map.of("acme.Guard", GUARD_VOLATILE), List.of(), 17);
        guardComputed = JarMaker.compile(tmp.resolve("guard-computed.jar"), Map.of("acme.Guard", GUARD_COMPUTED), List.of(), 17);
        adding = JarMaker.compile(tmp.resolve("fees-1.0-new-class.jar"), Map.of("acme.Fees",
                FEES.formatted("FeeLimit.cap(cents) / 100", ""), "acme.FeeLimit",
                "package acme; final class FeeLimit { static long cap(long c) { return Math.max(0, c); } }"), List.of(), 17);
    }

    @Test
    void build_writesSignedPackageAndSaysWhatChanged() {
        Path out = tmp.resolve("out/KB2026-0001.hotpatch");

        CliRun r = CliRun.of(args(baseline, fixed, out, "--severity", "Important", "--cve", "CVE-2026-1234",
                "--image", "acme/fees/1.x", "--published", "2026-01-14T00:00:00Z"));

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(out).isRegularFile();
        assertThat(r.out()).contains("acme/Fees").contains("Wrote " + out.toAbsolutePath()).contains("KB2026-0001");
        CliRun verify = CliRun.of("verify", out.toString(), "--trust", keys.toString());
        assertThat(verify.exit()).as(verify.toString()).isZero();
        JsonNode inspect = CliRun.of("inspect", out.toString(), "--json").json();
        assertThat(inspect.at("/manifest/cves/0").asText()).isEqualTo("CVE-2026-1234");
        assertThat(inspect.at("/manifest/published").asText()).isEqualTo("2026-01-14T00:00:00Z");
    }

    @Test
    void build_json_hasManifestAndReport() {
        Path out = tmp.resolve("json/KB2026-0002.hotpatch");

        JsonNode doc = CliRun.of(args(baseline, fixed, out, "--json")).json();

        assertThat(doc.get("status").asText()).isEqualTo("ok");
        assertThat(doc.at("/report/hotpatchable").asBoolean()).isTrue();
        assertThat(doc.at("/report/changed/0/name").asText()).isEqualTo("acme/Fees");
        assertThat(doc.at("/manifest/id").asText()).isEqualTo("KB2026-0002");
        assertThat(doc.get("sha256").asText()).hasSize(64);
    }

    @Test
    void build_refusesChangeThatAddsAConstructor_withFullReportAndAdvice() {
        Path out = tmp.resolve("refused/KB2026-0003.hotpatch");

        CliRun r = CliRun.of(args(baseline, constructor, out));

        assertThat(r.exit()).as(r.toString()).isEqualTo(3);
        assertThat(r.out()).contains("acme/Fees").contains("adds a constructor").contains(DiffReport.BASELINE_ADVICE);
        assertThat(out).doesNotExist();
        JsonNode doc = CliRun.of(args(baseline, constructor, out, "--json")).json();
        assertThat(doc.get("status").asText()).isEqualTo("refused");
        assertThat(doc.at("/report/refusals/0/class").asText()).isEqualTo("acme/Fees");
        assertThat(doc.at("/report/refusals/0/member").asText()).isEqualTo("method <init>(I)V");
        assertThat(doc.at("/report/verdicts/0/verdict").asText()).isEqualTo("refused");
        assertThat(doc.at("/report/advice").asText()).isEqualTo(DiffReport.BASELINE_ADVICE);
    }

    @Test
    void build_rewritesAnAddedMethod_andSaysSoPerMemberInBuildAndInspect() {
        Path out = tmp.resolve("rewritten/KB2026-0010.hotpatch");

        CliRun r = CliRun.of(args(baseline, widened, out));

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains("method clamp(J)J: rewritten: moved").contains("1 rewritten");
        JsonNode doc = CliRun.of(args(baseline, widened, tmp.resolve("rewritten/KB2026-0011.hotpatch"), "--json")).json();
        assertThat(doc.at("/report/verdicts/0/verdict").asText()).isEqualTo("rewritten");
        assertThat(doc.at("/report/verdicts/0/members/0/member").asText()).isEqualTo("method clamp(J)J");
        assertThat(doc.at("/report/verdicts/0/members/0/kind").asText()).isEqualTo("moved");
        CliRun inspect = CliRun.of("inspect", out.toString());
        assertThat(inspect.out()).contains("method clamp(J)J: rewritten: moved");
        JsonNode inspectJson = CliRun.of("inspect", out.toString(), "--json").json();
        assertThat(inspectJson.at("/manifest/classes/0/rewrite/verdict").asText()).isEqualTo("rewritten");
        assertThat(inspectJson.at("/manifest/classes/0/rewrite/members/0/kind").asText()).isEqualTo("moved");
    }

    @Test
    void build_shipsAClassTheFixAdds_andSaysSoInBuildInspectAndJson() {
        Path out = tmp.resolve("added/KB2026-0012.hotpatch");

        CliRun r = CliRun.of(args(baseline, adding, out));

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains("Added:\n  acme/FeeLimit  ", "    added — a new class: the agent defines it into the class loader",
                "1 class added", "2 classes, signed by");
        JsonNode doc = CliRun.of(args(baseline, adding, tmp.resolve("added/KB2026-0013.hotpatch"), "--json")).json();
        assertThat(doc.at("/report/added/0/name").asText()).isEqualTo("acme/FeeLimit");
        assertThat(doc.at("/report/verdicts/1/class").asText()).isEqualTo("acme/FeeLimit");
        assertThat(doc.at("/report/verdicts/1/verdict").asText()).isEqualTo("added");
        assertThat(doc.at("/report/verdicts/1/detail").asText()).contains("stays defined after an uninstall");
        assertThat(doc.at("/manifest/classes/1/kind").asText()).isEqualTo("added");
        assertThat(doc.at("/manifest/classes/1/baselineSha256").isNull()).isTrue();
        CliRun inspect = CliRun.of("inspect", out.toString());
        assertThat(inspect.out()).contains("  added acme.FeeLimit", "    added — a class the fix adds");
        JsonNode inspectJson = CliRun.of("inspect", out.toString(), "--json").json();
        assertThat(inspectJson.at("/manifest/classes/1/rewrite/verdict").asText()).isEqualTo("added");
    }

    @Test
    void build_noRewrite_refusesWhatPlainRedefinitionRefuses() {
        Path out = tmp.resolve("plain/KB2026-0012.hotpatch");

        CliRun r = CliRun.of(args(baseline, widened, out, "--no-rewrite"));

        assertThat(r.exit()).as(r.toString()).isEqualTo(3);
        assertThat(r.out()).contains("adds method clamp(J)J — redefinition cannot add methods").contains(DiffReport.BASELINE_ADVICE);
        assertThat(out).doesNotExist();
    }

    @Test
    void build_reportsEveryRewriteKindPerMember_inTextJsonAndInspect() {
        Path out = tmp.resolve("kinds/KB2026-0020.hotpatch");

        CliRun r = CliRun.of(args(guardV1, guardV2, out));

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains("method legacy(Ljava/lang/String;)Ljava/lang/String;: rewritten: kept")
                .contains("method clean(Ljava/lang/String;)Ljava/lang/String;: rewritten: moved")
                .contains("field seen I: rewritten: shadowed").contains("field MARK Ljava/lang/String;: rewritten: inlined")
                .contains("method check(Ljava/lang/String;)Ljava/lang/String;: rewritten: kept");
        JsonNode doc = CliRun.of(args(guardV1, guardV2, tmp.resolve("kinds/KB2026-0021.hotpatch"), "--json")).json();
        assertThat(doc.at("/report/verdicts/0/class").asText()).isEqualTo("acme/Guard");
        assertThat(doc.at("/report/verdicts/0/verdict").asText()).isEqualTo("rewritten");
        assertThat(kinds(doc.at("/report/verdicts/0/members"))).containsOnly("kept", "moved", "shadowed", "inlined")
                .contains("kept", "moved", "shadowed", "inlined");
        JsonNode inspected = CliRun.of("inspect", out.toString(), "--json").json();
        assertThat(kinds(inspected.at("/manifest/classes/0/rewrite/members"))).isEqualTo(kinds(doc.at("/report/verdicts/0/members")));
        assertThat(CliRun.of("inspect", out.toString()).out()).contains("field seen I: rewritten: shadowed")
                .contains("field MARK Ljava/lang/String;: rewritten: inlined");
    }

    @Test
    void build_removedMethodsReachableFromOutside_sayWhatACallNowDoes_neverTheBaselinesCode_inTextJsonAndInspect() {
        Path out = tmp.resolve("removed/KB2026-0030.hotpatch");

        // The fix (guard-1) removes unchecked(), describe() and toString() from the vulnerable release.
        CliRun r = CliRun.of(args(guardWayAround, guardV1, out));

        assertThat(r.exit()).as(r.toString()).isZero();
        String callable = "rewritten: kept — removed by the fix; stays callable from outside the class with a body that does what a "
                + "call does in the fixed release: ";
        assertThat(r.out())
                .contains("method unchecked(Ljava/lang/String;)Ljava/lang/String;: " + callable
                        + "fail with NoSuchMethodError (it inherits no such method), never the baseline's code")
                .contains("method describe(Lacme/Guard;)Ljava/lang/String;: " + callable
                        + "fail with NoSuchMethodError (it inherits no such method), never the baseline's code")
                .contains("method toString()Ljava/lang/String;: " + callable + "run the method it inherits, never the baseline's code");
        JsonNode doc = CliRun.of(args(guardWayAround, guardV1, tmp.resolve("removed/KB2026-0031.hotpatch"), "--json")).json();
        assertThat(doc.at("/report/verdicts/0/verdict").asText()).isEqualTo("rewritten");
        assertThat(kinds(doc.at("/report/verdicts/0/members"))).containsOnly("kept").hasSize(3);
        assertThat(doc.at("/report/verdicts/0/members").findValuesAsText("detail"))
                .allSatisfy(d -> assertThat(d).startsWith(callable.substring("rewritten: kept — ".length())).endsWith("never the baseline's code"));
        assertThat(CliRun.of("inspect", out.toString()).out()).contains("method unchecked(Ljava/lang/String;)Ljava/lang/String;: " + callable
                + "fail with NoSuchMethodError (it inherits no such method), never the baseline's code");
    }

    @Test
    void build_refusesAFieldBecomingVolatile_withTheReason_andWritesNothing() {
        Path out = tmp.resolve("volatile/KB2026-0022.hotpatch");

        CliRun r = CliRun.of(args(guardV1, guardVolatile, out));
        JsonNode doc = CliRun.of(args(guardV1, guardVolatile, out, "--json")).json();

        assertThat(r.exit()).as(r.toString()).isEqualTo(3);
        assertThat(r.out()).contains("field limit I").contains("becomes volatile").contains(DiffReport.BASELINE_ADVICE);
        assertThat(out).doesNotExist();
        assertThat(doc.at("/report/verdicts/0/verdict").asText()).isEqualTo("refused");
        assertThat(doc.at("/report/verdicts/0/members/0/kind").asText()).isEqualTo("refused");
        assertThat(doc.at("/report/verdicts/0/members/0/detail").asText()).contains("memory semantics");
    }

    @Test
    void build_addedFieldWithAComputedValue_isRefusedUntilThePublisherAcceptsTheDefault() {
        Path out = tmp.resolve("computed/KB2026-0023.hotpatch");

        CliRun refused = CliRun.of(args(guardV1, guardComputed, out));
        CliRun accepted = CliRun.of(args(guardV1, guardComputed, out, "--accept-shadow", "acme.Guard.born"));

        assertThat(refused.exit()).as(refused.toString()).isEqualTo(3);
        assertThat(refused.out()).contains("field born J").contains("--accept-shadow acme/Guard.born");
        assertThat(accepted.exit()).as(accepted.toString()).isZero();
        assertThat(accepted.out()).contains("field born J: rewritten: shadowed").contains("accepted by the publisher");
        assertThat(out).isRegularFile();
    }

    @Test
    void build_shadowInit_declaresWhatObjectsCreatedBeforeThePatchRead_inTextJsonAndInspect() {
        Path out = tmp.resolve("declared/KB2026-0031.hotpatch");

        CliRun r = CliRun.of(args(guardV1, guardComputed, out, "--shadow-init", "acme.Guard.born=42"));
        CliRun json = CliRun.of(args(guardV1, guardComputed, tmp.resolve("declared/KB2026-0032.hotpatch"), "--shadow-init",
                "acme/Guard.born=42", "--json"));

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains("field born J: rewritten: shadowed")
                .contains("objects created before the patch read 42, declared by the publisher");
        assertThat(json.json().at("/report/verdicts/0/members").toString()).contains("objects created before the patch read 42, declared by the publisher");
        assertThat(CliRun.of("inspect", out.toString()).out()).contains("objects created before the patch read 42, declared by the publisher");
    }

    @Test
    void build_shadowInitThatIsNoLiteralOfTheFieldsType_isUsageErrorSayingTheAcceptedForms_andWritesNothing() {
        Path out = tmp.resolve("declared/KB2026-0033.hotpatch");

        CliRun notALong = CliRun.of(args(guardV1, guardComputed, out, "--shadow-init", "acme.Guard.born=soon"));
        CliRun noValue = CliRun.of(args(guardV1, guardComputed, out, "--shadow-init", "acme.Guard.born"));
        CliRun noSuchField = CliRun.of(args(guardV1, guardComputed, out, "--shadow-init", "acme.Guard.bron=1"));
        CliRun both = CliRun.of(args(guardV1, guardComputed, out, "--shadow-init", "acme.Guard.born=1", "--accept-shadow", "acme.Guard.born"));

        assertThat(notALong.exit()).as(notALong.toString()).isEqualTo(2);
        assertThat(notALong.err()).contains("'soon' is not a long literal; accepted: true or false for boolean");
        assertThat(noValue.exit()).isEqualTo(2);
        assertThat(noValue.err()).contains("must be CLASS.FIELD=VALUE");
        assertThat(noSuchField.exit()).isEqualTo(2);
        assertThat(noSuchField.err()).contains("acme/Guard.bron=1 names no instance field that the fix adds");
        assertThat(both.exit()).isEqualTo(2);
        assertThat(both.err()).contains("drop --accept-shadow acme/Guard.born");
        assertThat(out).doesNotExist();
    }

    @Test
    void build_classpath_letsTheBuilderCheckOverridesOfSupertypesFromDependencies() {
        Path dep = JarMaker.compile(tmp.resolve("cp/dep.jar"), Map.of("dep.Base", "package dep; public class Base { public int size() { return 0; } }"),
                List.of(), 17);
        String v1 = "package acme; public class Config extends dep.Base { public int limit() { return 1; } }";
        String v2 = "package acme; public class Config extends dep.Base { public int limit() { return depth(); } public int depth() { return 2; } }";
        String v2Override = "package acme; public class Config extends dep.Base { public int limit() { return size(); } public int size() { return 2; } }";
        Path c1 = JarMaker.compile(tmp.resolve("cp/config-1.jar"), Map.of("acme.Config", v1), List.of(dep), 17);
        Path c2 = JarMaker.compile(tmp.resolve("cp/config-2.jar"), Map.of("acme.Config", v2), List.of(dep), 17);
        Path c2Override = JarMaker.compile(tmp.resolve("cp/config-2o.jar"), Map.of("acme.Config", v2Override), List.of(dep), 17);

        CliRun unknown = CliRun.of(args(c1, c2, tmp.resolve("cp/KB2026-0034.hotpatch")));
        CliRun known = CliRun.of(args(c1, c2, tmp.resolve("cp/KB2026-0035.hotpatch"), "--classpath", dep.toString()));
        CliRun override = CliRun.of(args(c1, c2Override, tmp.resolve("cp/KB2026-0036.hotpatch"), "--classpath", dep.toString()));
        CliRun missing = CliRun.of(args(c1, c2, tmp.resolve("cp/KB2026-0037.hotpatch"), "--classpath", tmp.resolve("cp/none.jar").toString()));

        assertThat(unknown.exit()).as(unknown.toString()).isEqualTo(3);
        assertThat(unknown.out()).contains("may override one of a supertype outside the jar").contains("--classpath JAR");
        assertThat(known.exit()).as(known.toString()).isZero();
        assertThat(known.out()).contains("method depth()I: rewritten: moved");
        assertThat(override.exit()).as(override.toString()).isEqualTo(3);
        assertThat(override.out()).contains("adds an override of an inherited method");
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).contains("--classpath jar");
    }

    private static List<String> kinds(JsonNode members) {
        List<String> out = new ArrayList<>();
        members.forEach(m -> out.add(m.get("kind").asText()));
        return out;
    }

    @Test
    void build_asIsClass_isReportedRedefinedAsIs() {
        Path out = tmp.resolve("asis/KB2026-0013.hotpatch");

        CliRun r = CliRun.of(args(baseline, fixed, out));

        assertThat(r.out()).contains("redefined as is");
        assertThat(CliRun.of("inspect", out.toString()).out()).contains("redefined as is");
    }

    @Test
    void build_acceptShadowWithoutAField_isUsageError() {
        CliRun r = CliRun.of(args(baseline, fixed, tmp.resolve("x.hotpatch"), "--accept-shadow", "Fees"));

        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--accept-shadow 'Fees' must name a class and a field");
    }

    @Test
    void build_refusesNonSecurityClassification() {
        Path out = tmp.resolve("updates/KB2026-0004.hotpatch");
        List<String> a = new ArrayList<>(List.of(args(baseline, fixed, out)));
        a.set(a.indexOf("Security"), "Updates");

        CliRun r = CliRun.of(a.toArray(String[]::new));

        assertThat(r.exit()).as(r.toString()).isEqualTo(3);
        assertThat(out).doesNotExist();
    }

    @Test
    void build_withoutRequiredOptions_isUsageErrorNamingThem() {
        CliRun r = CliRun.of("build", "--baseline", baseline.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--patched").contains("--key").contains("--out");
    }

    @Test
    void build_missingJar_isUsageError() {
        CliRun r = CliRun.of(args(tmp.resolve("nope.jar"), fixed, tmp.resolve("x.hotpatch")));
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--baseline jar").contains("does not exist");
    }

    @Test
    void build_unknownClassification_isUsageErrorListingChoices() {
        List<String> a = new ArrayList<>(List.of(args(baseline, fixed, tmp.resolve("x.hotpatch"))));
        a.set(a.indexOf("Security"), "Urgent");
        CliRun r = CliRun.of(a.toArray(String[]::new));
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("Urgent").contains("Critical, Security");
    }

    @Test
    void build_keyFolderWithoutKey_isUsageError() throws Exception {
        List<String> a = new ArrayList<>(List.of(args(baseline, fixed, tmp.resolve("x.hotpatch"))));
        a.set(a.indexOf(keys.toString()), Files.createDirectories(tmp.resolve("nokey")).toString());
        CliRun r = CliRun.of(a.toArray(String[]::new));
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("no signing key").contains("keygen");
    }

    @Test
    void build_invalidIdOrPublished_isUsageError() {
        List<String> a = new ArrayList<>(List.of(args(baseline, fixed, tmp.resolve("y.hotpatch"))));
        a.set(a.indexOf("KB-TEST") , "../evil");
        CliRun badId = CliRun.of(a.toArray(String[]::new));
        assertThat(badId.exit()).as(badId.toString()).isEqualTo(2);
        assertThat(badId.err()).contains("../evil");
        CliRun badDate = CliRun.of(args(baseline, fixed, tmp.resolve("z.hotpatch"), "--published", "yesterday"));
        assertThat(badDate.exit()).isEqualTo(2);
        assertThat(badDate.err()).contains("ISO-8601");
    }

    private static String[] args(Path base, Path patched, Path out, String... extra) {
        String id = out.getFileName().toString().replace(".hotpatch", "");
        List<String> a = new ArrayList<>(List.of("build", "--baseline", base.toString(), "--patched", patched.toString(),
                "--id", id.startsWith("KB2026") ? id : "KB-TEST", "--title", "Clamp negative fees",
                "--classification", "Security", "--key", keys.toString(), "--out", out.toString()));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }
}
