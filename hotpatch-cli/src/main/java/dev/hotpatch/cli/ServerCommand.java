package dev.hotpatch.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hotpatch.node.config.Durations;
import dev.hotpatch.server.HotpatchServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code hotpatch server}: the control plane in the foreground. */
@Command(name = "server", description = {
        "Run the Hotpatch server (control plane) in the foreground until Ctrl-C or SIGTERM.",
        "Serves the REST API (/api/v1, OpenAPI at /api/openapi.json), the web console (/) and /metrics. With no options " +
                "it keeps an embedded SQLite database in ~/.hotpatch/server and listens on 127.0.0.1:8080; on first start it " +
                "writes an administrator token into the data folder (owner-only) and prints where. --db-url switches to " +
                "PostgreSQL, which several servers may share. Publishers' certificates go into DATA/trusted-publishers (or " +
                "--trust DIR)."})
final class ServerCommand extends HotpatchCommand {
    @Option(names = "--data", paramLabel = "DIR", description = "Data folder: database, admin token, trusted publishers (default ~/.hotpatch/server).")
    Path data;

    @Option(names = "--port", paramLabel = "N", defaultValue = "8080", description = "TCP port (default ${DEFAULT-VALUE}; 0 picks a free one).")
    int port;

    @Option(names = "--bind", paramLabel = "ADDR", defaultValue = "127.0.0.1",
            description = "Address to listen on (default ${DEFAULT-VALUE}: this host only; 0.0.0.0 for every interface).")
    String bind;

    @Option(names = "--db-url", paramLabel = "URL", description = "jdbc:postgresql://HOST:PORT/DB to use PostgreSQL instead of the embedded store.")
    String dbUrl;

    @Option(names = "--db-user", paramLabel = "U", description = "PostgreSQL user (or in the URL).")
    String dbUser;

    @Option(names = "--db-password-file", paramLabel = "FILE", description = "File holding the PostgreSQL password (kept out of 'ps').")
    Path dbPasswordFile;

    @Option(names = "--trust", paramLabel = "DIR", description = "Trusted publisher certificates packages are verified against"
            + " (default DATA/trusted-publishers).")
    Path trust;

