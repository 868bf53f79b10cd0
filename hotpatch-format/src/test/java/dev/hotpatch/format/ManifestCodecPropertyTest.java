package dev.hotpatch.format;

import static dev.hotpatch.format.Refusals.assertRefused;
import static dev.hotpatch.format.SamplePackages.assertSameManifest;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Whatever a valid manifest holds, patch.properties carries it unchanged: what is signed is what was built. */
class ManifestCodecPropertyTest {

    @Property(tries = 300)
    void read_returnsEveryValidManifestThatWriteWrote(@ForAll("manifests") PackageManifest m) {
        byte[] props = ManifestCodec.write(m);
        Map<String, byte[]> classes = m.classes().stream().collect(Collectors.toMap(ClassPatch::name, ClassPatch::bytes));

        PackageManifest read = ManifestCodec.read(props, classes::get);

        assertSameManifest(read, m);
    }

    @Example
    void write_keepsTrailingAndLeadingSpacesOfTextFields() {
        PackageManifest m = builder().title(" Fix rounding  ").severity("High ").baseline("  base").build();

        PackageManifest read = ManifestCodec.read(ManifestCodec.write(m), n -> new byte[] {1});

        assertThat(read.title()).isEqualTo(" Fix rounding  ");
        assertThat(read.severity()).isEqualTo("High ");
        assertThat(read.baseline()).isEqualTo("  base");
    }

    @Example
    void builder_refusesAnUnpairedSurrogateThatUtf8CannotCarry() {
        assertThatThrownBy(() -> builder().title("Fix \ud800").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("title contains an unpaired surrogate");
        assertThatThrownBy(() -> builder().image("acme/shop/\udc00").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("image contains an unpaired surrogate");
        assertThat(builder().title("Fix \ud83d\ude00").build().title()).isEqualTo("Fix \ud83d\ude00");
    }

    @Example
    void read_refusesAnUnpairedSurrogateEscapedInPatchProperties() {
        String props = new String(ManifestCodec.write(builder().build()), StandardCharsets.UTF_8)
                .replace("title=Fix", "title=Fix\\ud800");

        assertRefused(() -> ManifestCodec.read(props.getBytes(StandardCharsets.UTF_8), n -> new byte[] {1}),
                PackageException.Reason.MALFORMED)
                .hasMessageContaining("unpaired surrogate");
    }

    private static PackageManifest.Builder builder() {
        return PackageManifest.builder().id("KB1").title("Fix").classification(Classification.SECURITY)
                .published(Instant.EPOCH).addClass(ClassPatch.added("a/B", new byte[] {1}));
    }

    @Provide
    Arbitrary<PackageManifest> manifests() {
        Arbitrary<String> edges = Arbitraries.of(" ", "  ", "=", ":", "#", "!", "\\", "\u00e9", "\ud83d\ude00", "\u2028", "\u0085",
                "\u00a0", "\u3000", "\ufeff", "\\u0041", "a");
        Arbitrary<String> tricky = edges.list().ofMinSize(1).ofMaxSize(8).map(l -> String.join("", l));
        Arbitrary<String> text = Arbitraries.oneOf(tricky, Arbitraries.strings().all().ofMinLength(1).ofMaxLength(40))
                .filter(s -> !s.trim().isEmpty() && s.chars().noneMatch(Character::isISOControl)
                        && StandardCharsets.UTF_8.newEncoder().canEncode(s)); // unpaired surrogates are refused, see below
        Arbitrary<String> id = Arbitraries.strings().withCharRange('A', 'Z').withChars("0123456789.-_").ofMinLength(1).ofMaxLength(12)
                .map(s -> "KB" + s);
        Arbitrary<String> image = Arbitraries.strings().all().ofMinLength(1).ofMaxLength(10)
                .filter(s -> s.matches("[^/\\s]+") && StandardCharsets.UTF_8.newEncoder().canEncode(s)).map(s -> s + "/offer/" + s);
        Arbitrary<List<String>> cves = Arbitraries.integers().between(1000, 99999).map(n -> "CVE-2026-" + n).list().ofMaxSize(3);
        Arbitrary<byte[]> bytes = Arbitraries.bytes().array(byte[].class).ofMaxSize(64);
        Arbitrary<Instant> published = Arbitraries.longs().between(0, 4_000_000_000L).map(Instant::ofEpochSecond);
        return Combinators.combine(id, text, text, text, image, cves, bytes, published)
                .as((i, title, severity, baseline, img, cv, b, p) -> PackageManifest.builder()
                        .id(i).title(title).severity(severity).baseline(baseline).image(img).cves(cv)
                        .classification(Classification.CRITICAL).published(p)
                        .addClass(ClassPatch.replace("acme/Fees", Sha256.hex(b), b))
                        .build());
    }
}
