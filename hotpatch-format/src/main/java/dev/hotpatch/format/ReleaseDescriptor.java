package dev.hotpatch.format;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * A signed statement by a publisher that names exactly the files of a release that needs a
 * restart: a <b>baseline</b> (image, version, kind and its jars) or a <b>restart update</b> (image,
 * KB id, reboot behaviour and its artifact, if any), each file by name, size and SHA-256. It is to
 * baselines and restart updates what the {@code .hotpatch} package is to live fixes: a signed JAR
 * ({@code .release}) holding {@code HOTPATCH-INF/release.properties}, written with the JDK's JAR
 * signer ({@link ReleaseDescriptorWriter}) and checked by the JDK's JAR verifier against pinned
 * publisher certificates. The files themselves travel separately; whoever installs one compares
 * its SHA-256 with the descriptor's.
 *
 * <p>Reading treats the file as hostile, like {@link HotpatchPackage}: bounded size and entry
 * count, only the entry names the format defines, every entry covered by one signer. Immutable and
 * thread-safe.
 */
public final class ReleaseDescriptor {
    /** Name of the descriptor's one content entry. */
    public static final String ENTRY = "HOTPATCH-INF/release.properties";
    /** Largest descriptor file accepted. */
    public static final long MAX_FILE_BYTES = 1L << 20;
    /** Most files one descriptor may name. */
    public static final int MAX_FILES = 100;
    static final String FORMAT_VERSION = "1";
    private static final int MAX_ENTRIES = 16;
    private static final Pattern FILE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+-]{0,199}");
    private static final Pattern IMAGE = Pattern.compile("[^/\\s]{1,64}/[^/\\s]{1,64}/[^/\\s]{1,64}");
    private static final Pattern KB = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    /** What a descriptor describes. */
    public enum Type {
        /** An exact build of an image: its jars. */
        BASELINE("baseline"),
        /** An update that needs a restart, with at most one artifact. */
        UPDATE("update");

        private final String label;

        Type(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }

        static Type parse(String s) {
            for (Type t : values()) {
                if (t.label.equals(s)) {
                    return t;
                }
            }
            throw new IllegalArgumentException("type '" + s + "' is not baseline or update");
        }
    }

    /** One file of the release: its name, size in bytes and SHA-256 (lower-case hex). */
    public static final class FileEntry {
        private final String name;
        private final long size;
        private final String sha256;

        public FileEntry(String name, long size, String sha256) {
            if (name == null || !FILE_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("file name '" + name + "' is not a plain file name (1-200 letters, digits, '.', '_', '+', '-')");
            }
            if (size < 0) {
                throw new IllegalArgumentException("file " + name + " has a negative size");
            }
            if (!Sha256.isHex(sha256)) {
                throw new IllegalArgumentException("file " + name + " has no valid SHA-256 (64 lower-case hex digits)");
            }
            this.name = name;
            this.size = size;
            this.sha256 = sha256;
        }

        /** The entry for a file on disk, named by its own file name. */
        public static FileEntry of(Path file) throws IOException {
            return new FileEntry(file.getFileName().toString(), Files.size(file), Sha256.hex(file));
        }

        public String name() {
            return name;
        }

        public long size() {
            return size;
        }

        public String sha256() {
            return sha256;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof FileEntry && ((FileEntry) o).name.equals(name) && ((FileEntry) o).size == size
                    && ((FileEntry) o).sha256.equals(sha256);
        }

        @Override
        public int hashCode() {
            return Objects.hash(name, size, sha256);
        }

        @Override
        public String toString() {
            return name + " (" + size + " bytes, SHA-256 " + sha256 + ")";
        }
    }

    private final Type type;
    private final String image;
    private final String version;
    private final String kind;
    private final String kbId;
    private final RebootBehavior rebootBehavior;
    private final Instant created;
    private final List<FileEntry> files;
    private final List<X509Certificate> signers;
    private final String sha256;

    private ReleaseDescriptor(Builder b, List<X509Certificate> signers, String sha256) {
        this.type = b.type;
        this.image = b.image;
        this.version = b.version;
        this.kind = b.kind;
        this.kbId = b.kbId;
        this.rebootBehavior = b.rebootBehavior;
        this.created = b.created;
        this.files = Collections.unmodifiableList(new ArrayList<>(b.files));
        this.signers = Collections.unmodifiableList(new ArrayList<>(signers));
        this.sha256 = sha256;
    }

    /** A descriptor of a baseline: {@code image} ({@code publisher/offer/sku}), {@code version}, kind {@code planned}. */
    public static Builder baseline(String image, String version) {
        Builder b = new Builder(Type.BASELINE);
        b.image = image;
        b.version = version;
        b.kind = "planned";
        b.rebootBehavior = RebootBehavior.ALWAYS_REQUIRES_REBOOT;
        return b;
    }

    /** A descriptor of a restart update {@code kbId} for {@code image}, {@code CanRequestReboot} unless set otherwise. */
    public static Builder update(String image, String kbId) {
        Builder b = new Builder(Type.UPDATE);
        b.image = image;
        b.kbId = kbId;
        b.rebootBehavior = RebootBehavior.CAN_REQUEST_REBOOT;
        return b;
    }

    /** Collects a descriptor's fields; {@link #build()} checks them. Not thread-safe. */
    public static final class Builder {
        private final Type type;
        private String image;
        private String version;
        private String kind;
        private String kbId;
        private RebootBehavior rebootBehavior;
        private Instant created = Instant.now();
        private final List<FileEntry> files = new ArrayList<>();

        private Builder(Type type) {
            this.type = type;
        }

        /** Baseline only: {@code planned} (on the cadence) or {@code unplanned}. */
        public Builder kind(String kind) {
            this.kind = kind;
            return this;
        }

        /** The KB id (required for an update, optional for a baseline). */
        public Builder kbId(String kbId) {
            this.kbId = kbId;
            return this;
        }

        /** Update only: {@code CanRequestReboot} or {@code AlwaysRequiresReboot}. */
        public Builder rebootBehavior(RebootBehavior r) {
            this.rebootBehavior = r;
            return this;
        }

        public Builder created(Instant created) {
            this.created = created;
            return this;
        }

        public Builder file(FileEntry f) {
            files.add(f);
            return this;
        }

        public Builder files(List<FileEntry> fs) {
            files.addAll(fs);
            return this;
        }

        /** The descriptor, unsigned; sign it with {@link ReleaseDescriptorWriter}. @throws IllegalArgumentException naming the bad field */
        public ReleaseDescriptor build() {
            check(this);
            return new ReleaseDescriptor(this, List.of(), null);
        }
    }

    private static void check(Builder b) {
        if (b.image == null || !IMAGE.matcher(b.image).matches()) {
            throw new IllegalArgumentException("image '" + b.image + "' is not publisher/offer/sku");
        }
        if (b.created == null) {
            throw new IllegalArgumentException("the creation time is missing");
        }
        if (b.kbId != null && !KB.matcher(b.kbId).matches()) {
            throw new IllegalArgumentException("KB id '" + b.kbId + "' is not valid (letters, digits, '.', '_', '-')");
        }
        if (b.files.size() > MAX_FILES) {
            throw new IllegalArgumentException("a descriptor names at most " + MAX_FILES + " files");
        }
        Set<String> names = new LinkedHashSet<>();
        Set<String> hashes = new LinkedHashSet<>();
        for (FileEntry f : b.files) {
            if (!names.add(f.name()) || !hashes.add(f.sha256())) {
                throw new IllegalArgumentException("file " + f.name() + " is named twice");
            }
        }
        if (b.type == Type.BASELINE) {
            if (b.version == null || b.version.isEmpty() || b.version.length() > 100 || b.version.chars().anyMatch(Character::isISOControl)) {
                throw new IllegalArgumentException("a baseline descriptor needs a version (1-100 characters)");
            }
            if (!"planned".equals(b.kind) && !"unplanned".equals(b.kind)) {
                throw new IllegalArgumentException("baseline kind '" + b.kind + "' is not planned or unplanned");
            }
            if (b.files.isEmpty()) {
                throw new IllegalArgumentException("a baseline descriptor names at least one jar");
            }
            if (b.rebootBehavior != RebootBehavior.ALWAYS_REQUIRES_REBOOT) {
                throw new IllegalArgumentException("a baseline is AlwaysRequiresReboot");
            }
        } else {
            if (b.kbId == null) {
                throw new IllegalArgumentException("an update descriptor needs a KB id");
            }
            if (b.version != null || b.kind != null) {
                throw new IllegalArgumentException("version and kind describe a baseline, not an update");
            }
            if (b.rebootBehavior == null || b.rebootBehavior == RebootBehavior.NEVER_REBOOTS) {
                throw new IllegalArgumentException("an update descriptor is for updates that need a restart (CanRequestReboot or"
                        + " AlwaysRequiresReboot); live fixes are .hotpatch packages");
            }
            if (b.files.size() > 1) {
                throw new IllegalArgumentException("an update descriptor names at most one artifact");
            }
        }
    }

    // ---- reading -----------------------------------------------------------------------------

    /**
     * Reads a descriptor and requires it to be signed, intact, and signed by a certificate in
     * {@code trust}. Throws {@link PackageException} with the reason otherwise; an untrusted signer
     * is named with its certificate's SHA-256 fingerprint.
     */
    public static ReleaseDescriptor read(Path file, TrustStore trust) {
        ReleaseDescriptor d = read(file, true);
        for (X509Certificate c : d.signers) {
            if (trust.trusts(c)) {
                return d;
            }
        }
        throw new PackageException(PackageException.Reason.UNTRUSTED, "the descriptor of " + d.describe() + " is signed by '"
                + d.signerNames() + "' (certificate " + d.signerFingerprint() + "), which is not a trusted publisher;"
                + " add that publisher's signer.crt to the trust folder if you mean to trust it");
    }

    /**
     * Reads a descriptor, checking its structure and, when signed, that the signature is intact;
     * trust is not checked. With {@code requireSignature} an unsigned one is refused. For
     * inspection only: never install what a descriptor read this way names.
     */
    public static ReleaseDescriptor read(Path file, boolean requireSignature) {
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw new PackageException(PackageException.Reason.IO, "cannot read descriptor " + file + ": " + e, e);
        }
        if (size > MAX_FILE_BYTES) {
            throw new PackageException(PackageException.Reason.TOO_LARGE, "descriptor " + file.getFileName() + " is " + size
                    + " bytes; a release descriptor is at most " + MAX_FILE_BYTES + " (is this the jar itself?)");
        }
        try (ZipFile zip = new ZipFile(file.toFile())) {
            // Bound every entry before the JDK verifier reads signature files whole.
            int count = 0;
            Enumeration<? extends ZipEntry> es = zip.entries();
            while (es.hasMoreElements()) {
                ZipEntry e = es.nextElement();
                if (++count > MAX_ENTRIES) {
                    throw new PackageException(PackageException.Reason.MALFORMED, "descriptor " + file.getFileName()
                            + " has more than " + MAX_ENTRIES + " entries");
                }
                checkEntryName(e.getName());
                if (!e.isDirectory()) {
                    readBounded(zip, e);
                }
            }
            try (JarFile jar = new JarFile(file.toFile(), true)) {
                return readVerified(jar, file, requireSignature, Sha256.hex(file));
            }
        } catch (ZipException e) {
            throw new PackageException(PackageException.Reason.MALFORMED, "descriptor " + file.getFileName()
                    + " is not a signed release descriptor (not a valid JAR/zip file: " + e.getMessage() + ")", e);
        } catch (SecurityException e) {
            throw new PackageException(PackageException.Reason.TAMPERED, "descriptor " + file.getFileName()
                    + " failed signature verification (" + e.getMessage() + "): it was modified after signing", e);
        } catch (IOException e) {
            throw new PackageException(PackageException.Reason.MALFORMED, "cannot read descriptor " + file.getFileName() + ": "
                    + e.getMessage(), e);
        } catch (RuntimeException e) {
            if (e instanceof PackageException) {
                throw e;
            }
            throw new PackageException(PackageException.Reason.MALFORMED, "descriptor " + file.getFileName() + " is damaged: " + e, e);
        }
    }

    private static ReleaseDescriptor readVerified(JarFile jar, Path file, boolean requireSignature, String sha) throws IOException {
        byte[] props = null;
        Set<X509Certificate> signers = null;
        Enumeration<JarEntry> entries = jar.entries();
        while (entries.hasMoreElements()) {
            JarEntry e = entries.nextElement();
            if (e.isDirectory() || e.getName().startsWith("META-INF/")) {
                if (!e.isDirectory()) {
                    readBounded(jar, e);
                }
                continue;
            }
            if (props != null) {
                throw new PackageException(PackageException.Reason.MALFORMED, "entry " + e.getName() + " appears twice");
            }
            props = readBounded(jar, e);
            signers = SignedJars.leafCertificates(e.getCodeSigners());
        }
        if (props == null) {
            throw new PackageException(PackageException.Reason.MALFORMED, file.getFileName() + " is not a release descriptor: it has no "
                    + ENTRY);
        }
        Builder b = parse(props);
        try {
            check(b);
        } catch (IllegalArgumentException e) {
            throw new PackageException(PackageException.Reason.MALFORMED, "release.properties: " + e.getMessage(), e);
        }
        if (signers.isEmpty()) {
            if (requireSignature) {
                throw new PackageException(PackageException.Reason.UNSIGNED, "the descriptor of " + new ReleaseDescriptor(b, List.of(), sha).describe()
                        + " is not signed; sign it with the publisher's key ('hotpatch baseline sign --key DIR' or 'hotpatch update sign --key DIR')");
            }
            return new ReleaseDescriptor(b, List.of(), sha);
        }
        return new ReleaseDescriptor(b, new ArrayList<>(signers), sha);
    }

    private static Builder parse(byte[] data) {
        Properties p = new Properties();
        try {
            p.load(new StringReader(new String(data, StandardCharsets.UTF_8)));
        } catch (IOException | IllegalArgumentException e) {
            throw malformed("release.properties cannot be parsed: " + e.getMessage(), e);
        }
        if (!FORMAT_VERSION.equals(p.getProperty("format"))) {
            throw malformed("release.properties: unsupported descriptor format '" + p.getProperty("format") + "' (this version reads format "
                    + FORMAT_VERSION + "); upgrade hotpatch", null);
        }
        Set<String> known = new LinkedHashSet<>(List.of("format", "type", "image", "version", "kind", "kbId", "rebootBehavior", "created",
                "file.count"));
        try {
            Type type = Type.parse(required(p, "type"));
            Builder b = type == Type.BASELINE ? baseline(required(p, "image"), required(p, "version"))
                    : update(required(p, "image"), required(p, "kbId"));
            b.version = p.getProperty("version");
            b.kind = p.getProperty("kind");
            b.kbId = p.getProperty("kbId");
            b.rebootBehavior = RebootBehavior.parse(required(p, "rebootBehavior"));
            b.created = Instant.parse(required(p, "created"));
            int count = Integer.parseInt(required(p, "file.count"));
            if (count < 0 || count > MAX_FILES) {
                throw malformed("file.count must be 0.." + MAX_FILES + ", got " + count, null);
            }
            for (int i = 0; i < count; i++) {
                String prefix = "file." + i + ".";
                known.add(prefix + "name");
                known.add(prefix + "size");
                known.add(prefix + "sha256");
                b.files.add(new FileEntry(required(p, prefix + "name"), Long.parseLong(required(p, prefix + "size")),
                        required(p, prefix + "sha256")));
            }
            for (String k : p.stringPropertyNames()) {
                if (!known.contains(k)) {
                    throw malformed("release.properties has an unknown field '" + k + "'", null);
                }
            }
            return b;
        } catch (NumberFormatException | DateTimeParseException e) {
            throw malformed("release.properties has an invalid value: " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw malformed("release.properties: " + e.getMessage(), e);
        }
    }

    /** The properties text this descriptor is signed as, keys in a stable order. */
    byte[] text() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("format", FORMAT_VERSION);
        p.put("type", type.label());
        p.put("image", image);
        if (version != null) {
            p.put("version", version);
        }
        if (kind != null) {
            p.put("kind", kind);
        }
        if (kbId != null) {
            p.put("kbId", kbId);
        }
        p.put("rebootBehavior", rebootBehavior.label());
        p.put("created", created.toString());
        p.put("file.count", Integer.toString(files.size()));
        for (int i = 0; i < files.size(); i++) {
            FileEntry f = files.get(i);
            p.put("file." + i + ".name", f.name());
            p.put("file." + i + ".size", Long.toString(f.size()));
            p.put("file." + i + ".sha256", f.sha256());
        }
        return ("# hotpatch release descriptor\n" + PropertiesText.write(p)).getBytes(StandardCharsets.UTF_8);
    }

    private static void checkEntryName(String name) {
        boolean ok = name.startsWith(SignedJars.META_INF) ? SignedJars.isSignatureEntry(name)
                : name.equals("HOTPATCH-INF/") || name.equals(ENTRY);
        if (!ok) {
            throw new PackageException(PackageException.Reason.MALFORMED, "unexpected entry '" + SignedJars.printable(name)
                    + "': a release descriptor holds only META-INF signature files and " + ENTRY);
        }
    }

    private static byte[] readBounded(ZipFile zip, ZipEntry e) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        try (InputStream in = zip.getInputStream(e)) {
            for (int n; (n = in.read(buf)) > 0; ) {
                if (out.size() + (long) n > MAX_FILE_BYTES) {
                    throw new PackageException(PackageException.Reason.TOO_LARGE, "entry " + e.getName() + " inflates to more than "
                            + MAX_FILE_BYTES + " bytes");
                }
                out.write(buf, 0, n);
            }
        }
        return out.toByteArray();
    }

    private static String required(Properties p, String key) {
        String v = p.getProperty(key);
        if (v == null) {
            throw malformed("release.properties lacks the required field '" + key + "'", null);
        }
        return v;
    }

    private static PackageException malformed(String msg, Throwable cause) {
        return new PackageException(PackageException.Reason.MALFORMED, msg, cause);
    }

    // ---- fields ------------------------------------------------------------------------------

    public Type type() {
        return type;
    }

    /** {@code publisher/offer/sku}. */
    public String image() {
        return image;
    }

    /** The baseline's version; null for an update. */
    public String version() {
        return version;
    }

    /** {@code planned} or {@code unplanned} for a baseline; null for an update. */
    public String kind() {
        return kind;
    }

    /** The KB id; may be null for a baseline. */
    public String kbId() {
        return kbId;
    }

    public RebootBehavior rebootBehavior() {
        return rebootBehavior;
    }

    public Instant created() {
        return created;
    }

    /** The files, in the publisher's order: a baseline's jars, or an update's artifact (none or one). */
    public List<FileEntry> files() {
        return files;
    }

    /** The file named {@code name}, if the descriptor names it. */
    public java.util.Optional<FileEntry> file(String name) {
        return files.stream().filter(f -> f.name().equals(name)).findFirst();
    }

    /** The file with SHA-256 {@code sha256}, if the descriptor names it. */
    public java.util.Optional<FileEntry> fileWithSha256(String sha256) {
        return files.stream().filter(f -> f.sha256().equalsIgnoreCase(sha256)).findFirst();
    }

    /** The certificates that signed it; empty when read unsigned for inspection. */
    public List<X509Certificate> signers() {
        return signers;
    }

    /** Subject names of the signers, comma-separated; "unsigned" when there are none. */
    public String signerNames() {
        return SignedJars.subjectNames(signers);
    }

    /** SHA-256 fingerprint of the first signer's certificate ({@link CertificateFingerprint}); "unsigned" when none. */
    public String signerFingerprint() {
        return signers.isEmpty() ? "unsigned" : CertificateFingerprint.of(signers.get(0));
    }

    /** SHA-256 of the descriptor file as read; null for one built in memory. */
    public String sha256() {
        return sha256;
    }

    /** What it describes, for messages: {@code baseline 1.0 of acme/fees/1.x} or {@code update KB… for acme/fees/1.x}. */
    public String describe() {
        return type == Type.BASELINE ? "baseline " + version + " of " + image : "update " + kbId + " for " + image;
    }

    @Override
    public String toString() {
        return describe() + " (" + files.size() + " file(s)) signed by " + signerNames();
    }
}
