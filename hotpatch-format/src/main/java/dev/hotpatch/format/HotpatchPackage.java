package dev.hotpatch.format;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;

/**
 * A {@code .hotpatch} package that has been read and checked: a signed JAR holding
 * {@code HOTPATCH-INF/patch.properties} and {@code HOTPATCH-INF/classes/**.class}, and, since
 * packages carry one, a {@link ManifestSignature} in its zip comment.
 *
 * <p>Reading treats the file as hostile: it bounds the file size, the number of entries and the
 * bytes each entry inflates to; accepts only the entry names the format defines (so nothing can
 * point outside the package); and requires every content entry to be covered by the signature.
 * Reading against a trust store checks the manifest signature when a trusted publisher made one,
 * reading the package once into memory ({@link #readSignedManifest}, as agents do: what was
 * checked is what is used, and nothing is written to disk); otherwise the JAR signature (older
 * packages), through the JDK's signed-JAR verifier, which reads files only. Both cover every
 * content entry. Immutable and thread-safe.
 */
public final class HotpatchPackage {
    /** Largest package file accepted. */
    public static final long MAX_FILE_BYTES = 64L << 20;
    /** Largest size any single entry may inflate to. */
    public static final long MAX_ENTRY_BYTES = 16L << 20;
    /** Largest total size of all entries once inflated. */
    public static final long MAX_TOTAL_BYTES = 256L << 20;
    /** Most entries a package may hold. */
    public static final int MAX_ENTRIES = ManifestCodec.MAX_CLASSES + 16;

    private static final String CLASSES = "HOTPATCH-INF/classes/";

    private final PackageManifest manifest;
    private final List<X509Certificate> signers;
    private final String sha256;
    private final String checked;

    private HotpatchPackage(PackageManifest manifest, List<X509Certificate> signers, String sha256, String checked) {
        this.manifest = manifest;
        this.signers = Collections.unmodifiableList(signers);
        this.sha256 = sha256;
        this.checked = checked;
    }

    /**
     * Reads a package and requires it to be signed, intact, and signed by a certificate in
     * {@code trust}. Throws {@link PackageException} with the reason otherwise.
     */
    public static HotpatchPackage read(Path file, TrustStore trust) {
        HotpatchPackage signedManifest = readBySignedManifest(readFile(file), file.getFileName().toString(), trust);
        if (signedManifest != null) {
            return signedManifest;
        }
        return readByJarSignature(file, trust);
    }

    /**
     * Reads a package from its bytes, checking everything {@link #read(Path, TrustStore)} checks,
     * when it carries a manifest signature by a publisher {@code trust} pins (the way packages are
     * built); null when it does not: such a package is decided by its JAR signature, which only a
     * file can be read for ({@link #read(Path, TrustStore)}). {@code name} names the package in
     * refusals. The bytes are not kept: the caller owns them, and must not change them while this runs.
     */
    public static HotpatchPackage readSignedManifest(byte[] data, String name, TrustStore trust) {
        if (data.length > MAX_FILE_BYTES) {
            throw new PackageException(PackageException.Reason.TOO_LARGE, "package " + name + " is " + data.length
                    + " bytes; the limit is " + MAX_FILE_BYTES);
        }
        return readBySignedManifest(data, name, trust);
    }

    /** The JAR-signature path of {@link #read(Path, TrustStore)}: packages without a trusted manifest signature. */
    private static HotpatchPackage readByJarSignature(Path file, TrustStore trust) {
        HotpatchPackage p = read(file, true);
        for (X509Certificate c : p.signers) {
            if (trust.trusts(c)) {
                return p;
            }
        }
        throw new PackageException(PackageException.Reason.UNTRUSTED, "package " + file.getFileName() + " ("
                + p.manifest.id() + ") is signed by " + p.signerDescriptions() + ", which is not a trusted publisher (trusted: "
                + trust.describe() + "); add that publisher's certificate to the trust folder if you mean to trust it");
    }

