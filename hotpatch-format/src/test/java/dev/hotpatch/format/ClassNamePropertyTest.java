package dev.hotpatch.format;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/** Class names come from untrusted packages and become entry paths: no name may lead out of HOTPATCH-INF/classes/. */
class ClassNamePropertyTest {
    private static final Path ROOT = Paths.get("/pkg");
    private static final Path CLASSES = ROOT.resolve("HOTPATCH-INF/classes");

    @Property(tries = 500)
    void requireInternalName_neverAcceptsANameWhoseEntryEscapesTheClassFolder(@ForAll("hostileNames") String name) {
        String accepted;
        try {
            accepted = ClassNames.requireInternalName(name);
        } catch (IllegalArgumentException refused) {
            return;
        }
        assertThat(accepted).isEqualTo(name);
        assertStaysInClassFolder(ClassPatch.added(name, new byte[0]).entryName());
    }

    @Property(tries = 300)
    void manifestCodec_looksUpOnlyEntriesInsideTheClassFolder(@ForAll("hostileNames") String name) {
        String props = new String(ManifestCodec.write(SamplePackages.manifest()), StandardCharsets.UTF_8)
                .replace("class.0.name=" + SamplePackages.FEES, "class.0.name=" + escape(name));
        List<String> lookedUp = new ArrayList<>();

        try {
            ManifestCodec.read(props.getBytes(StandardCharsets.UTF_8), n -> {
                lookedUp.add(n);
                return SamplePackages.classBytes(n);
            });
        } catch (PackageException refused) {
            assertThat(refused.reason()).isIn(PackageException.Reason.MALFORMED, PackageException.Reason.TAMPERED);
        }

        for (String n : lookedUp) {
            assertStaysInClassFolder("HOTPATCH-INF/classes/" + n + ".class");
        }
    }

    @Example
    void requireInternalName_acceptsOrdinaryNestedAndUnicodeNames() {
        assertThat(ClassNames.requireInternalName("acme/Fees$Rounding")).isEqualTo("acme/Fees$Rounding");
        assertThat(ClassNames.requireInternalName("org/apache/logging/log4j/core/lookup/JndiLookup"))
                .isEqualTo("org/apache/logging/log4j/core/lookup/JndiLookup");
        assertThat(ClassNames.requireInternalName("caf\u00e9/\u00c9t\u00e9")).isEqualTo("caf\u00e9/\u00c9t\u00e9");
        assertThat(ClassNames.requireInternalName("module-info")).isEqualTo("module-info");
    }

    @Provide
    Arbitrary<String> hostileNames() {
        Arbitrary<String> pieces = Arbitraries.of("..", ".", "/", "\\", "a", "B", "$", "-", ":", "C:", "\u0000", "\n",
                "\u2215", "\uff0f", "%2e", "%2f", "\u00e9", "\ud800", "\udc00", "~", "*", " ", "\u200b", "\ufeff");
        Arbitrary<String> joined = pieces.list().ofMinSize(0).ofMaxSize(10).map(l -> String.join("", l));
        Arbitrary<String> segment = Arbitraries.of("..", ".", "", "a", "Fees$1", "C:", "a\\..\\b", "\u0000", "%2e%2e", "..\u2215..",
                "\uff0e\uff0e", "\u00e9", "-", " ", "...");
        Arbitrary<String> paths = Combinators.combine(Arbitraries.of("", "/", "//", "\\"), segment.list().ofMinSize(1).ofMaxSize(6))
                .as((prefix, segments) -> prefix + String.join("/", segments));
        Arbitrary<String> random = Arbitraries.strings().all().ofMaxLength(30);
        Arbitrary<String> long_ = Arbitraries.strings().withChars("ab/").ofMinLength(500).ofMaxLength(600);
        return Arbitraries.frequencyOf(Tuple.of(5, paths), Tuple.of(3, joined), Tuple.of(2, random), Tuple.of(1, long_));
    }

    /** The entry, resolved as a relative path on a Unix or Windows file system, stays below the class folder. */
    private static void assertStaysInClassFolder(String entry) {
        assertThat(entry).startsWith("HOTPATCH-INF/classes/").endsWith(".class")
                .doesNotContain("\\", ":", "\u0000").doesNotStartWith("/");
        for (char c : entry.toCharArray()) {
            assertThat(Character.isISOControl(c)).as("control character in %s", entry).isFalse();
        }
        Path resolved = ROOT.resolve(entry).normalize();
        assertThat(resolved).as("entry %s", entry).startsWithRaw(CLASSES);
        assertThat(resolved.toString()).isEqualTo(ROOT + "/" + entry);
    }

    /** Writes {@code s} as a properties value that loads back as exactly {@code s}. */
    private static String escape(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            b.append(String.format("\\u%04x", (int) c));
        }
        return b.toString();
    }
}
