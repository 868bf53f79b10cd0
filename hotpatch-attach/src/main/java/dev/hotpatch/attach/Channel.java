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

/**
 * One exchange with an agent over its Unix-domain socket: connect, send one {@link Message}, read
 * one framed reply, close. The whole exchange, connecting included, is bounded by a deadline
 * ({@link SocketTimeoutException} when it passes), so a stuck target cannot hang the caller. Stateless.
 */
final class Channel {
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
        long deadline = System.nanoTime() + timeout.toNanos();
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
             Selector selector = Selector.open()) {
            ch.configureBlocking(false);
            if (!ch.connect(UnixDomainSocketAddress.of(socket))) {
                ch.register(selector, SelectionKey.OP_CONNECT);
                while (!ch.finishConnect()) {
                    await(selector, deadline, timeout);
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
                await(selector, deadline, timeout);
                ch.write(out);
            }
            ch.keyFor(selector).interestOps(SelectionKey.OP_READ);
            ByteBuffer length = ByteBuffer.allocate(4);
            fill(ch, selector, length, deadline, timeout);
            int n = length.flip().getInt();
            if (n < 0 || n > Message.MAX_BYTES) {
                throw new IOException("the agent sent a frame of " + n + " bytes (limit " + Message.MAX_BYTES + ")");
            }
            ByteBuffer reply = ByteBuffer.allocate(n);
            fill(ch, selector, reply, deadline, timeout);
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

    private static void fill(SocketChannel ch, Selector selector, ByteBuffer buf, long deadline, Duration timeout)
            throws IOException {
        while (buf.hasRemaining()) {
            await(selector, deadline, timeout);
            if (ch.read(buf) < 0) {
                throw new EOFException("the agent closed the channel before its reply was complete");
            }
        }
    }

    private static void await(Selector selector, long deadline, Duration timeout) throws IOException {
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new SocketTimeoutException("the agent did not answer within " + TimedOutException.seconds(timeout));
            }
            if (selector.select(Math.max(1, left / 1_000_000)) > 0) {
                selector.selectedKeys().clear();
                return;
            }
        }
    }
}
