package dev.hotpatch.server.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hotpatch.server.HotpatchServer;
import dev.hotpatch.testkit.PostgresCluster;
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
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * A real server under test on a free loopback port, over SQLite or a fresh PostgreSQL database,
 * with a hand-moved clock, plus a small HTTP client that speaks its API.
 */
public final class TestServer implements AutoCloseable {
    public static final ObjectMapper JSON = new ObjectMapper();

    public final String store;
    public final MutableClock clock = new MutableClock(Instant.parse("2026-01-15T10:00:00Z"));
    public final Path dataDir;
    public final Path trustDir;
    public final String dbUrl;
    public final HotpatchServer server;
    public final String adminToken;
    public final String startupOutput;
    private final HttpClient http;
    private final String scheme;

    public TestServer(String store) throws IOException {
        this(store, null, null);
    }

    /** A server on {@code dbUrl} and {@code dataDir} when given (a second replica), else on fresh ones. */
    public TestServer(String store, String sharedDbUrl, Path sharedTrust) throws IOException {
        this(store, sharedDbUrl, sharedTrust, null);
    }

    /** A server that serves HTTPS with {@code tls} when not null; its client pins that certificate. */
    public TestServer(String store, String sharedDbUrl, Path sharedTrust, dev.hotpatch.testkit.SelfSignedTls tls) throws IOException {
        this.store = store;
        this.scheme = tls == null ? "http" : "https";
        HttpClient.Builder hb = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10));
        if (tls != null) {
            hb.sslContext(trusting(tls.certificate()));
        }
        this.http = hb.build();
        this.dataDir = Files.createTempDirectory("hotpatch-server-test-");
        this.trustDir = sharedTrust != null ? sharedTrust : Files.createDirectories(dataDir.resolve("trust"));
        if (sharedDbUrl != null) {
            this.dbUrl = sharedDbUrl;
        } else if (store.equals("postgresql")) {
            PostgresCluster pg = PostgresCluster.get();
            if (pg == null) {
                throw new IllegalStateException("PostgreSQL unavailable: " + PostgresCluster.unavailableReason());
            }
            this.dbUrl = pg.newDatabase();
        } else {
            this.dbUrl = null;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        this.server = HotpatchServer.builder().port(0).dataDir(dataDir).dbUrl(dbUrl).clock(clock).trustDir(trustDir)
                .tls(tls == null ? null : tls.cert(), tls == null ? null : tls.key())
                .maintenanceInterval(Duration.ZERO).out(new PrintStream(out, true, StandardCharsets.UTF_8)).build().start();
        this.startupOutput = out.toString(StandardCharsets.UTF_8);
        Path tokenFile = server.adminTokenFile();
        this.adminToken = tokenFile == null ? null : Files.readString(tokenFile).trim();
    }

    /** A TLS context that trusts exactly {@code cert} (pinned), as a node given --tls-ca would. */
    public static javax.net.ssl.SSLContext trusting(java.security.cert.X509Certificate cert) {
        try {
            java.security.KeyStore ks = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
            ks.load(null, null);
            ks.setCertificateEntry("server", cert);
            javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(
                    javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (java.security.GeneralSecurityException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public String url(String path) {
        return scheme + "://127.0.0.1:" + server.port() + path;
    }

    /** An HTTP answer: status, raw body and parsed JSON (null when not JSON). */
    public record Response(int status, String body, JsonNode json, Map<String, String> headers) {
        public JsonNode at(String pointer) {
            return json.at(pointer);
        }
    }

    public Response get(String path, String token) {
        return send(HttpRequest.newBuilder(URI.create(url(path))).GET(), token);
    }

    public Response delete(String path, String token) {
        return send(HttpRequest.newBuilder(URI.create(url(path))).DELETE(), token);
    }

    public Response post(String path, String token, Object body) {
        try {
            String json = body == null ? "" : body instanceof String s ? s : JSON.writeValueAsString(body);
            return send(HttpRequest.newBuilder(URI.create(url(path))).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(json)), token);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public Response patch(String path, String token, Object body) {
        try {
            return send(HttpRequest.newBuilder(URI.create(url(path))).header("Content-Type", "application/json")
                    .method("PATCH", HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))), token);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public Response postBytes(String path, String token, String contentType, byte[] body) {
        return send(HttpRequest.newBuilder(URI.create(url(path))).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)), token);
    }

    public Response putBytes(String path, String token, byte[] body) {
        return send(HttpRequest.newBuilder(URI.create(url(path))).header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(body)), token);
    }

    /** A multipart/form-data POST; values that are {@link FilePart}s become file parts, others form fields. */
    public Response postMultipart(String path, String token, Map<String, Object> parts) {
        String boundary = "----hotpatch" + UUID.randomUUID();
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try {
            for (Map.Entry<String, Object> e : parts.entrySet()) {
                Object v = e.getValue();
                Iterable<?> values = v instanceof Iterable<?> it ? it : java.util.List.of(v);
                for (Object x : values) {
                    b.write(("--" + boundary + "\r\n").getBytes(StandardCharsets.UTF_8));
                    if (x instanceof FilePart f) {
                        b.write(("Content-Disposition: form-data; name=\"" + e.getKey() + "\"; filename=\"" + f.fileName() + "\"\r\n"
                                + "Content-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8));
                        b.write(f.bytes());
                    } else {
                        b.write(("Content-Disposition: form-data; name=\"" + e.getKey() + "\"\r\n\r\n" + x).getBytes(StandardCharsets.UTF_8));
                    }
                    b.write("\r\n".getBytes(StandardCharsets.UTF_8));
                }
            }
            b.write(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return send(HttpRequest.newBuilder(URI.create(url(path))).header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(b.toByteArray())), token);
    }

    /** A file part of a multipart upload. */
    public record FilePart(String fileName, byte[] bytes) {
    }

    public byte[] download(String path, String token) {
        try {
            HttpRequest.Builder rb = HttpRequest.newBuilder(URI.create(url(path))).GET();
            if (token != null) {
                rb.header("Authorization", "Bearer " + token);
            }
            HttpResponse<byte[]> r = http.send(rb.build(), HttpResponse.BodyHandlers.ofByteArray());
            if (r.statusCode() != 200) {
                throw new IllegalStateException("GET " + path + " → " + r.statusCode() + ": " + new String(r.body(), StandardCharsets.UTF_8));
            }
            return r.body();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private Response send(HttpRequest.Builder rb, String token) {
        if (token != null) {
            rb.header("Authorization", "Bearer " + token);
        }
        try {
            HttpResponse<String> r = http.send(rb.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
            JsonNode json = null;
            String ct = r.headers().firstValue("Content-Type").orElse("");
            if (ct.contains("json") && !r.body().isEmpty()) {
                json = JSON.readTree(r.body());
            }
            Map<String, String> headers = new LinkedHashMap<>();
            r.headers().map().forEach((k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT), String.join(",", v)));
            return new Response(r.statusCode(), r.body(), json, headers);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Runs one SQL statement on the server's database directly, as an operator with database access
     * would (for state the API cannot produce, e.g. rows written by an older version); returns the update count.
     */
    public int sql(String statement) {
        String url = dbUrl != null ? dbUrl : "jdbc:sqlite:" + dataDir.resolve("hotpatch.db") + "?busy_timeout=30000";
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(url); java.sql.Statement st = c.createStatement()) {
            return st.executeUpdate(statement);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("SQL failed: " + statement + ": " + e.getMessage(), e);
        }
    }

    /** Runs one query on the server's database directly (see {@link #sql}); returns its rows, column names in lower case. */
    public java.util.List<Map<String, Object>> query(String statement) {
        String url = dbUrl != null ? dbUrl : "jdbc:sqlite:" + dataDir.resolve("hotpatch.db") + "?busy_timeout=30000";
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(url); java.sql.Statement st = c.createStatement();
             java.sql.ResultSet rs = st.executeQuery(statement)) {
            java.util.List<Map<String, Object>> rows = new java.util.ArrayList<>();
            while (rs.next()) {
                Map<String, Object> row = new java.util.LinkedHashMap<>();
                for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                    row.put(rs.getMetaData().getColumnLabel(i).toLowerCase(java.util.Locale.ROOT), rs.getObject(i));
                }
                rows.add(row);
            }
            return rows;
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("SQL failed: " + statement + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() throws IOException {
        server.stop();
        try (Stream<Path> files = Files.walk(dataDir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Override
    public String toString() {
        return store;
    }
}
