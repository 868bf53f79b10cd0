package dev.hotpatch.server.catalog;

import dev.hotpatch.format.Sha256;
import dev.hotpatch.server.ServerException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;

/**
 * The SHA-256 of a jar and of each class in it, as a running JVM would report them. Class names
 * are internal ({@code org/acme/Fees}); multi-release variants and {@code module-info} are left out.
 * Reading is bounded so a hostile upload cannot inflate without limit. Immutable.
 */
record JarIndex(String fileName, String sha256, long size, Map<String, String> classes) {
    static final long MAX_JAR_BYTES = 256L << 20;
    private static final long MAX_CLASS_BYTES = 16L << 20;
    private static final long MAX_INFLATED = 1L << 30;
    private static final int MAX_ENTRIES = 200_000;

    /** Indexes the jar in {@code file} (already hashed by its uploader: {@code sha256}, {@code size}), streaming it. */
    static JarIndex of(String fileName, java.nio.file.Path file, String sha256, long size) {
        Map<String, String> classes = new LinkedHashMap<>();
        long inflated = 0;
        int entries = 0;
        try (ZipInputStream zin = new ZipInputStream(new java.io.BufferedInputStream(java.nio.file.Files.newInputStream(file)))) {
            byte[] buf = new byte[64 * 1024];
            for (ZipEntry e; (e = zin.getNextEntry()) != null; ) {
                if (++entries > MAX_ENTRIES) {
                    throw refused(fileName, "has more than " + MAX_ENTRIES + " entries");
                }
                String name = e.getName();
                if (e.isDirectory() || !name.endsWith(".class") || name.startsWith("META-INF/")
                        || name.endsWith("module-info.class")) {
                    continue;
                }
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                for (int n; (n = zin.read(buf)) > 0; ) {
                    out.write(buf, 0, n);
                    inflated += n;
                    if (out.size() > MAX_CLASS_BYTES || inflated > MAX_INFLATED) {
                        throw refused(fileName, "inflates beyond the limits the server accepts");
                    }
                }
                classes.put(name.substring(0, name.length() - ".class".length()), Sha256.hex(out.toByteArray()));
            }
        } catch (ZipException e) {
            throw refused(fileName, "is not a valid jar (" + e.getMessage() + ")");
        } catch (IOException e) {
            throw refused(fileName, "cannot be read (" + e.getMessage() + ")");
        }
        if (entries == 0) {
            throw refused(fileName, "is not a jar: it holds no zip entries");
        }
        if (classes.isEmpty()) {
            throw refused(fileName, "holds no classes");
        }
        return new JarIndex(fileName, sha256, size, classes);
    }

    private static ServerException.Refused refused(String fileName, String why) {
        return new ServerException.Refused("malformed-jar", "baseline jar '" + fileName + "' " + why,
                "upload the exact jar file(s) of the build, as shipped");
    }
}
