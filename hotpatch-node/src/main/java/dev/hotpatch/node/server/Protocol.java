package dev.hotpatch.node.server;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.hotpatch.node.inventory.MachineInventory;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The JSON bodies of the node protocol ({@code /api/v1/node/...}, see {@code docs/api.md}), as the
 * server defines them in {@code dev.hotpatch.server.node.CheckIn} and
 * {@code dev.hotpatch.server.install}. Not API.
 */
final class Protocol {
    private Protocol() {
    }

    /** {@code POST /api/v1/node/enroll}, with the enrollment token as bearer. */
    record EnrollRequest(String hostname, String nodeVersion) {
    }

    /** The node's credential, shown once. */
    record EnrollResponse(String nodeId, String credential, int checkInIntervalSeconds) {
    }

    /**
     * {@code POST /api/v1/node/check-in}: every machine of the node, in full ({@code machines}, with
     * their digests) or, when the server holds its report already, as its digest ({@code unchanged}).
     */
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    record CheckInRequest(String hostname, String nodeVersion, List<MachineInventory> machines, Map<String, String> digests,
                          List<Unchanged> unchanged) {
    }

    /** A machine whose report the server holds: the digest of that report, and its health now. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Unchanged(String name, String digest, MachineInventory.Health health) {
    }

    /**
     * Commands to run now, in order per machine, and when to check in next; {@code sendFull}: machines
     * to send in full at once; {@code reportDigests}: the server takes digests (null from older servers).
     */
    record CheckInResponse(String nodeId, Instant serverTime, int checkInIntervalSeconds, List<WireCommand> commands,
                           List<Refused> refused, List<String> sendFull, Boolean reportDigests) {
        CheckInResponse {
            commands = commands == null ? List.of() : commands;
            refused = refused == null ? List.of() : refused;
            sendFull = sendFull == null ? List.of() : sendFull;
        }
    }

    /** A machine of the check-in that belongs to another node; the server ignored its report. */
    record Refused(String machine, String reason) {
    }

    /**
     * A command as the server sends it; {@code payload} depends on {@code type}.
     *
     * @param type {@code assess}, {@code install_hotpatch}, {@code install_update}, {@code install_baseline},
     *             {@code uninstall_hotpatch} or {@code restart}
     */
    record WireCommand(String id, String type, String machine, String machineId, String operationId, int attempt, Instant issuedAt,
                       Instant leaseUntil, Map<String, Object> payload) {
        WireCommand {
            payload = payload == null ? Map.of() : payload;
        }
    }

    /**
     * {@code POST /api/v1/node/commands/{id}/result}.
     *
     * @param status {@code succeeded}, {@code noop}, {@code pending_restart}, {@code failed} or {@code refused}
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record ResultBody(String status, String message, Instant startedAt, Instant finishedAt, Map<String, Object> details,
                      MachineInventory machine) {
    }

    /** The server's answer to a result: {@code duplicate} when it had one already. */
    record Ack(boolean accepted, boolean duplicate) {
    }

    /** The server's error body. */
    record ApiError(String error, String message, String hint) {
    }
}
