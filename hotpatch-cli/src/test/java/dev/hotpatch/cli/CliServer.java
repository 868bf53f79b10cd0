package dev.hotpatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Hotpatch server run by the CLI's own {@code hotpatch server} command in this JVM (a thread
 * blocked in the command, as a terminal would be), on a free loopback port; {@link #close()}
 * interrupts it, which stops it cleanly. {@link #cli} runs other commands against it with the admin
 * token file the server wrote.
 */
final class CliServer implements AutoCloseable {
    private static final Pattern RUNNING = Pattern.compile("Hotpatch server running at (https?://127\\.0\\.0\\.1:\\d+)/");
    private static final Pattern TOKEN = Pattern.compile("admin token {2}(\\S+)");

    private final Thread thread;
    private final StringWriter out;
    private final StringWriter err;
    private final AtomicInteger exit;
    final String url;
    final Path tokenFile;
    final Path data;

    private CliServer(Thread thread, StringWriter out, StringWriter err, AtomicInteger exit, String url, Path tokenFile, Path data) {
        this.thread = thread;
        this.out = out;
        this.err = err;
        this.exit = exit;
        this.url = url;
        this.tokenFile = tokenFile;
        this.data = data;
    }

    /** Runs {@code hotpatch server --data DATA --port 0 [extra…]} and waits until it says where it listens. */
    static CliServer start(Path data, String... extra) {
        List<String> args = new ArrayList<>(List.of("server", "--data", data.toString(), "--port", "0"));
        args.addAll(List.of(extra));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        AtomicInteger exit = new AtomicInteger(-1);
        Thread t = new Thread(() -> exit.set(Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args.toArray(String[]::new))),
                "cli-server");
        t.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            Matcher m = RUNNING.matcher(out.toString());
            Matcher tok = TOKEN.matcher(out.toString());
            if (m.find() && tok.find() && out.toString().contains("Stop with Ctrl-C.")) {
                return new CliServer(t, out, err, exit, m.group(1), Path.of(tok.group(1)), data);
            }
            if (!t.isAlive()) {
                break;
            }
            sleep(50);
        }
        t.interrupt();
        throw new AssertionError("hotpatch server did not start (exit " + exit.get() + ")\n--- out\n" + out + "--- err\n" + err);
    }

    /**
     * The server arguments for {@code store}: {@code sqlite} (the embedded store, nothing to add)
     * or {@code postgresql} (a new database of the test cluster, which must be available), then {@code extra}.
     */
    static String[] storeArgs(String store, String... extra) {
        List<String> args = new ArrayList<>();
        if (store.equals("postgresql")) {
            dev.hotpatch.testkit.PostgresCluster pg = dev.hotpatch.testkit.PostgresCluster.get();
            if (pg == null) {
                throw new IllegalStateException("PostgreSQL unavailable: " + dev.hotpatch.testkit.PostgresCluster.unavailableReason());
            }
            args.addAll(List.of("--db-url", pg.newDatabase()));
        } else if (!store.equals("sqlite")) {
            throw new IllegalArgumentException("store " + store + ": sqlite or postgresql");
        }
        args.addAll(List.of(extra));
        return args.toArray(String[]::new);
    }

    /** {@code hotpatch ARGS --server URL --token-file ADMIN-TOKEN}. */
    CliRun cli(String... args) {
        return CliRun.of(with(args, "--server", url, "--token-file", tokenFile.toString()));
    }

    /** {@code hotpatch ARGS --server URL --token TOKEN}. */
    CliRun as(String token, String... args) {
        return CliRun.of(with(args, "--server", url, "--token", token));
    }

    /** {@link #cli} with {@code --json}, which must exit 0; the document. */
    JsonNode json(String... args) {
        CliRun r = cli(with(args, "--json"));
        assertThat(r.exit()).as(r.toString()).isZero();
        return r.json();
    }

    /** A new one-time enrollment token for a node. */
    String enrollmentToken() {
        return json("token", "enroll", "--name", "test-node").path("token").path("token").asText();
    }

    /** Waits until a node has reported machine {@code name} and the server has assessed it. */
    void awaitAssessed(String name) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode list = json("machines", "--name", name).path("machines");
            if (list.size() == 1 && list.get(0).hasNonNull("lastAssessedAt")) {
                return;
            }
            sleep(250);
        }
        throw new AssertionError("machine " + name + " was not reported and assessed within 60 s: " + json("machines"));
    }

    Path tokenFile() {
        return tokenFile;
    }

    Path trustDir() {
        return data.resolve("trusted-publishers");
    }

    /** What the server command printed so far. */
    String output() {
        return out + "--- err\n" + err;
    }

    /** Stops the server as Ctrl-C would (here: an interrupt of the command's thread); the command must exit 0. */
    @Override
    public void close() {
        thread.interrupt();
        try {
            thread.join(Duration.ofSeconds(30).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        assertThat(thread.isAlive()).as("server command still running:\n" + output()).isFalse();
        assertThat(exit.get()).as(output()).isZero();
        assertThat(err.toString()).contains("hotpatch server: stopped");
    }

    static String[] with(String[] args, String... more) {
        List<String> l = new ArrayList<>(List.of(args));
        l.addAll(List.of(more));
        return l.toArray(String[]::new);
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
