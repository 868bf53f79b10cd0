package dev.hotpatch.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real server process ({@code java … dev.hotpatch.server.HotpatchServer}, started by name with
 * this JVM's class path, so the testkit needs no server classes), for what one in-process server
 * cannot show: a bounded heap, a kill -9, two processes on one PostgreSQL, a start that fails, and
 * for benchmarks the server's own CPU time and memory. Output goes to a log beside the data folder.
 */
public final class ServerProcess implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("listening on (https?://127\\.0\\.0\\.1:(\\d+)/)");

    public final Process process;
    public final Path dataDir;
    public final Path log;
    public final String url;
    public final int port;

    private ServerProcess(Process process, Path dataDir, Path log, String url, int port) {
        this.process = process;
        this.dataDir = dataDir;
        this.log = log;
        this.url = url;
        this.port = port;
    }

    /** Starts a server with {@code jvmArgs} and server {@code args} ({@code --data} is added) and waits until it listens. */
    public static ServerProcess start(Path dataDir, List<String> jvmArgs, String... args) throws IOException {
        Process p = launch(dataDir, jvmArgs, args);
        Path log = dataDir.resolveSibling(dataDir.getFileName() + ".log");
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < deadline) {
            String out = Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
            Matcher m = LISTENING.matcher(out);
            if (m.find()) {
                return new ServerProcess(p, dataDir, log, m.group(1), Integer.parseInt(m.group(2)));
            }
            if (!p.isAlive()) {
                throw new IllegalStateException("server process exited with " + p.exitValue() + ":\n" + out);
            }
            sleep(100);
        }
        Processes.stop(p, Processes.GRACE);
        throw new IllegalStateException("server process did not listen within 90 s:\n" + Files.readString(log));
    }

    /** Runs a server that is expected to fail to start; returns its exit code and everything it printed. */
    public static Result runToExit(Path dataDir, List<String> jvmArgs, String... args) throws IOException, InterruptedException {
        Process p = launch(dataDir, jvmArgs, args);
        if (!p.waitFor(90, java.util.concurrent.TimeUnit.SECONDS)) {
            Processes.stop(p, Processes.GRACE);
            throw new IllegalStateException("the server did not exit within 90 s");
        }
        return new Result(p.exitValue(), Files.readString(dataDir.resolveSibling(dataDir.getFileName() + ".log"), StandardCharsets.UTF_8));
    }

    /** A finished process: exit code and output (stdout and stderr together). */
    public record Result(int exit, String output) {
    }

    private static Process launch(Path dataDir, List<String> jvmArgs, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmArgs);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("dev.hotpatch.server.HotpatchServer");
        cmd.add("--port");
        cmd.add("0");
        cmd.add("--data");
        cmd.add(dataDir.toString());
        cmd.addAll(List.of(args));
        Path log = dataDir.resolveSibling(dataDir.getFileName() + ".log");
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** The admin token this server wrote (the first server on a database does). */
    public String adminToken() throws IOException {
        return Files.readString(dataDir.resolve("admin.token")).trim();
    }

    public String output() throws IOException {
        return Files.readString(log, StandardCharsets.UTF_8);
    }

    /** CPU time the server process has used so far, in seconds (user and system, all threads), read from {@code /proc}. */
    public double cpuSeconds() {
        try {
            String stat = Files.readString(Path.of("/proc", String.valueOf(process.pid()), "stat"));
            // Fields after the command name, which is in parentheses and may hold spaces: utime and stime are the 12th and 13th.
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    /** The server process's resident memory now, in MiB (from {@code /proc}); NaN when it is gone. */
    public double rssMib() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(process.pid()), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
        } catch (IOException | RuntimeException e) {
            // Gone: no figure.
        }
        return Double.NaN;
    }

    /**
     * {@code kill -9}: the process gets no chance to clean up. Returns once it is gone; the attach
     * socket it leaves behind, if any, is removed (see {@link Processes#kill}).
     */
    public void kill() {
        Processes.kill(process);
    }

    /** Stops the server: SIGTERM, and SIGKILL if it has not stopped within 30 s (a server finishes its requests first). */
    @Override
    public void close() {
        Processes.stop(process, Duration.ofSeconds(30));
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