    @Option(names = "--tls-cert", paramLabel = "FILE", description = "Serve HTTPS only, with this PEM certificate chain (server certificate first).")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "FILE", description = "The unencrypted PEM private key of --tls-cert (keep it owner-only).")
    Path tlsKey;

    @Option(names = "--check-in-interval", paramLabel = "DURATION", defaultValue = "60s", description = "How often nodes check in (default ${DEFAULT-VALUE}).")
    String checkInInterval;

    @Option(names = "--assessment-interval", paramLabel = "DURATION", defaultValue = "24h",
            description = "How often every machine is assessed unasked (default ${DEFAULT-VALUE}).")
    String assessmentInterval;

    @Option(names = "--history-retention", paramLabel = "DURATION", defaultValue = "365d", description = "How long history is kept (default ${DEFAULT-VALUE}).")
    String historyRetention;

    @Option(names = "--command-lease", paramLabel = "DURATION", defaultValue = "10m",
            description = "How long a node has to answer a command before it is delivered again (default ${DEFAULT-VALUE}).")
    String commandLease;

    @Override
    public Integer call() {
        HotpatchServer.Builder b = HotpatchServer.builder().port(checkPort(port)).bind(bind);
        Path dataDir = (data != null ? data : Path.of(System.getProperty("user.home"), ".hotpatch", "server")).toAbsolutePath().normalize();
        if (Files.exists(dataDir) && !Files.isDirectory(dataDir)) {
            throw usage("--data " + dataDir + " is a file; name a folder (it is created when missing)");
        }
        b.dataDir(dataDir);
        if (dbUrl != null) {
            if (!dbUrl.startsWith("jdbc:postgresql:")) {
                throw usage("--db-url '" + dbUrl + "' is not a jdbc:postgresql:// URL; leave it out for the embedded SQLite store");
            }
            b.dbUrl(dbUrl).dbUser(dbUser);
            if (dbPasswordFile != null) {
                try {
                    b.dbPassword(Files.readString(existingFile(dbPasswordFile, "--db-password-file"), StandardCharsets.UTF_8).strip());
                } catch (IOException e) {
                    throw usage("--db-password-file " + dbPasswordFile + ": " + e.getMessage());
                }
            }
        } else if (dbUser != null || dbPasswordFile != null) {
            throw usage("--db-user and --db-password-file are for PostgreSQL; give --db-url too");
        }
        if (trust != null) {
            b.trustDir(trust.toAbsolutePath().normalize());
        }
        if ((tlsCert == null) != (tlsKey == null)) {
            throw usage("HTTPS needs both --tls-cert FILE and --tls-key FILE");
        }
        if (tlsCert != null) {
            b.tls(existingFile(tlsCert, "--tls-cert"), existingFile(tlsKey, "--tls-key"));
        }
        b.checkInInterval(duration("--check-in-interval", checkInInterval)).assessmentInterval(duration("--assessment-interval", assessmentInterval))
                .historyRetention(duration("--history-retention", historyRetention)).commandLease(duration("--command-lease", commandLease));
        ByteArrayOutputStream startLog = new ByteArrayOutputStream();
        b.out(new PrintStream(startLog, true, StandardCharsets.UTF_8));
        boolean hadToken = Files.exists(dataDir.resolve("admin.token"));
        HotpatchServer server;
        try {
            server = b.build().start();
        } catch (RuntimeException e) {
            throw explainStartFailure(e);
        }
        String url = server.url();
        Path token = server.adminTokenFile();
        boolean created = token != null && !hadToken;
        if (json()) {
            ObjectNode doc = Json.status("ok").put("url", url).put("port", server.port()).put("dataDir", server.dataDir().toString())
                    .put("database", dbUrl == null ? "sqlite" : "postgresql").put("adminTokenFile", token == null ? null : token.toString())
                    .put("adminTokenCreated", created).put("trustDir", server.trustDir().toString());
            printJson(doc);
        } else {
            StringBuilder p = new StringBuilder();
            line(p, "Hotpatch server running at " + url + " (web console; REST API under /api/v1, OpenAPI at /api/openapi.json)");
            line(p, "  data folder  " + server.dataDir() + (dbUrl == null ? "  (embedded SQLite: hotpatch.db)" : ""));
            if (dbUrl != null) {
                line(p, "  database     " + dbUrl.replaceAll("(?i)(password=)[^&]*", "$1***"));
            }
            line(p, "  admin token  " + (token == null ? "(created by the first server on this database; not in this data folder)"
                    : token + (created ? "  (created now; readable only by you)" : "")));
            line(p, "  trust        " + server.trustDir() + "  (put publishers' signer.crt here)");
            line(p, "Next: 'hotpatch token enroll' for a node's one-time token, then on each host 'hotpatch node --server "
                    + url.substring(0, url.length() - 1) + " --token SECRET'.");
            line(p, "Stop with Ctrl-C.");
            // One write, so that a reader of the output (a test, a supervisor's log) sees the lines together.
            out().print(p);
            out().flush();
        }
        Foreground.hold("hotpatch-server", () -> {
            server.stop();
            err().println("hotpatch server: stopped");
            err().flush();
        }, null);
        return ExitPolicy.OK;
    }

    private int checkPort(int p) {
        if (p < 0 || p > 65535) {
            throw usage("--port " + p + " is not 0-65535");
        }
        return p;
    }

    private Duration duration(String option, String text) {
        try {
            return Durations.parse(text);
        } catch (IllegalArgumentException e) {
            throw usage(option + ": " + e.getMessage());
        }
    }

    private RuntimeException explainStartFailure(RuntimeException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BindException) {
                return new UncheckedIOException("cannot listen on " + bind + ":" + port + " (" + t.getMessage()
                        + "); another program uses it: pass --port N (or --port 0 for any free port)", (BindException) t);
            }
        }
        return e;
    }

    private static void line(StringBuilder b, String text) {
        b.append(text).append(System.lineSeparator());
    }
}
