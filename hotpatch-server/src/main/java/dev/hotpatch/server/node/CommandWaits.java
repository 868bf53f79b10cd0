package dev.hotpatch.server.node;

import dev.hotpatch.server.ServerException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Nodes waiting for commands on the long-poll ({@code GET /api/v1/node/commands/wait}, contract
 * C2). A waiting node is answered as soon as a command is deliverable to one of its machines, or
 * with no commands at its timeout. It learns of new commands two ways:
 * <ul>
 * <li>in this process: {@link #signal} whenever a command is queued for one of its machines, by
 *     whatever queued it (install now, uninstall, rollout waves), once the transaction commits;</li>
 * <li>from other replicas sharing the database: every {@link #POLL} one query asks which waiting
 *     nodes have deliverable commands (only while some node waits here).</li>
 * </ul>
 * Claims are the check-in's own ({@link NodeProtocol#claim}): a command is handed to one caller per
 * lease, whether it asked by check-in or by waiting. Holding a wait costs an open connection and no
 * thread. At most {@link #MAX_WAITING} nodes wait at once; beyond that a wait is refused (503), and
 * the node relies on its periodic check-ins. A node has at most one wait: a new one ends the
 * previous one (the node gave up on it, e.g. it restarted). Commands claimed for a wait that ended
 * meanwhile are kept and handed to the node's next wait (which follows at once), or delivered
 * again when their lease runs out. Nothing is kept across a server restart but the commands in the
 * database; waiting nodes simply wait again.
 *
 * <p>Thread-safe: the state of the waits is guarded by this object; claims run on a small pool,
 * one at a time per node.
 */
public final class CommandWaits {
    /** Most nodes that may wait at once on one server. */
    public static final int MAX_WAITING = 5_000;
    /** How often the database is asked for commands queued by other replicas, while nodes wait. */
    public static final Duration POLL = Duration.ofSeconds(1);
    /** Longest wait a node may ask for, under the HTTP server's idle timeout. */
    public static final Duration MAX_WAIT = Duration.ofSeconds(25);
    /**
     * How long commands claimed for a wait that had ended are kept for the node's next wait. A
     * node waits again at once; one that has not after this is gone, and its commands are
     * delivered again when their lease runs out (never twice from here, even a restart).
     */
    private static final long KEEP_NANOS = Duration.ofSeconds(10).toNanos();
    private static final Logger LOG = LoggerFactory.getLogger(CommandWaits.class);

    private final NodeProtocol nodes;
    private final int maxWaiting;
    private final Duration poll;
    private final ScheduledThreadPoolExecutor timer;
    private final ThreadPoolExecutor claims;
    private final Map<String, NodeWait> waits = new HashMap<>();
    private int waiting;
    private ScheduledFuture<?> poller;
    private boolean closed;

    /** One node's wait, and the claim running for it. */
    private static final class NodeWait {
        final String nodeId;
        CompletableFuture<CheckIn.Response> waiter;
        ScheduledFuture<?> timeout;
        boolean claiming;
        boolean again;
        CheckIn.Response kept;
        long keptAt;

        NodeWait(String nodeId) {
            this.nodeId = nodeId;
        }
    }

    CommandWaits(NodeProtocol nodes, int maxWaiting, Duration poll) {
        this.nodes = nodes;
        this.maxWaiting = maxWaiting;
        this.poll = poll;
        this.timer = new ScheduledThreadPoolExecutor(1, r -> daemon(r, "hotpatch-command-waits"));
        timer.setKeepAliveTime(30, TimeUnit.SECONDS);
        timer.allowCoreThreadTimeOut(true);
        timer.setRemoveOnCancelPolicy(true);
        this.claims = new ThreadPoolExecutor(4, 4, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> daemon(r, "hotpatch-command-claims"));
        claims.allowCoreThreadTimeOut(true);
    }

    /**
     * Waits up to {@code timeout} for commands for node {@code nodeId}: completes with them as soon as
     * some are deliverable (at once when some are now), or with none at the timeout.
     *
     * @throws ServerException.Unavailable when {@link #MAX_WAITING} nodes wait already
     */
    public CompletableFuture<CheckIn.Response> await(String nodeId, Duration timeout) {
        CompletableFuture<CheckIn.Response> ended;
        CompletableFuture<CheckIn.Response> mine = new CompletableFuture<>();
        boolean now;
        synchronized (this) {
            if (closed) {
                throw new ServerException.Unavailable("this server is stopping", "wait again in a moment, on this server or another replica");
            }
            NodeWait w = waits.computeIfAbsent(nodeId, NodeWait::new);
            if (w.kept != null) {
                CheckIn.Response r = w.kept;
                boolean fresh = System.nanoTime() - w.keptAt < KEEP_NANOS;
                w.kept = null;
                if (fresh) {
                    forgetIfIdle(w);
                    return CompletableFuture.completedFuture(r);
                }
            }
            ended = unpark(w);
            now = timeout.isZero();
            if (now) {
                forgetIfIdle(w);
            } else if (waiting >= maxWaiting) {
                forgetIfIdle(w);
                complete(ended, nodeId);
                throw new ServerException.Unavailable(waiting + " nodes wait for commands on this server already",
                        "the node checks in at its interval meanwhile, and waits again later");
            } else {
                w.waiter = mine;
                waiting++;
                w.timeout = timer.schedule(() -> expire(w, mine), timeout.toMillis(), TimeUnit.MILLISECONDS);
                claim(w);
                if (poller == null && poll.toMillis() > 0) {
                    poller = timer.scheduleWithFixedDelay(this::pollQuietly, poll.toMillis(), poll.toMillis(), TimeUnit.MILLISECONDS);
                }
            }
        }
        complete(ended, nodeId);
        if (now) {
            // No wait asked for: claim here and answer at once.
            mine.complete(nodes.claim(nodeId));
        }
        return mine;
    }

    /** Commands were queued for node {@code nodeId}: if it waits, claim them for it now. */
    public void signal(String nodeId) {
        synchronized (this) {
            NodeWait w = waits.get(nodeId);
            if (w != null && w.waiter != null) {
                claim(w);
            }
        }
    }

    /** How many nodes wait now. */
    public synchronized int waiting() {
        return waiting;
    }

    /** Answers every wait now with no commands (the server is stopping) and takes no more. */
    public void close() {
        List<CompletableFuture<CheckIn.Response>> ended = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        synchronized (this) {
            closed = true;
            for (NodeWait w : List.copyOf(waits.values())) {
                CompletableFuture<CheckIn.Response> f = unpark(w);
                if (f != null) {
                    ended.add(f);
                    ids.add(w.nodeId);
                }
            }
            waits.clear();
        }
        for (int i = 0; i < ended.size(); i++) {
            complete(ended.get(i), ids.get(i));
        }
        timer.shutdownNow();
        claims.shutdownNow();
    }

    // ---- inside ------------------------------------------------------------------------------

    /** Starts a claim for {@code w}, or asks the running one to claim again. Holds the lock. */
    private void claim(NodeWait w) {
        if (w.claiming) {
            w.again = true;
            return;
        }
        w.claiming = true;
        claims.execute(() -> runClaims(w));
    }

    private void runClaims(NodeWait w) {
        while (true) {
            CheckIn.Response r = null;
            try {
                r = nodes.claim(w.nodeId);
            } catch (RuntimeException e) {
                LOG.warn("claiming the commands of waiting node {} failed: {}", w.nodeId, e.toString());
            }
            CompletableFuture<CheckIn.Response> answer = null;
            boolean more;
            synchronized (this) {
                if (r != null && !r.commands().isEmpty()) {
                    answer = unpark(w);
                    if (answer == null) {
                        w.kept = w.kept == null ? r : merge(w.kept, r);
                        w.keptAt = System.nanoTime();
                    }
                }
                more = w.again && w.waiter != null;
                w.again = false;
                if (!more) {
                    w.claiming = false;
                    forgetIfIdle(w);
                }
            }
            if (answer != null) {
                answer.complete(r);
            }
            if (!more) {
                return;
            }
        }
    }

    private void expire(NodeWait w, CompletableFuture<CheckIn.Response> f) {
        boolean mine;
        synchronized (this) {
            mine = w.waiter == f;
            if (mine) {
                unpark(w);
                forgetIfIdle(w);
            }
        }
        if (mine) {
            complete(f, w.nodeId);
        }
    }

    /** Takes the node's waiter out (null when it has none). Holds the lock. */
    private CompletableFuture<CheckIn.Response> unpark(NodeWait w) {
        CompletableFuture<CheckIn.Response> f = w.waiter;
        if (f != null) {
            w.waiter = null;
            waiting--;
            if (w.timeout != null) {
                w.timeout.cancel(false);
                w.timeout = null;
            }
            if (waiting == 0 && poller != null) {
                poller.cancel(false);
                poller = null;
            }
        }
        return f;
    }

    /** Drops the node's entry when nothing is left in it. Holds the lock. */
    private void forgetIfIdle(NodeWait w) {
        if (w.waiter == null && !w.claiming && w.kept == null) {
            waits.remove(w.nodeId, w);
        }
    }

    private void complete(CompletableFuture<CheckIn.Response> f, String nodeId) {
        if (f != null) {
            try {
                f.complete(nodes.nothing(nodeId));
            } catch (RuntimeException e) {
                f.completeExceptionally(e);
            }
        }
    }

    private void pollQuietly() {
        List<String> ids;
        synchronized (this) {
            long now = System.nanoTime();
            for (NodeWait w : List.copyOf(waits.values())) {
                if (w.kept != null && now - w.keptAt >= KEEP_NANOS) {
                    w.kept = null;
                    forgetIfIdle(w);
                }
            }
            ids = new ArrayList<>();
            waits.values().stream().filter(w -> w.waiter != null && !w.claiming).forEach(w -> ids.add(w.nodeId));
        }
        if (ids.isEmpty()) {
            return;
        }
        try {
            Set<String> ready = nodes.deliverable(ids);
            for (String id : ready) {
                signal(id);
            }
        } catch (RuntimeException e) {
            LOG.warn("looking for commands of waiting nodes failed: {}", e.toString());
        }
    }

    private static CheckIn.Response merge(CheckIn.Response a, CheckIn.Response b) {
        List<dev.hotpatch.server.install.Command> all = new ArrayList<>(a.commands());
        all.addAll(b.commands());
        return new CheckIn.Response(b.nodeId(), b.serverTime(), b.checkInIntervalSeconds(), all, List.of());
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
