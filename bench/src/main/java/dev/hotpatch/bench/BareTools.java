package dev.hotpatch.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/**
 * Writes, at run time, the small jars that run inside or beside target JVMs, from this module's
 * own class files so that they carry none of the benchmark's dependencies: the JDK-only jar the
 * baselines run from ({@link BareAgent} as its {@code Agent-Class}, {@link BareAttach},
 * {@link Trivial}), the {@link ApplyProbe} agent jar, and the {@link Ballast} launcher's jar.
 */
final class BareTools {
    private BareTools() {
    }

    /** The baselines' jar. */
    static Path writeJar(Path out) {
        return write(out, BareAgent.class, List.of(BareAgent.class, BareAttach.class, Trivial.class));
    }

    /** The probe's jar; the probe needs the hotpatch agent resident in the target it is loaded into. */
    static Path writeProbeJar(Path out) {
        return write(out, ApplyProbe.class, List.of(ApplyProbe.class));
    }

    /** The jar of the launcher that makes a target JVM the size of a real service. */
    static Path writeBallastJar(Path out) {
        return write(out, null, List.of(Ballast.class));
    }

    /** Writes {@code classes} into jar {@code out}, an agent jar when {@code agentClass} is not null. */
    private static Path write(Path out, Class<?> agentClass, List<Class<?>> classes) {
        Manifest mf = new Manifest();
        Attributes a = mf.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        if (agentClass != null) {
            a.putValue("Agent-Class", agentClass.getName());
            a.putValue("Premain-Class", agentClass.getName());
            a.putValue("Can-Redefine-Classes", "true");
        }
        try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(out), mf)) {
            for (Class<?> k : classes) {
                String entry = k.getName().replace('.', '/') + ".class";
                try (InputStream in = BareTools.class.getClassLoader().getResourceAsStream(entry)) {
                    if (in == null) {
                        throw new IllegalStateException("class file " + entry + " not found on the benchmark's class path");
                    }
                    jar.putNextEntry(new JarEntry(entry));
                    in.transferTo(jar);
                    jar.closeEntry();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + out, e);
        }
        return out;
    }
}
