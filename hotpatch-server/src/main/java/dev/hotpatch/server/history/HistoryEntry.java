package dev.hotpatch.server.history;

import java.time.Instant;

/**
 * One line of a machine's update history: who did what, where, when, and how it ended.
 *
 * @param action  {@code install}, {@code uninstall}, {@code restart}, {@code install-baseline},
 *                {@code rollback-baseline} or {@code assess}
 * @param outcome {@code requested}, {@code succeeded}, {@code failed}, {@code refused},
 *                {@code pending-restart} or {@code not-attempted}
 * @param node    host name of the node that reported it, when a node did
 */
public record HistoryEntry(String id, Instant at, String machineId, String machineName, String node, String action, String kbId,
                           String actor, String outcome, String details, String operationId) {
}
