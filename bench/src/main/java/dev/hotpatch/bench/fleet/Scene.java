package dev.hotpatch.bench.fleet;

import dev.hotpatch.format.ClassPatch;
import dev.hotpatch.format.Classification;
import dev.hotpatch.format.PackageManifest;
import dev.hotpatch.format.PackageWriter;
import dev.hotpatch.format.ReleaseDescriptor;
import dev.hotpatch.format.ReleaseDescriptorWriter;
import dev.hotpatch.format.RebootBehavior;
import dev.hotpatch.format.Sha256;
import dev.hotpatch.format.SigningKey;
import dev.hotpatch.testkit.JarMaker;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The catalog and fleet the benchmarks run against, set up through the real REST API: image
 * {@code bench/app/1.x} with planned baseline 1.0 (one jar of {@code classCount} classes), a
 * publisher key the server trusts, signed cumulative hotpatches of that baseline, and the
 * machine reports nodes send: the baseline jar plus two third-party jars the catalog does not
 * know, every baseline class by SHA-256 (as the node daemon's default {@code classes = all}
 * reports them; or none, as with {@code classes = none}), JVM, agent and placement config.
 * Not thread-safe.
 */
final class Scene implements AutoCloseable {
    static final String IMAGE = "bench/app/1.x";
    private static final LocalDate BASELINE_DATE = LocalDate.of(2026, 1, 5);

    private final ApiClient api;
    private final String adminToken;
    private final Path keyDir;
    private final SigningKey key;
    private final int classCount;
    private final boolean reportClasses;
    private final byte[] baselineJar;
    private final List<Map<String, String>> classHashes = new ArrayList<>();
    private final byte[] patchedClass0Baseline;
    final String imageId;
    final String baselineId;
    private int hotpatches;
    private String lastKb;

    /**
     * @param classCount    classes in the baseline jar
     * @param reportClasses whether reports list every class by hash (the daemon's default) or only the jars
     */
    Scene(FleetServer server, int classCount, boolean reportClasses) throws IOException {
        this(server.api, server.adminToken, server.trustDir(), classCount, reportClasses);
    }

    /** The scene set up through {@code api} as the administrator, on a server that trusts the publishers in {@code trustDir}. */
    Scene(ApiClient api, String adminToken, Path trustDir, int classCount, boolean reportClasses) throws IOException {
        this.api = api;
        this.adminToken = adminToken;
        this.classCount = classCount;
        this.reportClasses = reportClasses;
        this.keyDir = Files.createTempDirectory("hotpatch-bench-key-");
        this.key = SigningKey.generate(keyDir.resolve("publisher"), "CN=Bench Publisher");
        Files.writeString(trustDir.resolve("bench-publisher.crt"), key.certificatePem());
        Map<String, byte[]> classes = new LinkedHashMap<>();
        for (int i = 0; i < classCount; i++) {
            String name = className(i);
            // The server hashes class files, it does not parse them: stand-in bytes of a realistic size.
            byte[] bytes = classBytes(name, "1.0");
            classes.put(name, bytes);
            classHashes.add(Map.of("name", name, "sha256", Sha256.hex(bytes)));
        }
        this.patchedClass0Baseline = classes.get(className(0));
        this.baselineJar = jar(classes);
        this.imageId = api.postJson("/api/v1/images", adminToken, Map.of("publisher", "bench", "offer", "app", "sku", "1.x"))
                .expect(201, "create image").json().get("id").asText();
        Path descriptor = keyDir.resolve("app-1.0.release");
        Path jarFile = Files.write(keyDir.resolve("app-1.0.jar"), baselineJar);
        ReleaseDescriptorWriter.write(ReleaseDescriptor.baseline(IMAGE, "1.0").file(ReleaseDescriptor.FileEntry.of(jarFile)).build(), key,
                descriptor);
        Map<String, Map.Entry<String, byte[]>> files = new LinkedHashMap<>();
        files.put("jar", Map.entry("app-1.0.jar", baselineJar));
        files.put("descriptor", Map.entry("app-1.0.release", Files.readAllBytes(descriptor)));
        this.baselineId = api.postFiles("/api/v1/images/" + imageId + "/baselines?version=1.0&kind=planned&releasedOn=" + BASELINE_DATE,
                        adminToken, files)
                .expect(201, "publish baseline 1.0").json().get("id").asText();
    }

    /**
     * Publishes the next cumulative hotpatch of baseline 1.0 (replacing class 0, superseding the
     * previous one) through {@code POST /api/v1/updates}; returns its KB id.
     */
    String publishHotpatch() throws IOException {
        int n = ++hotpatches;
        String kb = String.format(Locale.ROOT, "KB2026-B%04d", n);
        PackageManifest m = PackageManifest.builder().id(kb).title("Bench fix " + n).classification(Classification.SECURITY)
                .severity("Critical").cves(List.of("CVE-2026-0" + (1000 + n))).image(IMAGE).baseline("1.0")
                .rebootBehavior(RebootBehavior.NEVER_REBOOTS)
                .published(Instant.parse("2026-02-10T12:00:00Z").plusSeconds(3600L * n))
                .supersedes(lastKb == null ? List.of() : List.of(lastKb))
                .classes(List.of(ClassPatch.replace(className(0), Sha256.hex(patchedClass0Baseline), classBytes(className(0), "1.0-fix" + n))))
                .build();
        Path file = keyDir.resolve(kb + ".hotpatch");
        PackageWriter.write(m, key, file);
        byte[] pkg = Files.readAllBytes(file);
        Files.delete(file);
        // One release per calendar month; the later ones of the run need the override.
        api.postBytes("/api/v1/updates" + (n > 1 ? "?override=true" : ""), adminToken, pkg).expect(201, "publish " + kb);
        lastKb = kb;
        return kb;
    }

