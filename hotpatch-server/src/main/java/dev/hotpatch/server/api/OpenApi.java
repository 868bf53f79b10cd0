package dev.hotpatch.server.api;

import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Builds the OpenAPI 3.0 document from the route table, and the schemas from the records the
 * routes take and return (by reflection over record components), so the document describes
 * exactly what the server does. Not thread-safe while building; the result is immutable JSON-able maps.
 */
final class OpenApi {
    private static final Pattern PATH_PARAM = Pattern.compile("\\{([^}]+)}");
    private final Map<String, Object> schemas = new TreeMap<>();

    static Map<String, Object> document(List<Route> routes, String version) {
        return new OpenApi().build(routes, version);
    }

    private Map<String, Object> build(List<Route> routes, String version) {
        Map<String, Object> paths = new TreeMap<>();
        for (Route r : routes) {
            if (r.access() == Access.PUBLIC && !r.path().startsWith("/api/")) {
                continue;
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> item = (Map<String, Object>) paths.computeIfAbsent(r.path(), k -> new LinkedHashMap<>());
            item.put(r.method().name().toLowerCase(java.util.Locale.ROOT), operation(r));
        }
        schema(ApiError.class);
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("openapi", "3.0.3");
        doc.put("info", Map.of("title", "Hotpatch control plane", "version", version,
                "description", "Catalog, release calendar, machines, assessment, install now, history, and the node protocol."
                        + " Every call needs 'Authorization: Bearer TOKEN'; errors are {error, message, hint}."));
        doc.put("paths", paths);
        Map<String, Object> security = new LinkedHashMap<>();
        security.put("bearer", Map.of("type", "http", "scheme", "bearer",
                "description", "hpt_… operator token (role reader, operator, publisher or admin), hpn_… node credential, hpe_… enrollment token"));
        doc.put("components", Map.of("schemas", schemas, "securitySchemes", security));
        doc.put("security", List.of(Map.of("bearer", List.of())));
        return doc;
    }

    private Map<String, Object> operation(Route r) {
        Map<String, Object> op = new LinkedHashMap<>();
        op.put("tags", List.of(r.tag()));
        op.put("summary", r.summary());
        op.put("description", "Access: " + r.access().describe() + ".");
        op.put("operationId", operationId(r));
        List<Object> params = new ArrayList<>();
        Matcher m = PATH_PARAM.matcher(r.path());
        while (m.find()) {
            params.add(Map.of("name", m.group(1), "in", "path", "required", true, "schema", Map.of("type", "string")));
        }
        for (Route.Param p : r.params()) {
            params.add(Map.of("name", p.name(), "in", "query", "required", false, "description", p.description(),
                    "schema", Map.of("type", p.type())));
        }
        if (!params.isEmpty()) {
            op.put("parameters", params);
        }
        if ("json".equals(r.bodyKind()) && r.body() != null) {
            op.put("requestBody", Map.of("required", true, "content", Map.of("application/json", Map.of("schema", ref(r.body())))));
        } else if (r.bodyKind() != null && r.bodyKind().startsWith("multipart")) {
            Map<String, Object> content = new LinkedHashMap<>();
            content.put("multipart/form-data", Map.of("schema", Map.of("type", "object", "description",
                    "file part(s) and form fields; the fields are the query parameters listed")));
            content.put("application/octet-stream", Map.of("schema", Map.of("type", "string", "format", "binary")));
            if (r.body() != null) {
                content.put("application/json", Map.of("schema", ref(r.body())));
            }
            op.put("requestBody", Map.of("required", true, "content", content));
        }
        Map<String, Object> responses = new LinkedHashMap<>();
        Map<String, Object> ok = new LinkedHashMap<>();
        ok.put("description", r.status() == 204 ? "done" : "success");
        if (r.response() != null) {
            if (r.response() == byte[].class) {
                ok.put("content", Map.of("application/octet-stream", Map.of("schema", Map.of("type", "string", "format", "binary"))));
            } else if (r.response() == String.class) {
                ok.put("content", Map.of("text/plain", Map.of("schema", Map.of("type", "string"))));
            } else {
                Object schema = r.array() ? Map.of("type", "array", "items", ref(r.response())) : ref(r.response());
                ok.put("content", Map.of("application/json", Map.of("schema", schema)));
            }
        }
        responses.put(String.valueOf(r.status()), ok);
        Map<String, Object> err = Map.of("content", Map.of("application/json", Map.of("schema", Map.of("$ref", "#/components/schemas/ApiError"))));
        responses.put("400", with(err, "malformed request"));
        if (r.access() != Access.PUBLIC) {
            responses.put("401", with(err, "no or unknown credential"));
            responses.put("403", with(err, "the credential's role does not allow this"));
        }
        if (r.path().contains("{")) {
            responses.put("404", with(err, "not found"));
        }
        if (r.method().name().equals("POST") || r.method().name().equals("PATCH")) {
            responses.put("409", with(err, "conflicts with the current state (duplicate, calendar rule, machine not eligible)"));
            responses.put("422", with(err, "refused on content (unverifiable package, unknown KB, rule broken)"));
        }
        op.put("responses", responses);
        if (r.access() == Access.PUBLIC) {
            op.put("security", List.of());
        }
        return op;
    }

    private static Map<String, Object> with(Map<String, Object> base, String description) {
        Map<String, Object> m = new LinkedHashMap<>(base);
        m.put("description", description);
        return m;
    }

    private static String operationId(Route r) {
        StringBuilder b = new StringBuilder(r.method().name().toLowerCase(java.util.Locale.ROOT));
        for (String part : r.path().replace("/api/v1", "").split("[/{}-]")) {
            if (!part.isEmpty()) {
                b.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
            }
        }
        return b.toString();
    }

    private Map<String, Object> ref(Class<?> type) {
        return Map.of("$ref", "#/components/schemas/" + schema(type));
    }

    private String schema(Class<?> type) {
        String name = name(type);
        if (schemas.containsKey(name)) {
            return name;
        }
        schemas.put(name, Map.of());
        Map<String, Object> props = new LinkedHashMap<>();
        if (type.isRecord()) {
            for (RecordComponent c : type.getRecordComponents()) {
                props.put(c.getName(), typeSchema(c.getGenericType()));
            }
        }
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("type", "object");
        s.put("properties", props);
        schemas.put(name, s);
        return name;
    }

    private Object typeSchema(Type t) {
        if (t instanceof ParameterizedType p) {
            Class<?> raw = (Class<?>) p.getRawType();
            if (List.class.isAssignableFrom(raw)) {
                return Map.of("type", "array", "items", typeSchema(p.getActualTypeArguments()[0]));
            }
            if (Map.class.isAssignableFrom(raw)) {
                Type v = p.getActualTypeArguments()[1];
                return Map.of("type", "object", "additionalProperties", v == Object.class ? Map.of() : typeSchema(v));
            }
            return Map.of("type", "object");
        }
        Class<?> c = (Class<?>) t;
        if (c == String.class) {
            return Map.of("type", "string");
        } else if (c == int.class || c == Integer.class || c == long.class || c == Long.class) {
            return Map.of("type", "integer", "format", c == long.class || c == Long.class ? "int64" : "int32");
        } else if (c == boolean.class || c == Boolean.class) {
            return Map.of("type", "boolean");
        } else if (c == double.class || c == Double.class) {
            return Map.of("type", "number");
        } else if (c == Instant.class) {
            return Map.of("type", "string", "format", "date-time");
        } else if (c == LocalDate.class) {
            return Map.of("type", "string", "format", "date");
        } else if (c.isRecord()) {
            return ref(c);
        } else if (c == Object.class) {
            return Map.of();
        }
        return Map.of("type", "string");
    }

    private static String name(Class<?> type) {
        String n = type.getName();
        n = n.substring(n.lastIndexOf('.') + 1).replace("$", "");
        return n;
    }
}
