package dev.hotpatch.node.discovery;

import com.sun.tools.attach.AttachNotSupportedException;
import com.sun.tools.attach.VirtualMachine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Properties;

/**
 * Reads a local JVM's system properties through the JDK attach API ({@code java.class.path} and
 * {@code user.dir} are what the node needs). It attaches only to a JVM whose attach listener runs
 * already (its {@code .java_pid} socket exists, as it does after {@code LocalJvms} looked at it), so
 * it never sends the attach signal that kills a JVM which does not handle it.
 *
 * <p>Implementation note: hotpatch-attach reads the same properties internally but does not
 * expose them; this class can go once it does. Stateless.
 */
final class JvmProperties {
    private JvmProperties() {
    }

    /** The JVM's system properties. */
    static Properties read(long pid) throws IOException {
        if (!listenerRuns(pid)) {
            throw new IOException("its attach listener is not running (attach was refused or the JVM is still starting)");
        }
        VirtualMachine vm;
        try {
            vm = VirtualMachine.attach(Long.toString(pid));
        } catch (AttachNotSupportedException e) {
            throw new IOException("attach refused: " + e.getMessage(), e);
        }
        try {
            return vm.getSystemProperties();
        } finally {
            try {
                vm.detach();
            } catch (IOException e) {
                // The JVM exited or closed the connection first; we are detached either way.
            }
        }
    }

    private static boolean listenerRuns(long pid) {
        String socket = ".java_pid" + pid;
        for (Path p : new Path[] {Path.of("/proc", Long.toString(pid), "root", "tmp", socket), Path.of("/tmp", socket)}) {
            if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                return true;
            }
        }
        return !Files.isDirectory(Path.of("/proc"));
    }
}
