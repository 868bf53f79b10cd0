package dev.hotpatch.server.install;

import dev.hotpatch.server.machine.MachineReport;
import java.time.Instant;
import java.util.Map;

/**
 * What a node reports after running a command.
 *
 * @param status  {@code succeeded}, {@code noop} (already done), {@code pending_restart} (staged,
 *                restart not done), {@code failed}, {@code refused} (verification or eligibility) or
 *                {@code timed_out} (the JVM did not answer within the node's deadline: stopped or hung; outcome unknown)
 * @param machine the machine's fresh report after the command, so the server can re-assess at once
 */
public record CommandResult(String status, String message, Instant startedAt, Instant finishedAt, Map<String, Object> details,
                            MachineReport machine) {
    public static final String SUCCEEDED = "succeeded";
    public static final String NOOP = "noop";
    public static final String PENDING_RESTART = "pending_restart";
    public static final String FAILED = "failed";
    public static final String REFUSED = "refused";
    public static final String TIMED_OUT = "timed_out";

    public boolean ok() {
        return SUCCEEDED.equals(status) || NOOP.equals(status) || PENDING_RESTART.equals(status);
    }
}
