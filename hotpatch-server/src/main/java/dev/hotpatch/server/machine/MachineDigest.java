package dev.hotpatch.server.machine;

import dev.hotpatch.format.Sha256;
import dev.hotpatch.server.ServerException;

/**
 * A machine a node reports by digest instead of in full, because its report has not changed since
 * the server stored it: the node's digest of that report, and the machine's health, the one part
 * of a report that changes at every probe and is therefore left out of the digest. The JSON shape
 * of the check-in's {@code unchanged} list (docs/api.md, "Report digests").
 *
 * @param name   the machine's name, as in its full report
 * @param digest the digest the node sent with the full report the server stored (64 hex digits)
 * @param health the machine's health check now; null when it has none
 */
public record MachineDigest(String name, String digest, MachineReport.Health health) {
    /** Checks the entry; the error names the machine and the field. */
    public void validate() {
        // The name and the health follow the full report's rules.
        new MachineReport(name, null, null, null, null, null, null, null, null, null, null, health, null, null).validate();
        if (!Sha256.isHex(digest)) {
            throw invalidDigest(name, digest);
        }
    }

    /** The error for a digest that is not 64 hex digits. */
    static ServerException invalidDigest(String machine, String digest) {
        return new ServerException.BadRequest("invalid-digest", "machine " + machine + " comes with digest '" + digest
                + "', which is not a SHA-256", "send 64 lower-case hex digits, or the full report without a digest");
    }

    /** Checks the digest sent with a full report. */
    public static void validateFor(String machine, String digest) {
        if (!Sha256.isHex(digest)) {
            throw invalidDigest(machine, digest);
        }
    }
}
