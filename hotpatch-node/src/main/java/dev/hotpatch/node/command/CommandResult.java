package dev.hotpatch.node.command;

import dev.hotpatch.node.inventory.MachineInventory;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How a command ended, as reported to the server (or written to the standalone history).
 *
 * @param commandId  the command
 * @param machine    its machine
 * @param action     the command type, e.g. {@code install_hotpatch}
 * @param status     the outcome
 * @param message    what happened, in operator terms; for failures and refusals, why and what was done
 * @param startedAt  when the node started it
 * @param finishedAt when it ended
 * @param details    structured facts (classes patched, pids, hashes)
 * @param report     the machine's inventory after the command; null when it is not running
 */
public record CommandResult(String commandId, String machine, String action, Status status, String message, Instant startedAt, Instant finishedAt,
                            Map<String, Object> details, MachineInventory report) {
    public CommandResult {
        details = details == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(details));
    }

    /** This result with {@code report} attached. */
    public CommandResult withReport(MachineInventory r) {
        return new CommandResult(commandId, machine, action, status, message, startedAt, finishedAt, details, r);
    }
}
