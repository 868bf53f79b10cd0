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

    /** {@code POST /api/v1/node/check-in}: every machine of the node. */
    record CheckInRequest(String hostname, String nodeVersion, List<MachineInventory> machines) {
    }

    /** Commands to run now, in order per machine, and when to check in next. */
    record CheckInResponse(String nodeId, Instant serverTime, int checkInIntervalSeconds, List<WireCommand> commands,
                           List<Refused> refused) {
        CheckInResponse {
            commands = commands == null ? List.of() : commands;
            refused = refused == null ? List.of() : refused;
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
