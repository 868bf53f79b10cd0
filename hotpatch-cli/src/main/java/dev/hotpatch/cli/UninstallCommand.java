package dev.hotpatch.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hotpatch.attach.AgentClient;
import dev.hotpatch.attach.UninstallResult;
import dev.hotpatch.cli.fleet.ActionCommand;
import dev.hotpatch.cli.fleet.ApiClient;
import java.util.Optional;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code hotpatch uninstall}: removes a hotpatch from a running JVM, restoring the classes it replaced. */
@Command(name = "uninstall", description = {
        "Remove a hotpatch live, from a JVM (--pid) or a fleet machine (--machine).",
        "Removes the latest one when no --id is given: its classes go back to the bytes they had before it.",
        "--machine goes through the server and the machine's node, shows progress and waits (--no-wait: the operation id).",
        "With --pid, --timeout is the deadline of every step that talks to the JVM (default 30s to attach, 120s for the change).",
        "A quarantined or revoked hotpatch (not running) is removed from the JVM's saved state.",
        "If the enrolled agent cannot record the removal, it is rolled back and the command fails (exit 1).",
        "Exit 3 when refused (nothing installed, unknown id): nothing changed."})
final class UninstallCommand extends ActionCommand {
    @ArgGroup(exclusive = true, multiplicity = "1")
    Target target;

    /** Which JVM: a local process, or a machine through the server. */
    static final class Target {
        @Option(names = "--pid", required = true, paramLabel = "PID", description = "Process id of a local JVM (see 'hotpatch ps').")
        Long pid;

        @Option(names = "--machine", required = true, paramLabel = "NAME", description = "A machine of the fleet (name or id), via the server.")
        String machine;
    }

    @Option(names = "--id", paramLabel = "KB…", description = "The hotpatch to remove (default: the latest installed).")
    String id;

    /** How the agent was reached ({@code socket} or {@code attach}), for --json; null before it was. */
    private String reachedBy;

    @Override
    public Integer call() {
        if (target.machine != null) {
            var body = Json.object();
            if (id != null) {
                body.put("kbId", id.strip());
            }
            return follow(api().post("/api/v1/machines/" + ApiClient.seg(machine(target.machine)) + "/uninstall", body));
        }
        long target = pid(this.target.pid);
        Optional<AgentClient> maybe = AgentClient.connectIfPresent(target, timeout());
        if (maybe.isEmpty()) {
            return report(new UninstallResult(dev.hotpatch.attach.Outcome.REFUSED,
                    "the hotpatch agent is not loaded in JVM " + target + ", so nothing is installed", id == null ? "" : id), target);
        }
        try (AgentClient client = maybe.get()) {
            reachedBy = client.reachedBy();
            return report(client.uninstall(id, Actor.current()), target);
        }
    }

    private int report(UninstallResult r, long target) {
        int exit = switch (r.outcome()) {
            case OK, NOOP -> ExitPolicy.OK;
            case REFUSED -> ExitPolicy.REFUSED;
            case FAILED -> ExitPolicy.FAILURE;
        };
        if (json()) {
            ObjectNode doc = Json.status(r.outcome().label()).put("pid", target).put("id", r.id()).put("message", r.message());
            if (reachedBy != null) {
                doc.put("reachedBy", reachedBy);
            }
            if (exit != ExitPolicy.OK) {
                doc.put("exitCode", exit);
            }
            printJson(doc);
        } else if (exit == ExitPolicy.OK) {
            out().println(r.message().contains("not running") ? "Removed " + r.id() + " from JVM " + target + ": " + sentence(r.message())
                    : "Uninstalled " + r.id() + " from JVM " + target + ": the classes it replaced run their earlier code again.");
        } else {
            err().println("hotpatch uninstall: " + r.outcome().label() + ": " + sentence(r.message())
                    + (exit == ExitPolicy.REFUSED ? " Nothing changed." : ""));
        }
        out().flush();
        err().flush();
        return exit;
    }
}
