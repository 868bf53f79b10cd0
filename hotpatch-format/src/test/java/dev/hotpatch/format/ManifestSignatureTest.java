package dev.hotpatch.format;

import static dev.hotpatch.format.Refusals.assertRefused;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hotpatch.format.PackageException.Reason;
import dev.hotpatch.format.SigningKey.Type;
import dev.hotpatch.format.Zips.RawEntry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Signature;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The manifest signature a package carries in its zip comment ({@link ManifestSignature}): what
 * {@link PackageWriter} writes, that {@link HotpatchPackage#read(Path, TrustStore)} accepts it, and
 * every way that read refuses a package because of it. Each refusal is checked on a file that keeps
 * the publisher's genuine comment (or one crafted to be valid but for the one flaw under test), so the
 * reader takes the manifest-signature path and the check named in the test is the one that refuses.
 */
class ManifestSignatureTest {
    /**
     * The context line the signed bytes start with. It is part of the file format (a reader of any
     * version must agree on it), so it is spelled out here rather than read from the class under test.
     */
    private static final byte[] CONTEXT = "hotpatch manifest signature 1\n".getBytes(US_ASCII);

    @TempDir
    Path tmp;
    /** Pins the EC publisher and the RSA publisher; not the stranger. */
    TrustStore trust;

    @BeforeEach
    void trustBothPublishers() {
        trust = TrustStore.of(List.of(TestKeys.publisher().certificate(), TestKeys.rsaPublisher().certificate()));
    }

    // --- what the writer makes, and that both readers accept it ------------------------------

    @ParameterizedTest
    @EnumSource(Type.class)
    void writtenPackage_carriesAManifestSignatureThatBothReadersAccept(Type type) throws Exception {
        SigningKey key = key(type);
        Path file = write(type, "KB2026-0001.hotpatch");

        String[] f = Zips.comment(file).split(" ");
        assertThat(f).hasSize(4);
        assertThat(f[0]).isEqualTo("hotpatch-manifest-signature-1");
        assertThat(f[1]).isEqualTo(type == Type.EC ? "SHA256withECDSA" : "SHA256withRSA");
        assertThat(f[2]).isEqualTo(TrustStore.fingerprint(key.certificate()));
        // Checked here with the JCA alone, so the format is pinned independently of the reader.
        Signature s = Signature.getInstance(f[1]);
        s.initVerify(key.certificate());
        s.update(CONTEXT);
        s.update(Zips.entries(file).get(SamplePackages.PROPERTIES_ENTRY));
        assertThat(s.verify(Base64.getDecoder().decode(f[3]))).as("signature over the context line and patch.properties").isTrue();

        HotpatchPackage bySignedManifest = HotpatchPackage.read(file, trust);
        assertThat(bySignedManifest.signers()).containsExactly(key.certificate());
        SamplePackages.assertSameManifest(bySignedManifest.manifest(), SamplePackages.manifest());
        assertThat(bySignedManifest.sha256()).isEqualTo(Sha256.hex(Files.readAllBytes(file)));

        HotpatchPackage byJarSignature = HotpatchPackage.read(file, true);
        assertThat(byJarSignature.signers()).containsExactly(key.certificate());
        SamplePackages.assertSameManifest(byJarSignature.manifest(), SamplePackages.manifest());

        assertThat(bySignedManifest.checkedSignature()).isEqualTo("manifest signature (" + f[1] + ")");
        assertThat(byJarSignature.checkedSignature()).isEqualTo("JAR signature and manifest signature (" + f[1] + ")");
    }

    // --- content edited, the publisher's comment kept ----------------------------------------

    /** The manifest still verifies, so it is the class's SHA-256 in that signed manifest that refuses the edit. */
    @Test
    void read_refusesEditedClassBytesUnderAGenuineComment() {
        Path file = Zips.rewriteKeepingComment(write(Type.EC, "original.hotpatch"), tmp.resolve("edited.hotpatch"), e -> {
            e.get(SamplePackages.FEES_ENTRY)[9] ^= 1;
            return e;
        });

        assertRefused(() -> HotpatchPackage.read(file, trust), Reason.TAMPERED)
                .hasMessageContaining("class " + SamplePackages.FEES)
                .hasMessageContaining("content hashes to")
                .hasMessageContaining("but the manifest says");
    }

    /**
     * FAILS TODAY (main-code message gap, reported): the most likely attack, a class edited with the
     * publisher's comment kept, is refused TAMPERED but with "class acme/Fees: content hashes to …
     * but the manifest says …", which names neither the package nor what happened. The JAR path
     * says "package … failed signature verification …: it was modified after signing", as does the
     * manifest path for an edited patch.properties, and the agent's TrustTest and LivePatchingTest
     * expect it; they pass only because their tamper helpers drop the zip comment (keeping it, four
     * TrustTest and two LivePatchingTest cases fail on this message).
     */
    @Test
    void read_saysAPackageWhoseClassWasEditedUnderAGenuineCommentWasModifiedAfterSigning() {
        Path file = Zips.rewriteKeepingComment(write(Type.EC, "original.hotpatch"), tmp.resolve("edited.hotpatch"), e -> {
            e.get(SamplePackages.FEES_ENTRY)[9] ^= 1;
            return e;
        });

        assertRefused(() -> HotpatchPackage.read(file, trust), Reason.TAMPERED)
                .hasMessageContaining("edited.hotpatch")
                .hasMessageContaining("modified after signing");
    }

    @Test
    void read_refusesAnAddedUnlistedClassUnderAGenuineComment() {
        Path file = Zips.rewriteKeepingComment(write(Type.EC, "original.hotpatch"), tmp.resolve("added.hotpatch"), e -> {
            e.put("HOTPATCH-INF/classes/acme/Backdoor.class", SamplePackages.classBytes("acme/Backdoor"));
            return e;
        });

        assertRefused(() -> HotpatchPackage.read(file, trust), Reason.MALFORMED)
                .hasMessageContaining("HOTPATCH-INF/classes/acme/Backdoor.class")
                .hasMessageContaining("not listed in the package manifest");
    }

    @Test
    void read_refusesAListedClassRemovedUnderAGenuineComment() {
        Path file = Zips.rewriteKeepingComment(write(Type.EC, "original.hotpatch"), tmp.resolve("removed.hotpatch"), e -> {
            e.remove(SamplePackages.HELPER_ENTRY);
            return e;
        });

        assertRefused(() -> HotpatchPackage.read(file, trust), Reason.MALFORMED)
                .hasMessageContaining(SamplePackages.HELPER_ENTRY)
                .hasMessageContaining("is missing");
    }

    /**
     * An evil second entry under a listed class's name, before or after the genuine one, each with a
     * truthful CRC: the reader must not let either copy through. Each entry is read at its own
     * position, so the CRC and the class's SHA-256 do not catch an evil first copy when the genuine
     * one follows; refusing a name that appears twice does.
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void read_refusesAnEvilDuplicateOfAListedClassUnderAGenuineComment(boolean evilFirst) {
        Path original = write(Type.EC, "original.hotpatch");
        List<RawEntry> raw = rawEntries(original);
        raw.add(evilFirst ? 0 : raw.size(), RawEntry.stored(SamplePackages.FEES_ENTRY, "evil".getBytes(StandardCharsets.UTF_8)));
        Path file = Zips.writeRaw(tmp.resolve("dup.hotpatch"), raw, Zips.comment(original));

        assertRefused(() -> HotpatchPackage.read(file, trust), Reason.MALFORMED)
                .hasMessageContaining("entry " + SamplePackages.FEES_ENTRY + " appears twice");
    }

    // --- patch.properties or the comment changed ---------------------------------------------

    /** One byte of patch.properties changed, its length kept: only the manifest signature can tell. */
    @Test
    void read_refusesPatchPropertiesEditedByOneByteUnderAGenuineComment() {
        Path file = Zips.rewriteKeepingComment(write(Type.EC, "original.hotpatch"), tmp.resolve("edited.hotpatch"), e -> {
            byte[] before = e.get(SamplePackages.PROPERTIES_ENTRY);
            byte[] after = HotpatchPackageRefusalTest.replace(before, "severity=Critical", "severity=CriticaL");
            assertThat(after).hasSameSizeAs(before);
            e.put(SamplePackages.PROPERTIES_ENTRY, after);
            return e;
        });

        assertRefused(() -> HotpatchPackage.read(file, trust), Reason.TAMPERED)
                .hasMessageContaining("edited.hotpatch failed signature verification")
                .hasMessageContaining("does not match the manifest signature of 'CN=Test Publisher'")
                .hasMessageContaining("modified after signing");
    }

    /** A genuine signature by the same trusted publisher, but over another package's manifest. */
    @Test
    void read_refusesTheCommentOfAnotherPackageByTheSamePublisher() {
        Path original = write(Type.EC, "original.hotpatch");
        Path other = tmp.resolve("other.hotpatch");
        PackageWriter.write(otherManifest(), TestKeys.publisher(), other);
        assertThat(HotpatchPackage.read(other, trust).manifest().id()).isEqualTo("KB2026-0002");
        Path file = Zips.write(tmp.resolve("transplanted.hotpatch"), Zips.entries(original), Zips.comment(other));

        assertRefused(() -> HotpatchPackage.read(file, trust), Reason.TAMPERED)
                .hasMessageContaining("does not match the manifest signature of 'CN=Test Publisher'");
        // Inspection checks it with the JAR signer's key too: it never calls intact what agents refuse.
        assertRefused(() -> HotpatchPackage.read(file, true), Reason.TAMPERED)
                .hasMessageContaining("does not match the manifest signature of 'CN=Test Publisher'");
    }

    /** A comment by a publisher the trust store does not pin is no reason to refuse: the JAR signature decides. */
    @Test
    void read_fallsBackToTheJarSignatureWhenTheCommentsSignerIsNotTrusted() {
        Path file = tmp.resolve("stranger.hotpatch");
        PackageWriter.write(SamplePackages.manifest(), TestKeys.stranger(), file);
        assertThat(Zips.comment(file)).contains(" " + TrustStore.fingerprint(TestKeys.stranger().certificate()) + " ");

        assertRefused(() -> HotpatchPackage.read(file, trust), Reason.UNTRUSTED)
                .hasMessageContaining("CN=Stranger")
                .hasMessageContaining("not a trusted publisher");

        // The other way round: a trusted publisher's JAR under the stranger's (valid, untrusted) comment is read by its JAR signature.
        Path trustedJar = Zips.write(tmp.resolve("trusted-jar.hotpatch"), Zips.entries(write(Type.EC, "original.hotpatch")),
                Zips.comment(file));
        assertThat(HotpatchPackage.read(trustedJar, trust).signers()).containsExactly(TestKeys.publisher().certificate());
    }

    /**
     * A comment that is not a manifest signature (another tool's note, the marker without its fields,
     * a later format version) is no reason to refuse: the JAR signature decides, as it did before
     * packages carried one.
     */
    @ParameterizedTest
    @ValueSource(strings = {"built by acme ci", "hotpatch-manifest-signature-1", "hotpatch-manifest-signature-2 SHA256withECDSA x y"})
    void read_checksTheJarSignatureOfAPackageWhoseCommentIsNotAManifestSignature(String comment) {
        Path original = write(Type.EC, "original.hotpatch");
        Path file = Zips.writeRaw(tmp.resolve("commented.hotpatch"), rawEntries(original), comment);

        assertThat(HotpatchPackage.read(file, trust).signers()).containsExactly(TestKeys.publisher().certificate());
    }

    /**
     * FAILS TODAY (main-code defect, reported): a comment whose bytes are not UTF-8 is "any other
     * text" as {@link ManifestSignature#parse} documents it, so the JAR signature should decide, as
     * it does for the other comments above and as {@code read(file, true)} and older agents do. Today
     * {@code ZipFile.getComment()} throws IllegalArgumentException on such bytes and the reader
     * refuses the publisher's intact package as MALFORMED ("is damaged:
     * java.lang.IllegalArgumentException: malformed input off : 3, length : 3").
     */
    @Test
    void read_checksTheJarSignatureOfAPackageWhoseCommentIsNotUtf8() {
        Path original = write(Type.EC, "original.hotpatch");
        Path file = Zips.writeRaw(tmp.resolve("latin1.hotpatch"), rawEntries(original), "caf\u00e9 (one ISO-8859-1 byte, not UTF-8)");
        assertThat(HotpatchPackage.read(file, true).signers()).containsExactly(TestKeys.publisher().certificate());

        assertThat(HotpatchPackage.read(file, trust).signers()).containsExactly(TestKeys.publisher().certificate());
    }

    // --- comments that claim to be a manifest signature but are not valid ones ----------------

    /**
     * Each comment starts with the marker and is otherwise valid (the RSA publisher's fingerprint,
     * its genuine signature) but for one flaw, so that without the check that refuses it the package
     * would be accepted, read by its JAR signature, or refused for another reason. The JAR signature
     * is intact throughout: the refusal comes from the comment alone, and a reader that ignores the
     * comment (jarsigner, an older agent) accepts the file.
     */
    @ParameterizedTest
    @ValueSource(strings = {
        "five fields", "three fields", "two spaces", "trailing newline", "bad base64", "empty signature",
        "SHA1withRSA", "MD5withRSA", "upper-case fingerprint", "short fingerprint", "non-hex fingerprint", "over-long",
    })
    void read_refusesAMalformedManifestSignature(String flaw) throws Exception {
        Path original = write(Type.RSA, "original.hotpatch");
        String[] f = Zips.comment(original).split(" ");
        byte[] props = Zips.entries(original).get(SamplePackages.PROPERTIES_ENTRY);
        String marker = f[0];
        String alg = f[1];
        String fp = f[2];
        String sig = f[3];
        String comment;
        switch (flaw) {
            case "five fields": comment = String.join(" ", marker, alg, fp, sig, "extra"); break;
            case "three fields": comment = String.join(" ", marker, alg, fp); break;
            case "two spaces": comment = String.join(" ", marker, alg, fp, "", sig); break;
            case "trailing newline": comment = String.join(" ", marker, alg, fp, sig) + "\n"; break;
            case "bad base64": comment = String.join(" ", marker, alg, fp, sig.substring(0, 40) + "*" + sig.substring(41)); break;
            case "empty signature": comment = String.join(" ", marker, alg, fp, ""); break;
            case "SHA1withRSA":
            case "MD5withRSA": comment = String.join(" ", marker, flaw, fp, sign(flaw, TestKeys.rsaPublisher(), CONTEXT, props)); break;
            case "upper-case fingerprint": comment = String.join(" ", marker, alg, fp.toUpperCase(java.util.Locale.ROOT), sig); break;
            case "short fingerprint": comment = String.join(" ", marker, alg, fp.substring(1), sig); break;
            case "non-hex fingerprint": comment = String.join(" ", marker, alg, "g" + fp.substring(1), sig); break;
            case "over-long":
                // Valid base64 and four fields: only the length bound refuses it before decoding.
                comment = String.join(" ", marker, alg, fp, Base64.getEncoder().encodeToString(new byte[1600]));
                assertThat(comment.length()).isGreaterThan(2048);
                break;
            default: throw new IllegalArgumentException(flaw);
        }
        Path file = Zips.write(tmp.resolve("flawed.hotpatch"), Zips.entries(original), comment);
        assertThat(Zips.comment(file)).isEqualTo(comment);

        assertRefused(() -> HotpatchPackage.read(file, trust), Reason.MALFORMED)
                .hasMessageContaining("manifest signature (its zip comment) is damaged")
                .hasMessageContaining("expected 'hotpatch-manifest-signature-1 <algorithm> <certificate SHA-256> <base64>'");
        // Inspection (the JAR path) refuses it too, so that 'hotpatch inspect' never calls intact what agents refuse.
        assertRefused(() -> HotpatchPackage.read(file, true), Reason.MALFORMED)
                .hasMessageContaining("manifest signature (its zip comment) is damaged");
    }

    /**
     * The comment names the algorithm of the other key type, with the publisher's fingerprint and
     * genuine signature. The reader uses the one algorithm of the pinned key's type and refuses the
     * claim. This pins the outcome rather than one check: should the reader's own comparison go, the
     * JCA still refuses to verify with a key of the other type, and the refusal is the same.
     */
    @ParameterizedTest
    @EnumSource(Type.class)
    void read_refusesACommentWhoseAlgorithmDoesNotFitTheSignersKey(Type type) {
        Path original = write(type, "original.hotpatch");
        String[] f = Zips.comment(original).split(" ");
        String claimed = type == Type.RSA ? "SHA256withECDSA" : "SHA256withRSA";
        Path file = Zips.write(tmp.resolve("mismatch.hotpatch"), Zips.entries(original), String.join(" ", f[0], claimed, f[2], f[3]));

        assertRefused(() -> HotpatchPackage.read(file, trust), Reason.TAMPERED)
                .hasMessageContaining("does not match the manifest signature of '" + key(type).certificate().getSubjectX500Principal().getName());
    }

    /**
     * Domain separation: a signature by the trusted key over patch.properties alone (what a signature
     * made for some other purpose could be) is no manifest signature. The same comment built over the
     * context line and patch.properties is accepted, so the context line is the only difference.
     */
    @ParameterizedTest
    @EnumSource(Type.class)
    void read_refusesASignatureOverTheManifestWithoutTheContextLine(Type type) throws Exception {
        SigningKey key = key(type);
        Path original = write(type, "original.hotpatch");
        Map<String, byte[]> entries = Zips.entries(original);
        String[] f = Zips.comment(original).split(" ");
        byte[] props = entries.get(SamplePackages.PROPERTIES_ENTRY);
        Path withContext = Zips.write(tmp.resolve("with-context.hotpatch"), entries,
                String.join(" ", f[0], f[1], f[2], sign(f[1], key, CONTEXT, props)));
        Path without = Zips.write(tmp.resolve("without-context.hotpatch"), entries,
                String.join(" ", f[0], f[1], f[2], sign(f[1], key, new byte[0], props)));

        assertThat(HotpatchPackage.read(withContext, trust).signers()).containsExactly(key.certificate());
        assertRefused(() -> HotpatchPackage.read(without, trust), Reason.TAMPERED)
                .hasMessageContaining("does not match the manifest signature");
    }

    // --- the JAR signature's entries under a manifest signature ------------------------------

    /**
     * The manifest signature does not vouch for META-INF, but the reader still checks each of its
     * entries against its CRC-32, so a file damaged there is refused as the JAR path refuses it. The
     * entries are stored, so the damage is visible to the CRC alone (a deflated entry would fail to
     * inflate first); the same file undamaged is accepted.
     */
    @ParameterizedTest
    @ValueSource(strings = {"META-INF/MANIFEST.MF", "META-INF/HOTPATCH.SF", "META-INF/HOTPATCH.EC"})
    void read_refusesADamagedJarSignatureEntryByItsCrc(String entry) {
        Path original = write(Type.EC, "original.hotpatch");
        String comment = Zips.comment(original);
        List<RawEntry> intact = rawEntries(original);
        assertThat(intact).extracting(e -> e.name).contains(entry);
        List<RawEntry> damaged = new ArrayList<>();
        for (RawEntry e : intact) {
            damaged.add(e.name.equals(entry) ? RawEntry.damaged(e.name, e.data, e.data.length / 2) : e);
        }
        Path good = Zips.writeRaw(tmp.resolve("stored.hotpatch"), intact, comment);
        Path bad = Zips.writeRaw(tmp.resolve("damaged.hotpatch"), damaged, comment);

        assertThat(HotpatchPackage.read(good, trust).signers()).containsExactly(TestKeys.publisher().certificate());
        assertRefused(() -> HotpatchPackage.read(bad, trust), Reason.TAMPERED)
                .hasMessageContaining("damaged.hotpatch is damaged")
                .hasMessageContaining("entry " + entry + " does not match its CRC-32");
    }

    /**
     * Documents a consequence of the design: with the JAR signature's entries removed and the
     * publisher's comment kept, a reader with a trust store accepts the package, because the
     * manifest signature by a pinned key vouches for every content entry and META-INF is only the
     * JAR signature's envelope; the content is exactly the publisher's. A reader that checks the JAR
     * signature (read without a trust store, jarsigner, agents older than manifest signatures)
     * refuses the same file as unsigned. Should the reader come to require the JAR signature as
     * well, this test is the one to change.
     */
    @Test
    void packageWithoutJarSignatureButWithAGenuineComment_isAcceptedByTrustAndRefusedByTheJarPath() {
        Path file = Zips.rewriteKeepingComment(write(Type.EC, "original.hotpatch"), tmp.resolve("no-jar-signature.hotpatch"), e -> {
            e.keySet().removeIf(n -> n.startsWith("META-INF/"));
            return e;
        });
        assertThat(Zips.entries(file).keySet()).noneMatch(n -> n.startsWith("META-INF/"));

        HotpatchPackage read = HotpatchPackage.read(file, trust);
        assertThat(read.signers()).containsExactly(TestKeys.publisher().certificate());
        SamplePackages.assertSameManifest(read.manifest(), SamplePackages.manifest());
        assertRefused(() -> HotpatchPackage.read(file, true), Reason.UNSIGNED)
                .hasMessageContaining("is not signed");
    }

    // --- PackageWriter.setComment ------------------------------------------------------------

    @Test
    void setComment_writesTheCommentOfAZipThatHasNone() throws Exception {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("a.txt", "a".getBytes(StandardCharsets.UTF_8));
        Path zip = Zips.write(tmp.resolve("plain.zip"), entries);

        PackageWriter.setComment(zip, "hello comment");

        assertThat(Zips.comment(zip)).isEqualTo("hello comment");
        assertThat(Zips.entries(zip)).containsOnlyKeys("a.txt");
    }

    /** Shorter and longer than the 22-byte end record, and a signed package's own comment: refused, the file left as it was. */
    @ParameterizedTest
    @ValueSource(strings = {"x", "exactly twenty-two byt", "a comment longer than the end-of-central-directory record itself", "package"})
    void setComment_refusesAZipThatAlreadyHasACommentAndLeavesItUnchanged(String existing) throws Exception {
        Path zip;
        if (existing.equals("package")) {
            zip = write(Type.EC, "signed.hotpatch");
        } else {
            Map<String, byte[]> entries = new LinkedHashMap<>();
            entries.put("a.txt", "a".getBytes(StandardCharsets.UTF_8));
            zip = Zips.write(tmp.resolve("commented.zip"), entries, existing);
        }
        byte[] before = Files.readAllBytes(zip);

        assertThatThrownBy(() -> PackageWriter.setComment(zip, "second comment"))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("end-of-central-directory");
        assertThat(Files.readAllBytes(zip)).isEqualTo(before);
    }

    /**
     * The end-record check reads the file's last 22 bytes; a comment that ends with bytes shaped like
     * an end record (one that declares a comment of its own) must not pass for the real one.
     */
    @Test
    void setComment_refusesACommentThatEndsLikeAnEndRecordWithAComment() throws Exception {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("a.txt", "a".getBytes(StandardCharsets.UTF_8));
        String lookalike = "PK\u0005\u0006" + "\u0000".repeat(16) + "\u0001\u0000";
        Path zip = Zips.write(tmp.resolve("lookalike.zip"), entries, "note " + lookalike);
        byte[] before = Files.readAllBytes(zip);

        assertThatThrownBy(() -> PackageWriter.setComment(zip, "second comment"))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("end-of-central-directory");
        assertThat(Files.readAllBytes(zip)).isEqualTo(before);
    }

    // --- helpers -------------------------------------------------------------------------------

    private static SigningKey key(Type type) {
        return type == Type.EC ? TestKeys.publisher() : TestKeys.rsaPublisher();
    }

    /** {@link SamplePackages#manifest()} written and signed by the publisher of {@code type}. */
    private Path write(Type type, String name) {
        Path file = tmp.resolve(name);
        PackageWriter.write(SamplePackages.manifest(), key(type), file);
        return file;
    }

    /** Base64 of {@code algorithm}'s signature with {@code key} over {@code prefix} then {@code data}. */
    private static String sign(String algorithm, SigningKey key, byte[] prefix, byte[] data) throws Exception {
        Signature s = Signature.getInstance(algorithm);
        s.initSign(key.privateKey());
        s.update(prefix);
        s.update(data);
        return Base64.getEncoder().encodeToString(s.sign());
    }

    /** Another package by the same publisher: same classes, another id and title. */
    private static PackageManifest otherManifest() {
        PackageManifest m = SamplePackages.manifest();
        return PackageManifest.builder()
                .id("KB2026-0002")
                .title("Another fix")
                .classification(m.classification())
                .severity(m.severity())
                .cves(m.cves())
                .image(m.image())
                .baseline(m.baseline())
                .rebootBehavior(m.rebootBehavior())
                .published(Instant.parse("2026-02-03T04:05:06Z"))
                .classes(m.classes())
                .build();
    }

    private static List<RawEntry> rawEntries(Path zip) {
        List<RawEntry> raw = new ArrayList<>();
        for (Map.Entry<String, byte[]> x : Zips.entries(zip).entrySet()) {
            raw.add(RawEntry.stored(x.getKey(), x.getValue()));
        }
        return raw;
    }
}
