package dev.hotpatch.format;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;

/**
 * The reader against hostile files: whatever the bytes, {@link HotpatchPackage#read} either returns
 * or throws {@link PackageException}, in bounded time, and never trusts content the publisher did not sign.
 */
class HostilePackagePropertyTest {
    private static Path dir;
    private static byte[] original;
    private static Map<String, byte[]> originalEntries;
    private static Map<String, byte[]> originalContent;
    private static TrustStore trust;
    private static final AtomicInteger FILES = new AtomicInteger();
    /** The JDK logs a warning for each mutated manifest with duplicate attributes; held so the level sticks. */
    private static final Logger JAR_LOG = Logger.getLogger("java.util.jar");

    @BeforeContainer
    static void signedPackage() throws IOException {
        JAR_LOG.setLevel(Level.SEVERE);
        dir = Files.createTempDirectory("hotpatch-hostile");
        Path signed = SamplePackages.signed(dir.resolve("original.hotpatch"));
        original = Files.readAllBytes(signed);
        originalEntries = Zips.entries(signed);
        originalContent = Zips.entries(signed, name -> !name.startsWith("META-INF/"));
        trust = TestKeys.trustPublisher();
    }

    @AfterContainer
    static void cleanUp() {
        TestKeys.deleteTree(dir);
    }

    // --- (a) arbitrary bytes -------------------------------------------------------------------

    @Property(tries = 300)
    void read_ofArbitraryBytes_returnsOrRefusesWithPackageException(@ForAll("arbitraryFiles") byte[] content) throws IOException {
        Path file = write(content);

        assertThat(HostileReads.acceptedOrRefused(file, () -> HotpatchPackage.read(file, trust)))
                .as("random bytes are never a trusted package").isEmpty();
        HostileReads.acceptedOrRefused(file, () -> HotpatchPackage.read(file, false));
        Files.delete(file);
    }

    @Provide
    Arbitrary<byte[]> arbitraryFiles() {
        Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(4096);
        Arbitrary<byte[]> localHeader = random.map(b -> concat(new byte[] {'P', 'K', 3, 4}, b));
        Arbitrary<byte[]> withDirectory = Combinators.combine(
                random, Arbitraries.integers().between(0, 0xffff), Arbitraries.integers().between(0, 8192),
                Arbitraries.integers().between(0, 8192))
                .as(HostilePackagePropertyTest::withEndOfCentralDirectory);
        return Arbitraries.frequencyOf(Tuple.of(2, random), Tuple.of(1, localHeader), Tuple.of(3, withDirectory));
    }

    /** Random bytes ended by a well-formed end-of-central-directory record, so the zip reader parses the bytes before it. */
    private static byte[] withEndOfCentralDirectory(byte[] body, int entries, int size, int offset) {
        ByteBuffer end = ByteBuffer.allocate(22).order(ByteOrder.LITTLE_ENDIAN);
        end.putInt(0x06054b50).putShort((short) 0).putShort((short) 0).putShort((short) entries).putShort((short) entries)
                .putInt(Math.min(size, body.length)).putInt(Math.min(offset, body.length)).putShort((short) 0);
        return concat(body, end.array());
    }

    // --- (b) mutations of a valid signed package ------------------------------------------------

    @Property(tries = 400)
    void read_ofMutatedSignedPackage_neverTrustsContentThePublisherDidNotSign(@ForAll("mutations") List<Mutation> mutations)
            throws IOException {
        byte[] content = original;
        for (Mutation m : mutations) {
            content = m.apply(content);
        }
        Path file = write(content);

        Optional<HotpatchPackage> read = HostileReads.acceptedOrRefused(file, () -> HotpatchPackage.read(file, trust));

        boolean identical = Arrays.equals(content, original);
        Statistics.label("outcome").collect(read.isPresent() ? (identical ? "accepted, identical" : "accepted, zip metadata changed") : "refused");
        if (identical) {
            assertThat(read).isPresent();
        }
        if (read.isPresent()) {
            SamplePackages.assertSameManifest(read.get().manifest(), SamplePackages.manifest());
            assertThat(read.get().signers()).containsExactly(TestKeys.publisher().certificate());
            // Every entry the manifest signature vouches for is the publisher's. The JAR signature's
            // own entries (META-INF) may differ: a reader that checks the manifest signature does
            // not read them as anything (and refuses them when their bytes fail their CRC).
            Map<String, byte[]> readBack = Zips.entries(file, name -> !name.startsWith("META-INF/"));
            assertThat(readBack.keySet()).containsExactlyInAnyOrderElementsOf(originalContent.keySet());
            assertThat(readBack).as("every content entry").allSatisfy((name, bytes) ->
                    assertThat(bytes).isEqualTo(originalContent.get(name)));
        }
        HostileReads.acceptedOrRefused(file, () -> HotpatchPackage.read(file, false));
        Files.delete(file);
    }

