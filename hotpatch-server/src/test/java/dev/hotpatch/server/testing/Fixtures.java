package dev.hotpatch.server.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.format.ClassPatch;
import dev.hotpatch.format.Classification;
import dev.hotpatch.format.PackageManifest;
import dev.hotpatch.format.PackageWriter;
import dev.hotpatch.format.RebootBehavior;
import dev.hotpatch.format.ReleaseDescriptor;
import dev.hotpatch.format.ReleaseDescriptorWriter;
import dev.hotpatch.format.Sha256;
import dev.hotpatch.format.SigningKey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Jars, signing keys, signed packages and a standard little catalog for the tests. */
public final class Fixtures {
    private static SigningKey trusted;
    private static SigningKey stranger;
    private static Path keyRoot;

    private Fixtures() {
    }

    /** Class bytes stand-ins: the server hashes class files, it does not parse them. */
    public static byte[] cls(String text) {
        return ("CAFEBABE " + text).getBytes(StandardCharsets.UTF_8);
    }

    public static String sha(byte[] b) {
        return Sha256.hex(b);
    }

    /** A jar holding {@code classes} (internal name → bytes). */
    public static byte[] jar(Map<String, byte[]> classes) {
        return dev.hotpatch.testkit.JarMaker.classJar(classes);
    }

    /** The publisher key the test servers trust (its certificate is copied into their trust folder). */
    public static synchronized SigningKey trustedKey() throws IOException {
        if (trusted == null) {
            trusted = SigningKey.generate(root().resolve("trusted"), "CN=Test Publisher");
        }
        return trusted;
    }

    /** A publisher key no server trusts. */
    public static synchronized SigningKey strangerKey() throws IOException {
        if (stranger == null) {
            stranger = SigningKey.generate(root().resolve("stranger"), "CN=Stranger");
        }
        return stranger;
    }

