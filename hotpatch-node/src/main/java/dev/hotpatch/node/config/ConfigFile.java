package dev.hotpatch.node.config;

import dev.hotpatch.format.Classification;
import dev.hotpatch.format.OwnerOnly;
import dev.hotpatch.format.UnsafePathException;
import dev.hotpatch.node.ConfigException;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The parser of the node's config file: one {@code key = value} per line (also {@code key: value}),
 * {@code #} or {@code !} starts a comment line, blank lines are ignored; no escapes and no
 * continuation lines, so a value is exactly the text after the separator, trimmed. Every key must
 * be known and appear once: a typo is an error, not a silently ignored line. Relative paths are
 * resolved against the file's folder. Errors name the file, line, key and value, and the fix.
 */
final class ConfigFile {
    private static final Pattern MACHINE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final Pattern IMAGE = Pattern.compile("[^/\\s]{1,64}/[^/\\s]{1,64}/[^/\\s]{1,64}");
    private static final List<String> NODE_KEYS = List.of("node.name", "node.trust", "node.timeZone", "node.classes", "node.manage",
            "node.handover", "node.targetTimeout", "node.installTimeout", "node.healthInterval", "policy.enabled", "policy.classifications",
            "policy.window");
    /** Machine fields, longest first so that {@code launch.directory} wins over a machine named {@code x.launch}. */
    private static final List<String> MACHINE_FIELDS = sortedLongestFirst(List.of("timeZone", "region", "zone",
            "availabilitySet", "updateDomain", "patchMode", "hotpatch", "group", "groupOrchestration", "image",
            "restartCommand", "launch", "launch.directory", "launch.log", "healthUrl", "tags", "jars", "trust", "match",
            "window", "restartTimeout", "settle", "healthCommand", "healthTimeout"));

    private final Path file;
    private final Path base;
    private final Map<String, Integer> lines = new LinkedHashMap<>();

    private ConfigFile(Path file) {
        this.file = file;
        Path parent = file.toAbsolutePath().getParent();
        this.base = parent == null ? Path.of("").toAbsolutePath() : parent;
    }

    static NodeConfig parse(Path file) {
        return new ConfigFile(file).read();
    }

    /**
     * The config names the trust folder and the commands the node runs, so it must pass the shared
     * owner-only rule: a file another user can change would let them choose both.
     */
    private void requireSafe() {
        try {
            OwnerOnly.requireTrustedFile(file, "config file");
        } catch (UnsafePathException e) {
            throw new ConfigException("--config", e.getMessage() + "; the config chooses the trust folder and the commands"
                    + " the node runs, so only its owner (or root) may be able to change it");
        } catch (IOException e) {
            // Missing or unreadable: reading it below says so in the usual words.
        }
    }

    private NodeConfig read() {
        requireSafe();
        List<String> text;
        try {
            text = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (MalformedInputException e) {
            throw new ConfigException("--config", "config file " + file + " is not UTF-8 text");
        } catch (IOException e) {
            throw new ConfigException("--config", "cannot read config file " + file + " (" + e + "); check the --config path");
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (int i = 0; i < text.size(); i++) {
            String line = text.get(i).strip();
            if (line.isEmpty() || line.startsWith("#") || line.startsWith("!")) {
                continue;
            }
            int eq = separator(line);
            if (eq <= 0) {
                throw new ConfigException(line, where(i + 1) + ": '" + line + "' is not 'key = value'");
            }
            String key = line.substring(0, eq).strip();
            String value = withoutComment(line.substring(eq + 1)).strip();
            if (values.containsKey(key)) {
                throw new ConfigException(key, where(i + 1) + ": key " + key + " is set twice (first on line "
                        + lines.get(key) + "); keep one");
            }
            values.put(key, value);
            lines.put(key, i + 1);
        }
        return build(values);
    }

    /** Cuts a trailing comment: a '#' preceded by white space ends the value, as in the README's examples. */
    private static String withoutComment(String value) {
        for (int i = 1; i < value.length(); i++) {
            if (value.charAt(i) == '#' && Character.isWhitespace(value.charAt(i - 1))) {
                return value.substring(0, i);
            }
        }
        return value;
    }

    private static int separator(String line) {
        int eq = line.indexOf('=');
        int colon = line.indexOf(':');
        if (eq < 0) {
            return colon;
        }
        return colon < 0 ? eq : Math.min(eq, colon);
    }

    private NodeConfig build(Map<String, String> values) {
        String nodeName = null;
        Path trust = null;
        Path handover = null;
        ZoneId zone = null;
        NodeConfig.ClassReporting classes = NodeConfig.ClassReporting.ALL;
        boolean onlyConfigured = true; // safe default: a node adopts only the machines its config lists
        boolean enabled = Policy.DEFAULT.enabled();
        Set<Classification> classifications = Policy.DEFAULT.classifications();
        MaintenanceWindow window = Policy.DEFAULT.window();
        Duration targetTimeout = null;
        Duration installTimeout = null;
        Duration healthInterval = null;
        Map<String, Map<String, String>> machineFields = new TreeMap<>();
        for (Map.Entry<String, String> e : values.entrySet()) {
            String key = e.getKey();
            String v = e.getValue();
            if (key.startsWith("machine.")) {
                splitMachineKey(key, machineFields).put(fieldOf(key), v);
                continue;
            }
            switch (key) {
                case "node.name" -> nodeName = requireName(key, v);
                case "node.trust" -> trust = folder(key, v);
                case "node.handover" -> handover = path(v);
                case "node.timeZone" -> zone = zone(key, v);
                case "node.classes" -> classes = classReporting(key, v);
                case "node.manage" -> onlyConfigured = manage(key, v);
                case "node.targetTimeout" -> targetTimeout = duration(key, v);
                case "node.installTimeout" -> installTimeout = duration(key, v);
                case "node.healthInterval" -> healthInterval = duration(key, v);
                case "policy.enabled" -> enabled = bool(key, v);
                case "policy.classifications" -> classifications = classifications(key, v);
                case "policy.window" -> window = window(key, v);
                default -> throw new ConfigException(key, where(key) + ": unknown key " + key + "; node-wide keys are "
                        + String.join(", ", NODE_KEYS) + ", and machine keys are machine.<name>.<field> with field one of "
                        + String.join(", ", sortedAlphabetically(MACHINE_FIELDS)));
            }
        }
        Map<String, MachineConfig> machines = new TreeMap<>();
        for (Map.Entry<String, Map<String, String>> m : machineFields.entrySet()) {
            machines.put(m.getKey(), machine(m.getKey(), m.getValue()));
        }
        Map<String, String> matchOwner = new TreeMap<>();
        for (MachineConfig m : machines.values()) {
            if (m.match() != null) {
                String other = matchOwner.putIfAbsent(m.match(), m.name());
                if (other != null) {
                    String key = "machine." + m.name() + ".match";
                    throw new ConfigException(key, where(key) + ": machines " + other + " and " + m.name() + " both match '"
                            + m.match() + "'; a JVM can be only one machine, so give each a distinct match (or -Dhotpatch.machine=NAME)");
                }
            }
        }
        return new NodeConfig(file, nodeName, trust, zone, classes, onlyConfigured, new Policy(enabled, classifications, window), machines,
                handover, targetTimeout, installTimeout, healthInterval);
    }

    private Map<String, String> splitMachineKey(String key, Map<String, Map<String, String>> out) {
        String field = fieldOf(key);
        if (field == null) {
            throw new ConfigException(key, where(key) + ": unknown key " + key + "; machine keys are machine.<name>.<field> with field one of "
                    + String.join(", ", sortedAlphabetically(MACHINE_FIELDS)));
        }
        String name = key.substring("machine.".length(), key.length() - field.length() - 1);
        if (!MACHINE_NAME.matcher(name).matches()) {
            throw new ConfigException(key, where(key) + ": '" + name + "' in " + key + " is not a valid machine name; use 1-64 letters, "
                    + "digits, '.', '_' or '-', starting with a letter or digit");
        }
        return out.computeIfAbsent(name, n -> new LinkedHashMap<>());
    }

    private static String fieldOf(String key) {
        for (String f : MACHINE_FIELDS) {
            if (key.endsWith("." + f) && key.length() > "machine.".length() + f.length() + 1) {
                return f;
            }
        }
        return null;
    }

    private MachineConfig machine(String name, Map<String, String> f) {
        String p = "machine." + name + ".";
        List<String> restart = f.containsKey("restartCommand") ? command(p + "restartCommand", f.get("restartCommand")) : null;
        List<String> launch = f.containsKey("launch") ? command(p + "launch", f.get("launch")) : null;
        if (restart != null && launch != null) {
            throw new ConfigException(p + "launch", where(p + "launch") + ": machine " + name + " has both restartCommand and launch;"
                    + " set restartCommand when something else (systemd, a container runtime) runs the JVM, or launch when the node"
                    + " should run and supervise it, not both");
        }
        if (f.containsKey("healthUrl") && f.containsKey("healthCommand")) {
            throw new ConfigException(p + "healthCommand", where(p + "healthCommand") + ": machine " + name + " has both healthUrl and"
                    + " healthCommand; give it one health check: healthUrl for an HTTP endpoint (2xx is healthy), or healthCommand for a"
                    + " command run without a shell (exit code 0 is healthy)");
        }
        if (f.containsKey("healthTimeout") && !f.containsKey("healthUrl") && !f.containsKey("healthCommand")) {
            throw new ConfigException(p + "healthTimeout", where(p + "healthTimeout") + ": " + p + "healthTimeout is set but machine "
                    + name + " has no health check; set " + p + "healthUrl or " + p + "healthCommand too, or remove this key");
        }
        for (String needsLaunch : List.of("launch.directory", "launch.log")) {
            if (f.containsKey(needsLaunch) && launch == null) {
                throw new ConfigException(p + needsLaunch, where(p + needsLaunch) + ": " + p + needsLaunch
                        + " is set but " + p + "launch is not; set the launch command too, or remove this key");
            }
        }
        String orchestration = null;
        if (f.containsKey("groupOrchestration")) {
            orchestration = f.get("groupOrchestration").toLowerCase(Locale.ROOT);
            if (!orchestration.equals("flexible") && !orchestration.equals("uniform")) {
                throw bad(p + "groupOrchestration", f.get("groupOrchestration"), "use flexible or uniform");
            }
        }
        String image = f.get("image");
        if (image != null && !IMAGE.matcher(image).matches()) {
            throw bad(p + "image", image, "write the image as publisher/offer/sku, e.g. apache/log4j-core/2.x");
        }
        return new MachineConfig(name,
                f.containsKey("timeZone") ? zone(p + "timeZone", f.get("timeZone")) : null,
                text(f.get("region")), text(f.get("zone")), text(f.get("availabilitySet")),
                f.containsKey("updateDomain") ? nonNegative(p + "updateDomain", f.get("updateDomain")) : null,
                f.containsKey("patchMode") ? patchMode(p + "patchMode", f.get("patchMode")) : null,
                f.containsKey("hotpatch") ? bool(p + "hotpatch", f.get("hotpatch")) : null,
                text(f.get("group")), orchestration, image, restart, launch,
                f.containsKey("launch.directory") ? folder(p + "launch.directory", f.get("launch.directory")) : null,
                f.containsKey("launch.log") ? path(f.get("launch.log")) : null,
                f.containsKey("healthUrl") ? url(p + "healthUrl", f.get("healthUrl")) : null,
                f.containsKey("tags") ? tags(p + "tags", f.get("tags")) : null,
                f.containsKey("jars") ? jars(p + "jars", f.get("jars")) : null,
                f.containsKey("trust") ? folder(p + "trust", f.get("trust")) : null,
                text(f.get("match")),
                f.containsKey("window") ? window(p + "window", f.get("window")) : null,
                f.containsKey("restartTimeout") ? duration(p + "restartTimeout", f.get("restartTimeout")) : null,
                f.containsKey("settle") ? duration(p + "settle", f.get("settle")) : null,
                f.containsKey("healthCommand") ? command(p + "healthCommand", f.get("healthCommand")) : null,
                f.containsKey("healthTimeout") ? duration(p + "healthTimeout", f.get("healthTimeout")) : null);
    }

    // ---- values --------------------------------------------------------------------------

    private static String text(String v) {
        return v == null || v.isEmpty() ? null : v;
    }

    private String requireName(String key, String v) {
        if (!MACHINE_NAME.matcher(v).matches()) {
            throw bad(key, v, "use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
        return v;
    }

    private ZoneId zone(String key, String v) {
        try {
            return ZoneId.of(v);
        } catch (DateTimeException e) {
            throw bad(key, v, "use an IANA time zone such as Europe/Paris or America/New_York ('timedatectl list-timezones' lists them)");
        }
    }

    private boolean bool(String key, String v) {
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on" -> true;
            case "false", "no", "off" -> false;
            default -> throw bad(key, v, "use true or false");
        };
    }

    private int nonNegative(String key, String v) {
        try {
            int n = Integer.parseInt(v);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // Reported below with the fix.
        }
        throw bad(key, v, "use a whole number, 0 or more");
    }

    private PatchMode patchMode(String key, String v) {
        try {
            return PatchMode.parse(v);
        } catch (IllegalArgumentException e) {
            throw bad(key, v, "use one of AutomaticByPlatform, AutomaticByOS, Manual, ImageDefault");
        }
    }

    private NodeConfig.ClassReporting classReporting(String key, String v) {
        try {
            return NodeConfig.ClassReporting.valueOf(v.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw bad(key, v, "use all, directories or none");
        }
    }

    private boolean manage(String key, String v) {
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "all" -> false;
            case "configured" -> true;
            default -> throw bad(key, v, "use all (every JVM with a machine name) or configured (only the machines this file lists)");
        };
    }

    private Set<Classification> classifications(String key, String v) {
        Set<Classification> out = EnumSet.noneOf(Classification.class);
        for (String part : v.split(",")) {
            if (part.isBlank()) {
                continue;
            }
            try {
                out.add(Classification.parse(part));
            } catch (IllegalArgumentException e) {
                throw bad(key, v, "'" + part.strip() + "' is not a classification; list some of Critical, Security, Updates, Definition");
            }
        }
        return out;
    }

    private MaintenanceWindow window(String key, String v) {
        try {
            return MaintenanceWindow.parse(v);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(key, where(key) + ": " + key + ": " + e.getMessage());
        }
    }

    private Duration duration(String key, String v) {
        try {
            return Durations.parse(v);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(key, where(key) + ": " + key + ": " + e.getMessage());
        }
    }

    private URI url(String key, String v) {
        try {
            URI u = new URI(v);
            if (u.isAbsolute() && ("http".equalsIgnoreCase(u.getScheme()) || "https".equalsIgnoreCase(u.getScheme())) && u.getHost() != null) {
                return u;
            }
        } catch (URISyntaxException e) {
            // Reported below with the fix.
        }
        throw bad(key, v, "use an http:// or https:// URL, e.g. http://127.0.0.1:8080/health");
    }

    private Map<String, String> tags(String key, String v) {
        Map<String, String> out = new TreeMap<>();
        for (String part : v.split(",")) {
            if (part.isBlank()) {
                continue;
            }
            int eq = part.indexOf('=');
            if (eq <= 0) {
                throw bad(key, v, "write tags as name=value pairs separated by commas, e.g. team=payments, env=prod");
            }
            out.put(part.substring(0, eq).strip(), part.substring(eq + 1).strip());
        }
        return out;
    }

    private List<Path> jars(String key, String v) {
        List<Path> out = new ArrayList<>();
        for (String part : v.split(",")) {
            if (!part.isBlank()) {
                Path p = path(part.strip());
                if (Files.isDirectory(p)) {
                    throw bad(key, v, p + " is a folder; list the application's jar files, e.g. /opt/fees/fees.jar");
                }
                out.add(p);
            }
        }
        if (out.isEmpty()) {
            throw bad(key, v, "list the application's jar files, separated by commas");
        }
        return out;
    }

    private Path folder(String key, String v) {
        Path p = path(v);
        if (!Files.isDirectory(p)) {
            throw bad(key, v, p + " is not an existing folder; create it or correct the path");
        }
        return p;
    }

    private Path path(String v) {
        return base.resolve(v).normalize();
    }

    /**
     * Splits a command into words at white space; single or double quotes keep a word with spaces
     * together. No shell is involved: write {@code sh -c '...'} to use one.
     */
    private List<String> command(String key, String v) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean inWord = false;
        char quote = 0;
        for (char c : v.toCharArray()) {
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else {
                    word.append(c);
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
                inWord = true;
            } else if (Character.isWhitespace(c)) {
                if (inWord) {
                    words.add(word.toString());
                    word.setLength(0);
                    inWord = false;
                }
            } else {
                word.append(c);
                inWord = true;
            }
        }
        if (quote != 0) {
            throw bad(key, v, "a " + quote + " quote is not closed");
        }
        if (inWord) {
            words.add(word.toString());
        }
        if (words.isEmpty()) {
            throw bad(key, v, "give the command to run, e.g. systemctl restart fees");
        }
        return words;
    }

    // ---- errors ----------------------------------------------------------------------------

    private ConfigException bad(String key, String value, String fix) {
        return new ConfigException(key, where(key) + ": " + key + " = " + value + " is not valid: " + fix);
    }

    private String where(String key) {
        Integer line = lines.get(key);
        return line == null ? "config " + file : where(line);
    }

    private String where(int line) {
        return "config " + file + " line " + line;
    }

    private static List<String> sortedLongestFirst(List<String> fields) {
        List<String> out = new ArrayList<>(fields);
        out.sort(Comparator.comparingInt(String::length).reversed());
        return List.copyOf(out);
    }

    private static List<String> sortedAlphabetically(List<String> fields) {
        List<String> out = new ArrayList<>(fields);
        out.sort(String.CASE_INSENSITIVE_ORDER);
        return out;
    }
}
