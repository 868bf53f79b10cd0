package dev.hotpatch.server.api;

import dev.hotpatch.server.ServerException;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The console's scripts, style sheet and icon, served from the server jar ({@code /web/console/})
 * under {@code /console/}: plain ES modules, no build step, nothing fetched from elsewhere. Public
 * like the page itself: they hold no data; every call they make sends the operator's token.
 */
final class ConsoleFiles {
    /** The content security policy of the page and its files: only this server's own scripts, styles and API. */
    static final String POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self';"
            + " frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
    private static final Pattern NAME = Pattern.compile("[a-z0-9-]{1,40}\\.(js|css|svg)");
    private static final Map<String, String> TYPES = Map.of("js", "text/javascript; charset=utf-8", "css", "text/css; charset=utf-8",
            "svg", "image/svg+xml");

    private ConsoleFiles() {
    }

    static List<Route> routes() {
        return List.of(new Route(HandlerType.GET, "/console/{file}", Access.PUBLIC, "console",
                "The console's scripts and style sheet (static files of the server jar)", List.of(), null, null, String.class, false, 200,
                ConsoleFiles::serve));
    }

    private static void serve(Context ctx) {
        String file = ctx.pathParam("file");
        InputStream in = NAME.matcher(file).matches() ? ConsoleFiles.class.getResourceAsStream("/web/console/" + file) : null;
        if (in == null) {
            throw new ServerException.NotFound("console file", file, "open the console at /");
        }
        try (in) {
            String ext = file.substring(file.lastIndexOf('.') + 1);
            ctx.contentType(TYPES.get(ext)).header("Content-Security-Policy", POLICY).header("X-Content-Type-Options", "nosniff")
                    .header("Cache-Control", "no-cache").result(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
