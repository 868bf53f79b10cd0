package acme.log4shell;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpatch.testkit.ClassShape;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.jar.JarInputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;

/**
 * Guards the two promises of the Log4Shell hotfix jar: it is log4j-core 2.14.1 with one class
 * replaced, and that class keeps 2.14.1's declaration exactly, so it can be applied as a hotpatch.
 */
class HotfixJarTest {
    private static final String JNDI_LOOKUP = "org/apache/logging/log4j/core/lookup/JndiLookup.class";
    private static final Path ORIGINAL = Path.of("target/log4j-core-2.14.1.jar");
    private static final Path HOTFIX = Path.of("target/log4j-core-2.14.1-hotfix.jar");
    private static final Path API = Path.of("target/lib/log4j-api-2.14.1.jar");

    @Test
    void hotfixJarIsTheOriginalWithOnlyJndiLookupReplaced() throws IOException {
        Map<String, byte[]> original = files(ORIGINAL);
        Map<String, byte[]> hotfix = files(HOTFIX);

        assertThat(hotfix.keySet()).isEqualTo(original.keySet());
        for (String name : original.keySet()) {
            if (!name.equals(JNDI_LOOKUP)) {
                assertThat(hotfix.get(name)).as(name).isEqualTo(original.get(name));
            }
        }
        assertThat(hotfix.get(JNDI_LOOKUP))
                .isNotEqualTo(original.get(JNDI_LOOKUP))
                .isEqualTo(Files.readAllBytes(Path.of("target/fix-classes").resolve(JNDI_LOOKUP)));
        try (JarInputStream in = new JarInputStream(Files.newInputStream(HOTFIX))) {
            assertThat(in.getManifest()).as("manifest readable by JarInputStream").isNotNull();
        }
    }

    @Test
    void fixedJndiLookupHasTheDeclarationOf2141() throws Exception {
        try (URLClassLoader original = loader(ORIGINAL); URLClassLoader hotfix = loader(HOTFIX)) {
            String name = "org.apache.logging.log4j.core.lookup.JndiLookup";
            assertThat(ClassShape.of(Class.forName(name, false, hotfix)))
                    .isEqualTo(ClassShape.of(Class.forName(name, false, original)));
        }
        byte[] header = Files.readAllBytes(Path.of("target/fix-classes").resolve(JNDI_LOOKUP));
        assertThat(header[7]).as("class file major version (52 = Java 8, as 2.14.1)").isEqualTo((byte) 52);
    }

    private static URLClassLoader loader(Path core) throws IOException {
        return new URLClassLoader(new URL[] {core.toUri().toURL(), API.toUri().toURL()},
                ClassLoader.getPlatformClassLoader());
    }

    /** Entry name → content for every file entry; directory entries carry no content to compare. */
    private static Map<String, byte[]> files(Path jar) throws IOException {
        Map<String, byte[]> files = new TreeMap<>();
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            for (ZipEntry e : Collections.list(zip.entries())) {
                if (!e.isDirectory()) {
                    try (InputStream in = zip.getInputStream(e)) {
                        files.put(e.getName(), in.readAllBytes());
                    }
                }
            }
        }
        return files;
    }
}
