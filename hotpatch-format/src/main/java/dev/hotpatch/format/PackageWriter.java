package dev.hotpatch.format;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.cert.CertificateFactory;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import jdk.security.jarsigner.JarSigner;

/**
 * Writes signed {@code .hotpatch} packages: a JAR signed with the JDK's own JAR signer, plus a
 * {@link ManifestSignature} in the zip comment made with the same key. Only the building side
 * (CLI, builder) uses this class: it needs the {@code jdk.jartool} module, which target JVMs and the
 * agent never load.
 */
public final class PackageWriter {
    private static final long FIXED_TIME = 315532800000L; // 1980-01-01: reproducible entry times
    private static final int END_RECORD = 22;
    private static final int END_SIGNATURE = 0x06054b50;

    private PackageWriter() {
    }

    /** Writes {@code manifest} as a package signed by {@code key} to {@code out}, atomically. */
    public static void write(PackageManifest manifest, SigningKey key, Path out) {
        Path dir = out.toAbsolutePath().getParent();
        Path unsigned = null;
        Path signed = null;
        try {
            Files.createDirectories(dir);
            unsigned = Files.createTempFile(dir, ".unsigned-", ".jar");
            byte[] manifestBytes = ManifestCodec.write(manifest);
            writeUnsigned(manifest, manifestBytes, unsigned);
            signed = Files.createTempFile(dir, ".signed-", ".hotpatch");
            JarSigner signer = new JarSigner.Builder(key.privateKey(),
                    CertificateFactory.getInstance("X.509").generateCertPath(key.chain()))
                    .digestAlgorithm("SHA-256")
                    .signerName("HOTPATCH")
                    .build();
            try (ZipFile zip = new ZipFile(unsigned.toFile()); OutputStream os = Files.newOutputStream(signed)) {
                signer.sign(zip, os);
            }
            setComment(signed, ManifestSignature.sign(manifestBytes, key.privateKey(), key.certificate()));
            Files.move(signed, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | java.security.GeneralSecurityException | jdk.security.jarsigner.JarSignerException e) {
            throw new PackageException(PackageException.Reason.IO, "cannot write package " + out + ": " + e.getMessage(), e);
        } finally {
            deleteQuietly(unsigned);
            deleteQuietly(signed);
        }
    }

    /** Writes the package content without a signature; tests use it to prove unsigned packages are refused. */
    public static void writeUnsigned(PackageManifest manifest, Path out) throws IOException {
        writeUnsigned(manifest, ManifestCodec.write(manifest), out);
    }

    private static void writeUnsigned(PackageManifest manifest, byte[] manifestBytes, Path out) throws IOException {
        Manifest mf = new Manifest();
        mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        mf.getMainAttributes().putValue("Created-By", "hotpatch");
        mf.getMainAttributes().putValue("Hotpatch-Id", manifest.id());
        try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(out), mf)) {
            put(jar, ManifestCodec.ENTRY, manifestBytes);
            for (ClassPatch c : manifest.classes()) {
                put(jar, c.entryName(), c.bytes());
            }
        }
    }

    /**
     * Sets the comment of the zip file {@code zip}, which must have none: the end-of-central-directory
     * record is then the file's last 22 bytes, and its last field the comment's length.
     */
    static void setComment(Path zip, String comment) throws IOException {
        byte[] text = comment.getBytes(StandardCharsets.US_ASCII);
        try (FileChannel ch = FileChannel.open(zip, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long end = ch.size() - END_RECORD;
            ByteBuffer record = ByteBuffer.allocate(END_RECORD).order(ByteOrder.LITTLE_ENDIAN);
            if (end < 0 || ch.read(record, end) != END_RECORD || record.getInt(0) != END_SIGNATURE || record.getShort(20) != 0) {
                throw new IOException("the signed package does not end with a comment-less end-of-central-directory record");
            }
            record.putShort(20, (short) text.length).flip();
            ch.write(record, end);
            ch.write(ByteBuffer.wrap(text), end + END_RECORD);
        }
    }

    private static void put(JarOutputStream jar, String name, byte[] data) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setTime(FIXED_TIME);
        jar.putNextEntry(e);
        jar.write(data);
        jar.closeEntry();
    }

    private static void deleteQuietly(Path p) {
        if (p != null) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // A leftover temp file in the output folder is harmless and named .unsigned-/.signed-.
            }
        }
    }
}
