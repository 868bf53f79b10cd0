package dev.hotpatch.agent;

import dev.hotpatch.format.Sha256;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * What the agent knows about the bytes of each class copy it has looked at: per class loader and
 * class name, the SHA-256 of the class's baseline bytes and of the bytes now in use, plus the bytes
 * themselves by hash so any state can be restored. Loaders are held weakly, so tracking never keeps
 * an application's class loader alive.
 *
 * <p>A class the agent has not touched is read from its code source (see {@link CodeSources}).
 * Thread-safe: all methods synchronise on this.
 */
final class LoadedClasses {
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

    /**
     * Remembers bytes whose hash is known already (a class of a verified package, whose manifest
     * names its SHA-256 and was checked against it when the package was read).
     */
    synchronized void remember(String sha, byte[] bytes) {
        if (!blobs.containsKey(sha)) {
            blobs.put(sha, bytes.clone());
        }
    }

    synchronized byte[] blob(String sha) {
        byte[] b = blobs.get(sha);
        return b == null ? null : b.clone();
    }

    /** Records that a copy of {@code internalName} in {@code loader} now runs {@code currentSha}. */
    synchronized void record(ClassLoader loader, String internalName, String baselineSha, String currentSha) {
        Map<String, Tracked> m = ofLoader(key(loader));
        Tracked t = m.get(internalName);
        if (t == null || !t.baselineSha.equals(baselineSha)) {
            m.put(internalName, new Tracked(baselineSha, currentSha));
        } else {
            t.currentSha = currentSha;
        }
    }

    /** The SHA-256 of the bytes the agent knows {@code internalName} in {@code loader} runs, or null when it does not track it. */
    synchronized String currentSha(ClassLoader loader, String internalName) {
        Map<String, Tracked> m = byLoader.get(key(loader));
        Tracked t = m == null ? null : m.get(internalName);
        return t == null ? null : t.currentSha;
    }

    /**
     * The state of a loaded class: tracked if the agent patched it, otherwise read from its code
     * source (and then tracked with baseline = current).
     *
     * @throws IOException when the class's bytes cannot be found or read
     */
    Tracked track(Class<?> k, CodeSources sources) throws IOException {
        String internal = k.getName().replace('.', '/');
        synchronized (this) {
            Map<String, Tracked> m = byLoader.get(key(k.getClassLoader()));
            Tracked t = m == null ? null : m.get(internal);
            if (t != null) {
                return t;
            }
        }
        byte[] bytes = sources.read(k);
        String sha = remember(bytes);
        synchronized (this) {
            Map<String, Tracked> m = ofLoader(key(k.getClassLoader()));
            Tracked t = m.get(internal);
            if (t == null) {
                t = new Tracked(sha, sha);
                m.put(internal, t);
            }
            return t;
        }
    }

    /** The tracked classes of a loader key, created empty when missing; callers hold this object's lock. */
    private Map<String, Tracked> ofLoader(Object key) {
        Map<String, Tracked> m = byLoader.get(key);
        if (m == null) {
            m = new HashMap<>();
            byLoader.put(key, m);
        }
        return m;
    }

    private static Object key(ClassLoader loader) {
        return loader == null ? BOOTSTRAP : loader;
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
