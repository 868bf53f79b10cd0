package dev.hotpatch.attach;

import dev.hotpatch.format.channel.Message;
import java.io.EOFException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import jdk.net.ExtendedSocketOptions;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * One exchange with an agent over its Unix-domain socket: connect, send one {@link Message}, read
 * one framed reply, close. The whole exchange, connecting included, is bounded by a deadline
 * ({@link SocketTimeoutException} when it passes), so a stuck target cannot hang the caller; and,
 * given a way to tell, it ends early ({@link PeerStoppedException}) when the target's process has
 * been stopped for {@value #STOPPED_GRACE_MILLIS} ms, which no deadline would otherwise end sooner.
 * Stateless.
 */
final class Channel {
    /**
     * How long the target must stay stopped before an exchange gives up on it: a debugger or a
     * tracer stops a process for moments, {@code kill -STOP} until someone resumes it.
     */
    static final long STOPPED_GRACE_MILLIS = 2_000;
    /** How often a waiting exchange looks whether the target is stopped. */
    private static final long STOPPED_POLL_MILLIS = 250;

    /** The target's process stayed stopped while the exchange waited for it; the request may have been sent. */
    static final class PeerStoppedException extends SocketTimeoutException {
        private static final long serialVersionUID = 1L;

        PeerStoppedException(String message) {
            super(message);
        }
    }

    private Channel() {
    }

    static Message exchange(Path socket, Message request, Duration timeout) throws IOException {
        return exchange(socket, request, timeout, null);
    }

    /**
     * Like {@link #exchange(Path, Message, Duration)}; with {@code peer} not null, the process that
     * accepted must run as that user (checked with {@code SO_PEERCRED} where the platform reports it;
     * elsewhere the socket folder's ownership, checked by the caller, stands for it).
     */
    static Message exchange(Path socket, Message request, Duration timeout, UserPrincipal peer) throws IOException {
        return exchange(socket, request, timeout, peer, null);
    }

    /**
     * Like {@link #exchange(Path, Message, Duration, UserPrincipal)}; with {@code stopped} not null,
     * ends with {@link PeerStoppedException} once it has answered true for {@value #STOPPED_GRACE_MILLIS} ms
     * without a break, asked every {@value #STOPPED_POLL_MILLIS} ms while the exchange waits.
     */
    static Message exchange(Path socket, Message request, Duration timeout, UserPrincipal peer, BooleanSupplier stopped)
            throws IOException {
        Wait wait = new Wait(System.nanoTime() + timeout.toNanos(), timeout, stopped);
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
             Selector selector = Selector.open()) {
            ch.configureBlocking(false);
            if (!ch.connect(UnixDomainSocketAddress.of(socket))) {
                ch.register(selector, SelectionKey.OP_CONNECT);
                while (!ch.finishConnect()) {
                    wait.until(selector);
                }
                ch.keyFor(selector).interestOps(SelectionKey.OP_WRITE);
            } else {
                ch.register(selector, SelectionKey.OP_WRITE);
            }
            if (peer != null) {
                requirePeer(ch, peer, socket);
            }
            byte[] body = request.toBytes();
            ByteBuffer out = ByteBuffer.allocate(4 + body.length).putInt(body.length).put(body).flip();
            while (out.hasRemaining()) {
                wait.until(selector);
                ch.write(out);
            }
            ch.keyFor(selector).interestOps(SelectionKey.OP_READ);
            ByteBuffer length = ByteBuffer.allocate(4);
            fill(ch, selector, length, wait);
            int n = length.flip().getInt();
            if (n < 0 || n > Message.MAX_BYTES) {
                throw new IOException("the agent sent a frame of " + n + " bytes (limit " + Message.MAX_BYTES + ")");
            }
            ByteBuffer reply = ByteBuffer.allocate(n);
            fill(ch, selector, reply, wait);
            return Message.fromBytes(reply.array());
        }
    }

    private static void requirePeer(SocketChannel ch, UserPrincipal expected, Path socket) throws IOException {
        UserPrincipal actual;
        try {
            actual = ch.getOption(ExtendedSocketOptions.SO_PEERCRED).user();
        } catch (UnsupportedOperationException e) {
            return;
        }
        if (!actual.equals(expected)) {
            throw new java.net.ConnectException("the process listening on " + socket + " runs as '" + actual.getName()
                    + "', not as the JVM's user '" + expected.getName() + "'; refusing to talk to it");
        }
    }

    private static void fill(SocketChannel ch, Selector selector, ByteBuffer buf, Wait wait) throws IOException {
        while (buf.hasRemaining()) {
            wait.until(selector);
            if (ch.read(buf) < 0) {
                throw new EOFException("the agent closed the channel before its reply was complete");
            }
        }
    }

    /** The deadline of one exchange, and whether its target has been stopped for too long. */
    private static final class Wait {
        private final long deadline;
        private final Duration timeout;
        private final BooleanSupplier stopped;
        /** Whether the last look saw the target stopped, and since when it has been seen so without a break. */
        private boolean seenStopped;
        private long stoppedSince;

        Wait(long deadline, Duration timeout, BooleanSupplier stopped) {
            this.deadline = deadline;
            this.timeout = timeout;
            this.stopped = stopped;
        }

        /** Returns when the selector has a ready key; throws at the deadline or when the target stayed stopped. */
        void until(Selector selector) throws IOException {
            while (true) {
                long now = System.nanoTime();
                long left = deadline - now;
                if (left <= 0) {
                    throw new SocketTimeoutException("the agent did not answer within " + TimedOutException.seconds(timeout));
                }
                long slice = stopped == null ? left / 1_000_000 : Math.min(left / 1_000_000, STOPPED_POLL_MILLIS);
                if (selector.select(Math.max(1, slice)) > 0) {
                    selector.selectedKeys().clear();
                    return;
                }
                if (stopped != null) {
                    checkStopped();
                }
            }
        }

        private void checkStopped() throws PeerStoppedException {
            if (!stopped.getAsBoolean()) {
                seenStopped = false;
                return;
            }
            long now = System.nanoTime();
            if (!seenStopped) {
                seenStopped = true;
                stoppedSince = now;
            } else if (now - stoppedSince >= STOPPED_GRACE_MILLIS * 1_000_000) {
                throw new PeerStoppedException("the agent's process has been stopped for " + (now - stoppedSince) / 1_000_000
                        + " ms");
            }
        }
    }
}
