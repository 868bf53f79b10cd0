package dev.hotpatch.node.server;

import dev.hotpatch.node.NodeException;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * The node's open line to the server for fast command delivery (contract C2): one daemon thread
 * keeps a long-poll ({@code GET /api/v1/node/commands/wait}) open and hands the commands to the
 * node the moment the server answers with some, then opens the next one. So an operator's
 * "Install now" reaches the node in about a second instead of at the next check-in.
 *
 * <p>It is an addition to the periodic check-in, never a replacement: when the server has no such
 * route (an older server) the line is tried again only every {@link #ROUTE_RETRY}; when the
 * server cannot be reached or fails (a restart) it is tried again after a growing pause of 1 s up
 * to a minute. Meanwhile {@link #active()} is false and the node relies on its check-ins.
 * Thread-safe.
 */
public final class LongPoll implements AutoCloseable {
    /** How long the server may hold one wait open. */
    public static final Duration WAIT = Duration.ofSeconds(25);
    /** How long before a server without the route is asked again (it may have been upgraded). */
    static final Duration ROUTE_RETRY = Duration.ofMinutes(10);
    private static final Duration MAX_BACKOFF = Duration.ofMinutes(1);
    private static final System.Logger LOG = System.getLogger("dev.hotpatch.node");

    private final ServerClient client;
    private final Consumer<ServerClient.CheckIn> handler;
    private final Thread thread;
    private final Object sleeper = new Object();
    private volatile boolean closed;
    private volatile boolean active;

    /**
     * @param handler given each answer that carries commands (or commands this node cannot run), on the long-poll's thread
     */
    public LongPoll(ServerClient client, Consumer<ServerClient.CheckIn> handler) {
        this.client = client;
        this.handler = handler;
        this.thread = new Thread(this::loop, "hotpatch-long-poll");
        thread.setDaemon(true);
    }

    /** Opens the line. */
    public void start() {
        thread.start();
    }

    /** Whether the last wait worked: commands reach the node without waiting for a check-in. */
    public boolean active() {
        return active;
    }

    @Override
    public void close() {
        closed = true;
        active = false;
        thread.interrupt();
        synchronized (sleeper) {
            sleeper.notifyAll();
        }
    }

    private void loop() {
        int failures = 0;
        boolean routeMissingLogged = false;
        while (!closed) {
            if (!client.hasCredential()) {
                pause(Duration.ofSeconds(1));
                continue;
            }
            try {
                ServerClient.CheckIn in = client.waitForCommands(WAIT);
                if (!active || failures > 0) {
                    LOG.log(System.Logger.Level.INFO, "waiting for commands from " + client.base() + " on a long-poll; they reach this node at once");
                }
                active = true;
                failures = 0;
                if (!in.commands().isEmpty() || !in.unknown().isEmpty()) {
                    handler.accept(in);
                }
            } catch (RouteMissingException e) {
                active = false;
                if (!routeMissingLogged) {
                    LOG.log(System.Logger.Level.INFO, e.getMessage() + "; commands reach this node at its check-ins only (asking again in "
                            + ROUTE_RETRY.toMinutes() + " min)");
                    routeMissingLogged = true;
                }
                pause(ROUTE_RETRY);
            } catch (NodeException e) {
                if (closed) {
                    return;
                }
                active = false;
                failures++;
                Duration backoff = Duration.ofSeconds(1L << Math.min(6, failures - 1));
                if (backoff.compareTo(MAX_BACKOFF) > 0) {
                    backoff = MAX_BACKOFF;
                }
                LOG.log(failures == 1 ? System.Logger.Level.WARNING : System.Logger.Level.DEBUG, "the long-poll for commands failed ("
                        + e.getMessage() + "); commands reach this node at its check-ins until it works again (next try in "
                        + backoff.toSeconds() + " s)");
                pause(backoff);
            } catch (RuntimeException e) {
                active = false;
                failures++;
                LOG.log(System.Logger.Level.ERROR, "the long-poll for commands failed unexpectedly", e);
                pause(MAX_BACKOFF);
            }
        }
    }

    private void pause(Duration d) {
        synchronized (sleeper) {
            if (closed) {
                return;
            }
            try {
                sleeper.wait(Math.max(1, d.toMillis()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                closed = true;
            }
        }
    }
}
