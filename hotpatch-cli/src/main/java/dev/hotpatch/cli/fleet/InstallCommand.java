package dev.hotpatch.cli.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hotpatch.cli.Json;
import dev.hotpatch.format.Classification;
import dev.hotpatch.node.config.Durations;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code hotpatch install}: Install updates now on one machine. */
@Command(name = "install", description = {
        "Install a machine's missing updates now.",
        "Chooses the missing updates of the given classifications, plus --include-kb, minus --exclude-kb (no " +
                "classification and no include list: all). Hotpatches go in live; restart updates and baselines are staged, " +
                "then the JVM restarts as --reboot says. Runs at once, not availability-first. Shows progress and waits; " +
                "--no-wait prints the operation id.",
        "Exit 0 when everything installed, 3 when refused (machine not eligible: nothing changed), 1 when something " +
                "failed."})
public final class InstallCommand extends ActionCommand {
    @Option(names = "--machine", required = true, paramLabel = "NAME", description = "The machine (name or id).")
    String machine;

    @Option(names = "--classification", split = ",", paramLabel = "C",
            description = "Install the missing updates of these classifications: Critical, Security, Updates, Definition.")
    List<String> classifications = new ArrayList<>();

    @Option(names = "--include-kb", split = ",", paramLabel = "KB", description = "Also install these KBs, whatever their classification.")
    List<String> include = new ArrayList<>();

    @Option(names = "--exclude-kb", split = ",", paramLabel = "KB", description = "Never install these KBs.")
    List<String> exclude = new ArrayList<>();

    @Option(names = "--reboot", paramLabel = "R", defaultValue = "IfRequired",
            description = "IfRequired (default: restart only when a staged update needs it), Never (leave the restart pending) or Always.")
    String reboot;

    @Option(names = "--max-duration", paramLabel = "DURATION", defaultValue = "2h",
            description = "The window (default ${DEFAULT-VALUE}, at most 24h): what has not started by then is not attempted.")
    String maxDuration;

    @Override
    public Integer call() {
        ObjectNode body = ApiClient.object();
        List<String> classes = new ArrayList<>();
        for (String c : classifications) {
            try {
                classes.add(Classification.parse(c.strip()).label());
            } catch (IllegalArgumentException e) {
                throw usage("--classification: " + e.getMessage());
            }
        }
        body.set("classifications", Json.strings(classes));
        body.set("includeKbs", Json.strings(kbs(include)));
        body.set("excludeKbs", Json.strings(kbs(exclude)));
        body.put("reboot", reboot(reboot));
        body.put("maxDurationMinutes", minutes(maxDuration));
        JsonNode op = api().post("/api/v1/machines/" + ApiClient.seg(machine(machine)) + "/install", body);
        return follow(op);
    }

    private static List<String> kbs(List<String> raw) {
        return raw.stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
    }

    private String reboot(String r) {
        for (String ok : List.of("IfRequired", "Never", "Always")) {
            if (ok.equalsIgnoreCase(r.strip())) {
                return ok;
            }
        }
        throw usage("--reboot '" + r + "' is not IfRequired, Never or Always");
    }

    private long minutes(String text) {
        Duration d;
        try {
            d = Durations.parse(text);
        } catch (IllegalArgumentException e) {
            throw usage("--max-duration: " + e.getMessage());
        }
        long min = (d.toSeconds() + 59) / 60;
        if (min > 24 * 60) {
            throw usage("--max-duration " + text + " is longer than 24h");
        }
        return Math.max(1, min);
    }
}
