package dev.hotpatch.attach;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hotpatch.format.channel.Message;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client's side of the channel: which sockets it agrees to talk to, and bounded exchanges. */
class AgentSocketTest {
    @TempDir
    Path tmp;

    @Test
    void checkedSocket_acceptsSocketInOwnerOnlyFolder() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("agent"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path sock = Files.createFile(dir.resolve("agent.sock"));

        assertThat(AgentClient.checkedSocket(sock.toString(), OsProcess.self())).isEqualTo(sock);
    }

    @Test
    void checkedSocket_refusesFolderOthersCanEnter() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("agent"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path sock = Files.createFile(dir.resolve("agent.sock"));

        assertThatThrownBy(() -> AgentClient.checkedSocket(sock.toString(), OsProcess.self()))
                .isInstanceOf(NotSupportedException.class)
                .hasMessageContaining("not private");
    }

    @Test
    void checkedSocket_refusesRelativeAndMissingPaths() {
        assertThatThrownBy(() -> AgentClient.checkedSocket("agent.sock", OsProcess.self()))
                .isInstanceOf(AttachException.class).hasMessageContaining("relative");
        assertThatThrownBy(() -> AgentClient.checkedSocket(tmp.resolve("none.sock").toString(), OsProcess.self()))
                .isInstanceOf(AttachException.class).hasMessageContaining("does not exist");
    }

    @Test
    void runtimeSocket_isFoundInAnOwnerOnlyFolder_andIgnoredInOneOthersCanEnter() throws Exception {
        OsProcess self = OsProcess.self();
        Path open = Files.createDirectory(tmp.resolve("open"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path closed = Files.createDirectory(tmp.resolve("closed"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        try (ServerSocketChannel a = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
             ServerSocketChannel b = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            a.bind(UnixDomainSocketAddress.of(open.resolve(self.pid() + ".sock")));
            b.bind(UnixDomainSocketAddress.of(closed.resolve(self.pid() + ".sock")));

            RuntimeSockets.Found onlyOpen = RuntimeSockets.find(self, java.util.List.of(open));
            RuntimeSockets.Found both = RuntimeSockets.find(self, java.util.List.of(open, closed));

            assertThat(onlyOpen.socket()).isEmpty();
            assertThat(onlyOpen.refused()).singleElement().asString().contains("not private", "rwxr-xr-x");
            assertThat(both.socket()).contains(closed.resolve(self.pid() + ".sock"));
        }
    }

    @Test
    void runtimeSocket_aRegularFileInItsPlace_isNotASocket() throws Exception {
        OsProcess self = OsProcess.self();
        Path closed = Files.createDirectory(tmp.resolve("closed"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.writeString(closed.resolve(self.pid() + ".sock"), "not a socket");

        RuntimeSockets.Found found = RuntimeSockets.find(self, java.util.List.of(closed));

        assertThat(found.socket()).isEmpty();
        assertThat(found.refused()).singleElement().asString().contains("is not a socket");
    }

    @Test
    void exchange_sendsOneMessageAndReadsOneReply() throws Exception {
        Path sock = tmp.resolve("s.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(sock));
            Thread peer = new Thread(() -> {
                try (SocketChannel c = server.accept()) {
                    Message request = Message.readFrom(Channels.newInputStream(c));
                    Message.of("status", "ok", "echo", request.get("op")).writeTo(Channels.newOutputStream(c));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            peer.start();

            Message reply = Channel.exchange(sock, Message.of("op", "ping"), Duration.ofSeconds(5));

            assertThat(reply.get("echo")).isEqualTo("ping");
            peer.join();
        }
    }

    @Test
    void exchange_givesUpAtTheDeadlineWhenThePeerNeverAnswers() throws Exception {
        Path sock = tmp.resolve("silent.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(sock));
            long start = System.nanoTime();

            assertThatThrownBy(() -> Channel.exchange(sock, Message.of("op", "ping"), Duration.ofMillis(300)))
                    .hasMessageContaining("did not answer");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        }
    }

    @Test
    void exchange_givesUpSoonAfterItsTargetStops_ratherThanAtTheDeadline() throws Exception {
        Path sock = tmp.resolve("stopped.sock");
        Process target = sleeper();
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(sock));
            // The request gets through (the kernel accepts for the listener), then its target stops for good.
            signal("STOP", target.pid());
            long start = System.nanoTime();

            assertThatThrownBy(() -> Channel.exchange(sock, Message.of("op", "apply"), Duration.ofSeconds(60), null,
                    () -> OsProcess.isStopped(target.pid())))
                    .isInstanceOf(Channel.PeerStoppedException.class).hasMessageContaining("stopped for");
            Duration waited = Duration.ofNanos(System.nanoTime() - start);
            assertThat(waited).isGreaterThanOrEqualTo(Duration.ofMillis(Channel.STOPPED_GRACE_MILLIS)).isLessThan(Duration.ofSeconds(20));
        } finally {
            end(target);
        }
    }

    @Test
    void exchange_waitsThroughABriefStopOfItsTarget() throws Exception {
        Path sock = tmp.resolve("brief.sock");
        Process target = sleeper();
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(sock));
            Thread peer = new Thread(() -> {
                try (SocketChannel c = server.accept()) {
                    Message.readFrom(Channels.newInputStream(c));
                    // A debugger's moment: stopped for 800 ms (several looks, less than the grace); answers later.
                    signal("STOP", target.pid());
                    Thread.sleep(800);
                    signal("CONT", target.pid());
                    Thread.sleep(1_000);
                    Message.of("status", "ok").writeTo(Channels.newOutputStream(c));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            peer.start();

            Message reply = Channel.exchange(sock, Message.of("op", "list"), Duration.ofSeconds(30), null,
                    () -> OsProcess.isStopped(target.pid()));

            assertThat(reply.get("status")).isEqualTo("ok");
            peer.join();
        } finally {
            end(target);
        }
    }

    /** A real process to stop and resume, standing for a target JVM. */
    private static Process sleeper() throws Exception {
        return new ProcessBuilder("sleep", "120").start();
    }

    private static void end(Process p) throws Exception {
        signal("CONT", p.pid());
        p.destroyForcibly().waitFor();
    }

    private static void signal(String name, long pid) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid)).inheritIO().start();
        assertThat(kill.waitFor()).as("kill -" + name + " " + pid).isZero();
        if (name.equals("STOP")) {
            long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (!OsProcess.isStopped(pid) && System.nanoTime() < until) {
                Thread.sleep(5);
            }
        }
    }
}
