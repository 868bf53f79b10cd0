package dev.hotpatch.builder;

import static dev.hotpatch.builder.TestJars.compile;
import static dev.hotpatch.builder.TestJars.compileJar;
import static dev.hotpatch.builder.TestJars.jar;
import static dev.hotpatch.builder.TestJars.utf8;
import static dev.hotpatch.builder.TestJars.with;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hotpatch.builder.rewrite.RewritePolicy;
import dev.hotpatch.builder.rewrite.Verdict;
import dev.hotpatch.format.Sha256;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The plain redefinition verdicts ({@code --no-rewrite}); {@code RewriteDifferentialTest} covers what rewriting makes of them. */
class JarDiffTest {
    private static final String FEES = """
            package acme;
            public class Fees {
                private long rate = 3;
                public long fee(long amount) { return amount * rate / 100; }
                public long total(long amount) { return amount + fee(amount); }
            }
            """;
    private static final String OTHER = """
            package acme;
            public class Other {
                public String name() { return "other"; }
            }
            """;

    @TempDir
    Path dir;

    private DiffReport diff(String[] baseline, String[] patched, List<String> includes) throws IOException {
        Path old = compileJar(Files.createDirectories(dir.resolve("old")).resolve("app.jar"), baseline);
        Path neu = compileJar(Files.createDirectories(dir.resolve("new")).resolve("app.jar"), patched);
        return PatchBuilder.analyse(old, neu, includes, RewritePolicy.NONE);
    }

    private DiffReport diffFees(String patchedFees) throws IOException {
        return diff(new String[] {FEES, OTHER}, new String[] {patchedFees, OTHER}, List.of());
    }

    private static List<String> lines(DiffReport report) {
        return report.refusals().stream().map(Refusal::toString).toList();
    }

    @Test
    void analyse_acceptsBodyOnlyChange_withHashesOfBothVersions() throws IOException {
        Map<String, byte[]> before = compile(dir, FEES, OTHER);
        Map<String, byte[]> after = compile(dir, FEES.replace("amount * rate / 100", "Math.max(0, amount) * rate / 100"), OTHER);
        Path old = jar(dir.resolve("old.jar"), before);
        Path neu = jar(dir.resolve("new.jar"), after);

        DiffReport report = PatchBuilder.analyse(old, neu, List.of());

        assertThat(report.refusals()).isEmpty();
        assertThat(report.hotpatchable()).isTrue();
        assertThat(report.changed()).containsExactly(new ClassChange("acme/Fees",
                Sha256.hex(before.get("acme/Fees.class")), Sha256.hex(after.get("acme/Fees.class")), List.of("fee(J)J")));
        assertThat(report.classesCompared()).isEqualTo(2);
        assertThat(report.elapsedNanos()).isPositive();
        assertThat(report.render()).contains("Hotpatchable").doesNotContain(DiffReport.BASELINE_ADVICE);
    }

    @Test
    void analyse_reportsNothingChangedForIdenticalJars() throws IOException {
        DiffReport report = diffFees(FEES);

        assertThat(report.changed()).isEmpty();
        assertThat(report.refusals()).isEmpty();
        assertThat(report.hotpatchable()).isFalse();
        assertThat(report.render()).contains("nothing to hotpatch");
    }

    @Test
    void analyse_refusesAddedMethod() throws IOException {
        DiffReport report = diffFees(FEES.replace("public long total", "public long round(long x) { return x; }\n    public long total"));

        assertThat(lines(report)).containsExactly("acme/Fees: adds method round(J)J — redefinition cannot add methods");
        assertThat(report.refusals().get(0).member()).isEqualTo("method round(J)J");
        assertThat(report.hotpatchable()).isFalse();
        assertThat(report.render()).endsWith(DiffReport.BASELINE_ADVICE);
    }

    @Test
    void analyse_refusesRemovedMethod() throws IOException {
        DiffReport report = diffFees(FEES.replace("public long total(long amount) { return amount + fee(amount); }", ""));

        assertThat(lines(report)).containsExactly("acme/Fees: removes method total(J)J — redefinition cannot remove methods");
    }

