package dev.hotpatch.agent;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Locale;

/**
 * The agent's start-up options, from the {@code -javaagent:...=} string: comma-separated
 * {@code key=value} pairs. {@code name} is the machine's stable name, {@code trust} a folder of
 * pinned publisher certificates, {@code state} the folder where accepted hotpatches persist (also settable as the system
 * property {@code hotpatch.state}; the machine name also as {@code hotpatch.machine}).
 * Immutable.
 */
final class AgentOptions {
    final String name;
    final Path trust;
    final Path state;

    private AgentOptions(String name, Path trust, Path state) {
        this.name = name;
        this.trust = trust;
        this.state = state;
    }

    static AgentOptions parse(String args) {
        String name = null;
        Path trust = null;
        Path state = null;
        if (args != null && !args.trim().isEmpty()) {
            for (String part : args.split(",")) {
                int eq = part.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("agent option '" + part + "' is not key=value (keys: name, trust, state)");
                }
                String key = part.substring(0, eq).trim().toLowerCase(Locale.ROOT);
                String value = part.substring(eq + 1).trim();
                switch (key) {
                    case "name": name = value; break;
                    case "trust": trust = Paths.get(value).toAbsolutePath(); break;
                    case "state": state = Paths.get(value).toAbsolutePath(); break;
                    default:
                        throw new IllegalArgumentException("unknown agent option '" + key + "' (keys: name, trust, state)");
                }
            }
        }
        if (name == null || name.isEmpty()) {
            name = System.getProperty("hotpatch.machine");
        }
        if (state == null && System.getProperty("hotpatch.state") != null) {
            state = Paths.get(System.getProperty("hotpatch.state")).toAbsolutePath();
        }
        if (name == null || name.isEmpty()) {
            name = defaultName();
        }
        return new AgentOptions(sanitise(name), trust, state);
    }

    /** The folder for persisted state: the {@code state} option, else {@code ~/.hotpatch/agent/<name>}. */
    Path stateDir() {
        if (state != null) {
            return state;
        }
        return Paths.get(System.getProperty("user.home"), ".hotpatch", "agent", name);
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
