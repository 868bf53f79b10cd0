package dev.hotpatch.builder;

import static dev.hotpatch.builder.TestJars.compile;
import static dev.hotpatch.builder.TestJars.jar;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hotpatch.format.ClassPatch;
import dev.hotpatch.format.Classification;
import dev.hotpatch.format.HotpatchPackage;
import dev.hotpatch.format.PackageManifest;
import dev.hotpatch.format.RebootBehavior;
import dev.hotpatch.format.Sha256;
import dev.hotpatch.format.SigningKey;
import dev.hotpatch.format.TrustStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PatchBuilderTest {
    private static final String FEES = """
            package acme;
            public class Fees {
                private long rate = 3;
                public long fee(long amount) { return amount * rate / 100; }
            }
            """;
    private static final String OTHER = """
            package acme;
            public class Other {
                public String name() { return "other"; }
            }
            """;
    private static final Instant PUBLISHED = Instant.parse("2026-03-10T17:00:00Z");

    @TempDir
    static Path keys;
    private static SigningKey key;

    @TempDir
    Path dir;
    private Map<String, byte[]> before;
    private Map<String, byte[]> after;
    private Path baseline;
    private Path patched;

    @BeforeAll
    static void generateKey() {
        key = SigningKey.generate(keys.resolve("key"), "CN=Test");
    }

    @BeforeEach
    void jars() throws IOException {
        before = compile(dir, FEES, OTHER);
        after = compile(dir, FEES.replace("amount * rate", "Math.max(0, amount) * rate"),
                OTHER.replace("\"other\"", "\"patched\""));
        baseline = jar(dir.resolve("app-1.0.jar"), before);
        patched = jar(dir.resolve("app-1.0-fixed.jar"), after);
    }

    private BuildRequest request(Path old, Path neu, List<String> includes, Classification classification, String baselineId) {
        return new BuildRequest(old, neu, includes, "KB2026-0001", "Fee rounding fix", classification, "Important",
                List.of("CVE-2026-1234"), "acme/fees/1.x", baselineId, List.of("KB2026-0000"), PUBLISHED);
    }

    @Test
    void build_writesSignedPackageThatReadsBackWithClassesAndHashes() {
        Path out = dir.resolve("KB2026-0001.hotpatch");

        BuildResult result = PatchBuilder.build(request(baseline, patched, null, Classification.SECURITY, null), key, out);

        PackageManifest m = HotpatchPackage.read(out, TrustStore.of(List.of(key.certificate()))).manifest();
        assertThat(m.id()).isEqualTo("KB2026-0001");
        assertThat(m.classification()).isEqualTo(Classification.SECURITY);
        assertThat(m.rebootBehavior()).isEqualTo(RebootBehavior.NEVER_REBOOTS);
        assertThat(m.cves()).containsExactly("CVE-2026-1234");
        assertThat(m.image()).isEqualTo("acme/fees/1.x");
        assertThat(m.supersedes()).containsExactly("KB2026-0000");
        assertThat(m.published()).isEqualTo(PUBLISHED);
        assertThat(m.classes()).extracting(ClassPatch::name).containsExactly("acme/Fees", "acme/Other");
        for (ClassPatch c : m.classes()) {
            assertThat(c.kind()).isEqualTo(ClassPatch.Kind.REPLACE);
            assertThat(c.baselineSha256()).isEqualTo(Sha256.hex(before.get(c.name() + ".class")));
            assertThat(c.bytes()).isEqualTo(after.get(c.name() + ".class"));
        }
        assertThat(result.manifest().classes()).isEqualTo(m.classes());
        assertThat(result.out()).isEqualTo(out);
        assertThat(result.report().hotpatchable()).isTrue();
    }

    @Test
    void build_shipsTheClassesTheFixAdds_asAddedEntriesWithoutBaseline() throws IOException {
        Map<String, byte[]> fixed = compile(dir, FEES.replace("return amount * rate / 100;",
                "if (amount < 0) throw new FeeException(amount); return amount * rate / 100;"),
                OTHER, "package acme; public class FeeException extends IllegalArgumentException {"
                        + " public FeeException(long a) { super(\"negative: \" + a); } }");
        Path adding = jar(dir.resolve("app-1.0-adding.jar"), fixed);
        Path out = dir.resolve("KB2026-0001.hotpatch");

        BuildResult result = PatchBuilder.build(request(baseline, adding, null, Classification.SECURITY, null), key, out);

        PackageManifest m = HotpatchPackage.read(out, TrustStore.of(List.of(key.certificate()))).manifest();
        assertThat(m.classes()).extracting(ClassPatch::name, ClassPatch::kind).containsExactly(
                org.assertj.core.groups.Tuple.tuple("acme/Fees", ClassPatch.Kind.REPLACE),
                org.assertj.core.groups.Tuple.tuple("acme/FeeException", ClassPatch.Kind.ADDED));
        ClassPatch added = m.classes().get(1);
        assertThat(added.baselineSha256()).isNull();
        assertThat(added.bytes()).isEqualTo(fixed.get("acme/FeeException.class"));
        assertThat(result.report().added()).singleElement().isEqualTo(new AddedClass("acme/FeeException", Sha256.hex(fixed.get("acme/FeeException.class"))));
    }

    @Test
    void analyse_addedClassThatUsesAMethodTheFixAdded_reachesItThroughTheHelper() throws IOException {
        Map<String, byte[]> v2 = compile(dir, 8, FEES.replace("return amount * rate / 100;",
                "return new Capper().apply(amount) * rate / 100; }\n    static long clamp(long a) { return Math.max(0, a);"),
                OTHER, "package acme; final class Capper { long apply(long a) { return Fees.clamp(a); } }");
        Path fixedJar = jar(dir.resolve("app-1.0-capper.jar"), v2);
        Path baseline8 = jar(dir.resolve("app-1.0-java8.jar"), compile(dir, 8, FEES, OTHER));

        DiffReport report = PatchBuilder.analyse(baseline8, fixedJar, List.of());

        assertThat(report.refusals()).isEmpty();
        assertThat(report.added()).extracting(AddedClass::className).containsExactly("acme/Capper");
        assertThat(report.added().get(0).sha256()).as("rewritten to call clamp through Fees' helper")
                .isNotEqualTo(Sha256.hex(v2.get("acme/Capper.class")));
        assertThat(report.verdictsFor("acme/Capper")).singleElement().extracting(v -> v.detail()).asString()
                .endsWith("it uses members the fix added to other classes through their helpers");
    }

    @Test
    void build_defaultsBaselineIdToShortJarHash_andHonoursAGivenOne() throws IOException {
        Path out = dir.resolve("p.hotpatch");

        BuildResult computed = PatchBuilder.build(request(baseline, patched, null, Classification.CRITICAL, null), key, out);
        BuildResult given = PatchBuilder.build(request(baseline, patched, null, Classification.CRITICAL, "fees-1.0"), key, out);

        assertThat(computed.manifest().baseline()).isEqualTo("sha256:" + Sha256.hex(baseline).substring(0, 16));
        assertThat(given.manifest().baseline()).isEqualTo("fees-1.0");
    }

    @Test
    void build_shipsOnlyIncludedClasses() {
        Path out = dir.resolve("p.hotpatch");

        BuildResult result = PatchBuilder.build(request(baseline, patched, List.of("acme.Fees"), Classification.SECURITY, null), key, out);

        assertThat(HotpatchPackage.read(out, TrustStore.of(List.of(key.certificate()))).manifest().classes())
                .extracting(ClassPatch::name).containsExactly("acme/Fees");
        assertThat(result.report().excluded()).containsExactly("acme/Other");
    }

    @Test
    void build_refusesNonSecurityClassification_withoutWritingAnything() {
        Path out = dir.resolve("p.hotpatch");

        assertThatThrownBy(() -> PatchBuilder.build(request(baseline, patched, null, Classification.UPDATES, null), key, out))
                .isInstanceOf(BuildRefusedException.class)
                .hasMessageContaining("only Critical and Security updates may be built as hotpatches; others need a baseline");
        assertThat(out).doesNotExist();
    }

    @Test
    void build_refusesUnredefinableChange_withTheRenderedReport() throws IOException {
        Map<String, byte[]> bad = compile(dir, FEES.replace("private long rate = 3;", "private volatile long rate = 3;"));
        Path badJar = jar(dir.resolve("bad.jar"), TestJars.with(bad, "acme/Other.class", before.get("acme/Other.class")));
        Path out = dir.resolve("p.hotpatch");

        assertThatThrownBy(() -> PatchBuilder.build(request(baseline, badJar, null, Classification.SECURITY, null), key, out))
                .isInstanceOfSatisfying(BuildRefusedException.class, e -> {
                    assertThat(e.getMessage()).isEqualTo(e.report().render());
                    assertThat(e.getMessage()).contains("acme/Fees: field rate J: becomes volatile — the running field's memory semantics cannot change")
                            .endsWith(DiffReport.BASELINE_ADVICE);
                });
        assertThat(out).doesNotExist();
    }

    @Test
    void build_refusesWhenNothingChanged() {
        Path out = dir.resolve("p.hotpatch");

        assertThatThrownBy(() -> PatchBuilder.build(request(baseline, baseline, null, Classification.SECURITY, null), key, out))
                .isInstanceOfSatisfying(BuildRefusedException.class, e -> assertThat(e.report().changed()).isEmpty())
                .hasMessageContaining("Nothing to build");
        assertThat(out).doesNotExist();
    }

    @Test
    void build_rejectsInvalidManifestField_asUsageError() {
        BuildRequest bad = new BuildRequest(baseline, patched, null, "bad id!", "t", Classification.SECURITY, null, null, null,
                null, null, null);

        assertThatThrownBy(() -> PatchBuilder.build(bad, key, dir.resolve("p.hotpatch")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("invalid id 'bad id!'");
    }

    @Test
    void request_requiresJarsAndClassification() {
        assertThatThrownBy(() -> new BuildRequest(null, patched, null, "KB1", "t", Classification.SECURITY, null, null, null,
                null, null, null)).isInstanceOf(IllegalArgumentException.class).hasMessage("baseline jar is required");
        assertThatThrownBy(() -> new BuildRequest(baseline, patched, null, "KB1", "t", null, null, null, null,
                null, null, null)).isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("classification is required");
    }

    @Test
    void render_listsEveryRefusalAndEndsWithBaselineAdvice() {
        DiffReport report = new DiffReport(List.of(), List.of(
                new Refusal("acme/Fees", "method round(J)J", "adds method round(J)J — redefinition cannot add methods"),
                new Refusal("acme/Fees", "field scale I", "adds field scale I — redefinition cannot add fields")),
                List.of("acme/Other"), List.of("resource a.txt changed — not shipped: a hotpatch replaces classes only"), 7, 2_000_000);

        assertThat(report.render()).isEqualTo("""
                Compared 7 classes in 2 ms: 0 changed, 1 excluded by --include.
                Changed but excluded by --include:
                  acme/Other
                Warnings:
                  resource a.txt changed — not shipped: a hotpatch replaces classes only
                Refused:
                  acme/Fees: adds method round(J)J — redefinition cannot add methods
                  acme/Fees: adds field scale I — redefinition cannot add fields
                This fix cannot be hotpatched: ship it as a baseline (restart) instead.""");
        assertThat(report.hotpatchable()).isFalse();
    }

    @Test
    void analyse_patchedJarChangedInPlaceIsReadFresh() throws IOException {
        DiffReport first = PatchBuilder.analyse(baseline, patched, List.of());
        Files.copy(baseline, patched, java.nio.file.StandardCopyOption.REPLACE_EXISTING);

        DiffReport second = PatchBuilder.analyse(baseline, patched, List.of());

        assertThat(first.changed()).hasSize(2);
        assertThat(second.changed()).isEmpty();
    }
}
