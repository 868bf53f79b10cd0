package dev.hotpatch.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hotpatch.format.SigningKey;
import dev.hotpatch.server.HotpatchServer;
import dev.hotpatch.testkit.Jdks;
import dev.hotpatch.testkit.TargetJvm;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node against the real control plane on a loopback port: enroll, report, get assessed,
 * install now, Get-HotFix, history, uninstall, and reuse of the stored credential.
 */
class ServerModeTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private HotpatchServer server;
    private String admin;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void startServer() throws IOException {
        Path trust = Files.createDirectories(dir.resolve("server-trust"));
        server = HotpatchServer.builder().port(0).dataDir(dir.resolve("server")).trustDir(trust).maintenanceInterval(Duration.ZERO)
                .out(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).build().start();
        admin = Files.readString(server.adminTokenFile()).trim();
    }

    @AfterEach
    void stopServer() {
        server.stop();
    }

    @Test
    void node_enrollsReportsAndInstallsAndUninstallsWhatTheServerAsks() throws Exception {
        Path jar = TestApp.jar(dir.resolve("app/fees.jar"), "1.0", 10, -1);
        Path keyDir = dir.resolve("key");
        SigningKey key = SigningKey.generate(keyDir, "CN=E2E Publisher");
        Files.copy(keyDir.resolve(SigningKey.CERTIFICATE), dir.resolve("server-trust").resolve("e2e.crt"));
        Path pkg = TestApp.hotpatch(dir.resolve("KB-E2E-0001.hotpatch"), "KB-E2E-0001", jar, 20, key, dir);
        assertThat(post("/api/v1/images", "{\"publisher\":\"test\",\"offer\":\"fees\",\"sku\":\"1.x\"}").get("id").asText()).isNotEmpty();
        Path descriptor = dir.resolve("fees-1.0.release");
        TestApp.descriptor(descriptor, "1.0", jar, key);
        String boundary = "b" + System.nanoTime();
        java.io.ByteArrayOutputStream form = new java.io.ByteArrayOutputStream();
        for (String[] part : new String[][] {{"jar", "fees.jar", jar.toString()}, {"descriptor", "fees-1.0.release", descriptor.toString()}}) {
            form.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + part[0] + "\"; filename=\"" + part[1]
                    + "\"\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8));
            form.writeBytes(Files.readAllBytes(Path.of(part[2])));
            form.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
        }
        form.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        send("POST", "/api/v1/images/test:fees:1.x/baselines?version=1.0&kind=planned&releasedOn=2026-01-05",
                "multipart/form-data; boundary=" + boundary, form.toByteArray(), 201);
        send("POST", "/api/v1/updates", "application/octet-stream", Files.readAllBytes(pkg), 201);
        String enrollment = post("/api/v1/enrollment-tokens", "{}").get("token").asText();

        String name = TestApp.machineName("e2e");
        Path config = Files.writeString(dir.resolve("node.properties"), "node.manage = configured\n"
                + "node.trust = " + keyDir + "\n"
                + "machine." + name + ".timeZone = Europe/Paris\n"
                + "machine." + name + ".region = eu-west\n");
        NodeOptions options = NodeOptions.server(URI.create("http://127.0.0.1:" + server.port()), enrollment).withConfig(config)
                .withDataDir(dir.resolve("node"));
        try (TargetJvm target = TargetJvm.builder(Jdks.java17()).classpath(jar)
                .jvmArgs("-Dhotpatch.machine=" + name, "-Dhotpatch.state=" + dir.resolve("agent-state")).mainClass(TestApp.MAIN).start()) {
            target.await(l -> l.startsWith("fees 1.0 started"), Duration.ofSeconds(20));
            try (Node node = Node.fromOptions(options)) {
                node.runOnce();

                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("node/credential.json"))))
                        .isEqualTo("rw-------");
                JsonNode machine = get("/api/v1/machines/" + name);
                assertThat(machine.get("baselineVersion").asText()).as(machine.toString()).isEqualTo("1.0");
                assertThat(machine.at("/config/timeZone").asText()).isEqualTo("Europe/Paris");
                assertThat(machine.at("/jvm/version").asText()).startsWith("17");
                JsonNode assessment = get("/api/v1/machines/" + name + "/assessment");
                assertThat(assessment.get("status").asText()).as(assessment.toString()).isEqualTo("Enabled");
                assertThat(assessment.at("/missing/total").asInt()).isEqualTo(1);
                assertThat(assessment.at("/missing/security").asInt()).isEqualTo(1);
                assertThat(assessment.at("/updates/0/kbId").asText()).isEqualTo("KB-E2E-0001");

                String op = post("/api/v1/machines/" + name + "/install", "{\"classifications\":[\"Security\"]}").get("id").asText();
                node.runOnce();

                JsonNode operation = get("/api/v1/operations/" + op);
                assertThat(operation.get("state").asText()).as(operation.toString()).isEqualTo("succeeded");
                assertThat(target.request("fee", "fee=")).isEqualTo("fee=5");
                JsonNode hotfixes = get("/api/v1/machines/" + name + "/hotfixes");
                assertThat(hotfixes.toString()).contains("KB-E2E-0001");
                JsonNode history = get("/api/v1/machines/" + name + "/history");
                assertThat(history.toString()).contains("\"install\"").contains("succeeded");
                assertThat(get("/api/v1/machines/" + name + "/assessment").at("/missing/total").asInt()).isZero();
            }

            // A second run reuses the stored credential: no token needed, and the used-up token is not sent again.
            try (Node again = Node.fromOptions(NodeOptions.server(options.server(), null).withConfig(config).withDataDir(dir.resolve("node")))) {
                String op = post("/api/v1/machines/" + name + "/uninstall", "{}").get("id").asText();
                again.runOnce();
                JsonNode operation = get("/api/v1/operations/" + op);
                assertThat(operation.get("state").asText()).as(operation.toString()).isEqualTo("succeeded");
                assertThat(target.request("fee", "fee=")).isEqualTo("fee=10");
            }
        }
    }

    @Test
    void fromOptions_withoutTokenOrCredential_isAUsageError() {
        assertThatThrownBy(() -> Node.fromOptions(NodeOptions.server(URI.create("http://127.0.0.1:" + server.port()), null)
                .withDataDir(dir.resolve("fresh")))).isInstanceOf(ConfigException.class).hasMessageContaining("--token");
        assertThatThrownBy(() -> Node.fromOptions(NodeOptions.server(URI.create("ftp://x"), "t"))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("http://");
        assertThatThrownBy(() -> Node.fromOptions(NodeOptions.standalone(dir.resolve("absent")))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("--catalog");
    }

    private JsonNode get(String path) throws Exception {
        return JSON.readTree(send("GET", path, null, null, 200));
    }

    private JsonNode post(String path, String json) throws Exception {
        int expect = path.endsWith("/install") || path.endsWith("/uninstall") ? 202 : 201;
        return JSON.readTree(send("POST", path, "application/json", json.getBytes(StandardCharsets.UTF_8), expect));
    }

    private String send(String method, String path, String contentType, byte[] body, int expect) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header("Authorization", "Bearer " + admin)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(method + " " + path + ": " + r.body()).isEqualTo(expect);
        return r.body();
    }
}
