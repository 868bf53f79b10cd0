package dev.hotpatch.server;

import dev.hotpatch.server.api.Api;
import dev.hotpatch.server.api.AutomationApi;
import dev.hotpatch.server.approval.Approvals;
import dev.hotpatch.server.compliance.Compliance;
import dev.hotpatch.server.policy.Policies;
import dev.hotpatch.server.quarantine.Quarantines;
import dev.hotpatch.server.rollout.Automation;
import dev.hotpatch.server.assessment.Assessor;
import dev.hotpatch.server.auth.Tokens;
import dev.hotpatch.server.catalog.Catalog;
import dev.hotpatch.server.catalog.Publishing;
import dev.hotpatch.server.history.History;
import dev.hotpatch.server.install.Commands;
import dev.hotpatch.server.install.Operations;
import dev.hotpatch.server.machine.Binding;
import dev.hotpatch.server.machine.Hotfixes;
import dev.hotpatch.server.machine.Machines;
import dev.hotpatch.server.node.NodeProtocol;
import dev.hotpatch.server.store.Blobs;
import dev.hotpatch.server.store.DataFolder;
import dev.hotpatch.server.store.Database;
import dev.hotpatch.server.store.Ids;
import dev.hotpatch.server.store.Leases;
import dev.hotpatch.server.tls.ServerTls;
import io.javalin.Javalin;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The Hotpatch control plane: REST API, web console and periodic duties over one database
 * (embedded SQLite in the data folder by default, or PostgreSQL shared by several replicas). It
 * keeps no state that matters in memory, so replicas are interchangeable. Build one with
 * {@link #builder()}, then {@link #start()} and {@link #stop()}; the {@code hotpatch server}
 * command does exactly that. Thread-safe.
 */
public final class HotpatchServer implements AutoCloseable {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(HotpatchServer.class);

    private final Builder options;
    private final Path dataDir;
    private Database db;
    private Javalin app;
    private ScheduledExecutorService scheduler;
    private Operations operations;
    private History history;
    private Leases leases;
    private Path adminTokenFile;
    private Assessor assessor;
    private Automation automation;
    private ScheduledExecutorService automationTimer;
    private final java.util.concurrent.locks.ReentrantLock automating = new java.util.concurrent.locks.ReentrantLock();
    private NodeProtocol nodes;
    private java.util.concurrent.ExecutorService background;
    /** How long a publish request itself spends re-assessing machines before leaving the rest to the background. */
    private static final Duration SYNC_REASSESSMENT = Duration.ofSeconds(2);

    private HotpatchServer(Builder b) {
        this.options = b;
        this.dataDir = b.dataDir.toAbsolutePath();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Opens (and migrates) the database, creates the admin token on a fresh one, and starts serving. */
    public synchronized HotpatchServer start() {
        if (app != null) {
            throw new IllegalStateException("server already started");
        }
        Clock clock = options.clock;
        try {
            Database.prepareDataDir(dataDir);
            Path tmp = dataDir.resolve("tmp");
            Files.createDirectories(tmp);
            // Uploads spooled by a previous run that died mid-request.
            try (var left = Files.newDirectoryStream(tmp, "upload-*")) {
                for (Path p : left) {
                    Files.deleteIfExists(p);
                }
            }
            Files.createDirectories(trustDir());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the data folder " + dataDir + ": " + describe(e)
                    + "; make it writable by this user, or pass another --data folder", e);
        }
        List<String> unwritable = DataFolder.problems(dataDir, options.dbUrl == null);
        if (!unwritable.isEmpty()) {
            throw new UncheckedIOException("cannot start on the data folder " + dataDir + ": " + String.join("; ", unwritable)
                    + "; make it writable by this user, or pass another --data folder", new IOException(unwritable.get(0)));
        }
        db = options.dbUrl == null ? Database.sqlite(dataDir) : Database.open(options.dbUrl, options.dbUser, options.dbPassword);
        try {
            Catalog catalog = new Catalog(db, clock);
            Machines machines = new Machines(db);
            assessor = new Assessor(db, catalog, machines, clock);
            history = new History(db, clock, options.historyRetention);
            Commands commands = new Commands(options.commandLease);
            operations = new Operations(db, clock, machines, catalog, assessor, history, commands);
            Tokens tokens = new Tokens(db, clock);
            Blobs blobs = new Blobs(db, clock);
            background = new java.util.concurrent.ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS,
                    new java.util.concurrent.ArrayBlockingQueue<>(1), r -> {
                        Thread t = new Thread(r, "hotpatch-assessment");
                        t.setDaemon(true);
                        return t;
                    }, new java.util.concurrent.ThreadPoolExecutor.DiscardPolicy());
            // After a catalog change: re-assess what fits in the request's time, the rest in the
            // background (and, should this replica die, at the next maintenance run of any replica).
            Runnable reassess = () -> {
                assessor.drainStale(SYNC_REASSESSMENT);
                background.execute(() -> drainQuietly(assessor));
            };
            Publishing publishing = new Publishing(db, catalog, blobs, clock, trustDir(), assessor::markStale, reassess);
            Binding binding = new Binding(db, clock, history, machines);
            nodes = new NodeProtocol(db, clock, tokens, machines, assessor, operations, commands,
                    options.checkInInterval, options.assessmentInterval, binding);
            Policies policies = new Policies(db, clock, catalog, machines);
            Quarantines quarantines = new Quarantines(db, clock, catalog, history);
            Approvals approvals = new Approvals(db, clock, catalog, policies, quarantines);
            automation = new Automation(db, clock, catalog, machines, operations, history, policies, quarantines, approvals);
            Api api = new Api(new Api.Services(db, clock, catalog, publishing, machines, assessor, operations, history, tokens, nodes,
                    new Hotfixes(db, machines, catalog), blobs, dataDir.resolve("tmp"), version(), reassess,
                    new AutomationApi.Services(policies, approvals, automation, quarantines, new Compliance(db, clock, catalog, policies))));
            Optional<Path> admin = tokens.bootstrapAdmin(dataDir, options.out);
            adminTokenFile = admin.orElse(Files.exists(dataDir.resolve("admin.token")) ? dataDir.resolve("admin.token") : null);
            leases = new Leases(db, clock, Ids.next("replica", clock.instant()));
            ServerTls tls = options.tlsCert == null ? null : ServerTls.load(options.tlsCert, options.tlsKey);
            app = Javalin.create(cfg -> {
                api.configure(cfg);
                if (tls != null) {
                    // With a connector of our own Javalin adds no plain HTTP one: the server speaks HTTPS only.
                    cfg.jetty.addConnector((server, http) -> tls.connector(server, http, options.bind, options.port));
                }
            }).start(options.bind, options.port);
            if (!options.maintenanceInterval.isZero()) {
                scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "hotpatch-maintenance");
                    t.setDaemon(true);
                    return t;
                });
                long every = options.maintenanceInterval.toMillis();
                scheduler.scheduleWithFixedDelay(this::maintainQuietly, every, every, TimeUnit.MILLISECONDS);
                if (!options.automationInterval.isZero()) {
                    automationTimer = Executors.newSingleThreadScheduledExecutor(r -> {
                        Thread t = new Thread(r, "hotpatch-automation");
                        t.setDaemon(true);
                        return t;
                    });
                    long a = options.automationInterval.toMillis();
                    automationTimer.scheduleWithFixedDelay(this::automateQuietly, a, a, TimeUnit.MILLISECONDS);
                }
            }
        } catch (RuntimeException e) {
            stop();
            throw e;
        }
        options.out.println("hotpatch server: listening on " + url() + " (database: " + db + ")");
        return this;
    }

    /** Stops serving and closes the database; safe to call twice. */
    public synchronized void stop() {
        // Each background duty is interrupted and awaited before the database closes under it: a
        // re-assessment stops between batches, so what it committed stays and the rest stays marked.
        if (scheduler != null) {
            scheduler.shutdownNow();
            try {
                scheduler.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            scheduler = null;
        }
        if (automationTimer != null) {
            automationTimer.shutdownNow();
            try {
                automationTimer.awaitTermination(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            automationTimer = null;
        }
        if (background != null) {
            background.shutdownNow();
            try {
                background.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            background = null;
        }
        if (nodes != null) {
            nodes.close();
            nodes = null;
        }
        if (app != null) {
            app.stop();
            app = null;
        }
        if (db != null) {
            db.close();
            db = null;
        }
    }

    @Override
    public void close() {
        stop();
    }

    /** The port actually listened on (useful with port 0). */
    public int port() {
        if (app == null) {
            throw new IllegalStateException("server not started");
        }
        return app.port();
    }

    /** The server's base URL, {@code https://} when it serves TLS: {@code http://127.0.0.1:8080/}. */
    public String url() {
        String host = options.bind.contains(":") ? "[" + options.bind + "]" : options.bind;
        return (options.tlsCert != null ? "https://" : "http://") + host + ":" + port() + "/";
    }

    /** The admin token file this server created (or found) in its data folder; null when there is none. */
    public Path adminTokenFile() {
        return adminTokenFile;
    }

    public Path dataDir() {
        return dataDir;
    }

    /** The folder of trusted publisher certificates packages are verified against. */
    public Path trustDir() {
        return options.trustDir != null ? options.trustDir.toAbsolutePath() : dataDir.resolve("trusted-publishers");
    }

    /**
     * Runs automatic patching now, if this replica holds the automation lease (and is not running
     * it already): records quarantines, starts the rollouts the approval rules call for, and
     * advances every unfinished rollout. The server runs it every {@code automationInterval}.
     */
    public void runAutomation() {
        if (!automating.tryLock()) {
            return;
        }
        try {
            Duration every = options.automationInterval.isZero() ? Duration.ofSeconds(20) : options.automationInterval;
            if (!leases.tryAcquire("automation", every.multipliedBy(3).compareTo(Duration.ofMinutes(1)) < 0 ? Duration.ofMinutes(1)
                    : every.multipliedBy(3))) {
                return;
            }
            automation.run();
        } finally {
            automating.unlock();
        }
    }

    private void automateQuietly() {
        try {
            runAutomation();
        } catch (RuntimeException e) {
            // The next run retries: every step re-reads the state it acts on.
            LOG.warn("automation run failed: {}", e.toString());
        }
    }

    /**
     * Runs the periodic duties now, if this replica holds the maintenance lease: settles operations
     * whose window ran out, re-assesses machines a catalog change left stale (unless this replica
     * is re-assessing them already), and prunes history older than the retention period (at most hourly);
     * then {@linkplain #runAutomation() automatic patching}.
     */
    public void runMaintenance() {
        if (!leases.tryAcquire("maintenance", options.maintenanceInterval.isZero() ? Duration.ofMinutes(1)
                : options.maintenanceInterval.multipliedBy(3))) {
            return;
        }
        operations.expireOverdue();
        assessor.drainStaleUnlessDraining(Duration.ofMinutes(1));
        long now = options.clock.millis();
        boolean due = db.tx(h -> {
            h.createUpdate("INSERT INTO settings (name, value) VALUES ('last-history-purge', '0') ON CONFLICT (name) DO NOTHING").execute();
            return h.createUpdate("UPDATE settings SET value = :now WHERE name = 'last-history-purge' AND CAST(value AS BIGINT) < :cutoff")
                    .bind("now", String.valueOf(now)).bind("cutoff", now - Duration.ofHours(1).toMillis()).execute() == 1;
        });
        if (due) {
            int n = history.purge();
            if (n > 0) {
                LOG.info("pruned {} history entries older than {}", n, history.retention());
            }
        }
        runAutomation();
    }

    private void maintainQuietly() {
        try {
            runMaintenance();
        } catch (RuntimeException e) {
            // The next run retries; the duties are idempotent.
            if (Thread.currentThread().isInterrupted()) {
                LOG.info("maintenance run stopped because the server is stopping; the next start runs it again");
            } else {
                LOG.warn("maintenance run failed: {}", e.toString());
            }
        }
    }

    private static void drainQuietly(Assessor assessor) {
        try {
            assessor.drainStale(Duration.ofMinutes(30));
        } catch (RuntimeException e) {
            // Whatever is left stays marked stale; the next maintenance run picks it up.
            if (Thread.currentThread().isInterrupted()) {
                LOG.info("background re-assessment stopped because the server is stopping; the machines it did not reach"
                        + " stay marked and are re-assessed by the next maintenance run");
            } else {
                LOG.warn("background re-assessment stopped: {}", e.toString());
            }
        }
    }

    private static String describe(IOException e) {
        if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) {
            return f.getFile() + ": " + f.getReason();
        }
        return e.getMessage();
    }

    private static String version() {
        String v = HotpatchServer.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    /** Options of a server. Not thread-safe. */
    public static final class Builder {
        private int port = 8080;
        private String bind = "127.0.0.1";
        private Path dataDir = Path.of(System.getProperty("user.home"), ".hotpatch", "server");
        private String dbUrl;
        private String dbUser;
        private String dbPassword;
        private Clock clock = Clock.systemUTC();
        private Path trustDir;
        private Duration checkInInterval = Duration.ofSeconds(60);
        private Duration assessmentInterval = Duration.ofHours(24);
        private Duration historyRetention = Duration.ofDays(365);
        private Duration commandLease = Duration.ofMinutes(10);
        private Duration maintenanceInterval = Duration.ofSeconds(30);
        private Duration automationInterval = Duration.ofSeconds(5);
        private PrintStream out = System.out;
        private Path tlsCert;
        private Path tlsKey;

        private Builder() {
        }

        /**
         * Serve HTTPS only, with the certificate chain in {@code certPem} (server certificate first)
         * and its unencrypted private key in {@code keyPem}; both PEM. Default: plain HTTP.
         */
        public Builder tls(Path certPem, Path keyPem) {
            if ((certPem == null) != (keyPem == null)) {
                throw new IllegalArgumentException("TLS needs both the certificate (--tls-cert) and its key (--tls-key)");
            }
            this.tlsCert = certPem;
            this.tlsKey = keyPem;
            return this;
        }

        /** TCP port; 0 picks a free one (see {@link HotpatchServer#port()}). Default 8080. */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port " + port + " is not 0–65535");
            }
            this.port = port;
            return this;
        }

        /** Address to listen on; default 127.0.0.1 (loopback only). */
        public Builder bind(String bind) {
            this.bind = bind;
            return this;
        }

        /** Data folder: the embedded database, the admin token, the trust folder. Default {@code ~/.hotpatch/server}. */
        public Builder dataDir(Path dataDir) {
            this.dataDir = dataDir;
            return this;
        }

        /** A {@code jdbc:postgresql://…} URL to use PostgreSQL instead of the embedded SQLite store. */
        public Builder dbUrl(String dbUrl) {
            this.dbUrl = dbUrl;
            return this;
        }

        public Builder dbUser(String dbUser) {
            this.dbUser = dbUser;
            return this;
        }

        public Builder dbPassword(String dbPassword) {
            this.dbPassword = dbPassword;
            return this;
        }

        /** The clock every time decision uses; tests pass a controllable one. */
        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        /** Folder of trusted publisher certificates; default {@code DATA/trusted-publishers}. */
        public Builder trustDir(Path trustDir) {
            this.trustDir = trustDir;
            return this;
        }

        /** How often nodes are told to check in; default 60 s. */
        public Builder checkInInterval(Duration d) {
            this.checkInInterval = positive(d, "check-in interval");
            return this;
        }

        /** How often each machine is assessed without being asked; default 24 h. */
        public Builder assessmentInterval(Duration d) {
            this.assessmentInterval = positive(d, "assessment interval");
            return this;
        }

        /** How long history is kept; default 1 year. */
        public Builder historyRetention(Duration d) {
            this.historyRetention = positive(d, "history retention");
            return this;
        }

        /** How long a node has to answer a command before it is delivered again; default 10 min. */
        public Builder commandLease(Duration d) {
            this.commandLease = positive(d, "command lease");
            return this;
        }

        /** How often periodic duties run; zero disables the timer (call {@link HotpatchServer#runMaintenance()}). Default 30 s. */
        public Builder maintenanceInterval(Duration d) {
            if (d.isNegative()) {
                throw new IllegalArgumentException("maintenance interval must not be negative");
            }
            this.maintenanceInterval = d;
            return this;
        }

        /**
         * How often automatic patching runs (quarantines, automatic rollouts, advancing waves);
         * zero leaves it to {@link HotpatchServer#runMaintenance()}. It has no timer when the
         * maintenance interval is zero either. Default 5 s.
         */
        public Builder automationInterval(Duration d) {
            if (d.isNegative()) {
                throw new IllegalArgumentException("automation interval must not be negative");
            }
            this.automationInterval = d;
            return this;
        }

        /** Where start-up messages go; default standard output. */
        public Builder out(PrintStream out) {
            this.out = out;
            return this;
        }

        public HotpatchServer build() {
            return new HotpatchServer(this);
        }

        private static Duration positive(Duration d, String what) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(what + " must be positive");
            }
            return d;
        }
    }

    /**
     * Runs a server until the process is stopped: {@code [--port N] [--bind ADDR] [--data DIR]
     * [--db-url URL] [--trust DIR] [--tls-cert FILE --tls-key FILE]}. The CLI's {@code hotpatch server}
     * is the usual way in.
     */
    public static void main(String[] args) throws InterruptedException {
        Builder b = builder();
        Path tlsCert = null;
        Path tlsKey = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String v = i + 1 < args.length ? args[i + 1] : null;
            switch (a) {
                case "--port" -> b.port(Integer.parseInt(v));
                case "--bind" -> b.bind(v);
                case "--data" -> b.dataDir(Path.of(v));
                case "--db-url" -> b.dbUrl(v);
                case "--trust" -> b.trustDir(Path.of(v));
                case "--tls-cert" -> tlsCert = Path.of(v);
                case "--tls-key" -> tlsKey = Path.of(v);
                default -> {
                    System.err.println("usage: hotpatch server [--port N] [--bind ADDR] [--data DIR] [--db-url URL] [--trust DIR]"
                            + " [--tls-cert FILE --tls-key FILE]");
                    System.exit(2);
                }
            }
            i++;
        }
        HotpatchServer server;
        try {
            server = b.tls(tlsCert, tlsKey).build().start();
        } catch (RuntimeException e) {
            // One clear line: what went wrong and what to do; the details of a bug are in the log above.
            System.err.println("hotpatch server: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            System.exit(1);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(server::stop, "hotpatch-server-stop"));
        Thread.currentThread().join();
    }
}