    /**
     * Reads a package, held in memory, through its {@link ManifestSignature} when it carries one by
     * a certificate {@code trust} pins; null when it does not (no such signature, or a signer not
     * trusted: the JAR signature then decides, and says why it refuses). Checks everything the JAR
     * path checks of the content: sizes, entry names, no duplicate entry, every content entry listed
     * in the manifest with its SHA-256, the manifest's bytes signed by the trusted key. The META-INF
     * entries (the JAR signature) are read and their CRC checked, so that damage there is refused,
     * but their signature is not verified.
     *
     * <p>The entries are read in file order from their local headers ({@link ZipInputStream}, which
     * checks each entry's CRC-32 and size), and the central directory must describe the same
     * entries. Everything used (the manifest, the classes) is covered by the signature as read
     * here; the directory check makes a zip tool, and the JAR path, see the same package.
     */
    private static HotpatchPackage readBySignedManifest(byte[] data, String name, TrustStore trust) {
        try {
            EndRecord end = EndRecord.of(data, name);
            ManifestSignature signature = ManifestSignature.parse(end.comment);
            X509Certificate signer = signature == null ? null : trust.withFingerprint(signature.signerSha256);
            if (signer == null) {
                return null;
            }
            Map<String, byte[]> contents = readEntries(data, name, end);
            byte[] props = contents.get(ManifestCodec.ENTRY);
            // Before the manifest is parsed: nothing an unverified manifest says is looked at.
            if (!signature.verifies(props, signer)) {
                throw new PackageException(PackageException.Reason.TAMPERED, "package " + name + " failed"
                        + " signature verification: its manifest does not match the manifest signature of "
                        + TrustStore.describe(signer) + ", so it was modified after signing");
            }
            PackageManifest manifest;
            try {
                manifest = readManifest(contents, props);
            } catch (PackageException e) {
                if (e.reason() != PackageException.Reason.TAMPERED) {
                    throw e;
                }
                throw new PackageException(PackageException.Reason.TAMPERED, "package " + name + " failed"
                        + " signature verification (" + e.getMessage() + "): it was modified after signing", e);
            }
            return new HotpatchPackage(manifest, new ArrayList<>(List.of(signer)), Sha256.hex(data),
                    "manifest signature (" + signature.algorithm + ")");
        } catch (IOException | RuntimeException e) {
            throw refusal(name, e);
        }
    }

    /**
     * A package file's bytes, for {@link #readSignedManifest}: refused ({@link PackageException},
     * {@code IO} or {@code TOO_LARGE}) when larger than {@link #MAX_FILE_BYTES}, before reading by
     * its size, and by reading at most one byte past the limit, so that a file growing meanwhile is
     * refused too.
     */
    public static byte[] readFile(Path file) {
        requireSizeWithinLimit(file);
        byte[] data;
        try (InputStream in = Files.newInputStream(file)) {
            data = in.readNBytes((int) MAX_FILE_BYTES + 1);
        } catch (IOException e) {
            throw new PackageException(PackageException.Reason.IO, "cannot read package " + file + ": " + e, e);
        }
        if (data.length > MAX_FILE_BYTES) {
            throw new PackageException(PackageException.Reason.TOO_LARGE, "package " + file + " is larger than "
                    + MAX_FILE_BYTES + " bytes, the limit");
        }
        return data;
    }

    /**
     * A zip file's end-of-central-directory record, found as {@link ZipFile} finds it: the last
     * record signature whose comment length ends exactly at the end of the data. Only what the
     * in-memory read needs: the comment and the number of entries.
     */
    private static final class EndRecord {
        private static final int SIGNATURE = 0x06054b50;
        private static final int LENGTH = 22;

        final String comment;
        final int entries;
        /** Where the central directory starts; it ends where this record starts, at {@link #at}. */
        final int directory;
        final int at;

        private EndRecord(String comment, int entries, int directory, int at) {
            this.comment = comment;
            this.entries = entries;
            this.directory = directory;
            this.at = at;
        }

