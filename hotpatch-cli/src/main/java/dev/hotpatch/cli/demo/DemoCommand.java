package dev.hotpatch.cli.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hotpatch.attach.AgentJar;
import dev.hotpatch.cli.ExitPolicy;
import dev.hotpatch.cli.Foreground;
import dev.hotpatch.cli.HotpatchCommand;
import dev.hotpatch.cli.Json;
import dev.hotpatch.cli.Main;
import dev.hotpatch.cli.fleet.ApiClient;
import dev.hotpatch.cli.fleet.ApiException;
import dev.hotpatch.node.Node;
import dev.hotpatch.node.NodeOptions;
import dev.hotpatch.server.HotpatchServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code hotpatch demo}: the whole fleet loop in one process, in seconds. Starts a server (temporary
 * data folder, free port), the fees sample app (enrolled with the agent) and a node for it, then
 * runs the operator's commands in-process exactly as a person would type them (printed with a
 * {@code $} prompt): image, baseline, a hotpatch built and signed with a fresh key, assess,
 * install now, Get-HotFix and history. Shows the app's answer before and after. Stops everything
 * and deletes the folder at the end, or with {@code --keep-running} leaves it up for the web
 * console until Ctrl-C.
 */
@Command(name = "demo", description = {
        "Run the fleet loop end to end in this process (server, node, app; about 15 s).",
        "Starts a server (temporary data folder, free port), the fees sample app (its 1.0 undercharges: fee 100 = 2) " +
                "and a node, publishes the image, the 1.0 baseline and a hotpatch built from 1.0 -> 1.0.1 with a fresh key, " +
                "assesses, installs now, and shows the app answering fee 100 = 3 without a restart, then Get-HotFix and the " +
                "history.",
        "Prints every command as you would type it. Stops everything at the end; --keep-running leaves it up for the " +
                "web console until Ctrl-C."})
public final class DemoCommand extends HotpatchCommand {
    static final String IMAGE = "acme/fees/1.x";
    static final String MACHINE = "fees-demo";
    private static final Duration MACHINE_TIMEOUT = Duration.ofSeconds(40);

    @Option(names = "--keep-running", description = "Leave the server, node and app running (for the web console) until Ctrl-C.")
    boolean keepRunning;

    @Option(names = "--port", paramLabel = "N", defaultValue = "0", description = "Server port (default: a free one).")
    int port;

    private PrintWriter shown;
    private Path work;
    private String url;
    private Path tokenFile;
    private HotpatchServer server;
    private Node node;
    private Thread nodeThread;
    private ExampleApp app;
    private boolean stopped;
    /** Held so that the level set on it stays: JUL keeps loggers weakly. */
    private java.util.logging.Logger nodeLog;

