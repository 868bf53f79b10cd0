package dev.hotpatch.cli;

import dev.hotpatch.attach.AgentClient;
import dev.hotpatch.attach.ChannelWarmup;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.time.Duration;
import java.util.Enumeration;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * The training run of the CLI's class-data sharing archive, started by the {@code hotpatch}
 * launcher once per CLI jar and Java runtime (see the launcher script): it runs the local commands'
 * start-up paths without touching any JVM or file ({@code --help} and {@code --version} lines, and
 * an {@code apply} of a package that does not exist, one exchange over a loopback Unix-domain socket,
 * the attach handshake's folder watch on a private folder),
 * then loads the classes of the local commands' packages (CLI top level, attach, format, picocli),
 * so that the archive the JVM writes at exit holds what {@code apply}, {@code list},
 * {@code uninstall} and {@code ps} load, parsed and verified ahead of time. Not a user command.
 */
public final class CdsTraining {
    private static final String[] PACKAGES = {"dev/hotpatch/cli/", "dev/hotpatch/attach/", "dev/hotpatch/format/", "picocli/"};

    private CdsTraining() {
    }

    public static void main(String[] args) throws IOException {
        PrintWriter sink = new PrintWriter(Writer.nullWriter());
        // apply's own start-up path (QuickLine) up to its first check: the package file, which does not exist.
        String missing = "/nonexistent/hotpatch-cds-training.hotpatch";
        for (String[] line : new String[][] {{"--version"}, {"--version", "--json"}, {"apply", "--help"}, {"list", "--help"},
                {"uninstall", "--help"}, {"ps", "--help"}, {"verify", "--help"}, {"apply"},
                {"apply", "--pid", "1", missing, "--trust", "/nonexistent"},
                {"apply", "--pid=1", missing, "--trust=/nonexistent", "--json"}}) {
            Main.run(sink, sink, line);
        }
        // The runtime-socket path of apply to an enrolled JVM: the process checks and socket lookup (for
        // the parent process, which has no agent socket: nothing is sent), then one framed exchange
        // over a loopback socket of this run's own.
        ProcessHandle.current().parent().ifPresent(parent -> {
            try {
                AgentClient.connectDirect(parent.pid(), Duration.ofMillis(200));
            } catch (RuntimeException ignored) {
                // Training only loads classes; whatever the parent is, nothing depends on the answer.
            }
        });
        try {
            ChannelWarmup.exchangeOnce();
        } catch (IOException | RuntimeException ignored) {
            // A platform without Unix-domain sockets trains without them.
        }
        try {
            ChannelWarmup.attachHandshakeOnce();
        } catch (IOException | RuntimeException ignored) {
            // A platform without a folder watch trains without it.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        String jar = CdsTraining.class.getProtectionDomain().getCodeSource().getLocation().getPath();
        ClassLoader loader = CdsTraining.class.getClassLoader();
        try (JarFile j = new JarFile(jar)) {
            for (Enumeration<JarEntry> e = j.entries(); e.hasMoreElements(); ) {
                String name = e.nextElement().getName();
                if (!name.endsWith(".class") || name.contains("-") || !local(name)) {
                    continue;
                }
                try {
                    Class.forName(name.substring(0, name.length() - 6).replace('/', '.'), false, loader);
                } catch (ClassNotFoundException | LinkageError ignored) {
                    // Optional parts (e.g. picocli's JANSI support) may need absent classes: nothing to archive then.
                }
            }
        }
    }

    private static boolean local(String name) {
        for (String p : PACKAGES) {
            if (name.startsWith(p)) {
                // The CLI's own sub-packages (fleet, demo) are not on the local commands' path.
                return !p.equals("dev/hotpatch/cli/") || name.indexOf('/', p.length()) < 0;
            }
        }
        return false;
    }
}
