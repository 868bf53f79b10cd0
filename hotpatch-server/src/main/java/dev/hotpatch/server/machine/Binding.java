package dev.hotpatch.server.machine;

import dev.hotpatch.server.ServerException;
import dev.hotpatch.server.history.History;
import dev.hotpatch.server.store.Database;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Handle;

/**
 * Which node a machine belongs to. A machine is bound to the node that first reported it; a report
 * of the same machine name by any other node is refused for that machine (the rest of that node's
 * check-in goes on), so a node can neither take over another node's machine nor receive its
 * commands or report it patched. Every refused claim is kept (one row per machine and node, with
 * a count) and its first attempt written to history. Moving a machine to another node is an
 * explicit operator action. Thread-safe; all state is in the database.
 */
public final class Binding {
    private final Database db;
    private final Clock clock;
    private final History history;
    private final Machines machines;

    public Binding(Database db, Clock clock, History history, Machines machines) {
        this.db = db;
        this.clock = clock;
        this.history = history;
        this.machines = machines;
    }

    /** A refused report of another node's machine. */
    public record Claim(String machine, String node, String nodeHostname, Instant firstAt, Instant lastAt, int attempts) {
    }

    /**
     * In the caller's check-in transaction: why node {@code nodeId} may not report machine
     * {@code name}, or empty when it may (the machine is new or bound to it). A refusal is recorded.
     */
    public Optional<String> refusal(Handle h, String nodeId, String nodeHostname, String name) {
        Optional<Map<String, Object>> m = h.createQuery("SELECT m.id, m.node_id, n.hostname FROM machines m JOIN nodes n ON n.id = m.node_id"
                        + " WHERE m.name = :n")
                .bind("n", name).mapToMap().findOne();
        if (m.isEmpty() || nodeId.equals(m.get().get("node_id"))) {
            return Optional.empty();
        }
        String machineId = (String) m.get().get("id");
        String owner = m.get().get("node_id") + " (" + m.get().get("hostname") + ")";
        String reason = "machine " + name + " belongs to node " + owner + "; node " + nodeId + " (" + nodeHostname
                + ") reported it too, which was refused: an operator moves a machine to another node with"
                + " POST /api/v1/machines/" + name + "/move or 'hotpatch move --machine " + name + " --node " + nodeId + "'";
        long now = clock.millis();
        int updated = h.createUpdate("UPDATE machine_claims SET last_at = :t, attempts = attempts + 1 WHERE machine_id = :m AND node_id = :n")
                .bind("t", now).bind("m", machineId).bind("n", nodeId).execute();
        if (updated == 0) {
            int inserted = h.createUpdate("INSERT INTO machine_claims (machine_id, node_id, first_at, last_at, attempts) VALUES (:m, :n, :t, :t, 1)"
                            + " ON CONFLICT (machine_id, node_id) DO NOTHING")
                    .bind("m", machineId).bind("n", nodeId).bind("t", now).execute();
            if (inserted == 1) {
                history.append(h, machineId, name, nodeHostname, "claim", null, "node:" + nodeId, "refused", reason, null);
            }
        }
        return Optional.of(reason);
    }

    /** The refused claims on machine {@code machineRef}, newest first. */
    public List<Claim> claims(String machineRef) {
        return db.read(h -> {
            Machine m = machines.get(h, machineRef);
            return h.createQuery("SELECT c.node_id, n.hostname, c.first_at, c.last_at, c.attempts FROM machine_claims c"
                            + " JOIN nodes n ON n.id = c.node_id WHERE c.machine_id = :m ORDER BY c.last_at DESC")
                    .bind("m", m.id())
                    .map((rs, ctx) -> new Claim(m.name(), rs.getString(1), rs.getString(2), Instant.ofEpochMilli(rs.getLong(3)),
                            Instant.ofEpochMilli(rs.getLong(4)), rs.getInt(5)))
                    .list();
        });
    }

    /**
     * Binds machine {@code machineRef} to node {@code nodeRef} (id, or a host name only one active
     * node has). Its queued commands go to the new node from now on; a command already delivered to
     * the old node is delivered again when its lease runs out, and the old node's result for it is
     * refused. Returns the machine.
     */
    public Machine move(String machineRef, String nodeRef, String actor) {
        if (nodeRef == null || nodeRef.isBlank()) {
            throw new ServerException.BadRequest("missing-node", "moving a machine needs the node to move it to",
                    "send {\"node\": \"NODE-ID\"}; GET /api/v1/nodes lists them");
        }
        return db.tx(h -> {
            Machine m = machines.get(h, machineRef);
            List<Map<String, Object>> nodes = h.createQuery("SELECT id, hostname FROM nodes WHERE (id = :r OR hostname = :r) AND revoked_at IS NULL")
                    .bind("r", nodeRef.strip()).mapToMap().list();
            if (nodes.isEmpty()) {
                throw new ServerException.NotFound("active node", nodeRef, "GET /api/v1/nodes lists the enrolled nodes");
            }
            if (nodes.size() > 1) {
                throw new ServerException.Conflict("ambiguous-node", "host name " + nodeRef + " names " + nodes.size() + " nodes: "
                        + nodes.stream().map(n -> (String) n.get("id")).toList(), "name the node by id");
            }
            String to = (String) nodes.get(0).get("id");
            String host = (String) nodes.get(0).get("hostname");
            if (to.equals(m.nodeId())) {
                throw new ServerException.Conflict("already-on-node", "machine " + m.name() + " belongs to node " + to + " already", "");
            }
            h.createUpdate("UPDATE machines SET node_id = :n, present = FALSE WHERE id = :id").bind("n", to).bind("id", m.id()).execute();
            h.createUpdate("DELETE FROM machine_claims WHERE machine_id = :m AND node_id = :n").bind("m", m.id()).bind("n", to).execute();
            history.append(h, m.id(), m.name(), host, "move", null, actor, "succeeded",
                    "moved from node " + m.nodeId() + " (" + m.node() + ") to node " + to + " (" + host + ")", null);
            return machines.get(h, m.id());
        });
    }
}
