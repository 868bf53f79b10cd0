package dev.hotpatch.format;

import static dev.hotpatch.format.Refusals.assertRefused;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpatch.format.PackageException.Reason;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reading a package from memory ({@link HotpatchPackage#readSignedManifest}), the way agents
 * read one: the same result as reading the file, and a central directory that must describe the
 * entries read.
 */
class PackageBytesTest {
    @TempDir
    Path tmp;
    Path signed;
    byte[] bytes;
    TrustStore trust;

    @BeforeEach
    void signedPackage() throws Exception {
        signed = SamplePackages.signed(tmp.resolve("KB2026-0001.hotpatch"));
        bytes = Files.readAllBytes(signed);
        trust = TestKeys.trustPublisher();
    }

    @Test
    void readsWhatTheFileReadReads() {
        HotpatchPackage fromFile = HotpatchPackage.read(signed, trust);

        HotpatchPackage p = HotpatchPackage.readSignedManifest(bytes, "p", trust);

        SamplePackages.assertSameManifest(p.manifest(), fromFile.manifest());
        assertThat(p.sha256()).isEqualTo(fromFile.sha256()).isEqualTo(Sha256.hex(bytes));
        assertThat(p.signers()).isEqualTo(fromFile.signers());
        assertThat(p.checkedSignature()).isEqualTo(fromFile.checkedSignature()).startsWith("manifest signature");
    }

    @Test
    void isNull_withoutATrustedManifestSignature_soThatTheJarSignatureDecides() throws Exception {
        TrustStore stranger = TrustStore.of(List.of(TestKeys.stranger().certificate()));
        assertThat(HotpatchPackage.readSignedManifest(bytes, "p", stranger)).isNull();

        Path noComment = Zips.rewrite(signed, tmp.resolve("jar-only.hotpatch"), e -> e);
        assertThat(Zips.comment(noComment)).isNull();
        assertThat(HotpatchPackage.readSignedManifest(Files.readAllBytes(noComment), "p", trust)).isNull();
    }

    @Test
    void refusesATamperedManifest_readAsTheAgentReadsIt() throws Exception {
        byte[] tampered = Files.readAllBytes(Zips.rewriteKeepingComment(signed, tmp.resolve("tampered.hotpatch"), e -> {
            byte[] props = e.get(SamplePackages.PROPERTIES_ENTRY);
            e.put(SamplePackages.PROPERTIES_ENTRY, new String(props, java.nio.charset.StandardCharsets.UTF_8)
                    .replace("severity=Critical", "severity=Low").getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return e;
        }));
        assertRefused(() -> HotpatchPackage.readSignedManifest(tampered, "tampered", trust), Reason.TAMPERED)
                .hasMessageContaining("does not match the manifest signature");
    }

    @Test
    void refusesMoreBytesThanAPackageMayHave() {
        byte[] huge = new byte[(int) HotpatchPackage.MAX_FILE_BYTES + 1];

        assertRefused(() -> HotpatchPackage.readSignedManifest(huge, "huge", trust), Reason.TOO_LARGE)
                .hasMessageContaining("the limit is " + HotpatchPackage.MAX_FILE_BYTES);
    }

    // --- the central directory must describe the entries read ------------------------------

    @Test
    void refusesACentralDirectoryWithAnotherCrc_thanTheEntryHolds() throws Exception {
        byte[] b = bytes.clone();
        int fees = centralEntry(b, SamplePackages.FEES_ENTRY);
        b[fees + 16] ^= 1;

        assertRefusedBothWays(b, "does not describe entry " + SamplePackages.FEES_ENTRY);
    }

    @Test
    void refusesACentralDirectoryNamingAnotherEntry() throws Exception {
        byte[] b = bytes.clone();
        int fees = centralEntry(b, SamplePackages.FEES_ENTRY);
        int lastLetter = fees + 46 + SamplePackages.FEES_ENTRY.length() - ".class".length() - 1;
        b[lastLetter] = 'x'; // acme/Fees -> acme/Fex: the local header still says Fees

        assertRefusedBothWays(b, "does not describe entry " + SamplePackages.FEES_ENTRY);
    }

    @Test
    void refusesACentralDirectoryPointingTwoEntriesAtOneLocalHeader() throws Exception {
        byte[] b = bytes.clone();
        List<Integer> central = centralEntries(b);
        int first = central.get(0);
        int second = central.get(1);
        System.arraycopy(b, first + 42, b, second + 42, 4);

        assertRefusedBothWays(b, "places entry");
    }

    @Test
    void refusesBytesBetweenTheLastEntryAndTheCentralDirectory() throws Exception {
        int end = endRecord(bytes);
        int cen = le32(bytes, end + 16);
        byte[] b = insert(bytes, cen, new byte[] {1, 2, 3, 4});
        putLe32(b, end + 4 + 16, cen + 4);

        assertRefusedBothWays(b, "holds 4 bytes between its last entry and its central directory");
    }

    @Test
    void refusesACentralDirectoryPointingAtACopyOfAnEntryOutsideTheEntriesRead() throws Exception {
        // A second copy of the last entry, hidden from a reader in file order behind four stray
        // bytes, and the central directory pointing at it: a zip tool would read the copy, the
        // agent the original. Same bytes here; a real attack would change them and keep the CRC.
        int end = endRecord(bytes);
        int cen = le32(bytes, end + 16);
        List<Integer> central = centralEntries(bytes);
        int last = central.get(central.size() - 1);
        int lastLocal = le32(bytes, last + 42);
        byte[] copy = java.util.Arrays.copyOfRange(bytes, lastLocal, cen);
        byte[] hidden = new byte[4 + copy.length];
        System.arraycopy(copy, 0, hidden, 4, copy.length);
        byte[] b = insert(bytes, cen, hidden);
        putLe32(b, last + hidden.length + 42, cen + 4);
        putLe32(b, end + hidden.length + 16, cen + hidden.length);

        assertRefusedBothWays(b, "places entry");
    }

    private static byte[] insert(byte[] b, int at, byte[] extra) {
        byte[] out = new byte[b.length + extra.length];
        System.arraycopy(b, 0, out, 0, at);
        System.arraycopy(extra, 0, out, at, extra.length);
        System.arraycopy(b, at, out, at + extra.length, b.length - at);
        return out;
    }

    private static void putLe32(byte[] b, int at, int value) {
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(at, value);
    }

    @Test
    void refusesAnEndRecordCountingAnotherNumberOfEntries() throws Exception {
        byte[] b = bytes.clone();
        int end = endRecord(b);
        int count = le16(b, end + 10);
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putShort(end + 8, (short) (count + 1)).putShort(end + 10, (short) (count + 1));

        assertRefusedBothWays(b, "lists " + (count + 1) + " entries, but it holds " + count);
    }

    @Test
    void refusesDataWithoutAnEndRecord() {
        byte[] b = java.util.Arrays.copyOf(bytes, bytes.length - 30);

        assertRefused(() -> HotpatchPackage.readSignedManifest(b, "cut", trust), Reason.MALFORMED)
                .hasMessageContaining("no end-of-central-directory record");
    }

    @Test
    void theUnchangedPackage_isOneTheJdkReadsAlike() throws Exception {
        // The checks above refuse only what differs: the package as written passes them, and the
        // JDK's own zip reader sees the same entries.
        try (ZipFile zip = new ZipFile(signed.toFile())) {
            assertThat(zip.size()).isEqualTo(centralEntries(bytes).size());
        }
        assertThat(HotpatchPackage.readSignedManifest(bytes, "p", trust)).isNotNull();
    }

    private void assertRefusedBothWays(byte[] b, String message) throws Exception {
        assertRefused(() -> HotpatchPackage.readSignedManifest(b, "changed.hotpatch", trust), Reason.MALFORMED)
                .hasMessageContaining("changed.hotpatch is not a valid JAR/zip file")
                .hasMessageContaining(message);
        Path file = Files.write(tmp.resolve("changed.hotpatch"), b);
        assertRefused(() -> HotpatchPackage.read(file, trust), Reason.MALFORMED).hasMessageContaining(message);
    }

    private static int endRecord(byte[] b) {
        for (int at = b.length - 22; at >= 0; at--) {
            if (le32(b, at) == 0x06054b50 && at + 22 + le16(b, at + 20) == b.length) {
                return at;
            }
        }
        throw new AssertionError("no end record");
    }

    /** Offsets of the central directory's file headers, in order. */
    private static List<Integer> centralEntries(byte[] b) {
        int end = endRecord(b);
        List<Integer> out = new ArrayList<>();
        for (int p = le32(b, end + 16); p < end; p += 46 + le16(b, p + 28) + le16(b, p + 30) + le16(b, p + 32)) {
            assertThat(le32(b, p)).isEqualTo(0x02014b50);
            out.add(p);
        }
        return out;
    }

    private static int centralEntry(byte[] b, String name) {
        for (int p : centralEntries(b)) {
            if (new String(b, p + 46, le16(b, p + 28), java.nio.charset.StandardCharsets.UTF_8).equals(name)) {
                return p;
            }
        }
        throw new AssertionError("no central entry " + name);
    }

    private static int le16(byte[] b, int at) {
        return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8;
    }

    private static int le32(byte[] b, int at) {
        return le16(b, at) | le16(b, at + 2) << 16;
    }
}
