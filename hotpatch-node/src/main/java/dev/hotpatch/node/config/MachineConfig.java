package dev.hotpatch.node.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;

/**
 * What the node's config file says about one machine: where it sits in the fleet (time zone,
 * region, zone, availability set, update domain), how it is patched, how it is restarted (a
 * restart command, or a launch command the node runs and supervises itself), how its health is
 * checked, and which jar files are its application (the artifacts a baseline install swaps).
 * Fields the file does not set are null (or empty). Immutable.
 *
 * @param name               the stable machine name
 * @param timeZone           IANA zone its maintenance windows are evaluated in
 * @param region             fleet region, e.g. {@code eu-west}
 * @param zone               availability zone within the region
 * @param availabilitySet    availability set: at most 20% of one is patched at once
 * @param updateDomain       update domain within the availability set
 * @param patchMode          how it is patched
 * @param hotpatch           hotpatch enrollment; null takes the image's default
 * @param group              machine group, e.g. a scale set
 * @param groupOrchestration {@code flexible} or {@code uniform}
 * @param image              {@code publisher/offer/sku} it declares, narrowing baseline matching
 * @param restartCommand     command that restarts the JVM (run without a shell); empty when none
 * @param launch             command the node runs and supervises as this machine; empty when none
 * @param launchDirectory    working folder of {@code launch}
 * @param launchLog          file the supervised process's output is appended to; null: the node's data folder
 * @param healthUrl          its health check: an HTTP 2xx answer means healthy; probed periodically, after every command and after a restart
 * @param tags               free labels
 * @param jars               the application's jar files: what a baseline install replaces
 * @param trust              folder of trusted publisher certificates for this machine's packages
 * @param match              adopts a JVM that has no name whose main class or jar file name is this
 * @param window             maintenance window for standalone mode; null: the policy's
 * @param restartTimeout     how long a restart may take before it counts as failed
 * @param settle             how long a restarted JVM must stay up before it counts as back
 * @param healthCommand      command whose exit code 0 means healthy (run without a shell); empty when none
 * @param healthTimeout      how long one health probe (URL or command) may take before it counts as failed
 */
public record MachineConfig(String name, ZoneId timeZone, String region, String zone, String availabilitySet,
                            Integer updateDomain, PatchMode patchMode, Boolean hotpatch, String group,
                            String groupOrchestration, String image, List<String> restartCommand, List<String> launch,
                            Path launchDirectory, Path launchLog, URI healthUrl, Map<String, String> tags, List<Path> jars,
                            Path trust, String match, MaintenanceWindow window, Duration restartTimeout, Duration settle,
                            List<String> healthCommand, Duration healthTimeout) {
    /** Default {@link #restartTimeout}. */
    public static final Duration DEFAULT_RESTART_TIMEOUT = Duration.ofSeconds(120);
    /** Default {@link #settle}. */
    public static final Duration DEFAULT_SETTLE = Duration.ofSeconds(2);
    /** Default {@link #healthTimeout}. */
    public static final Duration DEFAULT_HEALTH_TIMEOUT = Duration.ofSeconds(5);

    public MachineConfig {
        restartCommand = restartCommand == null ? List.of() : List.copyOf(restartCommand);
        launch = launch == null ? List.of() : List.copyOf(launch);
        tags = tags == null ? Map.of() : Map.copyOf(tags);
        jars = jars == null ? List.of() : List.copyOf(jars);
        restartTimeout = restartTimeout == null ? DEFAULT_RESTART_TIMEOUT : restartTimeout;
        settle = settle == null ? DEFAULT_SETTLE : settle;
        healthCommand = healthCommand == null ? List.of() : List.copyOf(healthCommand);
        healthTimeout = healthTimeout == null ? DEFAULT_HEALTH_TIMEOUT : healthTimeout;
    }

    /** A machine the config file does not mention: only its name is known. */
    public static MachineConfig unconfigured(String name) {
        return new MachineConfig(name, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
                null, null, null, null, null, null, null, null, null, null);
    }

    /** Whether the config gives this machine a health check (a URL or a command). */
    public boolean hasHealthCheck() {
        return healthUrl != null || !healthCommand.isEmpty();
    }

    /** Whether the node launches and supervises this machine's JVM itself. */
    public boolean supervised() {
        return !launch.isEmpty();
    }
}
