package dev.hotpatch.node.inventory;

import dev.hotpatch.format.Sha256;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;

/**
 * SHA-256 of the code a JVM runs from disk: of each jar file, of each class in it (the bytes a
 * class loader defines, so the baseline bytes a hotpatch names), and of class files in class path
 * folders. Class names are internal ({@code org/acme/Fees}); {@code META-INF/} (so multi-release
 * variants) and {@code module-info} are left out, as the server's catalog leaves them out.
 *
 * <p>Hashing a large jar takes time, so results are cached by (path, size, modification time): a
 * file replaced in place under the same size and time is the one case the cache cannot see, and
 * baseline swaps always change the time. Thread-safe.
 */
public final class CodeHashes {
    private static final long MAX_CLASS_BYTES = 16L << 20;

    private final Map<Path, Cached<JarDigest>> jars = new ConcurrentHashMap<>();
    private final Map<Path, Cached<String>> files = new ConcurrentHashMap<>();
    private final AtomicLong computed = new AtomicLong();

    /**
     * A jar's hashes.
     *
     * @param path              the jar file
     * @param sha256            of the file
     * @param classes           internal class name to SHA-256 of its bytes, in jar order
     * @param manifestClassPath jars the manifest's {@code Class-Path} adds, resolved against the jar's folder
     */
    public record JarDigest(Path path, String sha256, Map<String, String> classes, List<Path> manifestClassPath) {
        public JarDigest {
            classes = Collections.unmodifiableMap(new LinkedHashMap<>(classes));
            manifestClassPath = List.copyOf(manifestClassPath);
        }
    }

    private record Cached<T>(long size, FileTime modified, T value) {
    }

    /** The hashes of the jar at {@code jar}, from the cache when the file did not change. */
    public JarDigest jar(Path jar) throws IOException {
        BasicFileAttributes a = Files.readAttributes(jar, BasicFileAttributes.class);
        Cached<JarDigest> c = jars.get(jar);
        if (c != null && c.size == a.size() && c.modified.equals(a.lastModifiedTime())) {
            return c.value;
        }
        JarDigest d = hashJar(jar);
        jars.put(jar, new Cached<>(a.size(), a.lastModifiedTime(), d));
        return d;
    }

    /** The SHA-256 of one file's content, from the cache when the file did not change. */
    public String file(Path file) throws IOException {
        BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
        Cached<String> c = files.get(file);
        if (c != null && c.size == a.size() && c.modified.equals(a.lastModifiedTime())) {
            return c.value;
        }
        String sha = Sha256.hex(file);
        computed.incrementAndGet();
        files.put(file, new Cached<>(a.size(), a.lastModifiedTime(), sha));
        return sha;
    }

    /** Internal class name to SHA-256 for every class file under the class path folder {@code dir}. */
    public Map<String, String> folder(Path dir) throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) walk.sorted()::iterator) {
                String rel = dir.relativize(p).toString().replace(p.getFileSystem().getSeparator(), "/");
                if (isClassEntry(rel) && Files.isRegularFile(p)) {
                    out.put(rel.substring(0, rel.length() - ".class".length()), file(p));
                }
            }
        }
        return out;
    }

    /** How many files and jars were actually read and hashed (not served from the cache) so far. */
    public long computed() {
        return computed.get();
    }

    private JarDigest hashJar(Path path) throws IOException {
        String sha = Sha256.hex(path);
        computed.incrementAndGet();
        Map<String, String> classes = new LinkedHashMap<>();
        List<Path> manifestClassPath = new ArrayList<>();
        try (JarFile jar = new JarFile(path.toFile(), false)) {
            Enumeration<JarEntry> entries = jar.entries();
            while (entries.hasMoreElements()) {
                ZipEntry e = entries.nextElement();
                if (!e.isDirectory() && isClassEntry(e.getName())) {
                    String name = e.getName().substring(0, e.getName().length() - ".class".length());
                    classes.putIfAbsent(name, Sha256.hex(read(jar, e)));
                }
            }
            Manifest mf = jar.getManifest();
            String cp = mf == null ? null : mf.getMainAttributes().getValue(Attributes.Name.CLASS_PATH);
            if (cp != null) {
                Path base = path.toAbsolutePath().getParent();
                for (String item : cp.trim().split("\\s+")) {
                    if (!item.isEmpty() && !item.contains(":")) {
                        manifestClassPath.add(base.resolve(item).normalize());
                    }
                }
            }
        } catch (ZipException e) {
            throw new IOException(path + " is not a valid jar: " + e.getMessage(), e);
        }
        return new JarDigest(path, sha, classes, manifestClassPath);
    }

    private static boolean isClassEntry(String name) {
        return name.endsWith(".class") && !name.startsWith("META-INF/") && !name.endsWith("module-info.class");
    }

    private static byte[] read(JarFile jar, ZipEntry e) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[16 * 1024];
        try (InputStream in = jar.getInputStream(e)) {
            for (int n; (n = in.read(buf)) > 0; ) {
                if (out.size() + (long) n > MAX_CLASS_BYTES) {
                    throw new IOException(jar.getName() + "!" + e.getName() + " is larger than " + MAX_CLASS_BYTES + " bytes");
                }
                out.write(buf, 0, n);
            }
        }
        return out.toByteArray();
    }
}
