package dev.hotpatch.server.install;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.hotpatch.server.store.Ids;
import dev.hotpatch.server.store.Json;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.jdbi.v3.core.Handle;

/**
 * The command queue in the {@code commands} table. Claiming is a conditional UPDATE per command
 * ({@code WHERE state = 'pending' OR the lease ran out}): whichever replica's statement wins
 * delivers it, the others see zero rows changed, so concurrent check-ins never hand the same
 * command to two callers within a lease. Whoever queues a command, the node of its machine is told
 * once the transaction commits ({@link #onEnqueued}), so that a node waiting on the long-poll gets
 * it at once. Thread-safe.
 */
public final class Commands {
    /** Deliveries after which a command without a result is given up as failed. */
    static final int MAX_ATTEMPTS = 5;
    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {
    };

    private final Duration lease;
    private volatile Consumer<String> enqueued;

    public Commands(Duration lease) {
        this.lease = lease;
    }

    /**
     * Tells {@code listener} the node id of the machine of every command queued from now on, after
     * the queuing transaction commits (on the committing thread; it must return quickly).
     */
    public void onEnqueued(Consumer<String> listener) {
        this.enqueued = listener;
    }

    /** Queues a command in the caller's transaction; returns its id. */
    public String enqueue(Handle h, String machineId, String operationId, int position, Integer itemPosition, String type,
                          Map<String, Object> payload, Instant now) {
        String id = Ids.next("cmd", now);
        h.createUpdate("INSERT INTO commands (id, machine_id, operation_id, position, item_position, type, payload, state, created_at, attempts)"
                        + " VALUES (:id, :m, :op, :p, :ip, :t, :pl, 'pending', :now, 0)")
                .bind("id", id).bind("m", machineId).bind("op", operationId).bind("p", position).bind("ip", itemPosition)
                .bind("t", type).bind("pl", Json.write(payload)).bind("now", now.toEpochMilli())
                .execute();
        Consumer<String> listener = enqueued;
        if (listener != null) {
            h.createQuery("SELECT node_id FROM machines WHERE id = :m").bind("m", machineId).mapTo(String.class).findOne().ifPresent(node -> {
                if (h.isInTransaction()) {
                    h.afterCommit(() -> listener.accept(node));
                } else {
                    listener.accept(node);
                }
            });
        }
        return id;
    }

    /**
     * Which of {@code nodeIds} have a command a claim would hand out now: pending, or delivered with
     * its lease run out, and not behind a command of the same machine still in its lease.
     */
    public Set<String> deliverable(Handle h, Collection<String> nodeIds, Instant now) {
        Set<String> out = new HashSet<>();
        List<String> ids = new ArrayList<>(nodeIds);
        for (int i = 0; i < ids.size(); i += 500) {
            out.addAll(h.createQuery("SELECT DISTINCT m.node_id FROM machines m JOIN commands c ON c.machine_id = m.id"
                            + " WHERE m.node_id IN (<nodes>) AND (c.state = 'pending' OR (c.state = 'delivered' AND c.lease_until < :t))"
                            + " AND NOT EXISTS (SELECT 1 FROM commands d WHERE d.machine_id = c.machine_id AND d.state = 'delivered'"
                            + " AND d.lease_until >= :t)")
                    .bindList("nodes", ids.subList(i, Math.min(ids.size(), i + 500))).bind("t", now.toEpochMilli())
                    .mapTo(String.class).list());
        }
        return out;
    }

    /** Whether the machine has an assess command not yet answered. */
    public boolean hasOpenAssess(Handle h, String machineId) {
        return h.createQuery("SELECT COUNT(*) FROM commands WHERE machine_id = :m AND type = 'assess' AND state IN ('pending', 'delivered')")
                .bind("m", machineId).mapTo(Integer.class).one() > 0;
    }

    /**
     * Claims the deliverable commands of the node's machines: per machine in order, all that are
     * ready at once, but none behind a command still in flight from an earlier delivery. Commands delivered {@value #MAX_ATTEMPTS} times without a result are
     * returned in {@code givenUp} for the caller to fail.
     */
    public Claimed claim(Handle h, String nodeId, Instant now) {
        long t = now.toEpochMilli();
        List<Map<String, Object>> rows = h.createQuery("SELECT c.id, c.machine_id, m.name, c.operation_id, c.type, c.payload, c.state,"
                        + " c.lease_until, c.attempts, c.created_at FROM commands c JOIN machines m ON m.id = c.machine_id"
                        + " WHERE m.node_id = :n AND c.state IN ('pending', 'delivered')"
                        + " ORDER BY c.machine_id, c.created_at, c.position, c.id")
                .bind("n", nodeId).mapToMap().list();
        List<Command> out = new ArrayList<>();
        List<String> givenUp = new ArrayList<>();
        Set<String> blocked = new HashSet<>();
        for (Map<String, Object> r : rows) {
            String machineId = (String) r.get("machine_id");
            if (blocked.contains(machineId)) {
                continue;
            }
            String state = (String) r.get("state");
            long leaseUntil = r.get("lease_until") == null ? 0 : ((Number) r.get("lease_until")).longValue();
            int attempts = ((Number) r.get("attempts")).intValue();
            if ("delivered".equals(state) && leaseUntil >= t) {
                blocked.add(machineId);
                continue;
            }
            if (attempts >= MAX_ATTEMPTS) {
                givenUp.add((String) r.get("id"));
                continue;
            }
            long until = t + lease.toMillis();
            int won = h.createUpdate("UPDATE commands SET state = 'delivered', delivered_at = :t, delivered_to = :n, lease_until = :u,"
                            + " attempts = attempts + 1 WHERE id = :id AND (state = 'pending' OR (state = 'delivered' AND lease_until < :t))")
                    .bind("t", t).bind("n", nodeId).bind("u", until).bind("id", r.get("id")).execute();
            if (won != 1) {
                // Another check-in took it: later commands of this machine wait for its result.
                blocked.add(machineId);
                continue;
            }
            out.add(new Command((String) r.get("id"), (String) r.get("type"), (String) r.get("name"), machineId,
                    (String) r.get("operation_id"), attempts + 1, Instant.ofEpochMilli(((Number) r.get("created_at")).longValue()),
                    Instant.ofEpochMilli(until), Json.read((String) r.get("payload"), MAP)));
        }
        return new Claimed(out, givenUp);
    }

    /** The result of {@link #claim}. */
    public record Claimed(List<Command> commands, List<String> givenUp) {
    }
}
