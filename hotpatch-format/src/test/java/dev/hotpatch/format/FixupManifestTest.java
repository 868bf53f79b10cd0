package dev.hotpatch.format;

import static dev.hotpatch.format.Refusals.assertRefused;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hotpatch.format.PackageException.Reason;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code fixup} key: a package may name one of its added classes, in the Java package of a
 * class it replaces, as its fix-up class. Such a package says format 2, which agents before
 * fix-ups refuse, so none of them applies its classes without running the fix-up.
 */
class FixupManifestTest {
    static final String FIXUP = "acme/FeesFixup";
    static final String FIXUP_ENTRY = "HOTPATCH-INF/classes/acme/FeesFixup.class";

    @TempDir
    Path tmp;

    static PackageManifest.Builder withFixup(String fixup) {
        PackageManifest m = SamplePackages.manifest();
        return PackageManifest.builder().id(m.id()).title(m.title()).classification(m.classification()).published(m.published())
                .classes(m.classes()).addClass(ClassPatch.added(FIXUP, SamplePackages.classBytes(FIXUP))).fixup(fixup);
    }

    @Test
    void roundTrip_keepsTheFixup_andWritesFormat2() {
        PackageManifest m = withFixup(FIXUP).build();
        Path file = tmp.resolve("p.hotpatch");
        PackageWriter.write(m, TestKeys.publisher(), file);

        PackageManifest read = HotpatchPackage.read(file, TestKeys.trustPublisher()).manifest();

        SamplePackages.assertSameManifest(read, m);
        assertThat(read.fixup()).isEqualTo(FIXUP);
        assertThat(new String(ManifestCodec.write(m), StandardCharsets.UTF_8)).contains("format=2\n", "fixup=acme/FeesFixup\n");
        assertThat(new String(ManifestCodec.write(SamplePackages.manifest()), StandardCharsets.UTF_8))
                .as("a package without a fix-up stays readable by older agents").contains("format=1\n").doesNotContain("fixup");
    }

    @Test
    void build_refusesAFixupThatNamesNoShippedClass() {
        assertThatThrownBy(() -> withFixup("acme/Missing").build()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("fixup acme/Missing names no class shipped in package KB2026-0001")
                .hasMessageContaining("one of its 'added' classes");
    }

    @Test
    void build_refusesAFixupThatIsAReplacedClass() {
        assertThatThrownBy(() -> withFixup(SamplePackages.FEES).build()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is a 'replace' class").hasMessageContaining("must be a class the package adds");
    }

    @Test
    void read_refusesAFixupOutsideEveryReplacedClassesPackage() {
        Path file = signed(lines -> lines.map(l -> l.replace(FIXUP, "other/FeesFixup")), "other/FeesFixup");

        assertRefused(() -> HotpatchPackage.read(file, TestKeys.trustPublisher()), Reason.MALFORMED)
                .hasMessageContaining("fixup other/FeesFixup is in Java package 'other', where package KB2026-0001 replaces no class")
                .hasMessageContaining("must be in the package of a class it replaces");
    }

    @Test
    void read_refusesAFixupNamingNoShippedClass() {
        Path file = signed(lines -> lines.map(l -> l.equals("fixup=" + FIXUP) ? "fixup=acme/Ghost" : l), FIXUP);

        assertRefused(() -> HotpatchPackage.read(file, TestKeys.trustPublisher()), Reason.MALFORMED)
                .hasMessageContaining("fixup acme/Ghost names no class shipped");
    }

    @Test
    void read_refusesAFixupInAFormat1Package_whichOlderAgentsWouldApplyWithoutIt() {
        Path file = signed(lines -> lines.map(l -> l.equals("format=2") ? "format=1" : l), FIXUP);

        assertRefused(() -> HotpatchPackage.read(file, TestKeys.trustPublisher()), Reason.MALFORMED)
                .hasMessageContaining("names a fix-up class (acme/FeesFixup) but says format 1")
                .hasMessageContaining("must say format 2");
    }

    @Test
    void read_refusesFormat2WithoutAFixup() {
        Path file = signed(lines -> lines.filter(l -> !l.startsWith("fixup=")), FIXUP);

        assertRefused(() -> HotpatchPackage.read(file, TestKeys.trustPublisher()), Reason.MALFORMED)
                .hasMessageContaining("says format 2").hasMessageContaining("names no 'fixup'");
    }

    @Test
    void read_refusesAnUnsafeFixupName() {
        Path file = signed(lines -> lines.map(l -> l.equals("fixup=" + FIXUP) ? "fixup=../acme/FeesFixup" : l), FIXUP);

        assertRefused(() -> HotpatchPackage.read(file, TestKeys.trustPublisher()), Reason.MALFORMED).hasMessageContaining("class name");
    }

    /** A signed package with a fix-up whose patch.properties was edited line by line; the fix-up's entry is {@code entryClass}. */
    private Path signed(UnaryOperator<Stream<String>> edit, String entryClass) {
        String props = new String(ManifestCodec.write(withFixup(FIXUP).build()), StandardCharsets.UTF_8);
        String edited = edit.apply(props.lines()).collect(Collectors.joining("\n", "", "\n"));
        Map<String, byte[]> e = new LinkedHashMap<>();
        e.put(SamplePackages.PROPERTIES_ENTRY, edited.getBytes(StandardCharsets.UTF_8));
        e.put(SamplePackages.FEES_ENTRY, SamplePackages.classBytes(SamplePackages.FEES));
        e.put(SamplePackages.HELPER_ENTRY, SamplePackages.classBytes(SamplePackages.HELPER));
        e.put("HOTPATCH-INF/classes/" + entryClass + ".class", SamplePackages.classBytes(FIXUP));
        return Zips.writeSigned(tmp.resolve("p.hotpatch"), e, TestKeys.publisher());
    }
}