    /**
     * A node's check-in body for machines {@code first} … {@code first + count - 1}, in full; with
     * {@code withDigests}, each report comes with its digest, as the node daemon sends it.
     */
    byte[] checkInBody(String hostname, int first, int count, boolean withDigests) {
        List<Map<String, Object>> machines = new ArrayList<>();
        Map<String, String> digests = new LinkedHashMap<>();
        for (int i = first; i < first + count; i++) {
            machines.add(report(i));
            digests.put(machineName(i), digest(i));
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("hostname", hostname);
        body.put("nodeVersion", "0.1.0");
        body.put("machines", machines);
        if (withDigests) {
            body.put("digests", digests);
        }
        return ApiClient.json(body);
    }

    /** A node's check-in body for machines {@code first} … {@code first + count - 1}, in full and without digests (an older node). */
    byte[] checkInBody(String hostname, int first, int count) {
        return checkInBody(hostname, first, count, false);
    }

    /**
     * The steady-state check-in body of a node whose machines' reports the server holds: each
     * machine as its digest and its health, whose counters stand at {@code probes} probes.
     */
    byte[] digestBody(String hostname, int first, int count, long probes) {
        List<Map<String, Object>> unchanged = new ArrayList<>();
        for (int i = first; i < first + count; i++) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("name", machineName(i));
            e.put("digest", digest(i));
            e.put("health", health(probes));
            unchanged.add(e);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("hostname", hostname);
        body.put("nodeVersion", "0.1.0");
        body.put("unchanged", unchanged);
        return ApiClient.json(body);
    }

    /** A passing health check after {@code probes} probes, one every 10 s from the JVM's start. */
    static Map<String, Object> health(long probes) {
        return Map.of("state", "passing", "checkedAt", Instant.parse("2026-02-01T08:00:00Z").plusSeconds(10 * probes).toString(),
                "samples", probes, "failures", 0);
    }

    /** The digest machine {@code i}'s node sends with its report (opaque to the server; the bench's own). */
    String digest(int i) {
        return Sha256.hex(ApiClient.json(report(i)));
    }

    /** The report of machine number {@code i}, as the node daemon sends it. */
    Map<String, Object> report(int i) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", machineName(i));
        m.put("pid", 10_000 + i);
        m.put("startedAt", "2026-02-01T08:00:00Z");
        m.put("jvm", Map.of("vendor", "Eclipse Adoptium", "version", "17.0.12", "runtime", "OpenJDK Runtime Environment"));
        m.put("agent", Map.of("present", true, "version", "0.1.0", "mode", "enrolled"));
        m.put("jars", List.of(Map.of("name", "app-1.0.jar", "sha256", Sha256.hex(baselineJar)),
                Map.of("name", "slf4j-api-2.0.20.jar", "sha256", Sha256.hex("slf4j-api-2.0.20".getBytes(StandardCharsets.UTF_8))),
                Map.of("name", "jackson-core-2.21.3.jar", "sha256", Sha256.hex("jackson-core-2.21.3".getBytes(StandardCharsets.UTF_8)))));
        m.put("classes", reportClasses ? classHashes : List.of());
        m.put("hotpatches", List.of());
        m.put("installedUpdates", List.of());
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("timeZone", i % 2 == 0 ? "Europe/Paris" : "America/New_York");
        config.put("region", i % 2 == 0 ? "eu-west" : "us-east");
        config.put("zone", String.valueOf(1 + i % 3));
        config.put("availabilitySet", "app-" + (i / 20));
        config.put("updateDomain", i % 5);
        config.put("patchMode", "AutomaticByPlatform");
        config.put("group", "app");
        config.put("groupOrchestration", "flexible");
        config.put("tags", Map.of("team", "payments", "tier", i % 10 == 0 ? "canary" : "main"));
        m.put("config", config);
        return m;
    }

    static String machineName(int i) {
        return String.format(Locale.ROOT, "app-%05d", i);
    }

    /** Class hashes in each report. */
    int reportedClasses() {
        return reportClasses ? classCount : 0;
    }

    private static String className(int i) {
        return String.format(Locale.ROOT, "com/example/app/module%02d/Component%03d", i % 20, i);
    }

    /** About 2 KiB, the size of a typical small class file. */
    private static byte[] classBytes(String name, String version) {
        StringBuilder b = new StringBuilder("CAFEBABE ").append(name).append(' ').append(version).append(' ');
        while (b.length() < 2048) {
            b.append(name.hashCode()).append(version);
        }
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] jar(Map<String, byte[]> classes) {
        return JarMaker.classJar(classes);
    }

    @Override
    public void close() {
        try (Stream<Path> files = Files.walk(keyDir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.err.println("left " + keyDir + " behind: " + e.getMessage());
        }
    }
}