    @Provide
    Arbitrary<List<Mutation>> mutations() {
        Arbitrary<Integer> position = Arbitraries.integers().between(0, Integer.MAX_VALUE);
        Arbitrary<Mutation> flip = Combinators.combine(position, Arbitraries.integers().between(1, 255))
                .as((at, mask) -> new Mutation("flip " + at + "^" + mask, b -> {
                    byte[] out = b.clone();
                    if (out.length > 0) {
                        out[at % out.length] ^= mask;
                    }
                    return out;
                }));
        Arbitrary<Mutation> truncate = position.map(at -> new Mutation("truncate " + at,
                b -> Arrays.copyOf(b, b.length == 0 ? 0 : at % b.length)));
        Arbitrary<Mutation> duplicate = Combinators.combine(position, Arbitraries.integers().between(1, 512), position)
                .as((from, length, to) -> new Mutation("duplicate " + from + "+" + length + "@" + to, b -> {
                    if (b.length == 0) {
                        return b;
                    }
                    int start = from % b.length;
                    byte[] range = Arrays.copyOfRange(b, start, Math.min(b.length, start + length));
                    int at = to % (b.length + 1);
                    return concat(concat(Arrays.copyOf(b, at), range), Arrays.copyOfRange(b, at, b.length));
                }));
        Arbitrary<Mutation> delete = Combinators.combine(position, Arbitraries.integers().between(1, 64))
                .as((from, length) -> new Mutation("delete " + from + "+" + length, b -> {
                    if (b.length == 0) {
                        return b;
                    }
                    int start = from % b.length;
                    int end = Math.min(b.length, start + length);
                    return concat(Arrays.copyOf(b, start), Arrays.copyOfRange(b, end, b.length));
                }));
        return Arbitraries.frequencyOf(Tuple.of(6, flip), Tuple.of(1, truncate), Tuple.of(2, duplicate), Tuple.of(2, delete))
                .list().ofMinSize(1).ofMaxSize(4);
    }

    /** One edit of a file's bytes; its description names it in jqwik's reports. */
    static final class Mutation {
        private final String description;
        private final java.util.function.UnaryOperator<byte[]> edit;

        Mutation(String description, java.util.function.UnaryOperator<byte[]> edit) {
            this.description = description;
            this.edit = edit;
        }

        byte[] apply(byte[] b) {
            return edit.apply(b);
        }

        @Override
        public String toString() {
            return description;
        }
    }

    // --- (c) random zip files ---------------------------------------------------------------------