    private static Path root() throws IOException {
        if (keyRoot == null) {
            Path dir = Files.createTempDirectory("hotpatch-keys-");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try (java.util.stream.Stream<Path> files = Files.walk(dir)) {
                    files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                } catch (IOException ignored) {
                    // Left in the temp folder.
                }
            }, "delete-test-keys"));
            keyRoot = dir;
        }
        return keyRoot;
    }

    /** Makes {@code server} trust {@link #trustedKey()}. */
    public static void trust(TestServer server) throws IOException {
        Files.writeString(server.trustDir.resolve("publisher.crt"), trustedKey().certificatePem());
    }

    /** A signed package. */
    public static byte[] hotpatch(SigningKey key, String kb, String image, String baseline, Instant published,
                                  List<ClassPatch> classes, List<String> supersedes) throws IOException {
        PackageManifest m = PackageManifest.builder().id(kb).title("Fix for " + kb).classification(Classification.SECURITY)
                .severity("Critical").cves(List.of("CVE-2026-1234")).image(image).baseline(baseline)
                .rebootBehavior(RebootBehavior.NEVER_REBOOTS).published(published).supersedes(supersedes).classes(classes).build();
        Path dir = Files.createTempDirectory("hotpatch-pkg-");
        Path file = dir.resolve(kb + ".hotpatch");
        PackageWriter.write(m, key, file);
        byte[] b = Files.readAllBytes(file);
        Files.delete(file);
        Files.delete(dir);
        return b;
    }

    /** An unsigned package. */
    public static byte[] unsignedHotpatch(String kb, String image, String baseline, Instant published, List<ClassPatch> classes)
            throws IOException {
        PackageManifest m = PackageManifest.builder().id(kb).title("Fix for " + kb).classification(Classification.SECURITY)
                .image(image).baseline(baseline).rebootBehavior(RebootBehavior.NEVER_REBOOTS).published(published).classes(classes).build();
        Path file = Files.createTempFile("hotpatch-unsigned-", ".hotpatch");
        PackageWriter.writeUnsigned(m, file);
        byte[] b = Files.readAllBytes(file);
        Files.delete(file);
        return b;
    }

    /** A signed descriptor of baseline {@code version} of {@code image} made of {@code jars} (file name → bytes). */
    public static byte[] baselineDescriptor(SigningKey key, String image, String version, String kind, Map<String, byte[]> jars)
            throws IOException {
        ReleaseDescriptor.Builder b = ReleaseDescriptor.baseline(image, version).kind(kind);
        jars.forEach((name, bytes) -> b.file(new ReleaseDescriptor.FileEntry(name, bytes.length, sha(bytes))));
        return signed(b.build(), key);
    }

    /** A signed descriptor of restart update {@code kb} of {@code image}, with the artifact when not null. */
    public static byte[] updateDescriptor(SigningKey key, String image, String kb, RebootBehavior reboot, String artifactName,
                                          byte[] artifact) throws IOException {
        ReleaseDescriptor.Builder b = ReleaseDescriptor.update(image, kb).rebootBehavior(reboot);
        if (artifact != null) {
            b.file(new ReleaseDescriptor.FileEntry(artifactName, artifact.length, sha(artifact)));
        }
        return signed(b.build(), key);
    }

    private static byte[] signed(ReleaseDescriptor d, SigningKey key) throws IOException {
        Path file = Files.createTempFile("hotpatch-descriptor-", ".release");
        try {
            ReleaseDescriptorWriter.write(d, key, file);
            return Files.readAllBytes(file);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /**
     * Publishes a signed restart update {@code kb} for {@code image} (JSON metadata, the signed
     * descriptor, and the artifact when not null) as multipart, like {@code hotpatch update publish --key}.
     */
    public static TestServer.Response publishRestartUpdate(TestServer server, Map<String, Object> metadata, String artifactName,
                                                           byte[] artifact) throws IOException {
        RebootBehavior reboot = RebootBehavior.parse(String.valueOf(metadata.getOrDefault("rebootBehavior", "CanRequestReboot")));
        Map<String, Object> parts = new LinkedHashMap<>();
        parts.put("metadata", TestServer.JSON.writeValueAsString(metadata));
        parts.put("descriptor", new TestServer.FilePart("update.release", updateDescriptor(trustedKey(), String.valueOf(metadata.get("image")),
                String.valueOf(metadata.get("kbId")), reboot, artifactName, artifact)));
        if (artifact != null) {
            parts.put("artifact", new TestServer.FilePart(artifactName, artifact));
        }
        return server.postMultipart("/api/v1/updates", server.adminToken, parts);
    }

    /**
     * The standard scene: image {@code acme/fees/1.x} (quarterly, Jan/Apr/Jul/Oct) and its planned
     * baseline {@code 1.0} released 2026-01-05, whose jar holds {@code acme/Fees} and {@code acme/Util}.
     */
    public static final class Scene {
        public static final String IMAGE = "acme/fees/1.x";
        public final byte[] feesV1 = cls("acme/Fees v1");
        public final byte[] feesV2 = cls("acme/Fees v2 fixed");
        public final byte[] feesV3 = cls("acme/Fees v3 fixed again");
        public final byte[] util = cls("acme/Util");
        public final byte[] jar10 = jar(orderedMap("acme/Fees", feesV1, "acme/Util", util));
        public final String imageId;
        public final String baseline10;
        private final TestServer server;

        public Scene(TestServer server) throws IOException {
            this.server = server;
            trust(server);
            TestServer.Response img = server.post("/api/v1/images", server.adminToken,
                    Map.of("publisher", "acme", "offer", "fees", "sku", "1.x", "hotpatchSupported", true));
            assertThat(img.status()).as(img.body()).isEqualTo(201);
            imageId = img.json().get("id").asText();
            TestServer.Response bl = publishBaseline("1.0", "planned", "2026-01-05", jar10, false);
            assertThat(bl.status()).as(bl.body()).isEqualTo(201);
            baseline10 = bl.json().get("id").asText();
        }

        /** Publishes baseline {@code version} with one jar, signed by the trusted publisher, as 'hotpatch baseline publish --key' does. */
        public TestServer.Response publishBaseline(String version, String kind, String date, byte[] jar, boolean override) {
            try {
                return publishBaseline(version, kind, date, jar, override,
                        baselineDescriptor(trustedKey(), IMAGE, version, kind, Map.of("fees-" + version + ".jar", jar)));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        /** Publishes baseline {@code version} with one jar and the given descriptor (null: none). */
        public TestServer.Response publishBaseline(String version, String kind, String date, byte[] jar, boolean override, byte[] descriptor) {
            Map<String, Object> parts = new LinkedHashMap<>();
            parts.put("version", version);
            parts.put("kind", kind);
            parts.put("releasedOn", date);
            parts.put("override", String.valueOf(override));
            parts.put("jar", new TestServer.FilePart("fees-" + version + ".jar", jar));
            if (descriptor != null) {
                parts.put("descriptor", new TestServer.FilePart("fees-" + version + ".release", descriptor));
            }
            return server.postMultipart("/api/v1/images/" + imageId + "/baselines", server.adminToken, parts);
        }

        /** Publishes a signed hotpatch replacing acme/Fees (baseline bytes {@code from}) with {@code to}. */
        public TestServer.Response publishHotpatch(String kb, String baseline, String date, byte[] from, byte[] to, List<String> supersedes,
                                                   boolean override) throws IOException {
            byte[] pkg = hotpatch(trustedKey(), kb, IMAGE, baseline, Instant.parse(date + "T12:00:00Z"),
                    List.of(ClassPatch.replace("acme/Fees", sha(from), to)), supersedes);
            return server.postMultipart("/api/v1/updates" + (override ? "?override=true" : ""), server.adminToken,
                    Map.of("package", new TestServer.FilePart(kb + ".hotpatch", pkg)));
        }
    }

    /** A machine report as a node would send it. */
    public static Map<String, Object> machine(String name, byte[] jar, List<Map<String, Object>> hotpatches, Map<String, Object> config) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("pid", 4242);
        m.put("jvm", Map.of("vendor", "Eclipse Adoptium", "version", "17.0.12"));
        m.put("agent", Map.of("present", true, "version", "0.1.0", "mode", "enrolled"));
        m.put("jars", List.of(Map.of("name", "fees.jar", "sha256", sha(jar))));
        m.put("hotpatches", hotpatches);
        m.put("config", config == null ? Map.of("timeZone", "Europe/Paris", "region", "eu-west", "zone", "1", "patchMode", "Manual") : config);
        return m;
    }

    /** An installed-hotpatch entry for a report. */
    public static Map<String, Object> installed(String kb, String className, byte[] bytesInUse, Instant at) {
        return Map.of("id", kb, "installedAt", at.toString(), "classes", List.of(Map.of("name", className, "sha256", sha(bytesInUse))));
    }

    /** A stand-in for the node daemon that speaks the check-in protocol over HTTP. */
    public static final class Node {
        public final TestServer server;
        public final String nodeId;
        public final String credential;

        private Node(TestServer server, String nodeId, String credential) {
            this.server = server;
            this.nodeId = nodeId;
            this.credential = credential;
        }

        public static Node enroll(TestServer server, String hostname) {
            TestServer.Response t = server.post("/api/v1/enrollment-tokens", server.adminToken, Map.of("name", hostname));
            assertThat(t.status()).as(t.body()).isEqualTo(201);
            TestServer.Response e = server.post("/api/v1/node/enroll", t.json().get("token").asText(),
                    Map.of("hostname", hostname, "nodeVersion", "0.1.0"));
            assertThat(e.status()).as(e.body()).isEqualTo(201);
            return new Node(server, e.json().get("nodeId").asText(), e.json().get("credential").asText());
        }

        public TestServer.Response checkIn(Map<String, Object> machine) {
            return checkInAll(List.of(machine));
        }

        public TestServer.Response checkIn(Map<String, Object> first, Map<String, Object> second) {
            return checkInAll(List.of(first, second));
        }

        public TestServer.Response checkInAll(List<Map<String, Object>> machines) {
            TestServer.Response r = server.post("/api/v1/node/check-in", credential,
                    Map.of("hostname", "host-1", "nodeVersion", "0.1.0", "machines", machines));
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            return r;
        }

        /** The commands of a check-in answer. */
        public static List<JsonNode> commands(TestServer.Response checkIn) {
            List<JsonNode> out = new ArrayList<>();
            checkIn.json().get("commands").forEach(out::add);
            return out;
        }

        public TestServer.Response result(String commandId, String status, String message, Map<String, Object> machine) {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("status", status);
            body.put("message", message);
            if (machine != null) {
                body.put("machine", machine);
            }
            return server.post("/api/v1/node/commands/" + commandId + "/result", credential, body);
        }
    }

    public static Map<String, byte[]> orderedMap(String k1, byte[] v1, String k2, byte[] v2) {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put(k1, v1);
        m.put(k2, v2);
        return m;
    }
}
