package dev.hotpatch.bench;

import dev.hotpatch.attach.AgentJar;
import dev.hotpatch.format.ClassPatch;
import dev.hotpatch.format.Classification;
import dev.hotpatch.format.PackageManifest;
import dev.hotpatch.format.PackageWriter;
import dev.hotpatch.format.RebootBehavior;
import dev.hotpatch.format.Sha256;
import dev.hotpatch.format.SigningKey;
import dev.hotpatch.testkit.Jdks;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * Everything the benchmarks share: where the repository's build outputs are, the JDKs, a private
 * scratch folder, a signing key whose folder doubles as the trust folder, the ten-class fees
 * hotpatch and the same ten classes as plain class files for the bare-JDK baselines.
 *
 * <p>The repository is the folder named by {@code -Dbench.repo}, else the first folder at or above
 * the working directory that holds {@code examples/fees-app}. Closing deletes the scratch folder.
 * Not thread-safe; created once per run.
 */
final class Workspace implements AutoCloseable {
    /** The id of the ten-class package. */
    static final String PATCH_ID = "KB-BENCH-0001";
    /** The id of the behaviour-neutral ten-class package. */
    static final String NEUTRAL_ID = "KB-BENCH-0002";
    /** The classes 1.0.1 changes that {@code --include 'acme/bench/*'} selects: acme.bench.Op0 … Op9. */
    static final List<String> PATCH_CLASSES = opClasses();

    final Path repo;
    final Path scratch;
    final Path feesBaseline;
    final Path feesFixed;
    final Path keyDir;
    final Path patch;
    /**
     * The same ten classes replaced by their own 1.0 code, only their {@code SourceFile} renamed:
     * a patch that changes nothing the JIT sees, so that throughput around it measures the cost
     * of patching alone (1.0.1's code itself runs at a different speed).
     */
    final Path neutralPatch;
    /** The ten classes as class files, 1.0 bytes, laid out by package under this folder. */
    final Path originalClasses;
    /** The ten classes as class files, 1.0.1 bytes. */
    final Path patchedClasses;
    final Path bareJar;
    final Path probeJar;
    final Path ballastJar;
    final Path agentJar;

    private Workspace(Path repo, Path scratch, SigningKey.Type keyType) {
        this.repo = repo;
        this.scratch = scratch;
        this.feesBaseline = require(repo.resolve("examples/fees-app/target/fees-app-1.0.jar"));
        this.feesFixed = require(repo.resolve("examples/fees-app/target/fees-app-1.0.1.jar"));
        this.keyDir = scratch.resolve("key");
        SigningKey key = SigningKey.generate(keyDir, "CN=Bench", keyType);
        this.originalClasses = scratch.resolve("classes-1.0");
        this.patchedClasses = scratch.resolve("classes-1.0.1");
        this.patch = scratch.resolve(PATCH_ID + ".hotpatch");
        this.neutralPatch = scratch.resolve(NEUTRAL_ID + ".hotpatch");
        writePatches(key);
        this.bareJar = BareTools.writeJar(scratch.resolve("bare-tools.jar"));
        this.probeJar = BareTools.writeProbeJar(scratch.resolve("apply-probe.jar"));
        this.ballastJar = BareTools.writeBallastJar(scratch.resolve("ballast.jar"));
        this.agentJar = AgentJar.path();
    }

    /**
     * Finds the repository and prepares the shared inputs, signed with a new key of {@code keyType};
     * fails with a hint when a build output is missing.
     */
    static Workspace open(SigningKey.Type keyType) {
        Path repo = findRepo();
        try {
            return new Workspace(repo, Files.createTempDirectory("hotpatch-bench-"), keyType);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a scratch folder under " + System.getProperty("java.io.tmpdir"), e);
        }
    }

    /**
     * Waits until nothing in the trust folder (the key folder) changed for 2.5 s. An agent trusts
     * its cached parse of a trust folder only once the folder's newest time is 2 s old (a change in
     * the same clock tick could otherwise go unseen) and reads it afresh at every apply before that;
     * a production trust folder changes rarely, so warm measurements start after it has settled.
     */
    void awaitSettledTrust() throws IOException, InterruptedException {
        long newest = 0;
        try (java.util.stream.Stream<Path> files = Files.list(keyDir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                newest = Math.max(newest, changed(f));
            }
        }
        newest = Math.max(newest, changed(keyDir));
        long wait = newest + 2_500 - System.currentTimeMillis();
        if (wait > 0) {
            Thread.sleep(wait);
        }
    }

    private static long changed(Path p) throws IOException {
        long ctime = ((java.nio.file.attribute.FileTime) Files.getAttribute(p, "unix:ctime")).toMillis();
        return Math.max(ctime, Files.getLastModifiedTime(p).toMillis());
    }

    /** The {@code java} executable of Java 17. */
    static Path java17() {
        return Jdks.all().get(0);
    }

    /** The {@code java} executable of Java 25, if installed. */
    static Optional<Path> java25() {
        Path p = Jdks.all().get(1);
        return Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
    }