        static EndRecord of(byte[] data, String name) {
            int lowest = Math.max(0, data.length - LENGTH - 0xFFFF);
            for (int at = data.length - LENGTH; at >= lowest; at--) {
                if (le32(data, at) == SIGNATURE && at + LENGTH + le16(data, at + 20) == data.length) {
                    int disk = le16(data, at + 4);
                    int onThisDisk = le16(data, at + 8);
                    int total = le16(data, at + 10);
                    if (disk != 0 || onThisDisk != total) {
                        throw new PackageException(PackageException.Reason.MALFORMED, "package " + name
                                + " is a multi-part zip archive; a package is one file");
                    }
                    long size = le32(data, at + 12) & 0xffffffffL;
                    long offset = le32(data, at + 16) & 0xffffffffL;
                    if (offset + size != at) {
                        throw new PackageException(PackageException.Reason.MALFORMED, "package " + name + " is not a valid"
                                + " JAR/zip file: its central directory does not end where its end record starts");
                    }
                    return new EndRecord(utf8OrNull(data, at + LENGTH, data.length - at - LENGTH), total, (int) offset, at);
                }
            }
            throw new PackageException(PackageException.Reason.MALFORMED, "package " + name + " is not a valid JAR/zip file:"
                    + " it has no end-of-central-directory record");
        }

        /**
         * Requires the central directory to describe exactly the entries read from the local
         * headers ({@code local}, in file order, each read to its end so that its CRC and sizes
         * are known): the same names in the same order, each pointing at a local header of that
         * name, with the same compression method, CRC-32 and sizes; and no ZIP64 or malformed
         * extra field. The local entries must follow one another from the file's first byte to
         * the central directory with nothing between them, as zip writers write them, so each
         * directory entry points at the very bytes read: a zip tool then sees the package the
         * agent read, not a second copy of an entry placed outside that sequence.
         */
        void requireSameAs(byte[] data, List<ZipEntry> local, String name) {
            int p = directory;
            long expected = 0;
            for (ZipEntry e : local) {
                if (p + 46 > at || le32(data, p) != 0x02014b50) {
                    throw mismatch(name, "its central directory is damaged before entry " + SignedJars.printable(e.getName()));
                }
                int nameLength = le16(data, p + 28);
                int extraLength = le16(data, p + 30);
                int commentLength = le16(data, p + 32);
                long loc = le32(data, p + 42) & 0xffffffffL;
                int next = p + 46 + nameLength + extraLength + commentLength;
                if (loc != expected) {
                    throw mismatch(name, "its central directory places entry " + SignedJars.printable(e.getName()) + " at offset " + loc
                            + ", but the entries read end at " + expected);
                }
                if (next > at || loc + 30 > directory
                        || !sameBytes(data, p + 46, data, (int) loc + 30, nameLength) || le32(data, (int) loc) != 0x04034b50
                        || le16(data, (int) loc + 26) != nameLength
                        || !new String(data, p + 46, nameLength, StandardCharsets.UTF_8).equals(e.getName())
                        || le16(data, p + 10) != e.getMethod()
                        || (le32(data, p + 16) & 0xffffffffL) != e.getCrc()
                        || (le32(data, p + 20) & 0xffffffffL) != Math.max(0, e.getCompressedSize())
                        || (le32(data, p + 24) & 0xffffffffL) != Math.max(0, e.getSize())
                        || !plainExtra(data, p + 46 + nameLength, extraLength)) {
                    throw mismatch(name, "its central directory does not describe entry " + SignedJars.printable(e.getName())
                            + " as the file holds it");
                }
                expected = endOfEntry(data, (int) loc, e.getCompressedSize());
                if (expected < 0) {
                    throw mismatch(name, "entry " + SignedJars.printable(e.getName()) + " runs into the central directory");
                }
                p = next;
            }
            if (expected != directory) {
                throw mismatch(name, "it holds " + (directory - expected) + " bytes between its last entry and its central directory");
            }
            if (p != at) {
                throw mismatch(name, "its central directory holds more than its " + local.size() + " entries");
            }
        }

