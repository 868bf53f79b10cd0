package dev.hotpatch.cli;

import dev.hotpatch.node.config.Durations;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * {@code --timeout} of the commands that talk to a local JVM ({@code apply}, {@code list},
 * {@code uninstall}, {@code quarantine}): the deadline of every step, so that a stopped or hung JVM
 * ends in a clear "timed out" error (exit 1) instead of a command that never returns. Mixed in.
 */
final class TargetTimeout {
    @Option(names = "--timeout", paramLabel = "DURATION", description = {"Give up on a JVM that does not answer a step (attach,"
            + " a request to its agent) within this long, e.g. 10s.", "Default: 30s to attach, 15s per query, 120s per change."
            + " A stopped JVM (kill -STOP) fails at once."})
    String timeout;

    /** The deadline, or null for the defaults. @throws IllegalArgumentException for a bad duration (a usage error) */
    Duration get() {
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
