package dev.hotpatch.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClassShapeTest {
    private static final String BASE = "package s; public class C { private int n; public int get() { return n; } }";

    @TempDir
    Path dir;

    @Test
    void equalWhenOnlyAMethodBodyChanges() throws Exception {
        assertThat(shape("b", "package s; public class C { private int n; public int get() { return n + 1; } }"))
                .isEqualTo(shape("a", BASE));
    }

    @Test
    void showsTheSyntheticMethodOfANewLambda() throws Exception {
        List<String> lambda = shape("b", "package s; public class C { private int n;"
                + " public int get() { java.util.function.IntSupplier s = () -> n; return s.getAsInt(); } }");
        assertThat(lambda).isNotEqualTo(shape("a", BASE))
                .anyMatch(line -> line.startsWith("method private synthetic int lambda$get$0"));
    }

    @Test
    void showsModifierAndAnnotationChanges() throws Exception {
        assertThat(shape("b", "package s; public class C { private final int n = 0; public int get() { return n; } }"))
                .isNotEqualTo(shape("a", BASE));
        assertThat(shape("c", "package s; public class C { private int n; @Deprecated public int get() { return n; } }"))
                .contains("method public int get() [@java.lang.Deprecated(forRemoval=false, since=\"\")]");
    }

    private List<String> shape(String version, String source) throws Exception {
        Path jar = JarMaker.compile(dir.resolve(version + ".jar"), Map.of("s.C", source), List.of(), 17);
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null)) {
            return ClassShape.of(loader.loadClass("s.C"));
        }
    }
}
