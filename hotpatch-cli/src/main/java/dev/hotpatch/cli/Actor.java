package dev.hotpatch.cli;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Who runs this command, as {@code user@host}, recorded by the agent with every install and uninstall. */
final class Actor {
    private Actor() {
    }

    static String current() {
        return System.getProperty("user.name", "unknown") + "@" + hostName();
    }

    /** The kernel's host name (no DNS round trip), else the resolver's, else {@code localhost}. */
    static String hostName() {
        try {
            String name = Files.readString(Path.of("/proc/sys/kernel/hostname"), StandardCharsets.UTF_8).trim();
            if (!name.isEmpty()) {
                return name;
            }
        } catch (IOException | RuntimeException e) {
            // Not Linux: ask the resolver below.
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }
}
