package dev.hotpatch.cli.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.cli.HotpatchCommand;
import dev.hotpatch.cli.Json;
import picocli.CommandLine.Mixin;

/**
 * An operator command: one or a few calls to the server's REST API with the {@link Connection}
 * options, printed as a table or, with {@code --json}, as the server's JSON inside the CLI's
 * {@code {"status": …}} document.
 */
public abstract class FleetCommand extends HotpatchCommand {
    @Mixin
    Connection connection;

    private ApiClient api;

    /** The client for this run's server and token (resolved on first use). */
    protected ApiClient api() {
        if (api == null) {
            api = connection.client();
        }
        return api;
    }

    /** A machine reference as given: a name or an id, never blank. */
    protected String machine(String ref) {
        if (ref == null || ref.isBlank()) {
            throw usage("--machine must name a machine (its name or id); 'hotpatch machines' lists them");
        }
        return ref.strip();
    }

    /** Prints {@code {"status": "ok", field: value}}. */
    protected void printJson(String field, JsonNode value) {
        printJson(Json.status("ok").set(field, value));
    }
}
