package dev.hotpatch.format;

import static dev.hotpatch.format.Refusals.assertRefused;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hotpatch.format.PackageException.Reason;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Signed release descriptors: what a trusted one says, and every way reading must refuse one. */
class ReleaseDescriptorTest {
    private static final String JAR_SHA = "a".repeat(64);
    private static final Instant CREATED = Instant.parse("2026-01-05T10:00:00Z");

    @TempDir
    Path tmp;

    private ReleaseDescriptor baseline() {
        return ReleaseDescriptor.baseline("acme/fees/1.x", "1.1").kind("unplanned").kbId("KB2026-0102").created(CREATED)
                .file(new ReleaseDescriptor.FileEntry("fees-1.1.jar", 1234, JAR_SHA))
                .file(new ReleaseDescriptor.FileEntry("fees-lib-1.1.jar", 99, "b".repeat(64))).build();
    }

    private Path signed(ReleaseDescriptor d, SigningKey key) {
        Path out = tmp.resolve("d-" + System.nanoTime() + ".release");
        ReleaseDescriptorWriter.write(d, key, out);
        return out;
    }

    @Test
    void read_returnsWhatTheTrustedPublisherSigned() {
        Path file = signed(baseline(), TestKeys.publisher());

        ReleaseDescriptor d = ReleaseDescriptor.read(file, TestKeys.trustPublisher());

        assertThat(d.type()).isEqualTo(ReleaseDescriptor.Type.BASELINE);
        assertThat(d.image()).isEqualTo("acme/fees/1.x");
        assertThat(d.version()).isEqualTo("1.1");
        assertThat(d.kind()).isEqualTo("unplanned");
        assertThat(d.kbId()).isEqualTo("KB2026-0102");
        assertThat(d.created()).isEqualTo(CREATED);
        assertThat(d.files()).extracting(ReleaseDescriptor.FileEntry::name).containsExactly("fees-1.1.jar", "fees-lib-1.1.jar");
        assertThat(d.fileWithSha256(JAR_SHA)).get().extracting(ReleaseDescriptor.FileEntry::size).isEqualTo(1234L);
        assertThat(d.signerNames()).isEqualTo("CN=Test Publisher");
        assertThat(d.signerFingerprint()).isEqualTo(CertificateFingerprint.of(TestKeys.publisher().certificate()))
                .matches("SHA-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}");
    }

    @Test
    void read_returnsAnUpdateWithOneArtifactOrNone() {
        ReleaseDescriptor withArtifact = ReleaseDescriptor.update("acme/fees/1.x", "KB2026-0100").created(CREATED)
                .rebootBehavior(RebootBehavior.ALWAYS_REQUIRES_REBOOT).file(new ReleaseDescriptor.FileEntry("driver.jar", 7, JAR_SHA)).build();
        ReleaseDescriptor d = ReleaseDescriptor.read(signed(withArtifact, TestKeys.publisher()), TestKeys.trustPublisher());
        assertThat(d.type()).isEqualTo(ReleaseDescriptor.Type.UPDATE);
        assertThat(d.kbId()).isEqualTo("KB2026-0100");
        assertThat(d.rebootBehavior()).isEqualTo(RebootBehavior.ALWAYS_REQUIRES_REBOOT);
        assertThat(d.files()).hasSize(1);

        ReleaseDescriptor none = ReleaseDescriptor.update("acme/fees/1.x", "KB2026-0101").created(CREATED).build();
        assertThat(ReleaseDescriptor.read(signed(none, TestKeys.publisher()), TestKeys.trustPublisher()).files()).isEmpty();
    }

    @Test
    void read_refusesAnUntrustedSigner_namingItsCertificateFingerprint() {
        Path file = signed(baseline(), TestKeys.stranger());

        assertRefused(() -> ReleaseDescriptor.read(file, TestKeys.trustPublisher()), Reason.UNTRUSTED)
                .hasMessageContaining("baseline 1.1 of acme/fees/1.x")
                .hasMessageContaining("CN=Stranger")
                .hasMessageContaining(CertificateFingerprint.of(TestKeys.stranger().certificate()))
                .hasMessageContaining("not a trusted publisher");
    }

    @Test
    void read_refusesAnUnsignedDescriptor() throws Exception {
        Path file = tmp.resolve("unsigned.release");
        ReleaseDescriptorWriter.writeUnsigned(baseline(), file);

        assertRefused(() -> ReleaseDescriptor.read(file, TestKeys.trustPublisher()), Reason.UNSIGNED)
                .hasMessageContaining("is not signed").hasMessageContaining("baseline sign --key");
        assertThat(ReleaseDescriptor.read(file, false).signers()).isEmpty();
    }

