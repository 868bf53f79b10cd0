package dev.hotpatch.format;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;

/** A realistic two-class security package, and the field-by-field comparison the round trip needs. */
final class SamplePackages {
    static final String FEES = "acme/Fees";
    static final String HELPER = "acme/Fees$Rounding";
    static final String FEES_ENTRY = "HOTPATCH-INF/classes/acme/Fees.class";
    static final String HELPER_ENTRY = "HOTPATCH-INF/classes/acme/Fees$Rounding.class";
    static final String PROPERTIES_ENTRY = ManifestCodec.ENTRY;

    private SamplePackages() {
    }

    /** Bytes that look like a class file; the format does not parse them. */
    static byte[] classBytes(String name) {
        byte[] body = ("class " + name + " patched").getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[8 + body.length];
        out[0] = (byte) 0xCA;
        out[1] = (byte) 0xFE;
        out[2] = (byte) 0xBA;
        out[3] = (byte) 0xBE;
        out[7] = 55;
        System.arraycopy(body, 0, out, 8, body.length);
        return out;
    }

    static PackageManifest manifest() {
        return PackageManifest.builder()
                .id("KB2026-0001")
                .title("Fee rounding lets a buyer pay less than the price")
                .classification(Classification.SECURITY)
                .severity("Critical")
                .cves(Arrays.asList("CVE-2026-1234", "CVE-2026-56789"))
                .image("acme/shop/2026")
                .baseline(Sha256.hex("baseline jar".getBytes(StandardCharsets.UTF_8)))
                .rebootBehavior(RebootBehavior.NEVER_REBOOTS)
                .published(Instant.parse("2026-01-02T03:04:05Z"))
                .supersedes(List.of("KB2025-0042"))
                .addClass(ClassPatch.replace(FEES, Sha256.hex("old Fees".getBytes(StandardCharsets.UTF_8)), classBytes(FEES)))
                .addClass(ClassPatch.added(HELPER, classBytes(HELPER)))
                .build();
    }

    /** Writes {@link #manifest()} signed by the trusted publisher. */
    static Path signed(Path out) {
        PackageWriter.write(manifest(), TestKeys.publisher(), out);
        return out;
    }

    static Path unsigned(Path out) {
        try {
            PackageWriter.writeUnsigned(manifest(), out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** Asserts that every field of {@code actual} equals {@code expected}, class bytes included. */
    static void assertSameManifest(PackageManifest actual, PackageManifest expected) {
        assertThat(actual.id()).isEqualTo(expected.id());
        assertThat(actual.title()).isEqualTo(expected.title());
        assertThat(actual.classification()).isEqualTo(expected.classification());
        assertThat(actual.severity()).isEqualTo(expected.severity());
        assertThat(actual.cves()).isEqualTo(expected.cves());
        assertThat(actual.image()).isEqualTo(expected.image());
        assertThat(actual.baseline()).isEqualTo(expected.baseline());
        assertThat(actual.rebootBehavior()).isEqualTo(expected.rebootBehavior());
        assertThat(actual.published()).isEqualTo(expected.published());
        assertThat(actual.supersedes()).isEqualTo(expected.supersedes());
        assertThat(actual.fixup()).isEqualTo(expected.fixup());
        assertThat(actual.classes()).hasSameSizeAs(expected.classes());
        for (int i = 0; i < expected.classes().size(); i++) {
            ClassPatch a = actual.classes().get(i);
            ClassPatch e = expected.classes().get(i);
            assertThat(a.name()).isEqualTo(e.name());
            assertThat(a.kind()).isEqualTo(e.kind());
            assertThat(a.baselineSha256()).isEqualTo(e.baselineSha256());
            assertThat(a.sha256()).isEqualTo(e.sha256());
            assertThat(a.bytes()).isEqualTo(e.bytes());
        }
    }
}
