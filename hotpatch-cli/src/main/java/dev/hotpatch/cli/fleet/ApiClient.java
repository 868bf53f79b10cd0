package dev.hotpatch.cli.fleet;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * The one client of the server's REST API ({@code docs/api.md}) that every operator command uses:
 * JSON in and out over {@link HttpClient}, the bearer token on every call, and errors turned into
 * {@link ApiException} (the server answered no) or {@link ServerUnreachableException} (it did not
 * answer). Paths are relative to {@code /api/v1}'s server, e.g. {@code /api/v1/machines}.
 * Thread-safe.
 */
public final class ApiClient {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration UPLOAD_TIMEOUT = Duration.ofMinutes(10);

    private final URI base;
    private final String token;
    private final HttpClient http;

    /**
     * @param base  the server, e.g. {@code http://127.0.0.1:8080} (a trailing slash is ignored)
     * @param token the bearer secret ({@code hpt_…}); null sends none, and the server answers 401
     */
    public ApiClient(URI base, String token) {
        this(base, token, dev.hotpatch.node.server.ServerTransport.sslContext(null));
    }

    /** A client that verifies an {@code https://} server's certificate with {@code tls}. */
    public ApiClient(URI base, String token, javax.net.ssl.SSLContext tls) {
        String b = base.toString();
        this.base = URI.create(b.endsWith("/") ? b.substring(0, b.length() - 1) : b);
        this.token = token;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).followRedirects(HttpClient.Redirect.NEVER)
                .sslContext(tls).build();
    }

    public URI base() {
        return base;
    }

    /** A new JSON object for a request body. */
    public static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    /** {@code value} encoded as one path segment (machine names, image references such as {@code acme:fees:1.x}). */
    public static String seg(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    public JsonNode get(String path) {
        return get(path, Map.of());
    }

    /** GET with query parameters; null values are left out. */
    public JsonNode get(String path, Map<String, ?> query) {
        return send(request(path + query(query), CALL_TIMEOUT).GET(), "GET " + path);
    }

    /** POST a JSON body (null: no body). */
    public JsonNode post(String path, JsonNode body) {
        HttpRequest.Builder b = request(path, CALL_TIMEOUT);
        if (body == null) {
            b.POST(HttpRequest.BodyPublishers.noBody());
        } else {
            b.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.toString(), StandardCharsets.UTF_8));
        }
        return send(b, "POST " + path);
    }

    /** PATCH a JSON body. */
    public JsonNode patch(String path, JsonNode body) {
        return send(request(path, CALL_TIMEOUT).header("Content-Type", "application/json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString(body.toString(), StandardCharsets.UTF_8)), "PATCH " + path);
    }

    /** PUT raw bytes (a descriptor). */
    public JsonNode put(String path, String contentType, byte[] body) {
        return send(request(path, UPLOAD_TIMEOUT).header("Content-Type", contentType).PUT(HttpRequest.BodyPublishers.ofByteArray(body)),
                "PUT " + path);
    }

    /** POST raw bytes (a package, a jar) with query parameters. */
    public JsonNode upload(String path, Map<String, ?> query, String contentType, byte[] body) {
        return send(request(path + query(query), UPLOAD_TIMEOUT).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)), "POST " + path);
    }

    /** POST a multipart form. */
    public JsonNode upload(String path, Form form) {
        return send(request(path, UPLOAD_TIMEOUT).header("Content-Type", form.contentType())
                .POST(HttpRequest.BodyPublishers.ofByteArray(form.body())), "POST " + path);
    }

    public void delete(String path) {
        send(request(path, CALL_TIMEOUT).DELETE(), "DELETE " + path);
    }

    private HttpRequest.Builder request(String pathAndQuery, Duration timeout) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + pathAndQuery)).timeout(timeout).header("Accept", "application/json");
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return b;
    }

    private JsonNode send(HttpRequest.Builder request, String call) {
        HttpResponse<byte[]> r;
        try {
            r = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (HttpConnectTimeoutException e) {
            throw new ServerUnreachableException(base, "no connection within 5 s", e);
        } catch (HttpTimeoutException e) {
            throw new ServerUnreachableException(base, call + " got no answer in time", e);
        } catch (ConnectException e) {
            throw new ServerUnreachableException(base, "connection refused", e);
        } catch (IOException e) {
            String tls = dev.hotpatch.node.server.ServerTransport.explain(e, base);
            throw new ServerUnreachableException(base, tls != null ? tls : e.toString(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ServerUnreachableException(base, "interrupted while waiting for " + call, e);
        }
        String text = new String(r.body(), StandardCharsets.UTF_8);
        if (r.statusCode() >= 200 && r.statusCode() < 300) {
            if (text.isBlank()) {
                return MissingNode.getInstance();
            }
            try {
                return MAPPER.readTree(text);
            } catch (JsonProcessingException e) {
                throw new ServerUnreachableException(base, call + " answered " + r.statusCode() + " with something that is not JSON"
                        + " (is this a Hotpatch server?)", e);
            }
        }
        throw error(r.statusCode(), text, call);
    }

    private static ApiException error(int status, String text, String call) {
        try {
            JsonNode e = MAPPER.readTree(text);
            if (e != null && e.hasNonNull("message")) {
                // The server speaks REST in its messages and hints; a CLI user is told CLI commands and flags.
                return new ApiException(status, e.path("error").asText("http-" + status), CliHints.translate(e.get("message").asText()),
                        CliHints.translate(e.path("hint").asText("")), call);
            }
        } catch (JsonProcessingException ignored) {
            // Not the API's error shape (a proxy's page, say): report the start of the body below.
        }
        String body = text.strip();
        return new ApiException(status, "http-" + status, call + " answered HTTP " + status
                + (body.isEmpty() ? "" : ": " + (body.length() > 200 ? body.substring(0, 200) + "…" : body)), "", call);
    }

    private static String query(Map<String, ?> params) {
        StringBuilder q = new StringBuilder();
        for (Map.Entry<String, ?> e : params.entrySet()) {
            if (e.getValue() == null) {
                continue;
            }
            q.append(q.length() == 0 ? '?' : '&').append(URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)).append('=')
                    .append(URLEncoder.encode(e.getValue().toString(), StandardCharsets.UTF_8));
        }
        return q.toString();
    }

    /** Query parameters in order, skipping null values: {@code ApiClient.params("days", 30, "action", null)}. */
    public static Map<String, Object> params(Object... keyValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i + 1 < keyValues.length; i += 2) {
            if (keyValues[i + 1] != null) {
                m.put((String) keyValues[i], keyValues[i + 1]);
            }
        }
        return m;
    }

    /** A {@code multipart/form-data} body: fields and files, in order. Not thread-safe. */
    public static final class Form {
        private final String boundary = "hotpatch-" + UUID.randomUUID();
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        public Form field(String name, String value) {
            if (value != null) {
                part("Content-Disposition: form-data; name=\"" + name + "\"\r\n\r\n");
                write(value.getBytes(StandardCharsets.UTF_8));
                write("\r\n".getBytes(StandardCharsets.UTF_8));
            }
            return this;
        }

        public Form file(String name, String fileName, String contentType, byte[] content) {
            part("Content-Disposition: form-data; name=\"" + name + "\"; filename=\"" + fileName.replace("\"", "_") + "\"\r\n"
                    + "Content-Type: " + contentType + "\r\n\r\n");
            write(content);
            write("\r\n".getBytes(StandardCharsets.UTF_8));
            return this;
        }

        String contentType() {
            return "multipart/form-data; boundary=" + boundary;
        }

        byte[] body() {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            b.writeBytes(out.toByteArray());
            b.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
            return b.toByteArray();
        }

        private void part(String headers) {
            write(("--" + boundary + "\r\n" + headers).getBytes(StandardCharsets.UTF_8));
        }

        private void write(byte[] bytes) {
            out.writeBytes(bytes);
        }
    }
}
