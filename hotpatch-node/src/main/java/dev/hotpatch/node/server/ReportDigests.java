package dev.hotpatch.node.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.hotpatch.format.Sha256;
import dev.hotpatch.node.internal.Json;
import dev.hotpatch.node.inventory.MachineInventory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The node's memory of which machine reports the server holds, for the check-in's report digests
 * ({@code docs/api.md}, "Report digests"): a machine whose report (its health left out) has the
 * digest the server last accepted in full is sent as that digest and its health; any other is sent
 * in full with its digest. Only a server whose answers say {@code reportDigests} gets digests:
 * an older server is sent full reports, as before. Forgetting is always safe (the next check-in
 * sends full reports), so this lives in memory only. Thread-safe.
 */
final class ReportDigests {
    /*
     * The digest is the SHA-256 of the report's JSON with map entries in key order and no health:
     * the health counters grow at every probe, and travel beside the digest instead. What the
     * server holds is updated only from its answers, so a lost answer costs at most a full report.
     */
    private static final ObjectWriter CANONICAL = Json.MAPPER.writer().with(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

    private final Map<String, String> held = new HashMap<>();
    private boolean serverTakesDigests;

    /** What one check-in sends, and what to remember when the server accepts it. */
    record Outgoing(List<MachineInventory> full, Map<String, String> digests, List<Protocol.Unchanged> unchanged) {
    }

    /** Splits {@code machines} into full reports and digests. */
    synchronized Outgoing split(List<MachineInventory> machines) {
        List<MachineInventory> full = new ArrayList<>();
        Map<String, String> digests = new LinkedHashMap<>();
        List<Protocol.Unchanged> unchanged = new ArrayList<>();
        for (MachineInventory m : machines) {
            String digest = digest(m);
            if (serverTakesDigests && digest.equals(held.get(m.name()))) {
                unchanged.add(new Protocol.Unchanged(m.name(), digest, m.health()));
            } else {
                full.add(m);
                digests.put(m.name(), digest);
            }
        }
        return new Outgoing(full, digests, unchanged);
    }

    /** Takes in the server's answer to {@code sent}: what it now holds, and whether it takes digests at all. */
    synchronized void accepted(Outgoing sent, Protocol.CheckInResponse answer) {
        serverTakesDigests = Boolean.TRUE.equals(answer.reportDigests());
        Set<String> reported = new HashSet<>(sent.digests().keySet());
        sent.unchanged().forEach(u -> reported.add(u.name()));
        held.keySet().retainAll(reported);
        if (!serverTakesDigests) {
            held.clear();
            return;
        }
        held.putAll(sent.digests());
        answer.refused().forEach(r -> held.remove(r.machine()));
        answer.sendFull().forEach(held::remove);
    }

    /** The digest of {@code m}'s report without its health. */
    static String digest(MachineInventory m) {
        MachineInventory withoutHealth = new MachineInventory(m.name(), m.pid(), m.jvm(), m.agent(), m.image(), m.jars(), m.classes(),
                m.hotpatches(), m.installedUpdates(), m.config(), m.startedAt(), m.hotpatchStatus(), m.statusReason(), m.nameSource(),
                m.restart(), m.problems(), null, m.quarantined(), m.restartPending());
        try {
            return Sha256.hex(CANONICAL.writeValueAsBytes(withoutHealth));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise the report of machine " + m.name() + ": " + e.getMessage(), e);
        }
    }
}