    @Test
    void analyse_refusesAddedField() throws IOException {
        DiffReport report = diffFees(FEES.replace("private long rate = 3;", "private long rate = 3;\n    private int scale;"));

        assertThat(lines(report)).containsExactly("acme/Fees: adds field scale I — redefinition cannot add fields");
        assertThat(report.refusals().get(0).member()).isEqualTo("field scale I");
    }

    @Test
    void analyse_refusesRemovedField() throws IOException {
        DiffReport report = diffFees(FEES.replace("private long rate = 3;", "").replace("rate / 100", "3 / 100"));

        assertThat(lines(report)).containsExactly("acme/Fees: removes field rate J — redefinition cannot remove fields");
    }

    @Test
    void analyse_refusesChangedFieldType() throws IOException {
        DiffReport report = diffFees(FEES.replace("private long rate = 3;", "private int rate = 3;"));

        assertThat(lines(report)).containsExactly(
                "acme/Fees: changes type of field rate from J to I — redefinition cannot change field types");
    }

    @Test
    void analyse_refusesChangedFieldModifiers() throws IOException {
        DiffReport report = diffFees(FEES.replace("private long rate", "public long rate"));

        assertThat(lines(report)).containsExactly(
                "acme/Fees: changes modifiers of field rate (private → public) — redefinition cannot change field modifiers");
    }

    @Test
    void analyse_refusesReorderedFields() throws IOException {
        String two = FEES.replace("private long rate = 3;", "private long rate = 3;\n    private long cap = 9;");
        DiffReport report = diff(new String[] {two}, new String[] {
            two.replace("private long rate = 3;\n    private long cap = 9;", "private long cap = 9;\n    private long rate = 3;")},
                List.of());

        assertThat(lines(report)).singleElement().asString().startsWith("acme/Fees: reorders fields [rate, cap] → [cap, rate]");
    }

    @Test
    void analyse_refusesNewLambdaNamingTheSyntheticMethod() throws IOException {
        DiffReport report = diffFees(FEES.replace("return amount * rate / 100;",
                "java.util.function.LongUnaryOperator op = x -> x * rate / 100; return op.applyAsLong(amount);"));

        assertThat(lines(report)).containsExactly("acme/Fees: adds lambda method lambda$fee$0(J)J"
                + " — a new lambda adds a synthetic method, which redefinition cannot add");
    }

    @Test
    void analyse_refusesChangedSuperclass() throws IOException {
        String base = "package acme; public class Base {}";
        String other = "package acme; public class OtherBase {}";
        String fees = FEES.replace("public class Fees", "public class Fees extends Base");
        DiffReport report = diff(new String[] {fees, base, other},
                new String[] {fees.replace("extends Base", "extends OtherBase"), base, other}, List.of());

        assertThat(lines(report)).containsExactly(
                "acme/Fees: changes superclass acme/Base → acme/OtherBase — redefinition cannot change the class hierarchy");
    }

    @Test
    void analyse_refusesChangedInterfaces() throws IOException {
        DiffReport report = diffFees(FEES.replace("public class Fees", "public class Fees implements java.io.Serializable"));

        assertThat(lines(report)).containsExactly(
                "acme/Fees: changes interfaces [] → [java/io/Serializable] — redefinition cannot change the class hierarchy");
    }

    @Test
    void analyse_refusesReorderedInterfaces() throws IOException {
        String fees = FEES.replace("public class Fees", "public class Fees implements java.io.Serializable, Cloneable");
        DiffReport report = diff(new String[] {fees},
                new String[] {fees.replace("java.io.Serializable, Cloneable", "Cloneable, java.io.Serializable")}, List.of());

        assertThat(lines(report)).singleElement().asString()
                .startsWith("acme/Fees: reorders interfaces [java/io/Serializable, java/lang/Cloneable] → "
                        + "[java/lang/Cloneable, java/io/Serializable] — redefinition cannot change the class hierarchy");
    }

