package dev.hotpatch.node.inventory;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What the node reports about one machine at check-in, in the server's JSON shape
 * ({@code MachineReport} in {@code docs/api.md}): the JVM, the agent, the code it runs (jar and class
 * SHA-256), the hotpatches installed with the hashes of the bytes in use, the restart updates the
 * node installed, and the machine's settings from the node's config. The last fields
 * ({@code hotpatchStatus} onwards) are the node's own observations; servers that do not know
 * them ignore them. Immutable.
 *
 * @param name             stable machine name
 * @param pid              process id now
 * @param jvm              vendor, version, runtime
 * @param agent            whether the hotpatch agent runs in it, its version and mode
 * @param image            {@code publisher/offer/sku} the config declares; null when none
 * @param jars             jars on the class path, by file name and SHA-256
 * @param classes          classes on the class path by internal name and SHA-256 of the bytes in use
 *                         (a hotpatched class has its patch's hash); empty when the config turns this off
 * @param hotpatches       installed hotpatches, in installation order
 * @param installedUpdates KB ids of restart updates and baselines this node installed on it
 * @param config           its settings from the node's config
 * @param startedAt        when the JVM process started
 * @param hotpatchStatus   {@code Enabled} or {@code NotSupported} as attach sees it
 * @param statusReason     why it is not supported, or a note; may be empty
 * @param nameSource       where the name came from: {@code supervised}, {@code agent}, {@code property}, {@code config}
 * @param restart          how the node restarts it: {@code supervised}, {@code command} or {@code none}
 * @param problems         what the node could not find out, e.g. an unreadable class path
 * @param health           the machine's health check as the node last ran it; null when it has none
 * @param quarantined      hotpatches the agent holds back after the JVM died during their probation (contract C1);
 *                         null when unknown (no agent, or an older one)
 * @param restartPending   a restart the JVM owes because code it runs changed on disk (contract C1); null when none or unknown
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record MachineInventory(String name, Long pid, Jvm jvm, Agent agent, String image, List<Hash> jars, List<Hash> classes,
                               List<Hotpatch> hotpatches, List<String> installedUpdates, Config config, Instant startedAt,
                               String hotpatchStatus, String statusReason, String nameSource, String restart,
                               List<String> problems, Health health, List<Quarantined> quarantined, RestartPending restartPending) {
    public MachineInventory {
        jars = jars == null ? List.of() : List.copyOf(jars);
        classes = classes == null ? List.of() : List.copyOf(classes);
        hotpatches = hotpatches == null ? List.of() : List.copyOf(hotpatches);
        installedUpdates = installedUpdates == null ? List.of() : List.copyOf(installedUpdates);
        problems = problems == null ? List.of() : List.copyOf(problems);
        quarantined = quarantined == null ? null : List.copyOf(quarantined);
    }

    /** An inventory without health, the agent's quarantine and restart reports (unknown). */
    public MachineInventory(String name, Long pid, Jvm jvm, Agent agent, String image, List<Hash> jars, List<Hash> classes,
                            List<Hotpatch> hotpatches, List<String> installedUpdates, Config config, Instant startedAt,
                            String hotpatchStatus, String statusReason, String nameSource, String restart, List<String> problems) {
        this(name, pid, jvm, agent, image, jars, classes, hotpatches, installedUpdates, config, startedAt, hotpatchStatus,
                statusReason, nameSource, restart, problems, null, null, null);
    }

    /** A hotpatch the agent does not re-apply because the JVM died during its probation, and why (contract C1). */
    public record Quarantined(String id, Instant since, String reason) {
    }

    /** A restart the JVM owes: since when the agent knows, and which file changed (contract C1). */
    public record RestartPending(Instant since, String reason) {
    }

    /** The running JVM. */
    public record Jvm(String vendor, String version, String runtime) {
    }

    /**
     * The hotpatch agent; {@code mode}: {@code enrolled}, {@code attached} or {@code none};
     * {@code reachable}: whether the node talked to the agent in this collection (false when there
     * is none, or the JVM did not answer and what is reported is what the agent last said).
     */
    public record Agent(boolean present, String version, String mode, Boolean reachable) {
    }

    /**
     * The machine's health check as the node last ran it (contract C1). The counters count since
     * this JVM started, so a lost or repeated report cannot fake health.
     *
     * @param state     {@code passing}, {@code failing} or {@code unknown} (not probed yet in this JVM)
     * @param checkedAt the last probe
     * @param detail    the last probe's one-line detail, e.g. {@code HTTP 503 from http://127.0.0.1:8081/health}
     * @param samples   probes since the JVM started
     * @param failures  failed probes since the JVM started
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Health(String state, Instant checkedAt, String detail, Long samples, Long failures) {
    }

    /** A named SHA-256: a jar file or a class. */
    public record Hash(String name, String sha256) {
    }

    /**
     * An installed hotpatch with, per loaded copy of each of its classes, the SHA-256 of the bytes
     * that copy runs (a class loaded by two loaders appears twice; one not loaded yet, not at all).
     * {@code state} is {@code active} or {@code superseded} (whose classes run a later hotpatch's
     * bytes, so none are listed for it); null from an older agent. {@code fixup}: its fix-up class
     * and what became of it in this JVM; null when it has none (or the agent predates fix-ups).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Hotpatch(String id, Instant installedAt, List<Hash> classes, String state, Fixup fixup) {
        public Hotpatch {
            classes = List.copyOf(classes);
        }

        public Hotpatch(String id, Instant installedAt, List<Hash> classes, String state) {
            this(id, installedAt, classes, state, null);
        }

        public Hotpatch(String id, Instant installedAt, List<Hash> classes) {
            this(id, installedAt, classes, null, null);
        }
    }

    /**
     * A hotpatch's fix-up class, as the agent lists it: {@code state} {@code ran} (afterApply() ran at
     * the live apply) or {@code not-run} (re-applied at JVM start, or no loader had the package), and
     * the agent's own words for it.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Fixup(String className, String state, String detail) {
    }

    /** The machine's settings from the node's config. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Config(String timeZone, String region, String zone, String availabilitySet, Integer updateDomain,
                         String patchMode, Boolean hotpatch, String group, String groupOrchestration, Map<String, String> tags,
                         String healthUrl) {
    }
}
