package dev.hotpatch.builder;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.NavigableSet;
import java.util.TreeMap;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * One input jar, opened for bounded reading. The builder reads jars that come from a build, not
 * from an attacker, but a wrong file or a damaged or bomb-like archive must end in a clear error
 * rather than an exhausted heap: the number of entries, the size of each class, and the total
 * bytes inflated are all capped, and an entry name that appears twice is refused because class
 * loaders would see only one of the copies. Not thread-safe; close it when done.
 */
final class JarSource implements Closeable {

    /** The caps applied while reading; tests use smaller ones. */
    record Limits(int maxEntries, long maxClassBytes, long maxTotalBytes) {
        static final Limits DEFAULT = new Limits(200_000, 64L << 20, 8L << 30);
    }

    private static final int CHUNK = 64 * 1024;

    private final Path path;
    private final String role;
    private final Limits limits;
    private final ZipFile zip;
    private final TreeMap<String, ZipEntry> files;
    private long inflated;

    private JarSource(Path path, String role, Limits limits, ZipFile zip, TreeMap<String, ZipEntry> files) {
        this.path = path;
        this.role = role;
        this.limits = limits;
        this.zip = zip;
        this.files = files;
    }

    /**
     * Opens {@code path} and indexes its file entries. {@code role} ("baseline jar", "patched jar")
     * names the input in error messages.
     */
    static JarSource open(Path path, String role, Limits limits) {
        if (path == null) {
            throw new IllegalArgumentException(role + " is required");
        }
        if (!Files.exists(path)) {
            throw new BuilderException(role + " " + path + " does not exist; pass the path of an existing .jar file");
        }
        if (Files.isDirectory(path)) {
            throw new BuilderException(role + " " + path + " is a folder; pass a .jar file (package the classes with 'jar' or your build tool first)");
        }
        ZipFile zip;
        try {
            zip = new ZipFile(path.toFile());
        } catch (ZipException e) {
            throw new BuilderException(role + " " + path + " is not a jar (zip) file (" + e.getMessage()
                    + "); pass the .jar your build produced", e);
        } catch (IOException e) {
            throw new BuilderException("cannot read " + role + " " + path + ": " + e.getMessage()
                    + "; check that the file exists and is readable", e);
        }
        try {
            if (zip.size() > limits.maxEntries()) {
                throw new BuilderException(role + " " + path + " has " + zip.size() + " entries; the builder reads at most "
                        + limits.maxEntries() + ", so this is not an application jar (a zip bomb?); pass the jar that holds the classes");
            }
            TreeMap<String, ZipEntry> files = new TreeMap<>();
            Enumeration<? extends ZipEntry> entries = zip.entries();
            while (entries.hasMoreElements()) {
                ZipEntry e = entries.nextElement();
                if (e.isDirectory()) {
                    continue;
                }
                if (files.put(e.getName(), e) != null) {
                    throw new BuilderException(role + " " + path + " holds entry " + printable(e.getName())
                            + " twice; class loaders see only one copy, so the jar is ambiguous: rebuild it");
                }
            }
            return new JarSource(path, role, limits, zip, files);
        } catch (RuntimeException e) {
            closeQuietly(zip);
            throw e;
        }
    }

    /** Names of the file entries, sorted. */
    NavigableSet<String> names() {
        return files.navigableKeySet();
    }

    boolean contains(String name) {
        return files.containsKey(name);
    }

    Path path() {
        return path;
    }

    /** The bytes of class entry {@code name}, at most {@link Limits#maxClassBytes()} of them. */
    byte[] readClass(String name) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[CHUNK];
        try (InputStream in = open(name)) {
            for (int n; (n = in.read(buf)) > 0; ) {
                if (out.size() + (long) n > limits.maxClassBytes()) {
                    throw new BuilderException("entry " + printable(name) + " of " + role + " " + path + " inflates to more than "
                            + limits.maxClassBytes() + " bytes; no real class is that large (a zip bomb?): rebuild the jar");
                }
                count(n, name);
                out.write(buf, 0, n);
            }
        } catch (IOException e) {
            throw damaged(name, e);
        }
        return out.toByteArray();
    }

    /** Whether entry {@code name} has the same content here and in {@code other}, compared as streams. */
    boolean sameContent(String name, JarSource other) {
        ZipEntry mine = files.get(name);
        ZipEntry theirs = other.files.get(name);
        if (mine.getSize() >= 0 && theirs.getSize() >= 0 && mine.getSize() != theirs.getSize()) {
            return false;
        }
        try (InputStream a = open(name); InputStream b = other.open(name)) {
            while (true) {
                byte[] x = a.readNBytes(CHUNK);
                byte[] y = b.readNBytes(CHUNK);
                count(x.length, name);
                other.count(y.length, name);
                if (!Arrays.equals(x, y)) {
                    return false;
                }
                if (x.length < CHUNK) {
                    return true;
                }
            }
        } catch (IOException e) {
            throw damaged(name, e);
        }
    }

    private InputStream open(String name) throws IOException {
        ZipEntry e = files.get(name);
        if (e == null) {
            throw new IllegalStateException("no entry " + name + " in " + path);
        }
        return zip.getInputStream(e);
    }

    private void count(long n, String name) {
        inflated += n;
        if (inflated > limits.maxTotalBytes()) {
            throw new BuilderException(role + " " + path + " inflates to more than " + limits.maxTotalBytes()
                    + " bytes (reached at entry " + printable(name) + "); that is not an application jar (a zip bomb?): pass the jar that holds the classes");
        }
    }

    private BuilderException damaged(String name, IOException e) {
        return new BuilderException("cannot read entry " + printable(name) + " of " + role + " " + path + ": " + e.getMessage()
                + "; the jar is damaged: rebuild it", e);
    }

    /** Entry names come from the jar; keep control characters out of messages and bound their length. */
    static String printable(String s) {
        return printable(s, 300);
    }

    /** {@code s} with control characters replaced by {@code ?}, cut to {@code max} characters and an ellipsis. */
    static String printable(String s, int max) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            if (b.length() >= max) {
                return b.append('…').toString();
            }
            char c = s.charAt(i);
            b.append(Character.isISOControl(c) ? '?' : c);
        }
        return b.toString();
    }

    @Override
    public void close() {
        closeQuietly(zip);
    }

    private static void closeQuietly(ZipFile zip) {
        try {
            zip.close();
        } catch (IOException ignored) {
            // Read-only file: nothing was written that closing could lose.
        }
    }

    @Override
    public String toString() {
        return role + " " + path + " (" + files.size() + " files)";
    }
}
