package dev.hotpatch.server.api;

import io.javalin.http.Handler;
import io.javalin.http.HandlerType;
import java.util.List;

/**
 * One route of the API, described once: it is registered with Javalin from this and the OpenAPI
 * document is generated from it, so the two cannot drift apart.
 *
 * @param body     JSON request body type; null when none
 * @param bodyKind {@code json}, {@code multipart+binary} (uploads) or null
 * @param response response body type (a record), wrapped in an array when {@code array}
 */
record Route(HandlerType method, String path, Access access, String tag, String summary, List<Param> params, Class<?> body,
             String bodyKind, Class<?> response, boolean array, int status, Handler handler) {

    /** A query (or form) parameter. */
    record Param(String name, String type, String description) {
    }

    static Param q(String name, String description) {
        return new Param(name, "string", description);
    }

    static Param qi(String name, String description) {
        return new Param(name, "integer", description);
    }

    static Param qb(String name, String description) {
        return new Param(name, "boolean", description);
    }
}
