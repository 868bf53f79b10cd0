package dev.hotpatch.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;
import java.util.jar.JarInputStream;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JarMakerTest {
    @TempDir
    Path dir;

    @Test
    void compilesNestedClassesAgainstAClasspathAtTheRequestedRelease() throws IOException {
        Path base = JarMaker.compile(dir.resolve("base.jar"),
                Map.of("a.Base", "package a; public class Base { public int n() { return 1; } }"), List.of(), 11);
        Path jar = JarMaker.compile(dir.resolve("out/b.jar"), Map.of("b.B",
                "package b; public class B extends a.Base { static class In {} }"), List.of(base), 11);

        try (JarFile jf = new JarFile(jar.toFile())) {
            List<String> names = Collections.list(jf.entries()).stream().map(ZipEntry::getName).toList();
            assertThat(names).startsWith("META-INF/MANIFEST.MF").containsExactlyInAnyOrder("META-INF/MANIFEST.MF", "b/B.class", "b/B$In.class");
            byte[] header = jf.getInputStream(jf.getEntry("b/B.class")).readNBytes(8);
            assertThat(header[7]).as("class file major version").isEqualTo((byte) 55);
        }
    }

    @Test
    void reportsCompileErrorsWithDiagnostics() {
        assertThatThrownBy(() -> JarMaker.compile(dir.resolve("bad.jar"),
                Map.of("c.Bad", "package c;\npublic class Bad { int x = \"s\"; }"), List.of(), 17))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("c/Bad.java:2: error:")
                .hasMessageContaining("incompatible types");
        assertThat(dir.resolve("bad.jar")).doesNotExist();
    }

    @Test
    void writesRawEntriesManifestFirstAndReproducibly() throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("z.txt", "z".getBytes(StandardCharsets.UTF_8));
        entries.put("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\nX-Test: yes\r\n\r\n".getBytes(StandardCharsets.UTF_8));
        Path one = JarMaker.jar(dir.resolve("one.jar"), entries);
        Path two = JarMaker.jar(dir.resolve("two.jar"), entries);

        assertThat(Files.readAllBytes(one)).isEqualTo(Files.readAllBytes(two));
        try (JarInputStream in = new JarInputStream(Files.newInputStream(one))) {
            assertThat(in.getManifest().getMainAttributes().getValue("X-Test")).isEqualTo("yes");
            assertThat(in.getNextJarEntry().getName()).isEqualTo("z.txt");
        }
    }
}
