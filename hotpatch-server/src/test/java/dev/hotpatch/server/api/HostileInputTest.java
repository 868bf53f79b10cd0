package dev.hotpatch.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.server.testing.BothStores;
import dev.hotpatch.server.testing.Fixtures;
import dev.hotpatch.server.testing.Fixtures.Node;
import dev.hotpatch.server.testing.Fixtures.Scene;
import dev.hotpatch.server.testing.ReadOnlyMount;
import dev.hotpatch.server.testing.TestServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** Bad and hostile requests get the API's JSON error with the right status, never an internal one, and change nothing. */
class HostileInputTest {
    private static final Pattern INTERNAL = Pattern.compile("java\\.|javax\\.|dev\\.hotpatch|com\\.fasterxml|org\\.eclipse|`|Exception");
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @BothStores
    void badJson_isA400NamingTheFieldInTheClientsTerms_neverAnInternalType(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        Node node = Node.enroll(s, "host-1");
        Map<String, String> bodies = new java.util.LinkedHashMap<>();
        bodies.put("/api/v1/node/check-in", "{\"machines\": [{\"name\": \"m-1\", \"pid\": \"abc\"}]}");
        bodies.put("/api/v1/node/check-in#2", "{\"machines\": {\"name\": \"m-1\"}}");
        bodies.put("/api/v1/node/check-in#3", "{\"machines\": [{\"name\": \"m-1\", \"config\": {\"updateDomain\": \"one\"}}]}");
        bodies.put("/api/v1/node/check-in#4", "{\"machines\": [{\"name\": \"m-1\", \"startedAt\": \"yesterday\"}]}");
        bodies.put("/api/v1/node/check-in#5", "{not json");
        for (Map.Entry<String, String> b : bodies.entrySet()) {
            TestServer.Response r = s.post(b.getKey().replaceAll("#.*", ""), node.credential, b.getValue());
            assertThat(r.status()).as(b.getValue() + " -> " + r.body()).isEqualTo(400);
            assertThat(r.json().get("message").asText()).as(r.body()).doesNotContainPattern(INTERNAL);
            assertThat(r.json().get("hint").asText()).doesNotContainPattern(INTERNAL);
        }
        assertThat(s.post("/api/v1/node/check-in", node.credential, bodies.get("/api/v1/node/check-in")).json().get("message").asText())
                .contains("field 'machines[0].pid'").contains("a number");
        assertThat(s.post("/api/v1/node/check-in", node.credential, bodies.get("/api/v1/node/check-in#3")).json().get("message").asText())
                .contains("machines[0].config.updateDomain");
        TestServer.Response install = s.post("/api/v1/machines/x/install", s.adminToken, "{\"maxDurationMinutes\": \"soon\"}");
        assertThat(install.status()).isEqualTo(400);
        assertThat(install.json().get("message").asText()).contains("maxDurationMinutes").doesNotContainPattern(INTERNAL);
        assertThat(s.get("/api/v1/machines", s.adminToken).json()).isEmpty();
    }

    @BothStores
    void malformedMultipart_isA400_andChangesNothing(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        TestServer.Response r = s.postBytes("/api/v1/images/" + scene.imageId + "/baselines", s.adminToken,
                "multipart/form-data; boundary=xyz", "--xyz\r\nContent-Disposition: form-data; name=\"jar\"; filename=\"a.jar\"\r\n\r\nabc"
                        .getBytes(StandardCharsets.UTF_8));
        assertThat(r.status()).as(r.body()).isEqualTo(400);
        assertThat(r.json().get("error").asText()).isEqualTo("malformed-multipart");
        assertThat(r.body()).doesNotContainPattern(INTERNAL);
        r = s.postBytes("/api/v1/updates", s.adminToken, "multipart/form-data", "garbage".getBytes(StandardCharsets.UTF_8));
        assertThat(r.status()).as(r.body()).isEqualTo(400);
        assertThat(s.get("/api/v1/images/" + scene.imageId + "/baselines", s.adminToken).json()).hasSize(1);
        assertThat(s.get("/api/v1/updates", s.adminToken).json()).isEmpty();
    }

