package dev.hotpatch.agent;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Locale;

/**
 * The agent's start-up options, from the {@code -javaagent:...=} string (or the options a tool
 * passes when it loads the agent): comma-separated {@code key=value} pairs. {@code name} is the
 * machine's stable name, {@code trust} the folder of pinned publisher certificates, {@code state}
 * the folder where an enrolled agent persists accepted hotpatches, {@code probation} how long after
 * an apply a JVM death quarantines the hotpatch, {@code fixupTimeout} how long a package's fix-up
 * hooks may run. Each can also be set as a system property ({@code hotpatch.machine},
 * {@code hotpatch.trust}, {@code hotpatch.state}, {@code hotpatch.probation},
 * {@code hotpatch.fixupTimeout}); the option wins. Immutable.
 */
final class AgentOptions {
    /** Default probation: a JVM that dies within ten minutes of an apply does not get that hotpatch back at its next start. */
    static final long DEFAULT_PROBATION_MILLIS = 10 * 60_000L;
    /**
     * Default time a fix-up's hooks may take, all class loaders together, before the agent stops
     * waiting: under the tools' 120 s deadline for a change, with room for the rollback.
     */
    static final long DEFAULT_FIXUP_TIMEOUT_MILLIS = 60_000L;
    private static final String KEYS = "keys: name, trust, state, probation, fixupTimeout";

    final String name;
    final Path trust;
    final Path state;
    final long probationMillis;
    final long fixupTimeoutMillis;

    private AgentOptions(String name, Path trust, Path state, long probationMillis, long fixupTimeoutMillis) {
        this.name = name;
        this.trust = trust;
        this.state = state;
        this.probationMillis = probationMillis;
        this.fixupTimeoutMillis = fixupTimeoutMillis;
    }

    static AgentOptions parse(String args) {
        String name = null;
        Path trust = null;
        Path state = null;
        String probation = null;
        String fixupTimeout = null;
        if (args != null && !args.trim().isEmpty()) {
            for (String part : args.split(",")) {
                int eq = part.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("agent option '" + part + "' is not key=value (" + KEYS + ")");
                }
                String key = part.substring(0, eq).trim().toLowerCase(Locale.ROOT);
                String value = part.substring(eq + 1).trim();
                switch (key) {
                    case "name": name = value; break;
                    case "trust": trust = path(value); break;
                    case "state": state = path(value); break;
                    case "probation": probation = value; break;
                    case "fixuptimeout": fixupTimeout = value; break;
                    default:
                        throw new IllegalArgumentException("unknown agent option '" + key + "' (" + KEYS + ")");
                }
            }
        }
        if (name == null || name.isEmpty()) {
            name = System.getProperty("hotpatch.machine");
        }
        if (trust == null && !System.getProperty("hotpatch.trust", "").isEmpty()) {
            trust = path(System.getProperty("hotpatch.trust"));
        }
        if (state == null && !System.getProperty("hotpatch.state", "").isEmpty()) {
            state = path(System.getProperty("hotpatch.state"));
        }
        if (probation == null) {
            probation = System.getProperty("hotpatch.probation");
        }
        if (fixupTimeout == null) {
            fixupTimeout = System.getProperty("hotpatch.fixupTimeout");
        }
        if (name == null || name.isEmpty()) {
            name = defaultName();
        }
        long timeout = fixupTimeout == null ? DEFAULT_FIXUP_TIMEOUT_MILLIS
                : millis("fixupTimeout", fixupTimeout, "1 ms to 30 days; the apply is rolled back when afterApply() takes longer");
        if (timeout == 0) {
            throw new IllegalArgumentException("agent option fixupTimeout=0: a fix-up needs some time to run; give a duration"
                    + " such as 30s or 2m (default 60s)");
        }
        return new AgentOptions(sanitise(name), trust, state, probation == null ? DEFAULT_PROBATION_MILLIS
                : millis("probation", probation, "0 switches crash quarantine off; at most 30 days"), timeout);
    }

    /** The folder for persisted state: the {@code state} option, else {@code ~/.hotpatch/agent/<name>}. */
    Path stateDir() {
        if (state != null) {
            return state;
        }
        return Paths.get(System.getProperty("user.home"), ".hotpatch", "agent", name);
    }

    private static Path path(String value) {
        return Paths.get(value).toAbsolutePath().normalize();
    }

    /** {@code 600s}, {@code 10m}, {@code 1h}, {@code 500ms} or plain seconds, up to 30 days; {@code key} and {@code range} shape the error. */
    static long millis(String key, String text, String range) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        long unit = 1000;
        if (t.endsWith("ms")) {
            unit = 1;
            t = t.substring(0, t.length() - 2);
        } else if (t.endsWith("s")) {
            t = t.substring(0, t.length() - 1);
        } else if (t.endsWith("m")) {
            unit = 60_000;
            t = t.substring(0, t.length() - 1);
        } else if (t.endsWith("h")) {
            unit = 3_600_000;
            t = t.substring(0, t.length() - 1);
        }
        try {
            long n = Long.parseLong(t.trim());
            if (n < 0 || n > 30L * 24 * 3_600_000 / unit) {
                throw new NumberFormatException();
            }
            return n * unit;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("agent option " + key + "='" + text + "' is not a duration such as 600s, 10m or 1h"
                    + " (" + range + ")");
        }
    }

    /** Derives a name from the launch command (main class or jar) so that restarts keep their identity. */
    private static String defaultName() {
        String cmd = System.getProperty("sun.java.command", "");
        String first = cmd.trim().isEmpty() ? "jvm" : cmd.trim().split("\\s+")[0];
        String base = Paths.get(first).getFileName() == null ? first : Paths.get(first).getFileName().toString();
        return base.endsWith(".jar") ? base.substring(0, base.length() - 4) : base;
    }

    private static String sanitise(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            b.append(Character.isLetterOrDigit(c) || c == '.' || c == '-' || c == '_' ? c : '_');
        }
        String out = b.length() > 100 ? b.substring(0, 100) : b.toString();
        return out.isEmpty() || out.startsWith(".") ? "jvm" + out : out;
    }
}