    /** Java 17 and, when installed, Java 25. */
    static List<Path> jdks() {
        List<Path> out = new ArrayList<>();
        out.add(java17());
        java25().ifPresent(out::add);
        return out;
    }

    static String label(Path java) {
        return "JDK " + Jdks.featureVersion(java);
    }

    /** The CLI jar, if it has been built and runs. */
    Optional<Path> cliJar() {
        Path jar = repo.resolve("hotpatch-cli/target/hotpatch.jar");
        if (!Files.isRegularFile(jar)) {
            return Optional.empty();
        }
        try (JarFile j = new JarFile(jar.toFile())) {
            String main = j.getManifest() == null ? null : j.getManifest().getMainAttributes().getValue("Main-Class");
            if (main == null || j.getEntry(main.replace('.', '/') + ".class") == null) {
                return Optional.empty();
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        return Optional.of(jar);
    }

    /** A fresh, not yet existing folder path under the scratch folder, e.g. for an agent's state. */
    Path fresh(String prefix) {
        try {
            Path p = Files.createTempDirectory(scratch, prefix);
            Files.delete(p);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void writePatches(SigningKey key) {
        List<ClassPatch> classes = new ArrayList<>();
        List<ClassPatch> neutral = new ArrayList<>();
        try (JarFile base = new JarFile(feesBaseline.toFile()); JarFile fixed = new JarFile(feesFixed.toFile())) {
            for (String internal : PATCH_CLASSES) {
                String entry = internal + ".class";
                byte[] before = base.getInputStream(base.getEntry(entry)).readAllBytes();
                byte[] after = fixed.getInputStream(fixed.getEntry(entry)).readAllBytes();
                Path o = originalClasses.resolve(entry);
                Path p = patchedClasses.resolve(entry);
                Files.createDirectories(o.getParent());
                Files.createDirectories(p.getParent());
                Files.write(o, before);
                Files.write(p, after);
                classes.add(ClassPatch.replace(internal, Sha256.hex(before), after));
                neutral.add(ClassPatch.replace(internal, Sha256.hex(before), renameSourceFile(before, internal)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the fees-app jars " + feesBaseline + " and " + feesFixed, e);
        }
        // What `hotpatch build --include 'acme/bench/*'` makes of 1.0 → 1.0.1, written with the format API.
        PackageWriter.write(manifest(PATCH_ID, "Benchmark: the ten acme.bench stages of fees-app 1.0.1", classes), key, patch);
        PackageWriter.write(manifest(NEUTRAL_ID, "Benchmark: the ten acme.bench stages, code unchanged", neutral), key, neutralPatch);
    }

    private static PackageManifest manifest(String id, String title, List<ClassPatch> classes) {
        return PackageManifest.builder()
                .id(id)
                .title(title)
                .classification(Classification.SECURITY)
                .severity("Low")
                .baseline("fees-app-1.0")
                .rebootBehavior(RebootBehavior.NEVER_REBOOTS)
                .published(Instant.now())
                .classes(classes)
                .build();
    }

    /**
     * The class file with the last letter of its {@code SourceFile} name changed ({@code Op0.java}
     * → {@code Op0.javx}): a constant-pool string of the same length, so nothing else moves and
     * the code is untouched.
     */
    static byte[] renameSourceFile(byte[] classFile, String internalName) {
        String simple = internalName.substring(internalName.lastIndexOf('/') + 1) + ".java";
        byte[] utf8 = simple.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] entry = new byte[3 + utf8.length];
        entry[0] = 1; // CONSTANT_Utf8
        entry[1] = (byte) (utf8.length >> 8);
        entry[2] = (byte) utf8.length;
        System.arraycopy(utf8, 0, entry, 3, utf8.length);
        int at = -1;
        for (int i = 0; i + entry.length <= classFile.length; i++) {
            if (java.util.Arrays.equals(classFile, i, i + entry.length, entry, 0, entry.length)) {
                if (at >= 0) {
                    throw new IllegalStateException(internalName + " holds the string " + simple + " twice");
                }
                at = i;
            }
        }
        if (at < 0) {
            throw new IllegalStateException(internalName + " has no SourceFile string " + simple + " (compiled without -g:source?)");
        }
        byte[] out = classFile.clone();
        out[at + entry.length - 1] = 'x';
        return out;
    }

    private static List<String> opClasses() {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            names.add("acme/bench/Op" + i);
        }
        return List.copyOf(names);
    }

    private static Path findRepo() {
        String configured = System.getProperty("bench.repo");
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured).toAbsolutePath().normalize();
        }
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("examples/fees-app"))) {
                return p;
            }
        }
        throw new IllegalStateException("cannot find the hotpatch repository above " + Path.of("").toAbsolutePath()
                + ": run from inside it or pass -Dbench.repo=/path/to/repo");
    }

    private static Path require(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException(file + " is missing: build the examples first with "
                    + "'mvn -o -q -pl hotpatch-testkit,examples,examples/fees-app,examples/log4shell install -DskipTests'");
        }
        return file;
    }

    @Override
    public void close() {
        try (Stream<Path> walk = Files.walk(scratch)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.err.println("could not delete scratch folder " + scratch + ": " + e.getMessage());
        }
    }
}
