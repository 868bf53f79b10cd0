package dev.hotpatch.bench.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Map;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The control plane's REST API as the simulated nodes and the operator side of the benchmarks
 * call it: one {@code java.net.http} client (HTTP/1.1, connections kept alive and pooled), shared
 * by every thread of the run. Thread-safe.
 */
final class ApiClient {
    static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http;
    private final String base;

    ApiClient(int port) {
        this.base = "http://127.0.0.1:" + port;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
    }

    /** An answer: status and body. */
    record Response(int status, byte[] body) {
        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new UncheckedIOException("not JSON (" + status + "): " + text(), e);
            }
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        /** This response, if its status is {@code expected}; else an exception naming the call and the server's error. */
        Response expect(int expected, String what) {
            if (status != expected) {
                throw new IllegalStateException(what + ": HTTP " + status + " " + text());
            }
            return this;
        }
    }

    /** A prepared request, built once and sent many times (the load loops re-send the same bytes). */
    HttpRequest prepare(String method, String path, String token, byte[] body, String contentType) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(120));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (body == null) {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            b.header("Content-Type", contentType).method(method, HttpRequest.BodyPublishers.ofByteArray(body));
        }
        return b.build();
    }

    Response send(HttpRequest request) {
        try {
            HttpResponse<byte[]> r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
            return new Response(r.statusCode(), r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(request.method() + " " + request.uri() + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during " + request.method() + " " + request.uri(), e);
        }
    }

    Response get(String path, String token) {
        return send(prepare("GET", path, token, null, null));
    }

    Response postJson(String path, String token, Object body) {
        return send(prepare("POST", path, token, json(body), "application/json"));
    }

    Response postBytes(String path, String token, byte[] body) {
        return send(prepare("POST", path, token, body, "application/octet-stream"));
    }

    /** A multipart/form-data POST of named files. */
    Response postFiles(String path, String token, Map<String, Map.Entry<String, byte[]>> files) {
        String boundary = "bench-" + System.nanoTime();
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        files.forEach((part, file) -> {
            b.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + part + "\"; filename=\"" + file.getKey()
                    + "\"\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
            b.writeBytes(file.getValue());
            b.writeBytes("\r\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        });
        b.writeBytes(("--" + boundary + "--\r\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return send(prepare("POST", path, token, b.toByteArray(), "multipart/form-data; boundary=" + boundary));
    }

    static byte[] json(Object value) {
        try {
            return JSON.writeValueAsBytes(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
