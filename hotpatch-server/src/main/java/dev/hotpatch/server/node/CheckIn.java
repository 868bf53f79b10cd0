package dev.hotpatch.server.node;

import dev.hotpatch.server.install.Command;
import dev.hotpatch.server.machine.MachineDigest;
import dev.hotpatch.server.machine.MachineReport;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** The check-in exchange: what a node sends and what it gets back. */
public final class CheckIn {
    private CheckIn() {
    }

    /**
     * A node's periodic report: every machine (JVM) it manages right now, each either in full
     * ({@code machines}) or, when its report has not changed since the server stored it, by the
     * node's digest of that report with its health ({@code unchanged}). Machines it stops reporting
     * are marked not present.
     *
     * @param digests   optional: the node's digest of each full report in {@code machines}, by machine name; a node
     *                  that sends one may later send the machine in {@code unchanged} with the same digest
     * @param unchanged optional: machines whose report is the one stored with their digest (only to a server whose
     *                  answers say {@code reportDigests}); the server asks in {@code sendFull} for those it does not hold
     */
    public record Request(String hostname, String nodeVersion, List<MachineReport> machines, Map<String, String> digests,
                          List<MachineDigest> unchanged) {
        /** A request with full reports only, as older nodes send. */
        public Request(String hostname, String nodeVersion, List<MachineReport> machines) {
            this(hostname, nodeVersion, machines, null, null);
        }
    }

    /**
     * The server's answer: commands to run now, in order per machine, and when to check in next.
     *
     * @param checkInIntervalSeconds check in again after this long (sooner after posting command results)
     * @param refused                machines of this check-in that belong to another node and were not recorded
     * @param sendFull               machines of {@code unchanged} whose digest is not that of the stored report (or that the
     *                               server does not know): the node sends their full reports, at once
     * @param reportDigests          always true: this server takes {@code unchanged} machines (older servers leave it out)
     */
    public record Response(String nodeId, Instant serverTime, int checkInIntervalSeconds, List<Command> commands, List<Refused> refused,
                           List<String> sendFull, boolean reportDigests) {
        /** An answer that asks for no full report. */
        public Response(String nodeId, Instant serverTime, int checkInIntervalSeconds, List<Command> commands, List<Refused> refused) {
            this(nodeId, serverTime, checkInIntervalSeconds, commands, refused, List.of(), true);
        }
    }

    /** A machine the node reported but does not own: the report was ignored; {@code reason} says whose it is and what to do. */
    public record Refused(String machine, String reason) {
    }

    /** Enrollment: the node's self-description, sent with an enrollment token. */
    public record EnrollRequest(String hostname, String nodeVersion) {
    }

    /** The node's credential, shown once: keep it in the node's state folder, owner-only. */
    public record EnrollResponse(String nodeId, String credential, int checkInIntervalSeconds) {
    }
}
