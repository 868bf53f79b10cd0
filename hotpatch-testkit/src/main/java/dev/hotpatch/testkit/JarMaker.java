package dev.hotpatch.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.FileObject;
import javax.tools.ForwardingJavaFileManager;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileManager;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

/**
 * A maker of small jars for tests: compiles Java sources in-process with {@code javax.tools} and
 * writes the classes, or writes raw entries, into a jar file.
 *
 * <p>Jars are reproducible: entries carry a fixed timestamp, so the same input gives the same
 * bytes, which keeps hashes in tests stable. Thread-safe (each call uses its own compiler task).
 */
public final class JarMaker {
    /** 2000-01-01T00:00:00Z: any fixed instant would do, this one is obviously artificial. */
    private static final long ENTRY_TIME = 946_684_800_000L;
    private static final byte[] MANIFEST = "Manifest-Version: 1.0\r\n\r\n".getBytes(StandardCharsets.UTF_8);

    private JarMaker() {
    }

    /**
     * Compiles {@code sources} (binary name of each top-level class → its Java source) with
     * {@code --release release} against {@code classpath}, and writes the classes, nested ones
     * included, to {@code outJar} after a minimal manifest.
     *
     * @return {@code outJar}
     * @throws AssertionError if the sources do not compile, with every diagnostic
     */
    public static Path compile(Path outJar, Map<String, String> sources, List<Path> classpath, int release) {
        Map<String, byte[]> classes = compile(sources, classpath, release);
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put(JarFile.MANIFEST_NAME, MANIFEST);
        classes.forEach((name, bytes) -> entries.put(name.replace('.', '/') + ".class", bytes));
        return jar(outJar, entries);
    }

    /**
     * Writes {@code entries} (entry name → content) to {@code outJar} in the map's order, except
     * that {@code META-INF/MANIFEST.MF}, when present, goes first so {@code JarInputStream} finds
     * it. Parent directories are created; an existing file is replaced.
     *
     * @return {@code outJar}
     */
    public static Path jar(Path outJar, Map<String, byte[]> entries) {
        try {
            Path parent = outJar.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(outJar))) {
                byte[] manifest = entries.get(JarFile.MANIFEST_NAME);
                if (manifest != null) {
                    write(out, JarFile.MANIFEST_NAME, manifest);
                }
                for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                    if (!e.getKey().equals(JarFile.MANIFEST_NAME)) {
                        write(out, e.getKey(), e.getValue());
                    }
                }
            }
            return outJar;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + outJar, e);
        }
    }

    /**
     * A jar in memory holding {@code classes} (internal name → class file bytes) as
     * {@code name.class} entries in the map's order, with fixed entry times, so that the same
     * classes give the same bytes (and the same baseline hash) in every run.
     */
    public static byte[] classJar(Map<String, byte[]> classes) {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (ZipOutputStream out = new ZipOutputStream(bytes)) {
            for (Map.Entry<String, byte[]> e : classes.entrySet()) {
                write(out, e.getKey() + ".class", e.getValue());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write a jar in memory", e);
        }
        return bytes.toByteArray();
    }

    private static void write(ZipOutputStream out, String name, byte[] content) throws IOException {
        ZipEntry entry = new ZipEntry(name);
        entry.setTime(ENTRY_TIME);
        out.putNextEntry(entry);
        out.write(content);
        out.closeEntry();
    }

    /** Binary class name → class file bytes, sorted by name. */
    private static Map<String, byte[]> compile(Map<String, String> sources, List<Path> classpath, int release) {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        if (javac == null) {
            throw new IllegalStateException("no system Java compiler: the tests run on a JRE, not a JDK ("
                    + System.getProperty("java.home") + ")");
        }
        List<JavaFileObject> units = new ArrayList<>();
        sources.forEach((name, text) -> units.add(new Source(name, text)));
        List<String> options = new ArrayList<>(List.of("--release", Integer.toString(release), "-proc:none"));
        if (!classpath.isEmpty()) {
            options.add("-classpath");
            options.add(classpath.stream().map(Path::toString)
                    .collect(Collectors.joining(System.getProperty("path.separator"))));
        }
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        Map<String, byte[]> classes = new TreeMap<>();
        StandardJavaFileManager standard = javac.getStandardFileManager(diagnostics, Locale.ROOT, StandardCharsets.UTF_8);
        try (JavaFileManager files = new InMemoryOutput(standard, classes)) {
            boolean ok;
            try {
                ok = javac.getTask(null, files, diagnostics, options, null, units).call();
            } catch (IllegalArgumentException e) {
                // javac rejects options such as a --release it does not know before compiling anything.
                throw new AssertionError("javac refused options " + options + ": " + e.getMessage(), e);
            }
            if (!ok) {
                throw new AssertionError("compilation of " + sources.keySet() + " failed:\n"
                        + format(diagnostics.getDiagnostics()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close the compiler's file manager", e);
        }
        return classes;
    }

    private static String format(List<Diagnostic<? extends JavaFileObject>> diagnostics) {
        StringBuilder sb = new StringBuilder();
        for (Diagnostic<? extends JavaFileObject> d : diagnostics) {
            String file = d.getSource() == null ? "" : d.getSource().getName() + ":" + d.getLineNumber() + ": ";
            sb.append(file).append(d.getKind().toString().toLowerCase(Locale.ROOT)).append(": ")
                    .append(d.getMessage(Locale.ROOT)).append('\n');
        }
        return sb.toString();
    }

    /** A source held in memory, named like the file javac expects for its top-level class. */
    private static final class Source extends SimpleJavaFileObject {
        private final String text;

        Source(String binaryName, String text) {
            super(URI.create("string:///" + binaryName.replace('.', '/') + Kind.SOURCE.extension), Kind.SOURCE);
            this.text = text;
        }

        @Override
        public CharSequence getCharContent(boolean ignoreEncodingErrors) {
            return text;
        }
    }

    /** Collects every class javac writes into a map instead of the file system. */
    private static final class InMemoryOutput extends ForwardingJavaFileManager<StandardJavaFileManager> {
        private final Map<String, byte[]> classes;

        InMemoryOutput(StandardJavaFileManager delegate, Map<String, byte[]> classes) {
            super(delegate);
            this.classes = classes;
        }

        @Override
        public JavaFileObject getJavaFileForOutput(Location location, String className, JavaFileObject.Kind kind,
                FileObject sibling) {
            return new SimpleJavaFileObject(URI.create("mem:///" + className.replace('.', '/') + kind.extension), kind) {
                @Override
                public OutputStream openOutputStream() {
                    return new ByteArrayOutputStream() {
                        @Override
                        public void close() {
                            classes.put(className, toByteArray());
                        }
                    };
                }
            };
        }
    }
}
