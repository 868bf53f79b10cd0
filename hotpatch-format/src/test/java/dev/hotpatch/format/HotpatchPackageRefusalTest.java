package dev.hotpatch.format;

import static dev.hotpatch.format.Refusals.assertRefused;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hotpatch.format.PackageException.Reason;
import dev.hotpatch.format.Zips.RawEntry;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every way {@link HotpatchPackage#read(Path, TrustStore)} must refuse a package, and what it then says. */
class HotpatchPackageRefusalTest {
    @TempDir
    Path tmp;
    Path signed;
    TrustStore trust;

    @BeforeEach
    void signedPackage() {
        signed = SamplePackages.signed(tmp.resolve("KB2026-0001.hotpatch"));
        trust = TestKeys.trustPublisher();
    }

    // --- signature and trust ---------------------------------------------------------------

    @Test
    void read_refusesUnsignedPackage() {
        Path file = SamplePackages.unsigned(tmp.resolve("unsigned.hotpatch"));

        assertRefused(() -> HotpatchPackage.read(file, trust), Reason.UNSIGNED)
                .hasMessageContaining("KB2026-0001 is not signed")
                .hasMessageContaining("hotpatch build --key");
    }

    @Test
    void read_refusesPackageWhoseSignatureFilesWereStripped() {
        Path file = Zips.rewrite(signed, tmp.resolve("stripped.hotpatch"), e -> {
            e.keySet().removeIf(n -> n.endsWith(".SF") || n.endsWith(".EC"));
            return e;
        });

        assertRefused(() -> HotpatchPackage.read(file, trust), Reason.UNSIGNED)
                .hasMessageContaining("is not signed");
    }

    @Test
    void read_refusesTamperedClassBytes() {
        Path file = Zips.rewrite(signed, tmp.resolve("tampered.hotpatch"), e -> {
            e.get(SamplePackages.FEES_ENTRY)[9] ^= 1;
            return e;
        });

        assertRefused(() -> HotpatchPackage.read(file, trust), Reason.TAMPERED)
                .hasMessageContaining(SamplePackages.FEES_ENTRY)
                .hasMessageContaining("modified after signing");
    }

    @Test
    void read_refusesTamperedPatchProperties() {
        Path file = Zips.rewrite(signed, tmp.resolve("tampered.hotpatch"), e -> {
            e.put(SamplePackages.PROPERTIES_ENTRY, replace(e.get(SamplePackages.PROPERTIES_ENTRY), "severity=Critical", "severity=Low"));
            return e;
        });

        assertRefused(() -> HotpatchPackage.read(file, trust), Reason.TAMPERED)
                .hasMessageContaining(SamplePackages.PROPERTIES_ENTRY)
                .hasMessageContaining("modified after signing");
    }

    @Test
    void read_refusesClassSwappedTogetherWithItsHashInPatchProperties() {
        byte[] evil = "evil class".getBytes(StandardCharsets.UTF_8);
        Path file = Zips.rewrite(signed, tmp.resolve("swapped.hotpatch"), e -> {
            String oldSha = Sha256.hex(e.get(SamplePackages.FEES_ENTRY));
            e.put(SamplePackages.PROPERTIES_ENTRY, replace(e.get(SamplePackages.PROPERTIES_ENTRY), oldSha, Sha256.hex(evil)));
            e.put(SamplePackages.FEES_ENTRY, evil);
            return e;
        });

        assertRefused(() -> HotpatchPackage.read(file, trust), Reason.TAMPERED)
                .hasMessageContaining("failed signature verification");
    }

    /**
     * An added entry is MALFORMED rather than UNSIGNED: the reader accepts only entries that the
     * signed patch.properties lists, and checks that before signature coverage; listing the new
     * entry would mean editing patch.properties, which is TAMPERED.
     */
    @Test
    void read_refusesAddedUnsignedClassEntryAsMalformed() {
        Path file = Zips.rewrite(signed, tmp.resolve("added.hotpatch"), e -> {
            e.put("HOTPATCH-INF/classes/acme/Backdoor.class", SamplePackages.classBytes("acme/Backdoor"));
            return e;
        });

        assertRefused(() -> HotpatchPackage.read(file, trust), Reason.MALFORMED)
                .hasMessageContaining("HOTPATCH-INF/classes/acme/Backdoor.class")
                .hasMessageContaining("not listed in the package manifest");
    }

    @Test
    void read_refusesAddedEntryOutsideTheFormatAsMalformed() {
        Path file = Zips.rewrite(signed, tmp.resolve("added.hotpatch"), e -> {
            e.put("README.txt", "hello".getBytes(StandardCharsets.UTF_8));
            return e;
        });

        assertRefused(() -> HotpatchPackage.read(file, trust), Reason.MALFORMED)
                .hasMessageContaining("unexpected entry 'README.txt'");
    }

    /** The UNSIGNED-for-coverage case: patch.properties (signed) lists a class that was added after signing. */
    @Test
    void read_refusesListedClassThatTheSignatureDoesNotCover() {
        Map<String, byte[]> props = new LinkedHashMap<>();
        props.put(SamplePackages.PROPERTIES_ENTRY, ManifestCodec.write(SamplePackages.manifest()));
        Path partlySigned = Zips.writeSigned(tmp.resolve("partly.hotpatch"), props, TestKeys.publisher());
        Path file = Zips.rewrite(partlySigned, tmp.resolve("late-classes.hotpatch"), e -> {
            e.put(SamplePackages.FEES_ENTRY, SamplePackages.classBytes(SamplePackages.FEES));
            e.put(SamplePackages.HELPER_ENTRY, SamplePackages.classBytes(SamplePackages.HELPER));
            return e;
        });

        assertRefused(() -> HotpatchPackage.read(file, trust), Reason.UNSIGNED)
                .hasMessageContaining("entries the signature does not cover")
                .hasMessageContaining(SamplePackages.FEES_ENTRY)
                .hasMessageContaining(SamplePackages.HELPER_ENTRY);
        assertRefused(() -> HotpatchPackage.read(file, false), Reason.UNSIGNED);
    }

    @Test
    void read_refusesPackageSignedByAnUntrustedKey() {
        Path file = tmp.resolve("stranger.hotpatch");
        PackageWriter.write(SamplePackages.manifest(), TestKeys.stranger(), file);

        assertRefused(() -> HotpatchPackage.read(file, trust), Reason.UNTRUSTED)
                .hasMessageContaining("KB2026-0001")
                .hasMessageContaining("CN=Stranger")
                .hasMessageContaining("not a trusted publisher")
                .hasMessageContaining("trust folder");
    }

    @Test
    void read_refusesPackageReSignedByAnAttackerAfterChangingIt() {
        Map<String, byte[]> content = Zips.entries(signed);
        content.keySet().removeIf(n -> n.startsWith("META-INF/"));
        content.put(SamplePackages.FEES_ENTRY, "evil".getBytes(StandardCharsets.UTF_8));
        content.put(SamplePackages.PROPERTIES_ENTRY, replace(content.get(SamplePackages.PROPERTIES_ENTRY),
                Sha256.hex(SamplePackages.classBytes(SamplePackages.FEES)), Sha256.hex("evil".getBytes(StandardCharsets.UTF_8))));
        Path file = Zips.writeSigned(tmp.resolve("resigned.hotpatch"), content, TestKeys.stranger());

        assertThat(HotpatchPackage.read(file, false).manifest().classes().get(0).bytes()).asString().isEqualTo("evil");
        assertRefused(() -> HotpatchPackage.read(file, trust), Reason.UNTRUSTED)
                .hasMessageContaining("CN=Stranger");
    }

    // --- entry names -------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {
        "HOTPATCH-INF/classes/../../evil.class",
        "HOTPATCH-INF/classes/acme/../../../evil.class",
        "../evil.class",
        "/etc/x",
        "/HOTPATCH-INF/classes/acme/Evil.class",
        "HOTPATCH-INF/classes//etc/x.class",
        "HOTPATCH-INF/classes/./acme/Evil.class",
        "HOTPATCH-INF\\classes\\evil.class",
        "HOTPATCH-INF/classes/acme\\..\\..\\evil.class",
        "HOTPATCH-INF/classes/ev\u0000il.class",
        "HOTPATCH-INF/classes/acme/Evil.class\u0000.txt",
        "C:/Windows/evil.class",
        "HOTPATCH-INF/classes/C:evil.class",
        "META-INF/../../evil.SF",
        "META-INF/sub/evil.SF",
        "meta-inf/evil.SF",
        "HOTPATCH-INF/evil.properties",
    })
    void read_refusesUnsafeOrUnexpectedEntryNames(String name) {
        Path file = Zips.rewrite(signed, tmp.resolve("names.hotpatch"), e -> {
            e.put(name, "x".getBytes(StandardCharsets.UTF_8));
            return e;
        });

        assertRefused(() -> HotpatchPackage.read(file, trust), Reason.MALFORMED)
                .hasMessageContaining("unexpected entry '")
                .hasMessageNotContaining("\u0000");
        assertRefused(() -> HotpatchPackage.read(file, false), Reason.MALFORMED);
    }

    @Test
    void read_refusesDuplicateEntryNames() {
        List<RawEntry> raw = rawEntries(signed);
        raw.add(RawEntry.stored(SamplePackages.FEES_ENTRY, SamplePackages.classBytes(SamplePackages.FEES)));
        Path file = Zips.writeRaw(tmp.resolve("dup.hotpatch"), raw);

        assertRefused(() -> HotpatchPackage.read(file, trust), Reason.MALFORMED)
                .hasMessageContaining(SamplePackages.FEES_ENTRY)
                .hasMessageContaining("appears twice");
    }

    /** Two entries of one name, one signed and one not, in either order: the classic signed-JAR confusion. */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void read_refusesAnEvilDuplicateOfASignedEntry(boolean evilFirst) {
        List<RawEntry> raw = rawEntries(signed);
        RawEntry evil = RawEntry.stored(SamplePackages.FEES_ENTRY, "evil".getBytes(StandardCharsets.UTF_8));
        raw.add(evilFirst ? 0 : raw.size(), evil);
        Path file = Zips.writeRaw(tmp.resolve("dup.hotpatch"), raw);

        assertThatThrownBy(() -> HotpatchPackage.read(file, trust))
                .isInstanceOfSatisfying(PackageException.class, e -> assertThat(e.reason()).isIn(Reason.TAMPERED, Reason.MALFORMED))
                .hasMessageContaining(SamplePackages.FEES_ENTRY);
    }

    // --- size limits -------------------------------------------------------------------------

    /** The header may tell the truth or lie about the size; the reader counts what it inflates. */
    @ParameterizedTest
    @ValueSource(longs = {1234, HotpatchPackage.MAX_ENTRY_BYTES * 4})
    void read_refusesClassEntryThatInflatesPastTheEntryLimit(long declaredSize) throws Exception {
        byte[] bomb = Zips.deflatedZeros((int) (HotpatchPackage.MAX_ENTRY_BYTES >> 20) * 4);
        List<RawEntry> raw = new ArrayList<>();
        for (RawEntry e : rawEntries(SamplePackages.unsigned(tmp.resolve("unsigned.hotpatch")))) {
            raw.add(e.name.equals(SamplePackages.FEES_ENTRY) ? RawEntry.deflated(e.name, bomb, declaredSize) : e);
        }
        Path file = Zips.writeRaw(tmp.resolve("bomb.hotpatch"), raw);
        assertThat(Files.size(file)).isLessThan(100_000);

        assertRefused(() -> HotpatchPackage.read(file, trust), Reason.TOO_LARGE)
                .hasMessageContaining(SamplePackages.FEES_ENTRY)
                .hasMessageContaining("inflates to more than " + HotpatchPackage.MAX_ENTRY_BYTES);
    }

    /** Inside a signed package the JDK verifier stops at the declared size, so a bomb there is caught as tampering. */
    @Test
    void read_refusesSignedClassEntryReplacedByABomb() {
        byte[] bomb = Zips.deflatedZeros((int) (HotpatchPackage.MAX_ENTRY_BYTES >> 20) * 4);
        List<RawEntry> raw = new ArrayList<>();
        for (RawEntry e : rawEntries(signed)) {
            raw.add(e.name.equals(SamplePackages.FEES_ENTRY) ? RawEntry.deflated(e.name, bomb, e.data.length) : e);
        }
        Path file = Zips.writeRaw(tmp.resolve("bomb.hotpatch"), raw);

        assertThatThrownBy(() -> HotpatchPackage.read(file, trust))
                .isInstanceOfSatisfying(PackageException.class, e -> assertThat(e.reason()).isIn(Reason.TAMPERED, Reason.TOO_LARGE))
                .hasMessageContaining(SamplePackages.FEES_ENTRY);
    }

    /**
     * The JDK's signed-JAR verifier reads META-INF/MANIFEST.MF and the signature files into memory
     * by itself, trusting the size the zip header claims; a lying header must not let it inflate
     * gigabytes before the reader's own limits apply.
     */
    @Test
    void read_refusesManifestThatInflatesPastTheEntryLimitBeforeTheJdkVerifierReadsIt() throws Exception {
        byte[] bomb = Zips.deflatedZeros(3 * 1024); // 3 GiB of zeros in about 3 MB
        List<RawEntry> raw = new ArrayList<>();
        for (RawEntry e : rawEntries(signed)) {
            raw.add(e.name.equals("META-INF/MANIFEST.MF") ? RawEntry.deflated(e.name, bomb, 100_000) : e);
        }
        Path file = Zips.writeRaw(tmp.resolve("manifest-bomb.hotpatch"), raw);
        assertThat(Files.size(file)).isLessThan(HotpatchPackage.MAX_FILE_BYTES);

        assertRefused(() -> HotpatchPackage.read(file, trust), Reason.TOO_LARGE)
                .hasMessageContaining("META-INF/MANIFEST.MF")
                .hasMessageContaining("inflates to more than " + HotpatchPackage.MAX_ENTRY_BYTES);
    }

    @Test
    void read_refusesFileOverTheFileLimitWithoutReadingIt() throws Exception {
        Path file = tmp.resolve("huge.hotpatch");
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(HotpatchPackage.MAX_FILE_BYTES + 1); // sparse: takes no disk space
        }

        assertRefused(() -> HotpatchPackage.read(file, trust), Reason.TOO_LARGE)
                .hasMessageContaining(Long.toString(HotpatchPackage.MAX_FILE_BYTES + 1))
                .hasMessageContaining("the limit is " + HotpatchPackage.MAX_FILE_BYTES);
    }

    @Test
    void read_refusesPackageWithMoreEntriesThanTheLimit() {
        Map<String, byte[]> e = new LinkedHashMap<>();
        for (int i = 0; i <= HotpatchPackage.MAX_ENTRIES; i++) {
            e.put("HOTPATCH-INF/classes/a/C" + i + ".class", new byte[0]);
        }
        Path file = Zips.write(tmp.resolve("many.hotpatch"), e);

        assertRefused(() -> HotpatchPackage.read(file, trust), Reason.TOO_LARGE)
                .hasMessageContaining("more than " + HotpatchPackage.MAX_ENTRIES + " entries");
    }

    // --- not a package at all ----------------------------------------------------------------

    @Test
    void read_refusesNonZipGarbage() throws Exception {
        Path file = tmp.resolve("garbage.hotpatch");
        Files.write(file, "this is not a zip file at all, just some text\n".getBytes(StandardCharsets.UTF_8));

        assertRefused(() -> HotpatchPackage.read(file, trust), Reason.MALFORMED)
                .hasMessageContaining("garbage.hotpatch")
                .hasMessageContaining("not a valid JAR/zip file");
    }

    @Test
    void read_refusesEmptyFile() throws Exception {
        Path file = Files.createFile(tmp.resolve("empty.hotpatch"));

        assertRefused(() -> HotpatchPackage.read(file, trust), Reason.MALFORMED)
                .hasMessageContaining("empty.hotpatch");
    }

    @Test
    void read_refusesZipWithoutPatchProperties() {
        Map<String, byte[]> e = new LinkedHashMap<>();
        e.put(SamplePackages.FEES_ENTRY, SamplePackages.classBytes(SamplePackages.FEES));
        Path file = Zips.write(tmp.resolve("plain.zip"), e);

        assertRefused(() -> HotpatchPackage.read(file, trust), Reason.MALFORMED)
                .hasMessageContaining("is not a hotpatch package")
                .hasMessageContaining(ManifestCodec.ENTRY);
    }

    @Test
    void read_reportsAMissingFileAsIo() {
        Path missing = tmp.resolve("missing.hotpatch");

        assertRefused(() -> HotpatchPackage.read(missing, trust), Reason.IO)
                .hasMessageContaining(missing.toString());
    }

    private static List<RawEntry> rawEntries(Path zip) {
        List<RawEntry> raw = new ArrayList<>();
        for (Map.Entry<String, byte[]> x : Zips.entries(zip).entrySet()) {
            raw.add(RawEntry.stored(x.getKey(), x.getValue()));
        }
        return raw;
    }

    static byte[] replace(byte[] text, String from, String to) {
        String s = new String(text, StandardCharsets.UTF_8);
        assertThat(s).contains(from);
        return s.replace(from, to).getBytes(StandardCharsets.UTF_8);
    }
}
