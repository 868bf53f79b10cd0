package dev.hotpatch.server.api;

import dev.hotpatch.server.store.Json;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * The errors Jetty answers itself, before a request reaches the API (a request line or headers
 * too long, a malformed request), in the API's own JSON shape instead of Jetty's HTML page, and
 * without internal details. Thread-safe.
 */
final class JsonErrors extends ErrorHandler {
    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        fields.put(HttpHeader.CONTENT_TYPE, "application/json");
        return ByteBuffer.wrap(body(status));
    }

    @Override
    protected void generateResponse(Request request, Response response, int code, String message, Throwable cause, Callback callback) {
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.write(true, ByteBuffer.wrap(body(code)), callback);
    }

    private static byte[] body(int status) {
        ApiError e = switch (status) {
            case 414 -> new ApiError("uri-too-long", "the request line (path and query string) is longer than the server accepts",
                    "send long lists in a JSON body, or narrow the query");
            case 431 -> new ApiError("headers-too-large", "the request headers are larger than the server accepts", "send fewer or shorter headers");
            case 413 -> new ApiError("too-large", "the request is larger than the server accepts", "send a smaller body");
            case 400 -> new ApiError("bad-request", "the request is not valid HTTP", "check the client");
            default -> new ApiError("http-" + status, "the server answered HTTP " + status, "");
        };
        return Json.write(e).getBytes(StandardCharsets.UTF_8);
    }
}
