package dev.hotpatch.node;

/**
 * The node's options or config file are wrong: a usage error (exit code 2 at the command line).
 * The message names the offending key and value and says how to fix it; {@link #key()} is the key
 * alone (a config key such as {@code machine.fees.timeZone}, or an option such as {@code --server}).
 */
public class ConfigException extends NodeException {
    private static final long serialVersionUID = 1L;

    private final String key;

    public ConfigException(String key, String message) {
        super(message);
        this.key = key;
    }

    /** The config key or option that is wrong. */
    public String key() {
        return key;
    }
}
