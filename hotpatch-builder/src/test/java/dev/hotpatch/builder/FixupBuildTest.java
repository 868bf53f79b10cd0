package dev.hotpatch.builder;

import static dev.hotpatch.builder.TestJars.compile;
import static dev.hotpatch.builder.TestJars.jar;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hotpatch.format.ClassPatch;
import dev.hotpatch.format.Classification;
import dev.hotpatch.format.HotpatchPackage;
import dev.hotpatch.format.PackageManifest;
import dev.hotpatch.format.SigningKey;
import dev.hotpatch.format.TrustStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hotpatch build --fixup}: the fix-up class ships as an added class named by the manifest,
 * and every rule it must follow is checked with an error that says how to fix it.
 */
class FixupBuildTest {
    static final String RATES_V1 = "package acme; public class Rates { static final long[] RATE = {rate()};"
            + " static long rate() { return 40; } public static long quote(long c) { return c / RATE[0]; } }";
    static final String RATES_V2 = RATES_V1.replace("return 40;", "return 50;");
    static final String FIXUP = "package acme; public final class RatesFixup {"
            + " public static void afterApply() { Rates.RATE[0] = Rates.rate(); }"
            + " public static void afterUninstall() { Rates.RATE[0] = Rates.rate(); } }";

    @TempDir
    static Path keys;
    static SigningKey key;

    @TempDir
    Path dir;
    Path baseline;
    Path patched;

    @BeforeAll
    static void generateKey() {
        key = SigningKey.generate(keys.resolve("key"), "CN=Test");
    }

    @BeforeEach
    void jars() throws IOException {
        baseline = jar(dir.resolve("rates-1.0.jar"), compile(dir, 11, RATES_V1));
        patched = jar(dir.resolve("rates-1.1.jar"), compile(dir, 11, RATES_V2));
    }

    /** Compiles {@code sources} for Java {@code release} and writes the class {@code name} alone, as javac would. */
    Path fixup(String name, int release, String... sources) throws IOException {
        Map<String, byte[]> classes = compile(dir, release, sources);
        Path f = dir.resolve(name.replace('/', '_') + ".class");
        Files.write(f, classes.get(name + ".class"));
        return f;
    }

    Path fixup(String name, String source) throws IOException {
        return fixup(name, 11, RATES_V2, source);
    }

    BuildResult build(Path fixup) {
        BuildRequest r = new BuildRequest(baseline, patched, List.of(), "KB2026-0060", "Recompute the rate", Classification.SECURITY,
                null, List.of(), null, null, List.of(), null, null, fixup);
        return PatchBuilder.build(r, key, dir.resolve("out.hotpatch"));
    }

    AbstractThrowableAssert<?, ? extends Throwable> refused(Path fixup) {
        return assertThatThrownBy(() -> build(fixup)).isInstanceOf(BuilderException.class)
                .isNotInstanceOf(BuildRefusedException.class);
    }