    @Test
    void read_refusesADescriptorChangedAfterSigning() {
        Path file = Zips.rewrite(signed(baseline(), TestKeys.publisher()), tmp.resolve("tampered.release"), e -> {
            String text = new String(e.get(ReleaseDescriptor.ENTRY), StandardCharsets.UTF_8).replace(JAR_SHA, "c".repeat(64));
            e.put(ReleaseDescriptor.ENTRY, text.getBytes(StandardCharsets.UTF_8));
            return e;
        });

        assertRefused(() -> ReleaseDescriptor.read(file, TestKeys.trustPublisher()), Reason.TAMPERED)
                .hasMessageContaining("modified after signing");
    }

    @Test
    void read_refusesExtraEntries_andFilesThatAreNotDescriptors() throws Exception {
        Path extra = Zips.rewrite(signed(baseline(), TestKeys.publisher()), tmp.resolve("extra.release"), e -> {
            e.put("HOTPATCH-INF/classes/Evil.class", new byte[] {1, 2, 3});
            return e;
        });
        assertRefused(() -> ReleaseDescriptor.read(extra, TestKeys.trustPublisher()), Reason.MALFORMED)
                .hasMessageContaining("unexpected entry 'HOTPATCH-INF/classes/Evil.class'");

        Path garbage = Files.write(tmp.resolve("garbage.release"), "not a zip".getBytes(StandardCharsets.UTF_8));
        assertRefused(() -> ReleaseDescriptor.read(garbage, TestKeys.trustPublisher()), Reason.MALFORMED)
                .hasMessageContaining("not a signed release descriptor");

        Path big = Files.write(tmp.resolve("big.release"), new byte[(int) ReleaseDescriptor.MAX_FILE_BYTES + 1]);
        assertRefused(() -> ReleaseDescriptor.read(big, TestKeys.trustPublisher()), Reason.TOO_LARGE)
                .hasMessageContaining("is this the jar itself?");
    }

    @Test
    void read_refusesUnknownFieldsAndBadValues_evenWhenSigned() {
        for (String[] edit : List.of(new String[] {"file.count=2", "file.count=3"}, new String[] {"type=baseline", "type=firmware"},
                new String[] {"kind=unplanned", "kind=sometimes"}, new String[] {"format=1", "format=2"},
                new String[] {"created=", "owner=mallory\ncreated="})) {
            Path unsigned = tmp.resolve("u-" + System.nanoTime() + ".release");
            Path file = tmp.resolve("s-" + System.nanoTime() + ".release");
            try {
                ReleaseDescriptorWriter.writeUnsigned(baseline(), unsigned);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            Zips.rewrite(unsigned, unsigned, e -> {
                String text = new String(e.get(ReleaseDescriptor.ENTRY), StandardCharsets.UTF_8).replace(edit[0], edit[1]);
                e.put(ReleaseDescriptor.ENTRY, text.getBytes(StandardCharsets.UTF_8));
                return e;
            });
            Zips.sign(unsigned, TestKeys.publisher(), file);
            assertRefused(() -> ReleaseDescriptor.read(file, TestKeys.trustPublisher()), Reason.MALFORMED)
                    .as(edit[1]).hasMessageContaining("release.properties");
        }
    }

    @Test
    void build_refusesWhatNoPublisherShouldSign() {
        assertThatThrownBy(() -> ReleaseDescriptor.baseline("acme/fees", "1.0").file(new ReleaseDescriptor.FileEntry("a.jar", 1, JAR_SHA)).build())
                .hasMessageContaining("publisher/offer/sku");
        assertThatThrownBy(() -> ReleaseDescriptor.baseline("acme/fees/1.x", "1.0").build()).hasMessageContaining("at least one jar");
        assertThatThrownBy(() -> new ReleaseDescriptor.FileEntry("../etc/passwd", 1, JAR_SHA)).hasMessageContaining("plain file name");
        assertThatThrownBy(() -> ReleaseDescriptor.update("acme/fees/1.x", "KB1").rebootBehavior(RebootBehavior.NEVER_REBOOTS).build())
                .hasMessageContaining(".hotpatch packages");
        assertThatThrownBy(() -> ReleaseDescriptor.update("acme/fees/1.x", "KB1").file(new ReleaseDescriptor.FileEntry("a.jar", 1, JAR_SHA))
                .file(new ReleaseDescriptor.FileEntry("b.jar", 1, "b".repeat(64))).build()).hasMessageContaining("at most one artifact");
        assertThatThrownBy(() -> ReleaseDescriptor.baseline("acme/fees/1.x", "1.0").file(new ReleaseDescriptor.FileEntry("a.jar", 1, JAR_SHA))
                .file(new ReleaseDescriptor.FileEntry("a.jar", 2, "b".repeat(64))).build()).hasMessageContaining("named twice");
    }
}
