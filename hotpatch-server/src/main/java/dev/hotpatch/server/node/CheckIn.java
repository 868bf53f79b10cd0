package dev.hotpatch.server.node;

import dev.hotpatch.server.install.Command;
import dev.hotpatch.server.machine.MachineReport;
import java.time.Instant;
import java.util.List;

/** The check-in exchange: what a node sends and what it gets back. */
public final class CheckIn {
    private CheckIn() {
    }

    /**
     * A node's periodic report: every machine (JVM) it manages right now. Machines it stops
     * reporting are marked not present.
     */
    public record Request(String hostname, String nodeVersion, List<MachineReport> machines) {
    }

    /**
     * The server's answer: commands to run now, in order per machine, and when to check in next.
     *
     * @param checkInIntervalSeconds check in again after this long (sooner after posting command results)
     * @param refused                machines of this check-in that belong to another node and were not recorded
     */
    public record Response(String nodeId, Instant serverTime, int checkInIntervalSeconds, List<Command> commands, List<Refused> refused) {
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
