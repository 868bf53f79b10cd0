package dev.hotpatch.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.format.ReleaseDescriptor;
import dev.hotpatch.format.ReleaseDescriptorWriter;
import dev.hotpatch.format.Sha256;
import dev.hotpatch.server.testing.Fixtures;
import dev.hotpatch.testkit.PostgresCluster;
import dev.hotpatch.server.testing.ReadOnlyMount;
import dev.hotpatch.testkit.ServerProcess;
import dev.hotpatch.server.testing.TestServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What one in-process server cannot show: a real server process with a small heap takes uploads
 * and serves downloads far larger than its heap, survives concurrent huge bodies, and refuses to
 * start on a read-only data folder with one line.
 */
class BoundedMemoryTest {
    private static final String IMAGE = "acme/big/1.x";
    @TempDir
    Path dir;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private List<String> dbArgs(String store) {
        if (store.equals("sqlite")) {
            return List.of();
        }
        PostgresCluster pg = PostgresCluster.get();
        if (pg == null) {
            throw new IllegalStateException("PostgreSQL unavailable: " + PostgresCluster.unavailableReason());
        }
        return List.of("--db-url", pg.newDatabase());
    }

    private String[] args(String store, Path trust) {
        List<String> a = new ArrayList<>(dbArgs(store));
        a.add("--trust");
        a.add(trust.toString());
        return a.toArray(String[]::new);
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void aBaselineFarLargerThanTheHeap_isUploadedAndDownloadedStreaming(String store) throws Exception {
        Path trust = Files.createDirectories(dir.resolve("trust"));
        Files.writeString(trust.resolve("publisher.crt"), Fixtures.trustedKey().certificatePem());
        Path jar = bigJar(dir.resolve("big-1.0.jar"), 160);
        Path descriptor = dir.resolve("big-1.0.release");
        ReleaseDescriptorWriter.write(ReleaseDescriptor.baseline(IMAGE, "1.0").file(ReleaseDescriptor.FileEntry.of(jar)).build(),
                Fixtures.trustedKey(), descriptor);
        try (ServerProcess server = ServerProcess.start(dir.resolve("data"), List.of("-Xmx64m", "-XX:+ExitOnOutOfMemoryError"),
                args(store, trust))) {
            String admin = server.adminToken();
            assertThat(json(server, "POST", "/api/v1/images", admin, "{\"publisher\":\"acme\",\"offer\":\"big\",\"sku\":\"1.x\"}").statusCode())
                    .isEqualTo(201);
            HttpResponse<String> published = multipart(server, "/api/v1/images/acme:big:1.x/baselines?releasedOn=2026-01-05", admin,
                    Map.of("jar", jar, "descriptor", descriptor));
            assertThat(published.statusCode()).as(published.body()).isEqualTo(201);
            String url = TestServer.JSON.readTree(published.body()).at("/jars/0/downloadUrl").asText();

            Path back = dir.resolve("downloaded.jar");
            HttpResponse<Path> download = http.send(HttpRequest.newBuilder(URI.create(server.url + url.substring(1)))
                    .header("Authorization", "Bearer " + admin).build(), HttpResponse.BodyHandlers.ofFile(back));
            assertThat(download.statusCode()).isEqualTo(200);
            assertThat(Files.size(back)).isEqualTo(Files.size(jar));
            assertThat(Sha256.hex(back)).isEqualTo(Sha256.hex(jar));
            assertThat(server.process.isAlive()).isTrue();
            assertThat(server.output()).doesNotContain("OutOfMemoryError");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void concurrentHugeBodies_areRefusedOrQueued_andNeverRunTheHeapOut(String store) throws Exception {
        Path trust = Files.createDirectories(dir.resolve("trust"));
        try (ServerProcess server = ServerProcess.start(dir.resolve("data"), List.of("-Xmx256m", "-XX:+ExitOnOutOfMemoryError"),
                args(store, trust))) {
            String admin = server.adminToken();
            String enrollment = TestServer.JSON.readTree(json(server, "POST", "/api/v1/enrollment-tokens", admin, "{}").body())
                    .get("token").asText();
            String node = TestServer.JSON.readTree(json(server, "POST", "/api/v1/node/enroll", enrollment,
                    "{\"hostname\":\"h\",\"nodeVersion\":\"t\"}").body()).get("credential").asText();

            // The reproduction from the issue: ten 60 MB admin bodies and eight 60 MB check-ins at once.
            byte[] huge = new byte[60_000_000];
            java.util.Arrays.fill(huge, (byte) ' ');
            ExecutorService pool = Executors.newFixedThreadPool(18);
            List<Future<Integer>> answers = new ArrayList<>();
            for (int i = 0; i < 18; i++) {
                boolean checkIn = i >= 10;
                answers.add(pool.submit(() -> status(server, checkIn ? "/api/v1/node/check-in" : "/api/v1/images", checkIn ? node : admin, huge)));
            }
            for (Future<Integer> f : answers) {
                assertThat(f.get()).as("413, or the connection closed after it").isIn(413, -1);
            }

            // Bodies within the limits: the budget queues them or answers 503, never lets them exhaust the heap.
            byte[] big = checkInBody(110_000);
            assertThat(big.length).isBetween(13 << 20, 16 << 20);
            answers.clear();
            for (int i = 0; i < 12; i++) {
                byte[] body = new String(big, StandardCharsets.UTF_8).replace("\"big-0\"", "\"big-" + i + "\"").getBytes(StandardCharsets.UTF_8);
                answers.add(pool.submit(() -> status(server, "/api/v1/node/check-in", node, body)));
            }
            List<Integer> statuses = new ArrayList<>();
            for (Future<Integer> f : answers) {
                statuses.add(f.get());
            }
            pool.shutdown();
            assertThat(statuses).as(statuses.toString()).allMatch(st -> st == 200 || st == 503).contains(200);

            assertThat(server.process.isAlive()).isTrue();
            assertThat(server.output()).doesNotContain("OutOfMemoryError");
            assertThat(status(server, "/api/v1/node/check-in", node, "{\"machines\":[]}".getBytes(StandardCharsets.UTF_8))).isEqualTo(200);
            HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(server.url + "healthz")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);
        }
    }

    /**
     * Check-ins without a Content-Length (chunked, as some proxies forward them) are charged to the
     * body budget as they are read, not at their 16 MiB cap: with a 256 MB heap the budget is
     * 96 MiB, which one chunked check-in charged at its cap (x6) took whole, so a second one waited
     * 10 s and got 503. Here three are held open in their handlers at once (each has sent 3 MiB,
     * which the server can only have taken in by reading it there), and a fourth still gets 200.
     */
    @Test
    @org.junit.jupiter.api.Timeout(120)
    void checkInsWithoutALength_areChargedAsTheyAreRead_notAtTheirCap() throws Exception {
        try (ServerProcess server = ServerProcess.start(dir.resolve("data"), List.of("-Xmx256m", "-XX:+ExitOnOutOfMemoryError"),
                args("sqlite", Files.createDirectories(dir.resolve("trust"))))) {
            String admin = server.adminToken();
            String enrollment = TestServer.JSON.readTree(json(server, "POST", "/api/v1/enrollment-tokens", admin, "{}").body())
                    .get("token").asText();
            String node = TestServer.JSON.readTree(json(server, "POST", "/api/v1/node/enroll", enrollment,
                    "{\"hostname\":\"h\",\"nodeVersion\":\"t\"}").body()).get("credential").asText();
            byte[] head = ("POST /api/v1/node/check-in HTTP/1.1\r\nHost: 127.0.0.1:" + server.port + "\r\nAuthorization: Bearer "
                    + node + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
            byte[] opening = new byte[3 << 20];
            java.util.Arrays.fill(opening, (byte) ' ');
            byte[] start = "{\"machines\":[]".getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(start, 0, opening, 0, start.length);
            List<java.net.Socket> held = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    java.net.Socket socket = new java.net.Socket("127.0.0.1", server.port);
                    held.add(socket);
                    socket.setSoTimeout(60_000);
                    OutputStream out = socket.getOutputStream();
                    out.write(head);
                    // 3 MiB is far more than the socket buffers hold: this returns once the handler has read most of it.
                    out.write((Integer.toHexString(opening.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.write(opening);
                    out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                }

                HttpResponse<String> fourth = http.send(HttpRequest.newBuilder(URI.create(server.url + "api/v1/node/check-in"))
                        .timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + node).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(
                                "{\"machines\":[]}".getBytes(StandardCharsets.UTF_8)))).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(fourth.statusCode()).as(fourth.body()).isEqualTo(200);

                for (java.net.Socket socket : held) {
                    OutputStream out = socket.getOutputStream();
                    out.write("1\r\n}\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    assertThat(statusOf(socket.getInputStream())).isEqualTo(200);
                }
            } finally {
                for (java.net.Socket socket : held) {
                    socket.close();
                }
            }
            assertThat(server.output()).doesNotContain("OutOfMemoryError");
        }
    }

    /**
     * A fleet keeps thousands of connections open (each node's idles after its check-in until the server's idle
     * timeout). Each must cost the heap little: with Jetty's default header cache, every connection that had served
     * a request held about 100 KB, and 1,500 of them ran a 64 MB heap out.
     */
    @Test
    void thousandsOfOpenKeepAliveConnections_fitInASmallHeap() throws Exception {
        int connections = 1_500;
        try (ServerProcess server = ServerProcess.start(dir.resolve("data"), List.of("-Xmx64m", "-XX:+ExitOnOutOfMemoryError"),
                "--trust", Files.createDirectories(dir.resolve("trust")).toString())) {
            byte[] request = ("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:" + server.port + "\r\nUser-Agent: Java-http-client/17\r\n"
                    + "Accept: application/json\r\nContent-Type: application/json\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
            List<java.net.Socket> open = new ArrayList<>();
            try {
                for (int i = 0; i < connections; i++) {
                    java.net.Socket socket = new java.net.Socket();
                    open.add(socket);
                    socket.connect(new java.net.InetSocketAddress("127.0.0.1", server.port), 10_000);
                    socket.setSoTimeout(30_000);
                    // Two requests: the second is the one that would find (and build) the connection's header cache.
                    for (int k = 0; k < 2; k++) {
                        try {
                            socket.getOutputStream().write(request);
                            assertThat(statusOf(socket.getInputStream())).as("request %d on connection %d", k + 1, i).isEqualTo(200);
                        } catch (IOException e) {
                            throw new AssertionError("request " + (k + 1) + " on connection " + i + " of " + connections + " failed ("
                                    + e.getMessage() + "); server alive: " + server.process.isAlive(), e);
                        }
                    }
                }
                assertThat(server.process.isAlive()).isTrue();
                HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(server.url + "healthz")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(health.statusCode()).isEqualTo(200);
            } finally {
                for (java.net.Socket s : open) {
                    s.close();
                }
            }
            assertThat(server.output()).doesNotContain("OutOfMemoryError");
        }
    }

    /** Reads one HTTP/1.1 response with a Content-Length from {@code in}; returns its status. */
    private static int statusOf(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (head.length() < 4 || !head.substring(head.length() - 4).equals("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("the server closed the connection after: " + head);
            }
            head.append((char) c);
        }
        int length = 0;
        for (String line : head.toString().split("\r\n")) {
            if (line.regionMatches(true, 0, "Content-Length:", 0, 15)) {
                length = Integer.parseInt(line.substring(15).trim());
            }
        }
        in.readNBytes(length);
        return Integer.parseInt(head.substring(9, 12));
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void aRestartOnAReadOnlyDataFolder_printsOneClearLine(String store) throws Exception {
        Path data = dir.resolve("data");
        Path trust = Files.createDirectories(dir.resolve("trust"));
        String[] args = args(store, trust);
        try (ServerProcess first = ServerProcess.start(data, List.of())) {
            assertThat(first.adminToken()).startsWith("hpt_");
        }
        ServerProcess.Result r;
        try (ReadOnlyMount ro = ReadOnlyMount.of(data)) {
            r = ServerProcess.runToExit(data, List.of(), store.equals("sqlite") ? new String[0] : args);
        }
        assertThat(r.exit()).isEqualTo(1);
        List<String> lines = r.output().lines().filter(l -> !l.isBlank()).toList();
        assertThat(lines).as(r.output()).hasSize(1);
        assertThat(lines.get(0)).startsWith("hotpatch server: cannot").contains(data.toString()).contains("Read-only file system")
                .contains("writable");
    }

    private int status(ServerProcess server, String path, String token, byte[] body) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(server.url + path.substring(1))).timeout(Duration.ofSeconds(120))
                    .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private HttpResponse<String> json(ServerProcess server, String method, String path, String token, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(server.url + path.substring(1))).header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** A multipart upload streamed from the files, never held whole in this JVM either. */
    private HttpResponse<String> multipart(ServerProcess server, String path, String token, Map<String, Path> files) throws Exception {
        String boundary = "bm" + System.nanoTime();
        List<InputStream> parts = new ArrayList<>();
        for (Map.Entry<String, Path> f : files.entrySet()) {
            parts.add(new java.io.ByteArrayInputStream(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + f.getKey()
                    + "\"; filename=\"" + f.getValue().getFileName() + "\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                    .getBytes(StandardCharsets.UTF_8)));
            parts.add(Files.newInputStream(f.getValue()));
            parts.add(new java.io.ByteArrayInputStream("\r\n".getBytes(StandardCharsets.UTF_8)));
        }
        parts.add(new java.io.ByteArrayInputStream(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8)));
        return http.send(HttpRequest.newBuilder(URI.create(server.url + path.substring(1))).timeout(Duration.ofMinutes(5))
                .header("Authorization", "Bearer " + token).header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new SequenceInputStream(Collections.enumeration(parts)))).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** A jar with one class and {@code mib} MiB of incompressible data. */
    private static Path bigJar(Path out, int mib) throws IOException {
        Random random = new Random(42);
        byte[] buf = new byte[1 << 20];
        try (OutputStream o = Files.newOutputStream(out); JarOutputStream jar = new JarOutputStream(o)) {
            jar.putNextEntry(new JarEntry("acme/Big.class"));
            jar.write(Fixtures.cls("acme/Big"));
            jar.closeEntry();
            JarEntry data = new JarEntry("acme/data.bin");
            data.setMethod(JarEntry.DEFLATED);
            jar.setLevel(java.util.zip.Deflater.NO_COMPRESSION);
            jar.putNextEntry(data);
            for (int i = 0; i < mib; i++) {
                random.nextBytes(buf);
                jar.write(buf);
            }
            jar.closeEntry();
        }
        return out;
    }

    /** A check-in of machine {@code big-0} reporting {@code classes} class hashes, as a node with many classes sends. */
    private static byte[] checkInBody(int classes) throws IOException {
        StringBuilder b = new StringBuilder("{\"hostname\":\"h\",\"nodeVersion\":\"t\",\"machines\":[{\"name\":\"big-0\",\"pid\":1,"
                + "\"jars\":[],\"classes\":[");
        String sha = "a".repeat(64);
        for (int i = 0; i < classes; i++) {
            b.append(i == 0 ? "" : ",").append("{\"name\":\"org/example/pkg").append(i % 50).append("/SomeFairlyTypicalClass").append(i)
                    .append("\",\"sha256\":\"").append(sha).append("\"}");
        }
        b.append("]}]}");
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    @SuppressWarnings("unused")
    private static JsonNode parse(String body) throws IOException {
        return TestServer.JSON.readTree(body);
    }
}
