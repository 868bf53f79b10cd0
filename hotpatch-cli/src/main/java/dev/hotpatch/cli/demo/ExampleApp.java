package dev.hotpatch.cli.demo;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The fees sample app running as a child process: one command line in, one answer line out
 * ({@code fee 100} → {@code fee 100 = 2}). Its standard error goes to a log file. Not thread-safe.
 */
final class ExampleApp implements AutoCloseable {
    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(20);

    private final Process process;
    private final Writer in;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

    private ExampleApp(Process process) {
        this.process = process;
        this.in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) {
                    lines.add(l);
                }
            } catch (IOException e) {
                // The process ended; answer() reports it.
            }
        }, "fees-app-stdout");
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts {@code java [jvmArgs] -jar jar} and waits for its {@code ready} line. */
    static ExampleApp start(Path java, List<String> jvmArgs, Path jar, Path log) {
        List<String> cmd = new ArrayList<>();
        cmd.add(java.toString());
        cmd.addAll(jvmArgs);
        cmd.add("-jar");
        cmd.add(jar.toString());
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the fees app (" + String.join(" ", cmd) + "): " + e.getMessage(), e);
        }
        ExampleApp app = new ExampleApp(p);
        app.await("ready");
        return app;
    }

    long pid() {
        return process.pid();
    }

    /** Sends one command and returns its answer line. */
    String ask(String command) {
        try {
            in.write(command + "\n");
            in.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("the fees app (pid " + pid() + ") no longer reads commands: " + e.getMessage(), e);
        }
        return await(command.split(" ")[0]);
    }

    private String await(String prefix) {
        long deadline = System.nanoTime() + ANSWER_TIMEOUT.toNanos();
        try {
            while (System.nanoTime() < deadline) {
                String l = lines.poll(200, TimeUnit.MILLISECONDS);
                if (l != null && l.startsWith(prefix)) {
                    return l;
                }
                if (l == null && !process.isAlive()) {
                    break;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        throw new IllegalStateException("the fees app (pid " + pid() + ") gave no '" + prefix + "' line"
                + (process.isAlive() ? " within " + ANSWER_TIMEOUT.toSeconds() + " s" : "; it exited with " + process.exitValue()));
    }

    /** Asks the app to quit; kills it if it has not within 5 s. */
    @Override
    public void close() {
        try {
            in.write("quit\n");
            in.flush();
        } catch (IOException e) {
            // Already gone.
        }
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
