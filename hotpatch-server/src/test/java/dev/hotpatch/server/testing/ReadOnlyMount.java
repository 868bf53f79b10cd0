package dev.hotpatch.server.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Makes a folder read-only for everyone, root included, the way a file system remounted read-only
 * after an error is: a read-only bind mount of the folder onto itself. Needs root (the test suite
 * runs as root here); without it the test fails rather than skips. {@link #close()} unmounts.
 */
public final class ReadOnlyMount implements AutoCloseable {
    private final Path dir;

    private ReadOnlyMount(Path dir) {
        this.dir = dir;
    }

    public static ReadOnlyMount of(Path dir) throws IOException, InterruptedException {
        run(List.of("mount", "--bind", dir.toString(), dir.toString()));
        try {
            run(List.of("mount", "-o", "remount,bind,ro", dir.toString()));
        } catch (IOException e) {
            run(List.of("umount", dir.toString()));
            throw e;
        }
        return new ReadOnlyMount(dir);
    }

    @Override
    public void close() throws IOException, InterruptedException {
        run(List.of("umount", dir.toString()));
    }

    private static void run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed (the read-only tests need root and mount): " + out.strip());
        }
    }
}