    @Test
    void analyse_refusesChangedMethodModifiers() throws IOException {
        DiffReport report = diffFees(FEES.replace("public long fee", "public synchronized long fee"));

        assertThat(lines(report)).containsExactly("acme/Fees: changes modifiers of method fee(J)J (public → public synchronized)"
                + " — redefinition cannot change method modifiers");
    }

    @Test
    void analyse_refusesChangedClassModifiers() throws IOException {
        DiffReport report = diffFees(FEES.replace("public class Fees", "public final class Fees"));

        assertThat(lines(report)).containsExactly(
                "acme/Fees: changes class modifiers (public → public final) — redefinition cannot change class modifiers");
    }

    @Test
    void analyse_allowsMethodBecomingNative_asHotSpotIgnoresAccNative() throws IOException {
        DiffReport report = diffFees(FEES.replace("public long total(long amount) { return amount + fee(amount); }",
                "public native long total(long amount);"));

        assertThat(report.refusals()).isEmpty();
        assertThat(report.changed()).singleElement().extracting(ClassChange::changedMethods).isEqualTo(List.of("total(J)J"));
    }

    @Test
    void analyse_allowsThrowsClauseAnnotationAndMethodOrderChanges() throws IOException {
        String patched = """
                package acme;
                public class Fees {
                    private long rate = 3;
                    public long total(long amount) throws IllegalStateException { return amount + fee(amount); }
                    @Deprecated public long fee(long amount) { return amount * rate / 100; }
                }
                """;
        DiffReport report = diffFees(patched);

        assertThat(report.changed()).extracting(ClassChange::className).containsExactly("acme/Fees");
        assertThat(report.refusals()).isEmpty();
        assertThat(report.hotpatchable()).isTrue();
    }

    @Test
    void analyse_shipsAnAddedClassOfAChangedPackage_withTheVerdictAdded() throws IOException {
        DiffReport report = diff(new String[] {FEES, OTHER}, new String[] {FEES.replace("amount * rate / 100",
                "new FeeRounding().round(amount * rate) / 100"), OTHER, "package acme; final class FeeRounding {"
                + " long round(long x) { return x + 50; } }"}, List.of());

        assertThat(report.refusals()).isEmpty();
        assertThat(report.hotpatchable()).isTrue();
        assertThat(report.added()).extracting(AddedClass::className).containsExactly("acme/FeeRounding");
        assertThat(report.verdictsFor("acme/FeeRounding")).singleElement().satisfies(v -> {
            assertThat(v.kind()).isEqualTo(Verdict.Kind.ADDED);
            assertThat(v.toString()).startsWith("acme/FeeRounding: added — a new class: the agent defines it");
        });
        assertThat(report.rewrittenClasses()).isEmpty();
        assertThat(report.render()).contains("Added:\n  acme/FeeRounding  ", "1 class added (defined into the running class loaders;");
    }

    @Test
    void analyse_leavesOutANewClassOfAnUnchangedPackageThatNothingUses_andNewPackageInfo() throws IOException {
        DiffReport report = diff(new String[] {FEES, OTHER}, new String[] {FEES.replace("amount * rate", "Math.max(0, amount) * rate"),
                OTHER, "package extra; public class Feature {}", "@Deprecated\npackage acme;"}, List.of());

        assertThat(report.refusals()).isEmpty();
        assertThat(report.added()).isEmpty();
        assertThat(report.warnings()).contains(
                "new class extra/Feature left out: no class of its package changes and nothing the hotpatch ships uses it",
                "new acme/package-info left out: a package-info class carries annotations only, no code");
    }

    @Test
    void analyse_refusesANewClassOfAnUnchangedPackageThatTheFixUses() throws IOException {
        DiffReport report = diff(new String[] {FEES, OTHER}, new String[] {FEES.replace("amount * rate / 100",
                "extra.Limits.cap(amount) * rate / 100"), OTHER, "package extra; public class Limits {"
                + " public static long cap(long a) { return Math.min(a, 1000); } }"}, List.of());

        assertThat(lines(report)).singleElement().asString().startsWith("extra/Limits: new class in package extra, where this"
                + " hotpatch replaces no class, and the shipped code uses it — ");
        assertThat(report.added()).isEmpty();
    }

