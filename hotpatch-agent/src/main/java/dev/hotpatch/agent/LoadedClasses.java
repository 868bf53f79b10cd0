package dev.hotpatch.agent;

import dev.hotpatch.format.Sha256;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.CodeSource;
import java.security.ProtectionDomain;
import java.util.HashMap;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.zip.ZipFile;

/**
 * What the agent knows about the bytes of each class copy it has looked at: per class loader and
 * class name, the SHA-256 of the class's baseline bytes and of the bytes now in use, plus the bytes
 * themselves by hash so any state can be restored. Loaders are held weakly, so tracking never keeps
 * an application's class loader alive.
 *
 * <p>A class the agent has not touched is read from its code source (the jar or folder it was
 * defined from): HotSpot cannot hand back a class's original bytes once loaded, and a re-created
 * class file would not hash like the published one. Thread-safe: all methods synchronise on this.
 */
final class LoadedClasses {
    private static final long MAX_CLASS_BYTES = 64L << 20;
    private static final Object BOOTSTRAP = new Object();

    /** One class copy's state. */
    static final class Tracked {
        final String baselineSha;
        String currentSha;

        Tracked(String baselineSha, String currentSha) {
            this.baselineSha = baselineSha;
            this.currentSha = currentSha;
        }
    }

    private final Map<Object, Map<String, Tracked>> byLoader = new WeakHashMap<>();
    private final Map<String, byte[]> blobs = new HashMap<>();

    /** Remembers bytes under their hash so a later operation can restore them; returns the hash. */
    synchronized String remember(byte[] bytes) {
        String sha = Sha256.hex(bytes);
        blobs.putIfAbsent(sha, bytes.clone());
        return sha;
    }

    synchronized byte[] blob(String sha) {
        byte[] b = blobs.get(sha);
        return b == null ? null : b.clone();
    }

    /** Records that a copy of {@code internalName} in {@code loader} now runs {@code currentSha}. */
    synchronized void record(ClassLoader loader, String internalName, String baselineSha, String currentSha) {
        Map<String, Tracked> m = byLoader.computeIfAbsent(key(loader), k -> new HashMap<>());
        Tracked t = m.get(internalName);
        if (t == null || !t.baselineSha.equals(baselineSha)) {
            m.put(internalName, new Tracked(baselineSha, currentSha));
        } else {
            t.currentSha = currentSha;
        }
    }

    /**
     * The state of a loaded class: tracked if the agent patched it, otherwise read from its code
     * source (and then tracked with baseline = current).
     *
     * @throws IOException when the class's bytes cannot be found or read
     */
    Tracked track(Class<?> k) throws IOException {
        String internal = k.getName().replace('.', '/');
        synchronized (this) {
            Map<String, Tracked> m = byLoader.get(key(k.getClassLoader()));
            Tracked t = m == null ? null : m.get(internal);
            if (t != null) {
                return t;
            }
        }
        byte[] bytes = readFromCodeSource(k);
        String sha = remember(bytes);
        synchronized (this) {
            Map<String, Tracked> m = byLoader.computeIfAbsent(key(k.getClassLoader()), x -> new HashMap<>());
            return m.computeIfAbsent(internal, x -> new Tracked(sha, sha));
        }
    }

    private static Object key(ClassLoader loader) {
        return loader == null ? BOOTSTRAP : loader;
    }

    /** Reads the class file a class was defined from: its jar or folder, else its loader's resource. */
    static byte[] readFromCodeSource(Class<?> k) throws IOException {
        String resource = k.getName().replace('.', '/') + ".class";
        ProtectionDomain pd = k.getProtectionDomain();
        CodeSource cs = pd == null ? null : pd.getCodeSource();
        URL location = cs == null ? null : cs.getLocation();
        if (location != null && "file".equals(location.getProtocol())) {
            Path p;
            try {
                p = Paths.get(location.toURI());
            } catch (URISyntaxException | IllegalArgumentException e) {
                p = new File(location.getPath()).toPath();
            }
            if (Files.isDirectory(p)) {
                Path f = p.resolve(resource);
                if (Files.isRegularFile(f) && Files.size(f) <= MAX_CLASS_BYTES) {
                    return Files.readAllBytes(f);
                }
            } else if (Files.isRegularFile(p)) {
                try (JarFile jar = new JarFile(p.toFile(), false, ZipFile.OPEN_READ, Runtime.version())) {
                    JarEntry e = jar.getJarEntry(resource);
                    if (e != null) {
                        try (InputStream in = jar.getInputStream(e)) {
                            return readBounded(in);
                        }
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

    /** A loader's description for messages: its name or class, with identity. */
    static String describe(ClassLoader loader) {
        if (loader == null) {
            return "bootstrap";
        }
        String name = loader.getName();
        return (name != null ? name + " " : "") + loader.getClass().getName() + "@" + Integer.toHexString(System.identityHashCode(loader));
    }
}
