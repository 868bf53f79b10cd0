package dev.hotpatch.builder;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;

/**
 * Real jars for tests: compiles Java source strings with the running JDK's javac and writes the
 * class files, plus any extra entries, into a jar.
 */
final class TestJars {
    private static final Pattern PACKAGE = Pattern.compile("^\\s*package\\s+([\\w.]+)\\s*;", Pattern.MULTILINE);
    private static final Pattern TYPE = Pattern.compile("\\b(?:class|interface|enum|record)\\s+(\\w+)");

    private TestJars() {
    }

    /**
     * Compiles {@code sources} (each a complete compilation unit whose first type names the file)
     * with {@code --release 17} and returns the class files by jar entry name, e.g. {@code acme/Fees.class}.
     */
    static Map<String, byte[]> compile(Path work, String... sources) throws IOException {
        return compile(work, 17, sources);
    }

    /** As {@link #compile(Path, String...)}, for Java {@code release} (8 gives class-file version 52, as most libraries ship). */
    static Map<String, byte[]> compile(Path work, int release, String... sources) throws IOException {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        if (javac == null) {
            throw new IllegalStateException("tests need a JDK (javax.tools compiler), not a JRE");
        }
        List<JavaFileObject> units = new ArrayList<>();
        for (String source : sources) {
            units.add(new Source(fileName(source), source));
        }
        Path out = Files.createTempDirectory(work, "classes");
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        boolean ok = javac.getTask(null, null, diagnostics, List.of("--release", Integer.toString(release), "-Xlint:-options", "-d", out.toString()), null, units).call();
        if (!ok) {
            throw new AssertionError("test sources do not compile: " + diagnostics.getDiagnostics());
        }
        Map<String, byte[]> classes = new TreeMap<>();
        try (Stream<Path> files = Files.walk(out)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                classes.put(out.relativize(f).toString().replace('\\', '/'), Files.readAllBytes(f));
            }
        }
        return classes;
    }

    /** Writes {@code entries} (entry name to bytes) into a new jar at {@code file}. */
    static Path jar(Path file, Map<String, byte[]> entries) throws IOException {
        try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(file))) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                jar.putNextEntry(new JarEntry(e.getKey()));
                jar.write(e.getValue());
                jar.closeEntry();
            }
        }
        return file;
    }

    /** Compiles {@code sources} and jars the classes at {@code file}. */
    static Path compileJar(Path file, String... sources) throws IOException {
        return jar(file, compile(file.getParent(), sources));
    }

    /** {@code classes} plus {@code more}, in a new map. */
    static Map<String, byte[]> with(Map<String, byte[]> classes, String name, byte[] bytes) {
        Map<String, byte[]> all = new LinkedHashMap<>(classes);
        all.put(name, bytes);
        return all;
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String fileName(String source) {
        Matcher type = TYPE.matcher(source);
        if (!type.find()) {
            Matcher pkg = PACKAGE.matcher(source);
            if (pkg.find()) {
                return pkg.group(1).replace('.', '/') + "/package-info.java";
            }
            throw new IllegalArgumentException("no type declared in test source: " + source);
        }
        Matcher pkg = PACKAGE.matcher(source);
        String prefix = pkg.find() ? pkg.group(1).replace('.', '/') + "/" : "";
        return prefix + type.group(1) + ".java";
    }

    /** A compilation unit held in memory. */
    private static final class Source extends SimpleJavaFileObject {
        private final String code;

        Source(String path, String code) {
            super(URI.create("string:///" + path), Kind.SOURCE);
            this.code = code;
        }

        @Override
        public CharSequence getCharContent(boolean ignoreEncodingErrors) {
            return code;
        }
    }

    /** Writes a jar whose single resource entry inflates to {@code size} zero bytes (a tiny zip bomb). */
    static Path zeros(Path file, String entry, int size) throws IOException {
        try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(file))) {
            jar.putNextEntry(new JarEntry(entry));
            OutputStream o = jar;
            byte[] chunk = new byte[64 * 1024];
            for (int left = size; left > 0; left -= chunk.length) {
                o.write(chunk, 0, Math.min(left, chunk.length));
            }
            jar.closeEntry();
        }
        return file;
    }
}
