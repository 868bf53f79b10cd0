package dev.hotpatch.attach;

import dev.hotpatch.format.channel.Message;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Runs the client side of the runtime-socket channel once against a socket of its own that sends
 * every frame back, so that a class-data-sharing training run (the CLI's {@code CdsTraining})
 * loads what {@code apply} to an enrolled JVM loads: the JDK's Unix-domain socket, selector and
 * peer-credential classes and this module's framing; and the attach handshake's code likewise. Talks to no JVM and changes no file outside a
 * private temporary folder it removes. Not for anything but training.
 */
public final class ChannelWarmup {
    private ChannelWarmup() {
    }

    /** One framed exchange over a loopback Unix-domain socket; the exchanged message comes back unchanged. */
    public static Message exchangeOnce() throws IOException {
        Path dir = Files.createTempDirectory("hotpatch-channel-");
        Path socket = dir.resolve("echo.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            Thread echo = new Thread(() -> echoOne(server), "hotpatch-channel-echo");
            echo.setDaemon(true);
            echo.start();
            return Channel.exchange(socket, Message.of("op", "ping"), Duration.ofSeconds(10),
                    Files.getOwner(dir));
        } finally {
            Files.deleteIfExists(socket);
            Files.deleteIfExists(dir);
        }
    }

    /**
     * Runs the attach handshake's own code (performance data, folder watch, the JDK's attach
     * provider) on a private temporary folder it removes; sends no signal, talks to no JVM.
     */
    public static void attachHandshakeOnce() throws IOException, InterruptedException {
        AttachListener.train();
    }

    /** Reads one frame and writes it back. */
    private static void echoOne(ServerSocketChannel server) {
        try (SocketChannel peer = server.accept()) {
            ByteBuffer length = ByteBuffer.allocate(4);
            while (length.hasRemaining() && peer.read(length) >= 0) {
                // until the length is complete
            }
            ByteBuffer body = ByteBuffer.allocate(length.flip().getInt());
            while (body.hasRemaining() && peer.read(body) >= 0) {
                // until the frame is complete
            }
            ByteBuffer out = ByteBuffer.allocate(4 + body.capacity()).putInt(body.capacity()).put(body.flip()).flip();
            while (out.hasRemaining()) {
                peer.write(out);
            }
        } catch (IOException | RuntimeException e) {
            // The exchange then fails on its deadline and training goes on without it.
        }
    }
}