    @Test
    void analyse_refusesANewClassOfAnUnchangedPackageThatTheFixLoadsByName() throws IOException {
        DiffReport report = diff(new String[] {FEES, OTHER}, new String[] {FEES.replace("return amount * rate / 100;",
                "try { Class.forName(\"extra.Plugin\"); } catch (ClassNotFoundException e) { } return amount * rate / 100;"),
                OTHER, "package extra; public class Plugin {}"}, List.of());

        assertThat(lines(report)).singleElement().asString().startsWith("extra/Plugin: new class in package extra, where this");
    }

    @Test
    void analyse_refusesANewClassThatTheShippedCodeUsesButIncludeLeavesOut() throws IOException {
        DiffReport report = diff(new String[] {FEES, OTHER}, new String[] {FEES.replace("amount * rate / 100",
                "new FeeRounding().round(amount * rate) / 100"), OTHER, "package acme; final class FeeRounding {"
                + " long round(long x) { return x + 50; } }"}, List.of("acme/Fees"));

        assertThat(lines(report)).containsExactly("acme/FeeRounding: new class that the shipped code uses, but --include leaves it"
                + " out — add --include acme/FeeRounding");
    }

    @Test
    void analyse_refusesANewClassThatExtendsAReplacedClass() throws IOException {
        DiffReport report = diff(new String[] {FEES, OTHER}, new String[] {FEES.replace("return amount * rate / 100;",
                "return amount < 0 ? new CappedFees().fee(-amount) : amount * rate / 100;"), OTHER,
                "package acme; class CappedFees extends Fees { }"}, List.of());

        assertThat(lines(report)).singleElement().asString().startsWith("acme/CappedFees: new class that extends or implements"
                + " acme/Fees, which this hotpatch replaces — ");
    }

    @Test
    void analyse_refusesRemovedClass() throws IOException {
        DiffReport report = diff(new String[] {FEES, OTHER}, new String[] {FEES}, List.of());

        assertThat(lines(report)).singleElement().asString().startsWith("acme/Other: removed class — ");
    }

    @Test
    void analyse_refusesNewNestedClass_viaNestMembers() throws IOException {
        DiffReport report = diffFees(FEES.replace("public long total",
                "private static final class Rounding { }\n    public long total"));

        assertThat(lines(report)).containsExactlyInAnyOrder(
                "acme/Fees: changes NestMembers: adds acme/Fees$Rounding — redefinition cannot change nestmate attributes"
                        + " (adding or removing a nested, local or anonymous class changes them)");
    }

    @Test
    void analyse_refusesChangedRecordComponents() throws IOException {
        DiffReport report = diff(new String[] {"package acme; public record Money(long amount) {}"},
                new String[] {"package acme; public record Money(long amount, String currency) {}"}, List.of());

        assertThat(lines(report)).contains("acme/Money: changes record components (amount J) → (amount J, currency "
                + "Ljava/lang/String;) — redefinition cannot change record components");
        assertThat(lines(report)).contains("acme/Money: adds field currency Ljava/lang/String; — redefinition cannot add fields");
    }

    @Test
    void analyse_refusesChangedPermittedSubclasses() throws IOException {
        String gold = "package acme; public final class Gold implements Tier {}";
        String bronze = "package acme; public final class Bronze implements Tier {}";
        DiffReport report = diff(new String[] {"package acme; public sealed interface Tier permits Gold, Bronze {}", gold, bronze},
                new String[] {"package acme; public sealed interface Tier permits Gold {}", gold,
                    "package acme; public final class Bronze {}"}, List.of());

        assertThat(lines(report)).contains("acme/Tier: changes PermittedSubclasses: removes acme/Bronze"
                + " — redefinition cannot change which classes may extend a sealed class");
    }