        /**
         * Where the local entry at {@code loc} ends: its header, name, extra field, {@code compressed}
         * bytes of data, and its data descriptor when its flags say it has one (12 bytes, or 16 with
         * the descriptor's optional signature); -1 when that is past the central directory's start.
         */
        private long endOfEntry(byte[] data, int loc, long compressed) {
            long end = loc + 30L + le16(data, loc + 26) + le16(data, loc + 28) + Math.max(0, compressed);
            if ((le16(data, loc + 6) & 8) != 0) {
                end += end + 16 <= directory && le32(data, (int) end) == 0x08074b50 ? 16 : 12;
            }
            return end > directory ? -1 : end;
        }

        private static PackageException mismatch(String name, String what) {
            return new PackageException(PackageException.Reason.MALFORMED, "package " + name + " is not a valid JAR/zip file: " + what);
        }

        /** Whether an extra-field block is a well-formed list of (id, length, data), none of them ZIP64 (a package never needs it). */
        private static boolean plainExtra(byte[] b, int at, int length) {
            int end = at + length;
            while (at < end) {
                if (at + 4 > end || le16(b, at) == 0x0001) {
                    return false;
                }
                at += 4 + le16(b, at + 2);
            }
            return at == end;
        }

        private static boolean sameBytes(byte[] a, int at, byte[] b, int bt, int n) {
            if (bt + n > b.length || at + n > a.length) {
                return false;
            }
            return Arrays.equals(a, at, at + n, b, bt, bt + n);
        }

        private static int le16(byte[] b, int at) {
            return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8;
        }

        private static int le32(byte[] b, int at) {
            return le16(b, at) | le16(b, at + 2) << 16;
        }

