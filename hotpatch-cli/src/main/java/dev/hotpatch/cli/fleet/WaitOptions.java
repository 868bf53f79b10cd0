package dev.hotpatch.cli.fleet;

import dev.hotpatch.node.config.Durations;
import java.time.Duration;
import picocli.CommandLine.Option;

/** {@code --no-wait} and {@code --timeout} of the commands that start a long operation. Mixed in. */
public final class WaitOptions {
    @Option(names = "--no-wait", description = "Print the operation id and return at once (follow it with 'hotpatch operation ID').")
    boolean noWait;

    @Option(names = "--timeout", paramLabel = "DURATION", description = "Stop waiting after this long (e.g. 90s, 10m); the operation"
            + " goes on. Default: until the operation ends or its window has passed.")
    String timeout;

    /** The wait limit; null: until the operation's own deadline. @throws IllegalArgumentException for a bad duration */
    Duration timeout() {
        if (timeout == null) {
            return null;
        }
        try {
            return Durations.parse(timeout);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--timeout: " + e.getMessage());
        }
    }
}