    @Test
    void analyse_allowsReorderedPermittedSubclasses_asHotSpotComparesThemAsASet() throws IOException {
        String gold = "package acme; public final class Gold implements Tier {}";
        String bronze = "package acme; public final class Bronze implements Tier {}";
        String tier = "package acme; public sealed interface Tier permits Gold, Bronze {}";
        DiffReport report = diff(new String[] {tier, gold, bronze},
                new String[] {tier.replace("Gold, Bronze", "Bronze, Gold"), gold, bronze}, List.of());

        assertThat(report.changed()).extracting(ClassChange::className).containsExactly("acme/Tier");
        assertThat(report.refusals()).isEmpty();
    }

    @Test
    void analyse_refusesChangedRecordComponentGenericSignature() throws IOException {
        String money = "package acme; public record Money(java.util.List<String> parts) {}";
        DiffReport report = diff(new String[] {money}, new String[] {money.replace("List<String>", "List<Integer>")}, List.of());

        assertThat(lines(report)).containsExactly("acme/Money: changes record components (parts Ljava/util/List; "
                + "Ljava/util/List<Ljava/lang/String;>;) → (parts Ljava/util/List; Ljava/util/List<Ljava/lang/Integer;>;)"
                + " — redefinition cannot change record components");
    }

    @Test
    void analyse_warnsAboutChangedStaticInitializerAndConstant_butAllowsThem() throws IOException {
        String fees = FEES.replace("private long rate = 3;",
                "static final int LIMIT = 10;\n    static final java.util.List<String> NAMES = java.util.List.of(\"a\");\n    private long rate = 3;");
        DiffReport report = diff(new String[] {fees},
                new String[] {fees.replace("LIMIT = 10", "LIMIT = 20").replace("List.of(\"a\")", "List.of(\"a\", \"b\")")}, List.of());

        assertThat(report.hotpatchable()).isTrue();
        assertThat(report.changed().get(0).changedMethods()).containsExactly("<clinit>()V");
        assertThat(report.warnings()).anySatisfy(w -> assertThat(w).startsWith("acme/Fees: static initializer changed"));
        assertThat(report.warnings()).anySatisfy(w -> assertThat(w).startsWith(
                "acme/Fees: constant value of field LIMIT I changes from 10 to 20"));
    }

    @Test
    void analyse_warnsAboutChangedResources_withoutShippingOrRefusing() throws IOException {
        Map<String, byte[]> classes = compile(dir, FEES);
        Path old = jar(dir.resolve("old.jar"), with(classes, "config/app.properties", utf8("limit=1")));
        Path neu = jar(dir.resolve("new.jar"), with(with(classes, "config/app.properties", utf8("limit=2")), "extra.txt", utf8("x")));

        DiffReport report = PatchBuilder.analyse(old, neu, List.of());

        assertThat(report.refusals()).isEmpty();
        assertThat(report.changed()).isEmpty();
        assertThat(report.warnings()).containsExactly(
                "resource config/app.properties changed — not shipped: a hotpatch replaces classes only",
                "resource extra.txt added — not shipped: a hotpatch replaces classes only");
    }

    @Test
    void analyse_ignoresModuleInfo() throws IOException {
        Map<String, byte[]> classes = compile(dir, FEES);
        Path old = jar(dir.resolve("old.jar"), with(classes, "module-info.class", utf8("one")));
        Path neu = jar(dir.resolve("new.jar"), with(classes, "module-info.class", utf8("two")));

        DiffReport report = PatchBuilder.analyse(old, neu, List.of());

        assertThat(report.refusals()).isEmpty();
        assertThat(report.warnings()).isEmpty();
        assertThat(report.classesCompared()).isEqualTo(1);
    }

    @Test
    void analyse_refusesChangedMultiReleaseVariant() throws IOException {
        Map<String, byte[]> before = compile(dir, FEES);
        Map<String, byte[]> after = compile(dir, FEES.replace("rate / 100", "rate / 1000"));
        Path old = jar(dir.resolve("old.jar"), with(before, "META-INF/versions/11/acme/Fees.class", before.get("acme/Fees.class")));
        Path neu = jar(dir.resolve("new.jar"), with(before, "META-INF/versions/11/acme/Fees.class", after.get("acme/Fees.class")));

        DiffReport report = PatchBuilder.analyse(old, neu, List.of());

        assertThat(lines(report)).containsExactly("acme/Fees: changes its Java 11 variant META-INF/versions/11/acme/Fees.class"
                + " — this version builds hotpatches from a jar's base classes only; ship it as a baseline (restart)");
    }

