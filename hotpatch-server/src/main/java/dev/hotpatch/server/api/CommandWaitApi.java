package dev.hotpatch.server.api;

import dev.hotpatch.server.ServerException;
import dev.hotpatch.server.node.CheckIn;
import dev.hotpatch.server.node.CommandWaits;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The long-poll of the node protocol (contract C2): {@code GET /api/v1/node/commands/wait}. The
 * request is held without a thread until a command is deliverable to one of the node's machines
 * ({@link CommandWaits}) or the timeout passes; the answer has the check-in answer's shape.
 * Registered by {@link Api#routes()}. Thread-safe.
 */
final class CommandWaitApi {
    private CommandWaitApi() {
    }

    static List<Route> routes(CommandWaits waits) {
        return List.of(new Route(HandlerType.GET, "/api/v1/node/commands/wait", Access.NODE, "node",
                "Wait for commands: answers as soon as a command is deliverable to one of the node's machines, or with none at the"
                        + " timeout (long-poll; the answer is shaped like the check-in's). 503 when too many nodes wait already",
                List.of(Route.qi("timeoutSeconds", "how long to wait, 0 to " + CommandWaits.MAX_WAIT.toSeconds() + " (default and cap "
                        + CommandWaits.MAX_WAIT.toSeconds() + ")")),
                null, null, CheckIn.Response.class, false, 200, ctx -> {
                    Duration timeout = timeout(ctx);
                    CompletableFuture<CheckIn.Response> answer = waits.await(Api.principal(ctx).id(), timeout);
                    ctx.future(() -> answer.thenAccept(ctx::json));
                }));
    }

    private static Duration timeout(Context ctx) {
        String v = ctx.queryParam("timeoutSeconds");
        if (v == null || v.isBlank()) {
            return CommandWaits.MAX_WAIT;
        }
        long seconds;
        try {
            seconds = Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            seconds = -1;
        }
        if (seconds < 0) {
            throw new ServerException.BadRequest("invalid-timeout", "timeoutSeconds '" + v + "' is not a whole number of seconds, 0 or more",
                    "ask for e.g. timeoutSeconds=25");
        }
        return Duration.ofSeconds(Math.min(seconds, CommandWaits.MAX_WAIT.toSeconds()));
    }
}
