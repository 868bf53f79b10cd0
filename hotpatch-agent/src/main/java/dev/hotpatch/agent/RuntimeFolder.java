package dev.hotpatch.agent;

import dev.hotpatch.format.OwnerOnly;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.net.ProtocolFamily;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * The well-known place of an agent's socket, so that tools reach an enrolled JVM by its pid alone,
 * without the JDK attach handshake: {@code $XDG_RUNTIME_DIR/hotpatch/<pid>.sock} when
 * {@code XDG_RUNTIME_DIR} names a private folder of this user, else
 * {@code ~/.hotpatch/run/<pid>.sock}. The folder is created {@code rwx------} and checked with
 * {@link OwnerOnly} (owned by this user, closed to others, no link), so another user can neither
 * connect nor put a socket of their own there.
 *
 * <p>A socket left by a JVM that died with this pid is stale: nobody accepts on it, so it is
 * replaced. A socket that still accepts belongs to a live process (another JVM with the same pid
 * in another PID namespace sharing this folder): it is left alone and the caller falls back to its
 * private folder. Stateless; needs Java 16 for the socket calls, which it makes reflectively.
 */
final class RuntimeFolder {
    static final String ROLE = "agent runtime folder";

    private RuntimeFolder() {
    }

    /** Opens a listening socket at a path (the channel's reflective bind). */
    interface Opener {
        ServerSocketChannel open(Path socket) throws IOException;
    }

    /** This user's runtime folder for agent sockets (not created). */
    static Path folder() {
        String xdg = System.getenv("XDG_RUNTIME_DIR");
        if (xdg != null && !xdg.isEmpty()) {
            Path x = Paths.get(xdg);
            if (x.isAbsolute()) {
                try {
                    OwnerOnly.requirePrivateFolder(x, "XDG_RUNTIME_DIR");
                    return x.resolve("hotpatch");
                } catch (IOException | RuntimeException e) {
                    // Not a private folder of this user: the home folder's place is used instead.
                }
            }
        }
        return Paths.get(System.getProperty("user.home", "/nonexistent")).resolve(".hotpatch").resolve("run");
    }

    /** The socket path of JVM {@code pid} in this user's runtime folder. */
    static Path socketOf(long pid) {
        return folder().resolve(pid + ".sock");
    }

    /**
     * Creates (or checks) the owner-only folder of {@code socket}, replaces a stale socket of a dead
     * JVM there, and binds.
     *
     * @throws IOException when the folder is unsafe or unusable, a live process holds the name, or binding fails
     */
    static ServerSocketChannel claim(Path socket, Opener opener) throws IOException {
        Path dir = OwnerOnly.createPrivateFolder(socket.getParent(), ROLE);
        if (Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
            if (accepts(socket)) {
                throw new IOException(socket + " is held by a live process (a JVM with the same pid in another PID namespace?)");
            }
            Files.delete(socket);
        }
        ServerSocketChannel server = opener.open(socket);
        // Checked again after binding: the folder must not have been swapped meanwhile.
        OwnerOnly.requirePrivateFolder(dir, ROLE);
        return server;
    }

    /**
     * Deletes the sockets of JVMs that are gone from {@code dir}: those nobody accepts on. Best
     * effort, run off the start-up path.
     */
    static void sweep(Path dir, Path mine) {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, "*.sock")) {
            for (Path p : entries) {
                if (!p.equals(mine) && !accepts(p)) {
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException | RuntimeException e) {
            // Stale sockets only cost a failed connect to the tools, which then attach.
        }
    }

    /** Whether a process accepts connections on {@code socket}. */
    static boolean accepts(Path socket) {
        try {
            ProtocolFamily unix = StandardProtocolFamily.valueOf("UNIX");
            SocketChannel ch = (SocketChannel) SocketChannel.class.getMethod("open", ProtocolFamily.class).invoke(null, unix);
            try (SocketChannel c = ch) {
                return c.connect(address(socket));
            }
        } catch (IOException | InvocationTargetException e) {
            return false;
        } catch (ReflectiveOperationException | IllegalArgumentException e) {
            return false;
        }
    }

    static SocketAddress address(Path socket) throws ReflectiveOperationException {
        return (SocketAddress) Class.forName("java.net.UnixDomainSocketAddress").getMethod("of", Path.class).invoke(null, socket);
    }
}