    @Property(tries = 300)
    void read_ofRandomZip_returnsOrRefusesWithPackageException(@ForAll("zipEntries") List<Tuple.Tuple2<String, byte[]>> entries)
            throws IOException {
        Path file = dir.resolve("zip-" + FILES.incrementAndGet() + ".hotpatch");
        Map<String, byte[]> unique = new LinkedHashMap<>();
        for (Tuple.Tuple2<String, byte[]> e : entries) {
            unique.putIfAbsent(e.get1(), e.get2());
        }
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(file))) {
            for (Map.Entry<String, byte[]> e : unique.entrySet()) {
                z.putNextEntry(new ZipEntry(e.getKey()));
                z.write(e.getValue());
                z.closeEntry();
            }
        }

        Optional<HotpatchPackage> trusted = HostileReads.acceptedOrRefused(file, () -> HotpatchPackage.read(file, trust));
        Optional<HotpatchPackage> inspected = HostileReads.acceptedOrRefused(file, () -> HotpatchPackage.read(file, false));

        Statistics.label("outcome").collect(trusted.isPresent() ? "trusted" : inspected.isPresent() ? "inspectable" : "refused");
        if (trusted.isPresent()) {
            SamplePackages.assertSameManifest(trusted.get().manifest(), SamplePackages.manifest());
        }
        Files.delete(file);
    }

    @Provide
    Arbitrary<List<Tuple.Tuple2<String, byte[]>>> zipEntries() {
        Arbitrary<String> knownNames = Arbitraries.of(new ArrayList<>(originalEntries.keySet()));
        Arbitrary<String> randomNames = Arbitraries.strings().all().ofMinLength(1).ofMaxLength(40)
                .filter(s -> StandardCharsets.UTF_8.newEncoder().canEncode(s)); // zip names are UTF-8
        Arbitrary<String> classNames = Arbitraries.strings().withChars("ab/.\\$-_:\u0000\u00e9")
                .ofMinLength(0).ofMaxLength(12).map(s -> "HOTPATCH-INF/classes/" + s + ".class");
        Arbitrary<String> metaNames = Arbitraries.strings().withChars("ABSFRCE.x/").ofMinLength(0).ofMaxLength(8)
                .map(s -> "META-INF/" + s);
        Arbitrary<String> names = Arbitraries.frequencyOf(Tuple.of(4, knownNames), Tuple.of(2, randomNames),
                Tuple.of(2, classNames), Tuple.of(1, metaNames));

        Arbitrary<byte[]> randomBytes = Arbitraries.bytes().array(byte[].class).ofMaxSize(512);
        Arbitrary<byte[]> knownContent = Arbitraries.of(new ArrayList<>(originalEntries.values()));
        Arbitrary<byte[]> editedProperties = Combinators.combine(Arbitraries.of(new ArrayList<>(originalEntries.values())),
                Arbitraries.integers().between(0, Integer.MAX_VALUE), Arbitraries.strings().all().ofMaxLength(20))
                .as((content, at, insert) -> {
                    String s = new String(content, StandardCharsets.UTF_8);
                    int i = at % (s.length() + 1);
                    return (s.substring(0, i) + insert + s.substring(i)).getBytes(StandardCharsets.UTF_8);
                });
        Arbitrary<byte[]> contents = Arbitraries.frequencyOf(Tuple.of(2, randomBytes), Tuple.of(4, knownContent),
                Tuple.of(2, editedProperties));

        Arbitrary<List<Tuple.Tuple2<String, byte[]>>> randomZips = Combinators.combine(names, contents).as(Tuple::of).list().ofMaxSize(8);

        Arbitrary<Edit> edit = Combinators.combine(Arbitraries.integers().between(0, Integer.MAX_VALUE),
                Arbitraries.integers().between(0, 3), names, contents).as(Edit::new);
        Arbitrary<List<Tuple.Tuple2<String, byte[]>>> editedPackages = Combinators.combine(
                Arbitraries.shuffle(new ArrayList<>(originalEntries.keySet())), edit.list().ofMaxSize(3))
                .as((order, edits) -> {
                    List<Tuple.Tuple2<String, byte[]>> out = new ArrayList<>();
                    for (String name : order) {
                        out.add(Tuple.of(name, originalEntries.get(name)));
                    }
                    for (Edit e : edits) {
                        e.applyTo(out);
                    }
                    return out;
                });
        return Arbitraries.frequencyOf(Tuple.of(1, randomZips), Tuple.of(1, editedPackages));
    }

    /** One entry-level change to a package: drop an entry, rename it, replace its content, or add one. */
    static final class Edit {
        private final int index;
        private final int kind;
        private final String name;
        private final byte[] content;

        Edit(int index, int kind, String name, byte[] content) {
            this.index = index;
            this.kind = kind;
            this.name = name;
            this.content = content;
        }

        void applyTo(List<Tuple.Tuple2<String, byte[]>> entries) {
            if (entries.isEmpty()) {
                entries.add(Tuple.of(name, content));
                return;
            }
            int i = index % entries.size();
            switch (kind) {
                case 0:
                    entries.remove(i);
                    break;
                case 1:
                    entries.set(i, Tuple.of(name, entries.get(i).get2()));
                    break;
                case 2:
                    entries.set(i, Tuple.of(entries.get(i).get1(), content));
                    break;
                default:
                    entries.add(i, Tuple.of(name, content));
            }
        }

        @Override
        public String toString() {
            return new String[] {"drop", "rename to", "replace content", "add"}[kind] + " #" + index + " " + name;
        }
    }

    // ---------------------------------------------------------------------------------------------

    private static Path write(byte[] content) throws IOException {
        Path file = dir.resolve("input-" + FILES.incrementAndGet() + ".hotpatch");
        Files.write(file, content);
        return file;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(a.length + b.length);
        out.write(a, 0, a.length);
        out.write(b, 0, b.length);
        return out.toByteArray();
    }
}
