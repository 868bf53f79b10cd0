package dev.hotpatch.server.machine;

import dev.hotpatch.format.Sha256;
import dev.hotpatch.server.ServerException;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What a node reports about one machine (one JVM) at check-in: the JVM, the agent, the code it
 * runs (jar and class SHA-256), the hotpatches installed with the hashes of the bytes in use, and
 * the machine's configuration from the node's config file. The JSON shape of the check-in protocol.
 *
 * @param name              stable machine name (survives restarts)
 * @param image             optional {@code publisher/offer/sku} the machine says it runs; narrows matching
 * @param jars              jars on the class path, by file name and SHA-256 of the file
 * @param classes           optional: classes loaded, by internal name and SHA-256 of the bytes in use
 * @param installedUpdates  KB ids of restart updates (non-hotpatch) installed on the machine
 * @param restartPending    set when the agent found code on disk changed after the JVM loaded it: the JVM runs other
 *                          bytes than its jars hold until it restarts (null: none, or an older agent)
 */
public record MachineReport(String name, Long pid, Jvm jvm, Agent agent, String image, List<Hash> jars, List<Hash> classes,
                            List<InstalledHotpatch> hotpatches, List<String> installedUpdates, Config config, Instant startedAt,
                            Health health, List<Quarantined> quarantined, RestartPending restartPending) {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:@-]{0,199}");
    private static final int MAX_CLASSES = 200_000;

    /** The running JVM. */
    public record Jvm(String vendor, String version, String runtime) {
    }

    /**
     * The hotpatch agent in the JVM. {@code mode}: {@code enrolled} (-javaagent), {@code attached}, or {@code none};
     * {@code reachable}: the node talked to the agent in this collection (null: the node does not say).
     */
    public record Agent(boolean present, String version, String mode, Boolean reachable) {
    }

    /**
     * The machine's health check as the node last ran it. The counters are cumulative since this JVM
     * started, so a lost or repeated report cannot fake health: failures over a period are the
     * difference of two reports of the same JVM (same {@code pid} and {@code startedAt}).
     *
     * @param state    {@code passing}, {@code failing} or {@code unknown}
     * @param samples  probes since the JVM started
     * @param failures failed probes since the JVM started
     */
    public record Health(String state, Instant checkedAt, String detail, Long samples, Long failures) {
        public static final String PASSING = "passing";
        public static final String FAILING = "failing";
        public static final String UNKNOWN = "unknown";
    }

    /** A hotpatch the agent quarantined: it stopped or broke the JVM soon after being applied, and is not re-applied. */
    public record Quarantined(String id, Instant since, String reason) {
    }

    /** Code on disk changed after the JVM loaded it; hotpatches for the new code are refused until the JVM restarts. */
    public record RestartPending(Instant since, String reason) {
    }

    /** A named SHA-256: a jar file or a class. */
    public record Hash(String name, String sha256) {
    }

    /**
     * A hotpatch installed in the JVM, with the SHA-256 of each class's bytes now in use, and its
     * fix-up class when it has one (null: none, or an older node or agent).
     */
    public record InstalledHotpatch(String id, Instant installedAt, List<Hash> classes, Fixup fixup) {
        public InstalledHotpatch(String id, Instant installedAt, List<Hash> classes) {
            this(id, installedAt, classes, null);
        }
    }

    /**
     * What became of a hotpatch's fix-up class in the JVM, as its agent says.
     *
     * @param className binary name, e.g. {@code acme.QuotesFixup}
     * @param state     {@code ran} (afterApply() ran at the live apply) or {@code not-run} (re-applied at JVM start,
     *                  or no class loader had the package)
     * @param detail    the agent's words
     */
    public record Fixup(String className, String state, String detail) {
        static final int MAX_TEXT = 2_000;
    }

    /**
     * The machine's settings from the node's config.
     *
     * @param timeZone           IANA zone, e.g. {@code Europe/Paris}: maintenance windows are evaluated in it
     * @param patchMode          e.g. {@code AutomaticByPlatform} or {@code Manual}
     * @param hotpatch           hotpatch enrollment; null takes the image's default
     * @param groupOrchestration {@code flexible} or {@code uniform}; uniform groups cannot use hotpatch
     */
    public record Config(String timeZone, String region, String zone, String availabilitySet, Integer updateDomain, String patchMode,
                         Boolean hotpatch, String group, String groupOrchestration, Map<String, String> tags) {
    }

    public List<Hash> jarsOrEmpty() {
        return jars == null ? List.of() : jars;
    }

    public List<Hash> classesOrEmpty() {
        return classes == null ? List.of() : classes;
    }

    public List<InstalledHotpatch> hotpatchesOrEmpty() {
        return hotpatches == null ? List.of() : hotpatches;
    }

    public List<String> installedUpdatesOrEmpty() {
        return installedUpdates == null ? List.of() : installedUpdates;
    }

    public List<Quarantined> quarantinedOrEmpty() {
        return quarantined == null ? List.of() : quarantined;
    }

    public Config configOrEmpty() {
        return config == null ? new Config(null, null, null, null, null, null, null, null, null, Map.of()) : config;
    }

    /** Checks the report; the error names the machine and the field. */
    public void validate() {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new ServerException.BadRequest("invalid-machine-name", "machine name '" + name + "' is not valid",
                    "use 1–200 letters, digits, '.', '_', ':', '@' or '-' (set it with -Dhotpatch.machine= or the node config)");
        }
        if (classesOrEmpty().size() > MAX_CLASSES) {
            throw new ServerException.BadRequest("too-many-classes", "machine " + name + " reports more than " + MAX_CLASSES + " classes",
                    "report only the classes of catalogued images, or jars alone");
        }
        for (Hash j : jarsOrEmpty()) {
            hash(j, "jar");
        }
        for (Hash c : classesOrEmpty()) {
            hash(c, "class");
        }
        for (InstalledHotpatch hp : hotpatchesOrEmpty()) {
            if (hp.id() == null || hp.id().isBlank()) {
                throw new ServerException.BadRequest("invalid-report", "machine " + name + " reports a hotpatch without id", "send its KB id");
            }
            if (hp.classes() != null) {
                hp.classes().forEach(c -> hash(c, "hotpatch class"));
            }
            Fixup f = hp.fixup();
            if (f != null && (f.className() == null || f.className().isBlank() || f.className().length() > Fixup.MAX_TEXT
                    || (f.state() != null && f.state().length() > 20) || (f.detail() != null && f.detail().length() > Fixup.MAX_TEXT))) {
                throw new ServerException.BadRequest("invalid-report", "machine " + name + " reports hotpatch " + hp.id()
                        + " with a malformed fix-up", "send its class name (at most " + Fixup.MAX_TEXT + " characters), a state such as"
                        + " ran or not-run, and at most " + Fixup.MAX_TEXT + " characters of detail");
            }
        }
        if (health != null) {
            if (health.state() != null && !List.of(Health.PASSING, Health.FAILING, Health.UNKNOWN).contains(health.state())) {
                throw new ServerException.BadRequest("invalid-health", "machine " + name + " reports health state '" + health.state() + "'",
                        "send passing, failing or unknown");
            }
            if ((health.samples() != null && health.samples() < 0) || (health.failures() != null && health.failures() < 0)
                    || (health.samples() != null && health.failures() != null && health.failures() > health.samples())) {
                throw new ServerException.BadRequest("invalid-health", "machine " + name + " reports health counters samples="
                        + health.samples() + ", failures=" + health.failures(), "send cumulative counts since the JVM started, failures <= samples");
            }
        }
        for (Quarantined q : quarantinedOrEmpty()) {
            if (q == null || q.id() == null || q.id().isBlank()) {
                throw new ServerException.BadRequest("invalid-report", "machine " + name + " reports a quarantined hotpatch without id",
                        "send its KB id");
            }
        }
        Config c = configOrEmpty();
        if (c.timeZone() != null) {
            try {
                ZoneId.of(c.timeZone());
            } catch (DateTimeException e) {
                throw new ServerException.BadRequest("invalid-time-zone", "machine " + name + " has time zone '" + c.timeZone()
                        + "', which is not an IANA zone", "use a name such as Europe/Paris or America/New_York");
            }
        }
        if (c.groupOrchestration() != null && !c.groupOrchestration().equalsIgnoreCase("uniform")
                && !c.groupOrchestration().equalsIgnoreCase("flexible")) {
            throw new ServerException.BadRequest("invalid-orchestration", "machine " + name + " has group orchestration '"
                    + c.groupOrchestration() + "'", "use flexible or uniform");
        }
    }

    private void hash(Hash h, String what) {
        if (h == null || h.name() == null || h.name().isBlank() || !Sha256.isHex(h.sha256())) {
            throw new ServerException.BadRequest("invalid-hash", "machine " + name + " reports a " + what + " without a name or a valid SHA-256"
                    + (h == null ? "" : " (" + h.name() + ")"), "send 64 lower-case hex digits per hash");
        }
    }
}
