package dev.hotpatch.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hotpatch.attach.AgentClient;
import dev.hotpatch.attach.ApplyResult;
import dev.hotpatch.attach.InstalledHotpatch;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code hotpatch quarantine}: with {@code --pid}, the hotpatches an enrolled JVM holds back after
 * dying during their probation, and clearing one; its {@code list} and {@code clear} subcommands do
 * the same across the fleet through the server.
 */
@Command(name = "quarantine", description = {
        "Show or clear the hotpatches held back after a crash.",
        "An enrolled JVM that dies (killed, crashed; not a normal stop) within the probation after a hotpatch was " +
                "applied (agent option probation=, default 10m) does not re-apply that hotpatch at its next start: it is " +
                "quarantined, with the reason.",
        "Without --clear this lists them; --clear ID applies the stored package again, live, with every check of a " +
                "first apply, and starts a new probation. 'hotpatch uninstall --id ID' drops it instead.",
        "Across the fleet the server blocks a quarantined update for its image (no automatic install, no rollout): " +
                "'hotpatch quarantine list' shows these quarantines and 'hotpatch quarantine clear ID' lifts one.",
        "Exit 0 when cleared (or nothing to show), 3 when refused (nothing changed), 1 on failure or time-out."})
final class QuarantineCommand extends HotpatchCommand {

    /** The command with the fleet's subcommands, for the top-level command list. */
    static CommandLine line() {
        return new CommandLine(new QuarantineCommand())
                .addSubcommand("list", new dev.hotpatch.cli.fleet.QuarantineCommand.Listing())
                .addSubcommand("clear", new dev.hotpatch.cli.fleet.QuarantineCommand.Clear());
    }

    @Option(names = "--pid", paramLabel = "PID", description = "Process id of the JVM (see 'hotpatch ps').")
    Long pid;

    @Option(names = "--clear", paramLabel = "KB…", description = "The quarantined hotpatch to apply again.")
    String clear;

    @Option(names = "--allow-pending", description = "With --clear: apply it even when none of its classes is in the JVM yet.")
    boolean allowPending;

    @Mixin
    TargetTimeout timeout;

    @Override
    public Integer call() {
        if (pid == null) {
            throw usage("give --pid PID for one JVM's quarantined hotpatches, or use 'hotpatch quarantine list' for the fleet's");
        }
        long target = pid(pid);
        Optional<AgentClient> maybe = AgentClient.connectIfPresent(target, timeout.get());
        if (maybe.isEmpty()) {
            if (clear != null) {
                return refused(target, "the hotpatch agent is not loaded in JVM " + target + ", so nothing is quarantined");
            }
            return show(target, List.of());
        }
        try (AgentClient client = maybe.get()) {
            if (clear == null) {
                return show(target, client.report().quarantined());
            }
            ApplyResult r = client.clearQuarantine(clear.strip(), Actor.current(), allowPending);
            int exit = switch (r.outcome()) {
                case OK, NOOP -> ExitPolicy.OK;
                case REFUSED -> ExitPolicy.REFUSED;
                case FAILED -> ExitPolicy.FAILURE;
            };
            if (json()) {
                ObjectNode doc = Json.status(r.outcome().label()).put("pid", target).put("id", clear.strip()).put("message", r.message());
                if (exit != ExitPolicy.OK) {
                    doc.put("exitCode", exit);
                }
                printJson(doc);
            } else if (exit == ExitPolicy.OK) {
                out().println("Cleared the quarantine of " + clear.strip() + " in JVM " + target + ": applied again (" + r.message()
                        + "); a new probation starts now.");
            } else {
                err().println("hotpatch quarantine: " + r.outcome().label() + ": " + sentence(r.message())
                        + (exit == ExitPolicy.REFUSED ? " Nothing changed." : ""));
            }
            out().flush();
            err().flush();
            return exit;
        }
    }

    private int show(long target, List<InstalledHotpatch> quarantined) {
        if (json()) {
            ObjectNode doc = Json.status("ok").put("pid", target);
            ArrayNode a = doc.putArray("quarantined");
            for (InstalledHotpatch h : quarantined) {
                a.addObject().put("id", h.id()).put("since", h.stateSince() == null ? null : h.stateSince().toString())
                        .put("reason", h.stateReason());
            }
            printJson(doc);
        } else if (quarantined.isEmpty()) {
            out().println("No hotpatch is quarantined in JVM " + target + ".");
        } else {
            for (InstalledHotpatch h : quarantined) {
                out().println(h.id() + "  quarantined since " + h.stateSince() + ": " + h.stateReason());
            }
        }
        out().flush();
        return ExitPolicy.OK;
    }

    private int refused(long target, String why) {
        if (json()) {
            printJson(Json.status("refused").put("pid", target).put("exitCode", ExitPolicy.REFUSED).put("message", why));
        } else {
            err().println("hotpatch quarantine: refused: " + sentence(why) + " Nothing changed.");
            err().flush();
        }
        return ExitPolicy.REFUSED;
    }
}