    @Test
    void analyse_refusesPatchedEntryThatIsNotAClassFile() throws IOException {
        Map<String, byte[]> before = compile(dir, FEES);
        Path old = jar(dir.resolve("old.jar"), before);
        Path neu = jar(dir.resolve("new.jar"), with(before, "acme/Fees.class", utf8("not a class")));

        DiffReport report = PatchBuilder.analyse(old, neu, List.of());

        assertThat(lines(report)).singleElement().asString()
                .startsWith("acme/Fees: patched entry acme/Fees.class is not a class file this builder can read");
    }

    @Test
    void analyse_includeSelectsMatchingClasses_andListsTheRestAsExcluded() throws IOException {
        DiffReport report = diff(new String[] {FEES, OTHER, "package acme.sub; public class Deep {}"},
                new String[] {FEES.replace("rate / 100", "rate / 1000"),
                    OTHER.replace("public String name", "public int extra() { return 1; }\n    public String name"),
                    "package acme.sub; public class Deep { int x; }"},
                List.of("acme.Fees"));

        assertThat(report.changed()).extracting(ClassChange::className).containsExactly("acme/Fees");
        assertThat(report.excluded()).containsExactlyInAnyOrder("acme/Other", "acme/sub/Deep");
        assertThat(report.refusals()).isEmpty();
        assertThat(report.hotpatchable()).isTrue();
    }

    @Test
    void analyse_includeStarStaysInPackage_doubleStarCrossesPackages() throws IOException {
        String[] old = {FEES, "package acme.sub; public class Deep { int f() { return 1; } }"};
        String[] neu = {FEES.replace("rate / 100", "rate / 1000"), "package acme.sub; public class Deep { int f() { return 2; } }"};

        DiffReport star = diff(old, neu, List.of("acme/*"));
        assertThat(star.changed()).extracting(ClassChange::className).containsExactly("acme/Fees");
        assertThat(star.excluded()).containsExactly("acme/sub/Deep");

        DiffReport doubleStar = diff(old, neu, List.of("acme/**"));
        assertThat(doubleStar.changed()).extracting(ClassChange::className).containsExactly("acme/Fees", "acme/sub/Deep");
        assertThat(doubleStar.excluded()).isEmpty();
    }

    @Test
    void analyse_includeAlsoFiltersAddedClasses() throws IOException {
        DiffReport report = diff(new String[] {FEES}, new String[] {FEES.replace("rate / 100", "rate / 1000"),
            "package acme; public class FeeRounding {}"}, List.of("acme/Fees"));

        assertThat(report.refusals()).isEmpty();
        assertThat(report.excluded()).containsExactly("acme/FeeRounding");
        assertThat(report.hotpatchable()).isTrue();
    }

    @Test
    void analyse_includeThatMatchesNoChangedClass_isAnError() throws IOException {
        assertThatThrownBy(() -> diff(new String[] {FEES, OTHER},
                new String[] {FEES.replace("rate / 100", "rate / 1000"), OTHER}, List.of("acme.Fees", "acme/Nope")))
                .isInstanceOf(BuilderException.class)
                .hasMessageStartingWith("--include pattern 'acme/Nope' matches no changed class; the changed classes are acme/Fees.");
    }

    @Test
    void analyse_rejectsMissingJar() throws IOException {
        Path neu = compileJar(dir.resolve("new.jar"), FEES);
        Path missing = dir.resolve("nope.jar");

        assertThatThrownBy(() -> PatchBuilder.analyse(missing, neu, List.of()))
                .isInstanceOf(BuilderException.class)
                .hasMessage("baseline jar " + missing + " does not exist; pass the path of an existing .jar file");
    }