    @Override
    public Integer call() throws IOException {
        if (port < 0 || port > 65535) {
            throw usage("--port " + port + " is not 0-65535");
        }
        long started = System.nanoTime();
        StringWriter captured = new StringWriter();
        shown = json() ? new PrintWriter(captured, true) : out();
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            // The embedded server's library logs (Jetty, Flyway) would drown the demo's own output.
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        // The node logs each command it runs; the demo shows the same through the operations.
        nodeLog = java.util.logging.Logger.getLogger("dev.hotpatch.node");
        java.util.logging.Level nodeLevel = nodeLog.getLevel();
        nodeLog.setLevel(java.util.logging.Level.WARNING);
        work = Files.createTempDirectory("hotpatch-demo-").toAbsolutePath();
        try {
            say("Hotpatch demo: a control plane, a node and a running app, in this process. Working folder " + work + " ($DEMO below).");
            FeesJars jars = FeesJars.locate(work);
            say("The app: the fees sample, from " + jars.origin() + ".");

            run(false, "keygen", "--out", work.resolve("keys").toString());

            server = HotpatchServer.builder().port(port).dataDir(work.resolve("server")).checkInInterval(Duration.ofSeconds(1))
                    .out(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).build().start();
            url = "http://127.0.0.1:" + server.port();
            tokenFile = server.adminTokenFile();
            Files.copy(work.resolve("keys/signer.crt"), server.trustDir().resolve("demo-publisher.crt"));
            say("");
            say("Started the server at " + url + "/ (embedded SQLite in $DEMO/server; admin token in $DEMO/server/admin.token).");
            say("It trusts the new key's certificate ($DEMO/server/trusted-publishers/demo-publisher.crt). The commands below");
            say("talk to it as you would: export HOTPATCH_SERVER=" + url + " HOTPATCH_TOKEN=$(cat " + tokenFile + ")");

            // The image's first baseline is its starting point, so the demo publishes it and its hotpatch today, on any day
            // of the year, exactly as the README's fleet steps do.
            String kb = "KB" + YearMonth.now(ZoneOffset.UTC).getYear() + "-0001";
            run(true, "image", "add", IMAGE);
            run(true, "baseline", "publish", "--image", IMAGE, "--version", "1.0", "--key", work.resolve("keys").toString(),
                    jars.baseline().toString());
            Path pkg = work.resolve(kb + ".hotpatch");
            run(false, "build", "--baseline", jars.baseline().toString(), "--patched", jars.fixed().toString(), "--id", kb,
                    "--title", "Round card fees half-up", "--classification", "Security", "--severity", "Important",
                    "--image", IMAGE, "--baseline-id", "1.0", "--key", work.resolve("keys").toString(), "--out", pkg.toString());
            run(true, "update", "publish", pkg.toString());
            run(true, "schedule", "--image", IMAGE);

            Path java = Path.of(System.getProperty("java.home"), "bin", "java");
            List<String> jvmArgs = List.of("-javaagent:" + AgentJar.path() + "=name=" + MACHINE + ",trust=" + work.resolve("keys")
                    + ",state=" + work.resolve("agent-state"));
            app = ExampleApp.start(java, jvmArgs, jars.baseline(), work.resolve("fees-app.log"));
            String before = app.ask("fee 100");
            say("");
            say("Started the app: java -javaagent:…hotpatch-agent.jar=name=" + MACHINE + ",trust=$DEMO/keys -jar "
                    + jars.baseline().getFileName() + " (pid " + app.pid() + "; enrolled: the agent is in from the start).");
            say("  it answers: " + before + "   (1.0 truncates 2.5 % of 100 cents)");

            String enrollment = capture("token", "enroll", "--name", "demo-node");
            node = Node.fromOptions(NodeOptions.server(URI.create(url), enrollment).withConfig(nodeConfig()).withDataDir(work.resolve("node"))
                    .withInterval(Duration.ofSeconds(1)));
            nodeThread = new Thread(node::runForever, "hotpatch-demo-node");
            nodeThread.setDaemon(true);
            nodeThread.start();
            say("");
            say("Started a node with a one-time enrollment token ('hotpatch token enroll'); it finds the app by its name and");
            say("checks in every second. On a real host: hotpatch node --server " + url + " --token SECRET --config node.properties");
            awaitMachine();

            run(true, "machines");
            run(true, "assess", "--machine", MACHINE);
            run(true, "install", "--machine", MACHINE, "--classification", "Critical,Security");
            String after = app.ask("fee 100");
            say("");
            say("The app, same pid " + app.pid() + ", never restarted, now answers: " + after);
            run(true, "updates", "--machine", MACHINE);
            run(true, "list", "--machine", MACHINE);
            run(true, "history", "--machine", MACHINE);

            double seconds = (System.nanoTime() - started) / 1e9;
            say("");
            say(String.format(Locale.ROOT, "Done in %.1f s: %s went into the running app through the server and the node;", seconds, kb));
            say("fee 100 was " + value(before) + " before and is " + value(after) + " now.");
            if (keepRunning) {
                // The fragment never reaches the server; the console moves it to sessionStorage and clears the address bar.
                say("Web console: " + url + "/#token=" + Files.readString(tokenFile).trim() + "&machine=" + MACHINE);
            } else {
                say("Web console: " + url + "/  (token in " + tokenFile + "; add --keep-running to browse it)");
            }
            if (json()) {
                ObjectNode doc = Json.status("ok").put("seconds", Math.round(seconds * 10) / 10.0).put("url", url + "/")
                        .put("adminTokenFile", tokenFile.toString()).put("machine", MACHINE).put("pid", app.pid()).put("kbId", kb)
                        .put("before", before).put("after", after).put("keptRunning", keepRunning).put("workDir", work.toString());
                printJson(doc);
            }
            if (keepRunning) {
                say("Everything keeps running for the console; try the commands above from another terminal. Ctrl-C stops it all.");
                Foreground.hold("hotpatch-demo", this::stopAll, null);
            }
            return ExitPolicy.OK;
        } catch (StepFailed e) {
            return fail(e.getMessage(), captured);
        } catch (ApiException | IllegalStateException | UncheckedIOException e) {
            return fail(e.getMessage(), captured);
        } finally {
            stopAll();
            nodeLog.setLevel(nodeLevel);
        }
    }