    @Test
    void build_shipsTheFixupAsAnAddedClass_namedByTheManifest() throws IOException {
        BuildResult result = build(fixup("acme/RatesFixup", FIXUP));

        assertThat(result.fixup().describe()).isEqualTo("fix-up: acme/RatesFixup (afterApply, afterUninstall)");
        PackageManifest m = HotpatchPackage.read(result.out(), TrustStore.of(List.of(key.certificate()))).manifest();
        assertThat(m.fixup()).isEqualTo("acme/RatesFixup");
        assertThat(m.classes()).extracting(ClassPatch::name, ClassPatch::kind)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("acme/Rates", ClassPatch.Kind.REPLACE),
                        org.assertj.core.groups.Tuple.tuple("acme/RatesFixup", ClassPatch.Kind.ADDED));
    }

    @Test
    void build_acceptsAFixupWithoutAfterUninstall() throws IOException {
        BuildResult result = build(fixup("acme/RatesFixup", "package acme; public final class RatesFixup {"
                + " public static void afterApply() { Runnable r = () -> Rates.RATE[0] = Rates.rate(); r.run(); } }"));

        assertThat(result.fixup().hooks()).containsExactly("afterApply");
    }

    @Test
    void build_refusesAFixupOutsideTheReplacedClassesPackages() throws IOException {
        Path f = fixup("other/RatesFixup", "package other; public final class RatesFixup {"
                + " public static void afterApply() { acme.Rates.quote(1); } }");

        refused(f).hasMessageContaining("--fixup other/RatesFixup is in Java package 'other', where this hotpatch replaces no class")
                .hasMessageContaining("declare it in the package of a class the hotpatch replaces (acme)");
    }

    @Test
    void build_refusesAFixupWithoutAfterApply() throws IOException {
        Path f = fixup("acme/RatesFixup", "package acme; public final class RatesFixup { public static void afterUninstall() { } }");

        refused(f).hasMessageContaining("declares no 'public static void afterApply()'").hasMessageContaining("Add it");
    }

    @Test
    void build_refusesAHookThatIsNotPublicStaticVoidWithoutParameters() throws IOException {
        refused(fixup("acme/RatesFixup", "package acme; public final class RatesFixup { public void afterApply() { } }"))
                .hasMessageContaining("afterApply must be declared 'public static void afterApply()'")
                .hasMessageContaining("found public void afterApply()");
        refused(fixup("acme/RatesFixup", "package acme; public final class RatesFixup { public static void afterApply() { }"
                + " public static void afterUninstall(String why) { } }"))
                .hasMessageContaining("found public static void afterUninstall(java.lang.String)");
    }

    @Test
    void build_refusesAFixupWithNestedClasses_whichWouldNotShip() throws IOException {
        Path f = fixup("acme/RatesFixup", "package acme; public final class RatesFixup {"
                + " static final class Helper { static void run() { Rates.RATE[0] = Rates.rate(); } }"
                + " public static void afterApply() { Helper.run(); } }");

        refused(f).hasMessageContaining("declares nested classes (acme/RatesFixup$Helper)").hasMessageContaining("Move their code into it");
    }

    @Test
    void build_refusesAFixupNamedLikeAClassOfTheJars() throws IOException {
        Path f = fixup("acme/Rates", 11, "package acme; public class Rates { static final long[] RATE = {1}; static long rate() { return 1; }"
                + " public static void afterApply() { } }");

        refused(f).hasMessageContaining("--fixup acme/Rates names a class the fixed jar already has").hasMessageContaining("rename it");
    }

    @Test
    void build_refusesAFixupCompiledForANewerJavaThanTheBaseline() throws IOException {
        Path f = fixup("acme/RatesFixup", 17, RATES_V2, FIXUP);

        refused(f).hasMessageContaining("compiled for Java 17 (class file version 61)")
                .hasMessageContaining("may be as old as Java 11").hasMessageContaining("javac --release 11");
    }

    @Test
    void build_refusesAFixupThatRefersToMembersTheFixedJarLacks() throws IOException {
        String ratesWithMore = RATES_V2.replace("public static long quote", "public static void reset() { } public static long quote");
        Path f = fixup("acme/RatesFixup", 11, ratesWithMore, "package acme; public class Gone { }",
                "package acme; public final class RatesFixup {"
                + " public static void afterApply() { Rates.reset(); java.util.List.of(1).forEach(x -> { }); new acme.Gone(); } }");

        refused(f).hasMessageContaining("refers to what exists in neither the fixed jar nor the JDK")
                .hasMessageContaining("method acme.Rates.reset()V").hasMessageContaining("class acme.Gone")
                .hasMessageContaining("compile it against the fixed jar");
    }

    @Test
    void build_refusesAFixupFileThatIsNotAClass() throws IOException {
        Path f = Files.writeString(dir.resolve("RatesFixup.class"), "not a class");

        refused(f).hasMessageContaining("is not a class file the builder can read");
        refused(dir.resolve("missing.class")).hasMessageContaining("does not exist");
    }
}
