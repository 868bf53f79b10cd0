package dev.hotpatch.format;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.CertificateFactory;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import jdk.security.jarsigner.JarSigner;

/**
 * Writes signed release descriptors ({@link ReleaseDescriptor}) with the JDK's own JAR signer, the
 * same way {@link PackageWriter} signs packages. Only publishing tools use it (it needs the
 * {@code jdk.jartool} module). Stateless.
 */
public final class ReleaseDescriptorWriter {
    private static final long FIXED_TIME = 315532800000L; // 1980-01-01: reproducible entry times

    private ReleaseDescriptorWriter() {
    }

    /** Writes {@code d} signed by {@code key} to {@code out}, atomically. */
    public static void write(ReleaseDescriptor d, SigningKey key, Path out) {
        Path dir = out.toAbsolutePath().getParent();
        Path unsigned = null;
        Path signed = null;
        try {
            Files.createDirectories(dir);
            unsigned = Files.createTempFile(dir, ".unsigned-", ".jar");
            writeUnsigned(d, unsigned);
            signed = Files.createTempFile(dir, ".signed-", ".release");
            JarSigner signer = new JarSigner.Builder(key.privateKey(), CertificateFactory.getInstance("X.509").generateCertPath(key.chain()))
                    .digestAlgorithm("SHA-256")
                    .signerName("RELEASE")
                    .build();
            try (ZipFile zip = new ZipFile(unsigned.toFile()); OutputStream os = Files.newOutputStream(signed)) {
                signer.sign(zip, os);
            }
            Files.move(signed, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | java.security.GeneralSecurityException | jdk.security.jarsigner.JarSignerException e) {
            throw new PackageException(PackageException.Reason.IO, "cannot write descriptor " + out + ": " + e.getMessage(), e);
        } finally {
            deleteQuietly(unsigned);
            deleteQuietly(signed);
        }
    }

    /** Writes the descriptor without a signature; tests use it to prove unsigned descriptors are refused. */
    public static void writeUnsigned(ReleaseDescriptor d, Path out) throws IOException {
        Manifest mf = new Manifest();
        mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        mf.getMainAttributes().putValue("Created-By", "hotpatch");
        try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(out), mf)) {
            ZipEntry e = new ZipEntry(ReleaseDescriptor.ENTRY);
            e.setTime(FIXED_TIME);
            jar.putNextEntry(e);
            jar.write(d.text());
            jar.closeEntry();
        }
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
