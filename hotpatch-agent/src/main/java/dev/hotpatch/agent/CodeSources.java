package dev.hotpatch.agent;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.security.ProtectionDomain;
import java.util.HashMap;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.zip.ZipFile;

/**
 * Reads the class file a loaded class was defined from: its jar or folder, else its loader's
 * resource. HotSpot cannot hand back a class's original bytes once loaded, and a class file it
 * re-creates would not hash like the published one, so the code source is the ground truth for
 * classes the agent has not touched, as long as it did not change after the JVM loaded from it
 * ({@link CodeSourceLedger}). One instance serves one operation and keeps each jar open once for all
 * its classes. Not thread-safe.
 */
final class CodeSources implements AutoCloseable {
    private static final long MAX_CLASS_BYTES = 64L << 20;

    private final Map<Path, JarFile> jars = new HashMap<>();
    private final CodeSourceLedger ledger;

    CodeSources(CodeSourceLedger ledger) {
        this.ledger = ledger;
    }

    /**
     * The class file {@code k} was defined from.
     *
     * @throws ChangedCodeSourceException when its jar or class file changed after the JVM loaded it (restart pending)
     * @throws IOException when it cannot be found or read
     */
    byte[] read(Class<?> k) throws IOException {
        String resource = k.getName().replace('.', '/') + ".class";
        ProtectionDomain pd = k.getProtectionDomain();
        CodeSource cs = pd == null ? null : pd.getCodeSource();
        URL location = cs == null ? null : cs.getLocation();
        if (location != null && "file".equals(location.getProtocol())) {
            Path p = CodeSourceLedger.toPath(location);
            if (Files.isDirectory(p)) {
                Path f = p.resolve(resource);
                if (Files.isRegularFile(f) && Files.size(f) <= MAX_CLASS_BYTES) {
                    ledger.requireUnchanged(p, f, k.getName());
                    return Files.readAllBytes(f);
                }
            } else if (Files.isRegularFile(p)) {
                ledger.requireUnchanged(p, null, k.getName());
                JarFile jar = jars.get(p);
                if (jar == null) {
                    // Runtime.version(): a multi-release jar yields the entry this JVM actually loaded.
                    jar = new JarFile(p.toFile(), false, ZipFile.OPEN_READ, Runtime.version());
                    jars.put(p, jar);
                }
                JarEntry e = jar.getJarEntry(resource);
                if (e != null) {
                    try (InputStream in = jar.getInputStream(e)) {
                        return readBounded(in);
                    }
                }
            }
        }
        InputStream in = k.getResourceAsStream("/" + resource);
        if (in == null) {
            throw new IOException("cannot find the class file of " + k.getName() + " (code source " + location
                    + ") to check it against the baseline");
        }
        try (InputStream s = in) {
            return readBounded(s);
        }
    }

    /**
     * The bytes of {@code resource} as {@code loader} finds it, or null when it has none: what the
     * JVM would load. Refused when it lies in a jar the JVM loaded from before and that changed since.
     */
    byte[] readResource(ClassLoader loader, String resource) throws IOException {
        URL url = loader.getResource(resource);
        if (url == null) {
            return null;
        }
        Path jar = jarOf(url);
        if (jar != null) {
            ledger.requireUnchangedIfSeen(jar, resource.replace('/', '.').replaceAll("\\.class$", ""));
        }
        InputStream in = loader.getResourceAsStream(resource);
        if (in == null) {
            return null;
        }
        try (InputStream s = in) {
            return readBounded(s);
        }
    }

    /** The local jar a {@code jar:file:...!/entry} URL points into, or null. */
    private static Path jarOf(URL url) {
        String u = url.toString();
        if (!u.startsWith("jar:file:")) {
            return null;
        }
        int bang = u.indexOf("!/");
        try {
            return CodeSourceLedger.toPath(new URL(u.substring(4, bang < 0 ? u.length() : bang)));
        } catch (java.net.MalformedURLException e) {
            return null;
        }
    }

    private static byte[] readBounded(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[16 * 1024];
        for (int n; (n = in.read(buf)) > 0; ) {
            if (out.size() + (long) n > MAX_CLASS_BYTES) {
                throw new IOException("class file larger than " + MAX_CLASS_BYTES + " bytes");
            }
            out.write(buf, 0, n);
        }
        return out.toByteArray();
    }

    @Override
    public void close() {
        for (JarFile j : jars.values()) {
            try {
                j.close();
            } catch (IOException ignored) {
                // Read-only handle; nothing to lose.
            }
        }
        jars.clear();
    }
}