    /** Stops the node, the app and the server and deletes the working folder; once (Ctrl-C and the normal end both call it). */
    private synchronized void stopAll() {
        if (stopped) {
            return;
        }
        stopped = true;
        if (node != null) {
            node.close();
            join(nodeThread);
        }
        if (app != null) {
            app.close();
        }
        if (server != null) {
            server.stop();
        }
        deleteQuietly(work);
        if (!json()) {
            out().println("Stopped the node, the app and the server; removed " + work + ".");
            out().flush();
        }
    }

    private Path nodeConfig() throws IOException {
        ZoneId zone = ZoneId.systemDefault();
        String tz = zone.getId().contains("/") ? zone.getId() : "UTC";
        return Files.writeString(work.resolve("node.properties"), "# hotpatch demo node\n"
                + "node.name = demo-node\n"
                + "node.manage = configured\n"
                + "node.trust = " + work.resolve("keys") + "\n"
                + "machine." + MACHINE + ".timeZone = " + tz + "\n"
                + "machine." + MACHINE + ".region = local\n"
                + "machine." + MACHINE + ".tags = env=demo\n", StandardCharsets.UTF_8);
    }

    /** Waits until the node has reported the app and the server has assessed it. */
    private void awaitMachine() {
        ApiClient api = new ApiClient(URI.create(url), read(tokenFile));
        long deadline = System.nanoTime() + MACHINE_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                JsonNode m = api.get("/api/v1/machines/" + MACHINE);
                if (m.hasNonNull("lastAssessedAt")) {
                    return;
                }
            } catch (ApiException e) {
                if (e.status() != 404) {
                    throw e;
                }
            }
            sleep(200);
        }
        throw new StepFailed("the node did not report the app as machine " + MACHINE + " within " + MACHINE_TIMEOUT.toSeconds() + " s");
    }

    /** Runs one CLI command in-process, printed as typed; fleet commands get the demo server and token. */
    private void run(boolean fleet, String... args) {
        shown.println();
        shown.println("$ hotpatch " + display(args));
        shown.flush();
        int rc = Main.run(shown, json() ? shown : err(), withConnection(fleet, args));
        if (rc != ExitPolicy.OK) {
            throw new StepFailed("'hotpatch " + display(args) + "' ended with exit code " + rc + " (its output is above)");
        }
    }

    /** Runs one CLI command in-process with --json and returns its one secret ({@code token} field). */
    private String capture(String... args) {
        StringWriter out = new StringWriter();
        shown.println();
        shown.println("$ hotpatch " + display(args));
        int rc = Main.run(new PrintWriter(out, true), json() ? shown : err(), withConnection(true, append(args, "--json")));
        if (rc != ExitPolicy.OK) {
            throw new StepFailed("'hotpatch " + display(args) + "' ended with exit code " + rc + ": " + out);
        }
        try {
            String token = Json.parse(out.toString()).path("token").path("token").asText();
            shown.println("hpe_… (a one-time enrollment token, handed to the node)");
            shown.flush();
            return token;
        } catch (IOException e) {
            throw new StepFailed("'hotpatch " + display(args) + "' printed no JSON: " + out);
        }
    }

    private String[] withConnection(boolean fleet, String[] args) {
        return fleet ? append(args, "--server", url, "--token-file", tokenFile.toString()) : args;
    }

    private String display(String[] args) {
        StringBuilder b = new StringBuilder();
        for (String a : args) {
            String s = a.replace(work.toString(), "$DEMO");
            b.append(b.length() == 0 ? "" : " ").append(s.contains(" ") ? "\"" + s + "\"" : s);
        }
        return b.toString();
    }

    private void say(String line) {
        shown.println(line);
        shown.flush();
    }

    private int fail(String message, StringWriter captured) {
        if (json()) {
            printJson(Json.status("failed").put("exitCode", ExitPolicy.FAILURE).put("message", message).put("output", captured.toString()));
        }
        err().println("hotpatch demo: failed: " + message);
        err().flush();
        return ExitPolicy.FAILURE;
    }

    private static String value(String answer) {
        int i = answer.lastIndexOf('=');
        return i < 0 ? answer : answer.substring(i + 1).strip();
    }

    private static String[] append(String[] a, String... more) {
        List<String> l = new ArrayList<>(List.of(a));
        l.addAll(List.of(more));
        return l.toArray(String[]::new);
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StepFailed("interrupted");
        }
    }

    private static void join(Thread t) {
        try {
            t.join(Duration.ofSeconds(10).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // A temporary folder; the OS cleans it eventually.
        }
    }

    /** A demo step did not do what it should; the message says which. */
    private static final class StepFailed extends RuntimeException {
        private static final long serialVersionUID = 1L;

        StepFailed(String message) {
            super(message);
        }
    }
}