    @BothStores
    void aLongQueryString_getsTheApisJson414_notJettysPage(TestServer s) throws Exception {
        String q = "x".repeat(20_000);
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(s.url("/api/v1/machines?q=" + q))).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + s.adminToken).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(414);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).contains("application/json");
        JsonNode e = TestServer.JSON.readTree(r.body());
        assertThat(e.get("error").asText()).isEqualTo("uri-too-long");
        assertThat(e.get("hint").asText()).contains("JSON body");
        assertThat(r.body()).doesNotContain("<html").doesNotContainPattern(INTERNAL);
    }

    @BothStores
    void bodiesOverTheirRoutesCap_are413BeforeBeingRead(TestServer s) throws Exception {
        Node node = Node.enroll(s, "host-1");
        byte[] big = new byte[(int) RequestLimits.NODE_BODY + 1];
        Arrays.fill(big, (byte) ' ');
        TestServer.Response r = send(s, "/api/v1/node/check-in", node.credential, big);
        assertThat(r.status()).isEqualTo(413);
        assertThat(r.json().get("message").asText()).contains("the node's report").contains("at most 16 MiB");
        assertThat(r.json().get("hint").asText()).contains("node.classes");

        byte[] admin = new byte[(int) RequestLimits.JSON_BODY + 10];
        Arrays.fill(admin, (byte) ' ');
        r = send(s, "/api/v1/images", s.adminToken, admin);
        assertThat(r.status()).isEqualTo(413);
        assertThat(r.json().get("error").asText()).isEqualTo("too-large");
        assertThat(s.get("/healthz", null).status()).isEqualTo(200);
    }

    @BothStores
    void anInternalFailure_isLoggedWithAnIncidentId_andTheAnswerCarriesOnlyTheId(TestServer s) throws Exception {
        s.sql("DROP TABLE history");
        PrintStream before = System.err;
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        TestServer.Response r;
        System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
        try {
            r = s.get("/api/v1/history", s.adminToken);
        } finally {
            System.setErr(before);
        }
        assertThat(r.status()).isEqualTo(500);
        String message = r.json().get("message").asText();
        assertThat(message).matches("the server failed on this request \\(incident err-[^)]+\\)");
        assertThat(r.body()).doesNotContainIgnoringCase("history").doesNotContainIgnoringCase("sql").doesNotContainPattern(INTERNAL);
        String incident = message.replaceAll(".*incident ([^)]+)\\).*", "$1");
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("internal error " + incident);
    }

    @BothStores
    void failedLogins_areLoggedWithTheSource_andASourceThatKeepsFailingIsRefusedForAWhile(TestServer s) throws Exception {
        PrintStream before = System.err;
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
        try {
            for (int i = 0; i < 30; i++) {
                assertThat(s.get("/api/v1/machines", "hpt_guess-" + i).status()).isEqualTo(401);
            }
            TestServer.Response blocked = s.get("/api/v1/machines", "hpt_guess-31");
            assertThat(blocked.status()).isEqualTo(429);
            assertThat(blocked.headers().get("retry-after")).isNotBlank();
            assertThat(blocked.json().get("message").asText()).contains("127.0.0.1").contains("too many failed authentications");
            assertThat(s.get("/api/v1/machines", s.adminToken).status()).as("the whole source waits").isEqualTo(429);
            assertThat(s.get("/healthz", null).status()).as("public routes are not affected").isEqualTo(200);
        } finally {
            System.setErr(before);
        }
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("failed authentication from 127.0.0.1 for GET /api/v1/machines")
                .contains("refusing that address");
        s.clock.advance(Duration.ofSeconds(61));
        assertThat(s.get("/api/v1/machines", s.adminToken).status()).isEqualTo(200);
    }

    @BothStores
    void aReadOnlyDataFolder_makesPublishingAnswerAClearError_andHealthzFail(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        assertThat(s.get("/healthz", null).status()).isEqualTo(200);
        byte[] pkg = Fixtures.hotpatch(Fixtures.trustedKey(), "KB2026-0001", Scene.IMAGE, "1.0", java.time.Instant.parse("2026-02-10T12:00:00Z"),
                List.of(dev.hotpatch.format.ClassPatch.replace("acme/Fees", Fixtures.sha(scene.feesV1), scene.feesV2)), List.of());
        try (ReadOnlyMount ro = ReadOnlyMount.of(s.dataDir.resolve("tmp"))) {
            TestServer.Response health = s.get("/healthz", null);
            assertThat(health.status()).isEqualTo(503);
            assertThat(health.json().get("status").asText()).isEqualTo("failing");
            assertThat(health.json().get("problems").get(0).asText()).contains("tmp").contains("Read-only file system");

            TestServer.Response r = s.postBytes("/api/v1/updates", s.adminToken, "application/octet-stream", pkg);
            assertThat(r.status()).as(r.body()).isEqualTo(503);
            assertThat(r.json().get("message").asText()).contains("cannot store the upload").contains("Read-only file system");
            assertThat(r.json().get("hint").asText()).contains("writable");
        }
        assertThat(s.get("/healthz", null).status()).isEqualTo(200);
        assertThat(s.postBytes("/api/v1/updates", s.adminToken, "application/octet-stream", pkg).status()).isEqualTo(201);
    }

    /**
     * Sends {@code body} as a careful client does with a large upload: headers with
     * {@code Expect: 100-continue}, then the body only once the server says 100. Spoken on a plain
     * socket with a read timeout, because JDK 17's HttpClient can wait forever, its own request
     * timeout included, when the answer to an expect-continue request is not 100 (seen in CI).
     */
    private TestServer.Response send(TestServer s, String path, String token, byte[] body) throws Exception {
        URI uri = URI.create(s.url(path));
        try (java.net.Socket socket = new java.net.Socket()) {
            socket.connect(new java.net.InetSocketAddress(uri.getHost(), uri.getPort()), 10_000);
            socket.setSoTimeout(60_000);
            java.io.OutputStream out = socket.getOutputStream();
            java.io.InputStream in = new java.io.BufferedInputStream(socket.getInputStream());
            out.write(("POST " + uri.getRawPath() + " HTTP/1.1\r\nHost: " + uri.getHost() + ":" + uri.getPort()
                    + "\r\nAuthorization: Bearer " + token + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length
                    + "\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            Head head = Head.read(in);
            if (head.status == 100) {
                out.write(body);
                out.flush();
                head = Head.read(in);
            }
            byte[] content = in.readNBytes(head.contentLength);
            String text = new String(content, StandardCharsets.UTF_8);
            return new TestServer.Response(head.status, text, TestServer.JSON.readTree(text), Map.of());
        } catch (java.io.IOException e) {
            throw new AssertionError("the server closed the connection or did not answer instead of answering 413: " + e, e);
        }
    }

    /** Status line and the length of the body of one HTTP/1.1 response head. */
    private record Head(int status, int contentLength) {
        static Head read(java.io.InputStream in) throws java.io.IOException {
            String status = line(in);
            int length = 0;
            for (String h = line(in); !h.isEmpty(); h = line(in)) {
                if (h.regionMatches(true, 0, "Content-Length:", 0, 15)) {
                    length = Integer.parseInt(h.substring(15).strip());
                }
            }
            return new Head(Integer.parseInt(status.split(" ")[1]), length);
        }

        private static String line(java.io.InputStream in) throws java.io.IOException {
            StringBuilder b = new StringBuilder();
            for (int c = in.read(); c != '\n'; c = in.read()) {
                if (c < 0) {
                    throw new java.io.EOFException("the connection ended inside a response head: " + b);
                }
                if (c != '\r') {
                    b.append((char) c);
                }
            }
            return b.toString();
        }
    }
}