        /** The comment as text, or null when it is empty or not UTF-8 (then it is no manifest signature either). */
        private static String utf8OrNull(byte[] b, int at, int length) {
            if (length == 0) {
                return null;
            }
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b, at, length)).toString();
            } catch (CharacterCodingException e) {
                return null;
            }
        }
    }

    /** The zip comment, or null when there is none or it is not UTF-8 (then it is no manifest signature either). */
    private static String comment(ZipFile zip) {
        try {
            return zip.getComment();
        } catch (IllegalArgumentException notUtf8) {
            return null;
        }
    }

    /** Parses the manifest, resolving its classes from {@code contents}; refuses content the manifest does not list. */
    private static PackageManifest readManifest(Map<String, byte[]> contents, byte[] props) {
        Set<String> used = new LinkedHashSet<>();
        used.add(ManifestCodec.ENTRY);
        // An anonymous class, not a lambda: an agent attached to a JVM that ran no lambda yet would
        // pay for the JDK's lambda bootstrap (~8 ms) on its first apply.
        PackageManifest manifest = ManifestCodec.read(props, new java.util.function.Function<String, byte[]>() {
            @Override
            public byte[] apply(String name) {
                used.add(CLASSES + name + ".class");
                return contents.get(CLASSES + name + ".class");
            }
        });
        for (String name : contents.keySet()) {
            if (!used.contains(name)) {
                throw new PackageException(PackageException.Reason.MALFORMED, "entry " + name + " is not listed in the package manifest");
            }
        }
        return manifest;
    }

    /**
     * Reads a package and checks its structure and, when it is signed, that the signature is
     * intact; trust is not checked. With {@code requireSignature} an unsigned package is refused.
     * For inspection only: never apply a package read this way.
     */
    public static HotpatchPackage read(Path file, boolean requireSignature) {
        requireSizeWithinLimit(file);
        try (ZipFile zip = new ZipFile(file.toFile())) {
            checkBeforeVerifying(zip);
            try (JarFile jar = new JarFile(file.toFile(), true)) {
                return readVerified(jar, file, requireSignature, Sha256.hex(file), ManifestSignature.parse(comment(zip)));
            }
        } catch (IOException | RuntimeException e) {
            throw refusal(file.getFileName().toString(), e);
        }
    }

    private static void requireSizeWithinLimit(Path file) {
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw new PackageException(PackageException.Reason.IO, "cannot read package " + file + ": " + e, e);
        }
        if (size > MAX_FILE_BYTES) {
            throw new PackageException(PackageException.Reason.TOO_LARGE, "package " + file + " is " + size
                    + " bytes; the limit is " + MAX_FILE_BYTES);
        }
    }

    /** What reading {@code file} failing with {@code e} means, as the refusal both read paths give. */
    private static PackageException refusal(String file, Exception e) {
        if (e instanceof PackageException) {
            return (PackageException) e;
        }
        if (e instanceof ZipException) {
            return new PackageException(PackageException.Reason.MALFORMED, "package " + file
                    + " is not a valid JAR/zip file: " + e.getMessage(), e);
        }
        if (e instanceof SecurityException) {
            return new PackageException(PackageException.Reason.TAMPERED, "package " + file
                    + " failed signature verification (" + e.getMessage() + "): it was modified after signing", e);
        }
        if (e instanceof IOException) {
            return new PackageException(PackageException.Reason.MALFORMED, "cannot read package " + file
                    + ": " + e.getMessage(), e);
        }
        // The JDK's zip and signature code reports some corruptions as unchecked exceptions.
        return new PackageException(PackageException.Reason.MALFORMED, "package " + file + " is damaged: " + e, e);
    }

    /**
     * Checks the entry count and names, and that every META-INF entry inflates within
     * {@link #MAX_ENTRY_BYTES}, without the signed-JAR verifier: once verification starts, the JDK
     * reads the manifest and signature files into memory whole, trusting the size the zip header
     * claims, so a small file could make it inflate gigabytes.
     */
    private static void checkBeforeVerifying(ZipFile zip) throws IOException {
        Totals totals = new Totals();
        Enumeration<? extends ZipEntry> entries = zip.entries();
        while (entries.hasMoreElements()) {
            ZipEntry e = entries.nextElement();
            if (totals.entry(e) != null && e.getName().startsWith("META-INF/")) {
                try (InputStream in = zip.getInputStream(e)) {
                    totals.read(in, e.getName());
                }
            }
        }
    }

    private static HotpatchPackage readVerified(JarFile jar, Path file, boolean requireSignature, String fileSha,
            ManifestSignature manifestSignature) throws IOException {
        Map<String, byte[]> contents = new HashMap<>();
        Map<String, Set<X509Certificate>> signersByEntry = new HashMap<>();
        for (Map.Entry<String, ZipEntry> e : readEntries(jar, file.getFileName().toString(), contents).entrySet()) {
            // Read whole by now, so the JDK has checked the entry's digest and knows its signers.
            signersByEntry.put(e.getKey(), SignedJars.leafCertificates(((JarEntry) e.getValue()).getCodeSigners()));
        }
        byte[] props = contents.get(ManifestCodec.ENTRY);
        PackageManifest manifest = readManifest(contents, props);
        Set<X509Certificate> common = null;
        List<String> unsigned = new ArrayList<>();
        for (Map.Entry<String, Set<X509Certificate>> s : signersByEntry.entrySet()) {
            if (s.getValue().isEmpty()) {
                unsigned.add(s.getKey());
            } else if (common == null) {
                common = new LinkedHashSet<>(s.getValue());
            } else {
                common.retainAll(s.getValue());
            }
        }
        if (!unsigned.isEmpty() || common == null) {
            if (requireSignature || (common != null && !unsigned.isEmpty())) {
                throw new PackageException(PackageException.Reason.UNSIGNED, common == null
                        ? "package " + manifest.id() + " is not signed; build it with 'hotpatch build --key DIR'"
                        : "package " + manifest.id() + " has entries the signature does not cover: " + unsigned);
            }
            return new HotpatchPackage(manifest, new ArrayList<>(), fileSha, "none");
        }
        if (common.isEmpty()) {
            throw new PackageException(PackageException.Reason.UNSIGNED, "package " + manifest.id()
                    + " has entries signed by different signers; no single signer covers it all");
        }
        return new HotpatchPackage(manifest, new ArrayList<>(common), fileSha, "JAR signature" + alsoManifest(file, manifestSignature,
                common, props));
    }

    /**
     * What a JAR-signed package's manifest signature adds: checked with the JAR signer's key when
     * that key made it (a failure is refused, as every agent that checks it refuses it), named when
     * another key made it (only a trust folder can say whether that key counts).
     */
    private static String alsoManifest(Path file, ManifestSignature ms, Set<X509Certificate> jarSigners, byte[] props) {
        if (ms == null) {
            return "";
        }
        for (X509Certificate c : jarSigners) {
            if (TrustStore.fingerprint(c).equals(ms.signerSha256)) {
                if (!ms.verifies(props, c)) {
                    throw new PackageException(PackageException.Reason.TAMPERED, "package " + file.getFileName() + " failed"
                            + " signature verification: its manifest does not match the manifest signature of "
                            + TrustStore.describe(c) + ", so it was modified after signing");
                }
                return " and manifest signature (" + ms.algorithm + ")";
            }
        }
        return "; manifest signature by another key (certificate SHA-256 " + ms.signerSha256 + "), not checked";
    }

    /**
     * Reads every entry of {@code zip} within the size limits and puts each content entry (not
     * META-INF, not a folder) in {@code contents}; returns the content entries by name. Refuses
     * duplicates, and a package without a manifest. The CRCs are left to the signed digests the
     * JDK's JAR verifier checks.
     */
    private static Map<String, ZipEntry> readEntries(ZipFile zip, String name, Map<String, byte[]> contents) throws IOException {
        Map<String, ZipEntry> content = new HashMap<>();
        Totals totals = new Totals();
        Enumeration<? extends ZipEntry> entries = zip.entries();
        while (entries.hasMoreElements()) {
            ZipEntry e = entries.nextElement();
            if (totals.entry(e) == null) {
                continue;
            }
            byte[] data;
            try (InputStream in = zip.getInputStream(e)) {
                data = totals.read(in, e.getName());
            }
            if (keep(contents, e.getName(), data)) {
                content.put(e.getName(), e);
            }
        }
        requireManifest(contents, name);
        return content;
    }

    /**
     * Reads every entry of an in-memory package in file order, within the size limits, into a map
     * of its content entries (not META-INF, not folders) by name. The JDK checks each entry's
     * CRC-32 and size as it reads, the META-INF entries' included (their signature is not checked
     * here), so that a file damaged anywhere is refused, as the JAR path and older agents refuse
     * it. Refuses duplicates, a package without a manifest, and a central directory that does not
     * describe the entries the file holds ({@link EndRecord#requireSameAs}).
     */
    private static Map<String, byte[]> readEntries(byte[] data, String name, EndRecord end) throws IOException {
        Map<String, byte[]> contents = new HashMap<>();
        List<ZipEntry> local = new ArrayList<>();
        Totals totals = new Totals();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(data))) {
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                local.add(e);
                if (totals.entry(e) == null) {
                    continue;
                }
                byte[] bytes;
                try {
                    bytes = totals.read(in, e.getName());
                } catch (ZipException damaged) {
                    throw new PackageException(PackageException.Reason.TAMPERED, "package " + name + " is damaged: entry "
                            + SignedJars.printable(e.getName()) + " does not match its CRC-32 or size (" + damaged.getMessage() + ")", damaged);
                }
                keep(contents, e.getName(), bytes);
            }
        }
        if (totals.entries != end.entries) {
            throw new PackageException(PackageException.Reason.MALFORMED, "package " + name + " is not a valid JAR/zip file:"
                    + " its central directory lists " + end.entries + " entries, but it holds " + totals.entries);
        }
        end.requireSameAs(data, local, name);
        requireManifest(contents, name);
        return contents;
    }

    /** Puts a content entry in {@code contents}; false for a META-INF entry, which is not content. Refuses duplicates. */
    private static boolean keep(Map<String, byte[]> contents, String name, byte[] data) {
        if (name.startsWith("META-INF/")) {
            return false;
        }
        if (contents.put(name, data) != null) {
            throw new PackageException(PackageException.Reason.MALFORMED, "entry " + name + " appears twice");
        }
        return true;
    }

    private static void requireManifest(Map<String, byte[]> contents, String name) {
        if (!contents.containsKey(ManifestCodec.ENTRY)) {
            throw new PackageException(PackageException.Reason.MALFORMED, name + " is not a hotpatch package: it has no "
                    + ManifestCodec.ENTRY);
        }
    }

    /** The limits one read of a package's entries keeps: entry count, names, bytes per entry and in all. */
    private static final class Totals {
        int entries;
        long bytes;
        private final byte[] buf = new byte[16 * 1024];

        /** Counts and checks entry {@code e}; null for a folder, which has no content to read. */
        ZipEntry entry(ZipEntry e) {
            if (++entries > MAX_ENTRIES) {
                throw new PackageException(PackageException.Reason.TOO_LARGE, "package has more than " + MAX_ENTRIES + " entries");
            }
            checkEntryName(e.getName());
            return e.isDirectory() ? null : e;
        }

        /** Reads an entry's content whole, refusing one that inflates past the limits. */
        byte[] read(InputStream in, String name) throws IOException {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (int n; (n = in.read(buf)) > 0; ) {
                if (out.size() + (long) n > MAX_ENTRY_BYTES) {
                    throw new PackageException(PackageException.Reason.TOO_LARGE, "entry " + name
                            + " inflates to more than " + MAX_ENTRY_BYTES + " bytes");
                }
                out.write(buf, 0, n);
            }
            bytes += out.size();
            if (bytes > MAX_TOTAL_BYTES) {
                throw new PackageException(PackageException.Reason.TOO_LARGE, "package content exceeds " + MAX_TOTAL_BYTES + " bytes");
            }
            return out.toByteArray();
        }
    }

    private static void checkEntryName(String name) {
        boolean ok;
        if (name.startsWith(SignedJars.META_INF)) {
            ok = SignedJars.isSignatureEntry(name);
        } else if (name.equals("HOTPATCH-INF/") || name.equals(CLASSES) || name.equals(ManifestCodec.ENTRY)) {
            ok = true;
        } else if (name.startsWith(CLASSES)) {
            String rest = name.substring(CLASSES.length());
            String cls = rest.endsWith("/") ? rest.substring(0, rest.length() - 1)
                    : rest.endsWith(".class") ? rest.substring(0, rest.length() - ".class".length()) : null;
            try {
                ok = cls != null && ClassNames.requireInternalName(cls) != null;
            } catch (IllegalArgumentException e) {
                ok = false;
            }
        } else {
            ok = false;
        }
        if (!ok) {
            throw new PackageException(PackageException.Reason.MALFORMED, "unexpected entry '" + SignedJars.printable(name)
                    + "': a hotpatch package holds only META-INF signature files, " + ManifestCodec.ENTRY + " and " + CLASSES + "**.class");
        }
    }

    public PackageManifest manifest() {
        return manifest;
    }

    /** The certificates that signed every entry; empty for an unsigned package read for inspection. */
    public List<X509Certificate> signers() {
        return signers;
    }

    /** Subject names of the signers, comma-separated; "unsigned" when there are none. */
    public String signerNames() {
        return SignedJars.subjectNames(signers);
    }

    /** The signers with their certificate fingerprints, as {@link TrustStore#describe(X509Certificate)} shows them; "unsigned" when none. */
    public String signerDescriptions() {
        if (signers.isEmpty()) {
            return "unsigned";
        }
        List<String> n = new ArrayList<>();
        for (X509Certificate c : signers) {
            n.add(TrustStore.describe(c));
        }
        return String.join(", ", n);
    }

    /**
     * Which signature the reading checked: {@code manifest signature (SHA256withRSA)} (a trusted
     * publisher's, the way agents read packages), {@code JAR signature}, {@code JAR signature and
     * manifest signature (…)}, or {@code none} for an unsigned package read for inspection.
     */
    public String checkedSignature() {
        return checked;
    }

    /** SHA-256 of the package file as read. */
    public String sha256() {
        return sha256;
    }

    @Override
    public String toString() {
        return manifest + " signed by " + signerNames();
    }
}