    @Test
    void analyse_rejectsFileThatIsNotAZip() throws IOException {
        Path neu = compileJar(dir.resolve("new.jar"), FEES);
        Path text = Files.writeString(dir.resolve("notes.jar"), "hello");

        assertThatThrownBy(() -> PatchBuilder.analyse(neu, text, List.of()))
                .isInstanceOf(BuilderException.class)
                .hasMessageStartingWith("patched jar " + text + " is not a jar (zip) file");
    }

    @Test
    void analyse_rejectsJarWithTooManyEntries() throws IOException {
        Path jar = compileJar(dir.resolve("app.jar"), FEES, OTHER);

        assertThatThrownBy(() -> JarDiff.analyse(jar, jar, List.of(), new JarSource.Limits(1, 1 << 20, 1 << 30)))
                .isInstanceOf(BuilderException.class)
                .hasMessageContaining("has 2 entries; the builder reads at most 1");
    }

    @Test
    void analyse_rejectsOversizedClass() throws IOException {
        Path jar = compileJar(dir.resolve("app.jar"), FEES);

        assertThatThrownBy(() -> JarDiff.analyse(jar, jar, List.of(), new JarSource.Limits(10, 100, 1 << 30)))
                .isInstanceOf(BuilderException.class)
                .hasMessageContaining("entry acme/Fees.class of baseline jar")
                .hasMessageContaining("inflates to more than 100 bytes");
    }

    @Test
    void analyse_rejectsEntryThatInflatesBeyondTheTotalLimit() throws IOException {
        Path old = TestJars.zeros(dir.resolve("old.jar"), "data.bin", 4 << 20);
        Path neu = TestJars.zeros(dir.resolve("new.jar"), "data.bin", 4 << 20);
        assertThat(Files.size(old)).isLessThan(64 * 1024);

        assertThatThrownBy(() -> JarDiff.analyse(old, neu, List.of(), new JarSource.Limits(10, 1 << 20, 1 << 20)))
                .isInstanceOf(BuilderException.class)
                .hasMessageContaining("inflates to more than 1048576 bytes (reached at entry data.bin)");
    }

    @Test
    void analyse_addedMethodReachedThroughASubclass_isRefusedWhenAClassBetweenIsUnknown_andResolvedWhenTheClasspathHasIt() throws IOException {
        String node1 = "package lib; public class Node { public int size() { return 0; } }";
        String node2 = "package lib; public class Node { public int size() { return count(); } public int count() { return 1; } }";
        String mid = "package dep; public class Mid extends lib.Node { }";
        String element = "package lib; public class Element extends dep.Mid { }";
        String user1 = "package lib; public class User { public int use(Element e) { return e.size(); } }";
        String user2 = "package lib; public class User { public int use(Element e) { return e.count(); } }";
        Map<String, byte[]> v1 = new java.util.TreeMap<>(compile(dir, node1, mid, element, user1));
        Map<String, byte[]> v2 = new java.util.TreeMap<>(compile(dir, node2, mid, element, user2));
        Path midJar = jar(dir.resolve("mid.jar"), Map.of("dep/Mid.class", v1.remove("dep/Mid.class")));
        v2.remove("dep/Mid.class");
        Path old = jar(dir.resolve("v1.jar"), v1);
        Path neu = jar(dir.resolve("v2.jar"), v2);

        DiffReport unknown = PatchBuilder.analyse(old, neu, List.of());
        DiffReport known = PatchBuilder.analyse(old, neu, List.of(), new RewritePolicy(true, java.util.Set.of(), Map.of(), List.of(midJar)));

        assertThat(unknown.refusals()).singleElement().satisfies(r -> assertThat(r.rule())
                .contains("lib/User reaches count()I", "through subclass lib/Element", "cannot prove that the reference resolves to it"));
        assertThat(known.refusals()).isEmpty();
        assertThat(known.verdictsFor("lib/Node")).anySatisfy(v -> assertThat(v.kind()).isEqualTo(Verdict.Kind.MOVED));
    }
}
