package dev.hotpatch.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hotpatch.attach.HotpatchStatus;
import dev.hotpatch.attach.JvmInfo;
import dev.hotpatch.attach.LocalJvms;
import dev.hotpatch.node.config.Durations;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code hotpatch ps}: the local JVMs and whether each can be hotpatched. */
@Command(name = "ps", description = {
        "List local JVMs and their hotpatch status.",
        "Shows each JVM's Java version, its status (Enabled; NotSupported with the reason; PendingEvaluation for one " +
                "that is stopped or did not answer in time) and the hotpatches installed in those that run the agent.",
        "All JVMs are asked at once, so one stopped or hung JVM does not hold up the list. Loads no agent."})
final class PsCommand extends HotpatchCommand {
    /** How long each JVM may take to answer by default. */
    static final String DEFAULT_TIMEOUT = "600ms";

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = DEFAULT_TIMEOUT,
            description = "How long each JVM may take to answer before it is listed as not answering (default: ${DEFAULT-VALUE}).")
    String timeout;

    @Override
    public Integer call() {
        Duration perJvm;
        try {
            perJvm = Durations.parse(timeout);
        } catch (IllegalArgumentException e) {
            throw usage("--timeout: " + e.getMessage());
        }
        List<JvmInfo> jvms = LocalJvms.list(perJvm);
        if (json()) {
            ObjectNode doc = Json.status("ok");
            ArrayNode a = doc.putArray("jvms");
            for (JvmInfo j : jvms) {
                ObjectNode o = a.addObject().put("pid", j.pid()).put("name", j.displayName()).put("javaVersion", j.javaVersion())
                        .put("vendor", j.vendor()).put("machine", j.machineName()).put("agentPresent", j.agentPresent())
                        .put("mode", j.mode()).put("status", j.status().label()).put("reason", j.reason());
                o.set("installed", Json.strings(j.installedIds()));
            }
            printJson(doc);
            return ExitPolicy.OK;
        }
        if (jvms.isEmpty()) {
            out().println("No other JVM runs on this host (as seen by user " + System.getProperty("user.name") + ").");
            return ExitPolicy.OK;
        }
        Table t = new Table("PID", "NAME", "JAVA", "STATUS", "REASON/INSTALLED");
        for (JvmInfo j : jvms) {
            t.add(j.pid(), j.displayName(), j.javaVersion().isEmpty() ? "?" : j.javaVersion(), j.status().label(), detail(j));
        }
        t.print(out());
        return ExitPolicy.OK;
    }

    private static String detail(JvmInfo j) {
        if (j.status() != HotpatchStatus.ENABLED) {
            return j.reason();
        }
        String note = j.reason().isEmpty() ? "" : "; " + j.reason();
        if (!j.agentPresent()) {
            return "no agent yet (loaded on first apply)" + note;
        }
        return j.mode() + (j.installedIds().isEmpty() ? ", nothing installed" : ": " + String.join(", ", j.installedIds())) + note;
    }
}
