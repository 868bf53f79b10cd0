package dev.hotpatch.agent;

import java.io.IOException;
import java.lang.reflect.Method;
import java.net.SocketOption;
import java.nio.channels.SocketChannel;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;

/**
 * Who may talk to the agent: a process of the JVM's own user, or root. Where the JDK reports a
 * Unix-domain peer's credentials ({@code SO_PEERCRED} through {@code jdk.net.ExtendedSocketOptions},
 * Java 16+ on Linux), each connection's peer uid is checked; elsewhere the owner-only folder of the
 * socket is the only check, and {@link #describe()} says so. Immutable; thread-safe.
 */
final class PeerCheck {
    private final SocketOption<?> peerCred;
    private final Method user;
    private final UserPrincipal self;
    private final UserPrincipal root;

    private PeerCheck(SocketOption<?> peerCred, Method user, UserPrincipal self, UserPrincipal root) {
        this.peerCred = peerCred;
        this.user = user;
        this.self = self;
        this.root = root;
    }

    /** The check for an agent whose user owns {@code ownFolder} (a folder it just created). */
    static PeerCheck forOwnerOf(Path ownFolder) {
        try {
            UserPrincipal self = Files.getOwner(ownFolder, LinkOption.NOFOLLOW_LINKS);
            UserPrincipal root = null;
            try {
                root = FileSystems.getDefault().getUserPrincipalLookupService().lookupPrincipalByName("root");
            } catch (IOException | RuntimeException e) {
                // No user named root: only the JVM's own user may connect.
            }
            Class<?> options = Class.forName("jdk.net.ExtendedSocketOptions");
            SocketOption<?> option = (SocketOption<?>) options.getField("SO_PEERCRED").get(null);
            Method user = Class.forName("jdk.net.UnixDomainPrincipal").getMethod("user");
            return new PeerCheck(option, user, self, root);
        } catch (IOException | ReflectiveOperationException | RuntimeException | LinkageError e) {
            return new PeerCheck(null, null, null, null);
        }
    }

    /** Why {@code client} may not talk to the agent, or null when it may. */
    String refusal(SocketChannel client) {
        if (peerCred == null) {
            return null;
        }
        UserPrincipal peer;
        try {
            Object principal = client.getOption(peerCred);
            peer = (UserPrincipal) user.invoke(principal);
        } catch (UnsupportedOperationException e) {
            return null; // This platform reports no peer credentials: the folder's mode is the check.
        } catch (IOException | ReflectiveOperationException | RuntimeException e) {
            return "its peer's credentials could not be read (" + e + ")";
        }
        if (peer.equals(self) || peer.equals(root)) {
            return null;
        }
        return "the peer runs as user '" + peer.getName() + "', not as this JVM's user '" + self.getName() + "' or root";
    }

    /** How connections are checked, for the log and the docs. */
    String describe() {
        return peerCred == null ? "by the socket folder's owner-only mode" : "by the peer's uid (SO_PEERCRED) and the folder's mode";
    }
}
