package dev.hotpatch.cli.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hotpatch.cli.CommandGroup;
import dev.hotpatch.cli.ExitPolicy;
import dev.hotpatch.cli.Table;
import dev.hotpatch.node.config.Durations;
import java.time.Duration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code hotpatch token}: API tokens for operators and one-time enrollment tokens for nodes. */
@Command(name = "token", description = {
        "Manage operator API tokens (roles reader to admin) and node enrollment tokens.",
        "A secret is shown once, when it is created; the server keeps only its hash."})
public final class TokenCommand extends CommandGroup {

    /** {@code hotpatch token create}. */
    @Command(name = "create", description = {
        "Create an operator API token (needs an admin token). Prints the secret once.",
        "Roles: reader (reads everything), operator (also assess, install, uninstall, rollback, restart; enrollment " +
                "tokens), publisher (also images, baselines, updates), admin (all, and tokens and nodes)."})
    public static final class Create extends FleetCommand {
        @Option(names = "--name", required = true, paramLabel = "NAME", description = "Who or what holds it, e.g. ci-publisher.")
        String name;

        @Option(names = "--role", required = true, paramLabel = "ROLE", description = "reader, operator, publisher or admin.")
        String role;

        @Override
        public Integer call() {
            JsonNode t = api().post("/api/v1/tokens", ApiClient.object().put("name", name).put("role", role));
            if (json()) {
                printJson("token", t);
            } else {
                out().println(t.path("token").asText());
                out().flush();
                err().println("Created token " + t.path("id").asText() + " '" + t.path("name").asText() + "' with role " + t.path("role").asText()
                        + ". The secret above is shown only now; give it with --token or HOTPATCH_TOKEN.");
                err().flush();
            }
            return ExitPolicy.OK;
        }
    }

    /** {@code hotpatch token enroll}. */
    @Command(name = "enroll", description = {
            "Create a one-time enrollment token for a node; prints the secret once.",
            "Start the node with it: hotpatch node --server URL --token SECRET. It is used up by the first enrollment."})
    public static final class Enroll extends FleetCommand {
        @Option(names = "--name", paramLabel = "NAME", description = "A label, e.g. the host it is for.")
        String name;

        @Option(names = "--expires", paramLabel = "DURATION", defaultValue = "24h", description = "Lifetime, 1m to 30d (default ${DEFAULT-VALUE}).")
        String expires;

        @Override
        public Integer call() {
            Duration d;
            try {
                d = Durations.parse(expires);
            } catch (IllegalArgumentException e) {
                throw usage("--expires: " + e.getMessage());
            }
            ObjectNode body = ApiClient.object().put("expiresInMinutes", Math.max(1, d.toMinutes()));
            if (name != null) {
                body.put("name", name);
            }
            JsonNode t = api().post("/api/v1/enrollment-tokens", body);
            if (json()) {
                printJson("token", t);
            } else {
                out().println(t.path("token").asText());
                out().flush();
                err().println("Created enrollment token " + t.path("id").asText() + ", valid until " + Times.human(t.path("expiresAt"))
                        + ", for one node: hotpatch node --server " + api().base() + " --token SECRET");
                err().flush();
            }
            return ExitPolicy.OK;
        }
    }

    /** {@code hotpatch token list}. */
    @Command(name = "list", description = "List operator API tokens (never their secrets; needs an admin token).")
    public static final class Listing extends FleetCommand {
        @Override
        public Integer call() {
            JsonNode list = api().get("/api/v1/tokens");
            if (json()) {
                printJson("tokens", list);
                return ExitPolicy.OK;
            }
            Table t = new Table("ID", "NAME", "ROLE", "CREATED", "BY", "REVOKED");
            for (JsonNode x : list) {
                t.add(x.path("id").asText(), x.path("name").asText(), x.path("role").asText(), Times.human(x.path("createdAt")),
                        x.path("createdBy").asText(""), Times.human(x.path("revokedAt")));
            }
            t.print(out());
            return ExitPolicy.OK;
        }
    }

    /** {@code hotpatch token revoke}. */
    @Command(name = "revoke", description = "Revoke an operator API token: it stops working at once (needs an admin token).")
    public static final class Revoke extends FleetCommand {
        @Parameters(index = "0", paramLabel = "ID", description = "The token's id (see 'hotpatch token list').")
        String id;

        @Override
        public Integer call() {
            api().delete("/api/v1/tokens/" + ApiClient.seg(id.strip()));
            if (json()) {
                printJson(dev.hotpatch.cli.Json.status("ok").put("revoked", id.strip()));
            } else {
                out().println("Revoked token " + id.strip() + ".");
                out().flush();
            }
            return ExitPolicy.OK;
        }
    }
}
