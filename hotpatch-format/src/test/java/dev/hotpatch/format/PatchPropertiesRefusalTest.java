package dev.hotpatch.format;

import static dev.hotpatch.format.Refusals.assertRefused;

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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Packages whose signature is valid (the trusted publisher's tool signed them) but whose
 * patch.properties is wrong: a signature never excuses a malformed manifest.
 */
class PatchPropertiesRefusalTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"format", "id", "title", "classification", "rebootBehavior", "published", "class.count",
        "class.0.name", "class.0.kind", "class.0.sha256", "class.0.baselineSha256", "class.1.name"})
    void read_refusesSignedPackageMissingARequiredField(String field) {
        Path file = signedWith(lines -> lines.filter(l -> !l.startsWith(field + "=")));

        assertRefused(() -> HotpatchPackage.read(file, TestKeys.trustPublisher()), Reason.MALFORMED)
                .hasMessageContaining(field.equals("format") ? "unsupported package format 'null'" : "'" + field + "'");
    }

    @Test
    void read_refusesANewerFormatVersionAndSaysToUpgrade() {
        Path file = signedWith(lines -> lines.map(l -> l.equals("format=1") ? "format=3" : l));

        assertRefused(() -> HotpatchPackage.read(file, TestKeys.trustPublisher()), Reason.MALFORMED)
                .hasMessageContaining("unsupported package format '3'")
                .hasMessageContaining("upgrade hotpatch");
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-1", "10001", "2147483647"})
    void read_refusesClassCountOutOfRange(String count) {
        Path file = signedWith(lines -> lines.map(l -> l.startsWith("class.count=") ? "class.count=" + count : l));

        assertRefused(() -> HotpatchPackage.read(file, TestKeys.trustPublisher()), Reason.MALFORMED)
                .hasMessageContaining("class.count must be 1.." + ManifestCodec.MAX_CLASSES + ", got " + count);
    }

    @ParameterizedTest
    @ValueSource(strings = {"two", "", "99999999999", "0x2"})
    void read_refusesClassCountThatIsNotANumber(String count) {
        Path file = signedWith(lines -> lines.map(l -> l.startsWith("class.count=") ? "class.count=" + count : l));

        assertRefused(() -> HotpatchPackage.read(file, TestKeys.trustPublisher()), Reason.MALFORMED)
                .hasMessageContaining("patch.properties has an invalid value");
    }

    @Test
    void read_refusesClassCountLargerThanTheClassesListed() {
        Path file = signedWith(lines -> lines.map(l -> l.startsWith("class.count=") ? "class.count=3" : l));

        assertRefused(() -> HotpatchPackage.read(file, TestKeys.trustPublisher()), Reason.MALFORMED)
                .hasMessageContaining("lacks the required field 'class.2.name'");
    }

    @Test
    void read_refusesClassCountSmallerThanTheClassEntries() {
        Path file = signedWith(lines -> lines.map(l -> l.startsWith("class.count=") ? "class.count=1" : l));

        assertRefused(() -> HotpatchPackage.read(file, TestKeys.trustPublisher()), Reason.MALFORMED)
                .hasMessageContaining(SamplePackages.HELPER_ENTRY)
                .hasMessageContaining("not listed in the package manifest");
    }

    @Test
    void read_refusesClassWhoseBytesDoNotMatchTheManifestHash() {
        String other = Sha256.hex("something else".getBytes(StandardCharsets.UTF_8));
        Path file = signedWith(lines -> lines.map(l -> l.startsWith("class.0.sha256=") ? "class.0.sha256=" + other : l));

        assertRefused(() -> HotpatchPackage.read(file, TestKeys.trustPublisher()), Reason.TAMPERED)
                .hasMessageContaining("class " + SamplePackages.FEES)
                .hasMessageContaining("content hashes to " + Sha256.hex(SamplePackages.classBytes(SamplePackages.FEES)))
                .hasMessageContaining("the manifest says " + other);
    }

    @Test
    void read_refusesListedClassWhoseEntryIsMissing() {
        Map<String, byte[]> e = entries(lines -> lines);
        e.remove(SamplePackages.HELPER_ENTRY);
        Path file = Zips.writeSigned(tmp.resolve("p.hotpatch"), e, TestKeys.publisher());

        assertRefused(() -> HotpatchPackage.read(file, TestKeys.trustPublisher()), Reason.MALFORMED)
                .hasMessageContaining("class " + SamplePackages.HELPER + " is listed but its entry " + SamplePackages.HELPER_ENTRY + " is missing");
    }

    @ParameterizedTest
    @ValueSource(strings = {"../../evil", "/etc/passwd", "acme\\\\Evil", "acme//Evil", "acme/./Evil", "acme/Ev\\u0000il", ""})
    void read_refusesUnsafeClassNameInTheManifest(String escapedName) {
        Path file = signedWith(lines -> lines.map(l -> l.startsWith("class.0.name=") ? "class.0.name=" + escapedName : l));

        assertRefused(() -> HotpatchPackage.read(file, TestKeys.trustPublisher()), Reason.MALFORMED)
                .hasMessageContaining("class name");
    }

    @Test
    void read_refusesTheSameClassListedTwice() {
        Path file = signedWith(lines -> lines.map(l -> l.startsWith("class.1.name=") ? "class.1.name=" + SamplePackages.FEES
                : l.startsWith("class.1.sha256=") ? "class.1.sha256=" + Sha256.hex(SamplePackages.classBytes(SamplePackages.FEES)) : l));

        assertRefused(() -> HotpatchPackage.read(file, TestKeys.trustPublisher()), Reason.MALFORMED)
                .hasMessageContaining("appears twice");
    }

    @ParameterizedTest
    @ValueSource(strings = {"published=yesterday", "classification=Bogus", "rebootBehavior=Sometimes", "class.0.kind=patch",
        "class.0.baselineSha256=abc", "cves=CVE-1", "id=../KB", "supersedes=KB2026-0001", "classification=Updates"})
    void read_refusesInvalidFieldValues(String line) {
        String key = line.substring(0, line.indexOf('='));
        Path file = signedWith(lines -> lines.map(l -> l.startsWith(key + "=") ? line : l));

        assertRefused(() -> HotpatchPackage.read(file, TestKeys.trustPublisher()), Reason.MALFORMED)
                .hasMessageContaining("patch.properties");
    }

    @Test
    void read_refusesPatchPropertiesThatDoNotParse() {
        Path file = signedWith(lines -> Stream.concat(lines, Stream.of("broken=\\uZZZZ")));

        assertRefused(() -> HotpatchPackage.read(file, TestKeys.trustPublisher()), Reason.MALFORMED)
                .hasMessageContaining("patch.properties cannot be parsed");
    }

    /** The sample package's entries with patch.properties edited line by line. */
    private static Map<String, byte[]> entries(UnaryOperator<Stream<String>> edit) {
        String props = new String(ManifestCodec.write(SamplePackages.manifest()), StandardCharsets.UTF_8);
        String edited = edit.apply(props.lines()).collect(Collectors.joining("\n", "", "\n"));
        Map<String, byte[]> e = new LinkedHashMap<>();
        e.put(SamplePackages.PROPERTIES_ENTRY, edited.getBytes(StandardCharsets.UTF_8));
        e.put(SamplePackages.FEES_ENTRY, SamplePackages.classBytes(SamplePackages.FEES));
        e.put(SamplePackages.HELPER_ENTRY, SamplePackages.classBytes(SamplePackages.HELPER));
        return e;
    }

    private Path signedWith(UnaryOperator<Stream<String>> edit) {
        return Zips.writeSigned(tmp.resolve("p.hotpatch"), entries(edit), TestKeys.publisher());
    }
}
