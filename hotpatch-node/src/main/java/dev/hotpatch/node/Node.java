package dev.hotpatch.node;

import dev.hotpatch.node.access.TargetAccess;
import dev.hotpatch.node.command.Action;
import dev.hotpatch.node.command.Command;
import dev.hotpatch.node.command.CommandResult;
import dev.hotpatch.node.command.Dispatcher;
import dev.hotpatch.node.command.Downloads;
import dev.hotpatch.node.command.Executor;
import dev.hotpatch.node.command.Journal;
import dev.hotpatch.node.command.MachineLedger;
import dev.hotpatch.node.config.NodeConfig;
import dev.hotpatch.node.discovery.LocalMachine;
import dev.hotpatch.node.discovery.MachineDiscovery;
import dev.hotpatch.node.discovery.Said;
import dev.hotpatch.node.health.HealthMonitor;
import dev.hotpatch.node.internal.PrivateFiles;
import dev.hotpatch.node.inventory.CodeHashes;
import dev.hotpatch.node.inventory.InventoryCollector;
import dev.hotpatch.node.inventory.MachineInventory;
import dev.hotpatch.node.restart.Supervisor;
import dev.hotpatch.node.server.Credentials;
import dev.hotpatch.node.server.LongPoll;
import dev.hotpatch.node.server.ServerClient;
import dev.hotpatch.node.server.ServerTransport;
import dev.hotpatch.node.server.ServerUnavailableException;
import dev.hotpatch.node.standalone.History;
import dev.hotpatch.node.standalone.LocalOrchestrator;
import dev.hotpatch.node.deadline.TargetCalls;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The node daemon ({@code hotpatch node}): one per host. It finds the local JVMs that are machines,
 * reports what they run, and runs the work it is given on them: in server mode, the commands the
 * control plane hands out at each check-in (pull model: the node calls the server, never the
 * reverse); in standalone mode, the installs its local policy decides from a folder of signed
 * packages. Every command is journaled so a node killed mid-way resumes or rolls back when it
 * starts again.
 *
 * <p>In server mode the node also keeps a long-poll open ({@link LongPoll}), so that commands
 * reach it within about a second rather than at the next check-in; it still checks in at its
 * interval, and falls back to check-ins alone when the server has no long-poll or it fails.
 * Commands run per machine on their own threads ({@link Dispatcher}), and every call into a JVM
 * has a deadline ({@link TargetCalls}): a stopped or hung JVM delays neither check-ins nor other
 * machines, and its command ends {@code timed_out}. Machines with a health check are probed every
 * {@code node.healthInterval} and after each command ({@link HealthMonitor}).
 *
 * <p>Use: {@code try (Node node = Node.fromOptions(options)) { node.runForever(); }}. One node per
 * data folder (it is locked while the node runs). {@link #runOnce()} and {@link #runForever()}
 * are called from one thread; {@link #close()} may be called from any thread to stop
 * {@link #runForever()}.
 */
public final class Node implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("dev.hotpatch.node");
    private static final Duration STANDALONE_INTERVAL = Duration.ofSeconds(30);
    private static final Duration SOON = Duration.ofSeconds(1);
    /** How long {@link #runOnce()} waits for the commands of its round. */
    private static final Duration ROUND_COMMANDS = Duration.ofHours(1);
    /** How long {@link #close()} lets commands in progress run to their end before releasing the data folder. */
    private static final Duration CLOSE_GRACE = Duration.ofSeconds(10);

    private final NodeOptions options;
    private final NodeConfig config;
    private final Path dataDir;
    private final FileChannel lockFile;
    private final FileLock lock;
    private final Supervisor supervisor;
    private final MachineDiscovery discovery;
    private final InventoryCollector inventory;
    private final Executor executor;
    private final TargetCalls calls;
    private final HealthMonitor health;
    private final Dispatcher dispatcher;
    private final LongPoll longPoll;
    private final Cycle cycle;
    private final History history;
    private final String hostname;
    private final Object sleeper = new Object();
    private final java.util.concurrent.ExecutorService collectors = java.util.concurrent.Executors.newFixedThreadPool(4, r -> {
        Thread t = new Thread(r, "hotpatch-inventory");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean closed;
    private volatile boolean wakeUp;
    private boolean resumed;
    private final Said said = new Said();
    private Duration next;

    /** One round of the node's work, per mode. Returns when to run the next one. */
    private interface Cycle {
        Duration run(MachineDiscovery.Found found);
    }

    private Node(NodeOptions options, NodeConfig config, Path dataDir, FileChannel lockFile, FileLock lock) {
        this.options = options;
        this.config = config;
        this.dataDir = dataDir;
        this.lockFile = lockFile;
        this.lock = lock;
        this.hostname = config.nodeName() != null ? config.nodeName() : localHostName();
        this.supervisor = new Supervisor(config.machines().values(), dataDir);
        TargetAccess access = TargetAccess.forThisProcess(config.handover());
        this.calls = new TargetCalls(config.targetTimeout(), config.installTimeout(), this::late);
        this.discovery = new MachineDiscovery(config, supervisor::machineOf, access, calls);
        MachineLedger ledger = MachineLedger.open(dataDir);
        Clock clock = options.clockOrDefault();
        this.health = new HealthMonitor(dataDir, config.healthInterval(), clock);
        this.inventory = new InventoryCollector(config, new CodeHashes(), ledger::installedUpdates, access, calls, health::health);
        Journal journal = Journal.open(dataDir);
        if (options.standalone()) {
            this.history = History.open(dataDir);
            this.executor = new Executor(config, dataDir, journal, ledger, Downloads.LOCAL_FILES, supervisor, discovery, inventory, clock,
                    access, calls, health::probeNow);
            LocalOrchestrator policy = new LocalOrchestrator(config, options.catalog().toAbsolutePath(), history, executor, inventory, clock,
                    "standalone-policy@" + hostname);
            this.dispatcher = new Dispatcher(executor, r -> {
                history.append(History.Entry.of(r, "standalone-policy@" + hostname));
                executor.acknowledge(r.commandId());
            });
            this.longPoll = null;
            this.cycle = found -> standaloneCycle(found, policy, history);
        } else {
            this.history = null;
            ServerClient client = new ServerClient(options.server(), ServerTransport.sslContext(options.tlsCa()));
            Credentials credentials = new Credentials(dataDir);
            credentials.forServer(client.base()).ifPresent(c -> client.useCredential(c.credential()));
            this.executor = new Executor(config, dataDir, journal, ledger, client, supervisor, discovery, inventory, clock, access, calls,
                    health::probeNow);
            this.dispatcher = new Dispatcher(executor, r -> deliver(client, r));
            this.longPoll = new LongPoll(client, in -> received(client, in));
            this.cycle = found -> serverCycle(found, client, credentials);
        }
    }

    /**
     * Checks {@code options}, reads the config file, and prepares the node (its data folder
     * owner-only and locked); no JVM is touched and the server is not called until {@link #runOnce()}.
     *
     * @throws ConfigException for wrong options or a bad config file (exit code 2)
     * @throws NodeException   when the data folder cannot be used or another node holds it
     */
    public static Node fromOptions(NodeOptions options) {
        check(options);
        NodeConfig config = options.config() == null ? NodeConfig.defaults() : NodeConfig.load(options.config());
        Path dataDir = options.dataDirOrDefault();
        if (!options.standalone() && options.token() == null
                && new Credentials(dataDir).forServer(new ServerClient(options.server()).base()).isEmpty()) {
            throw new ConfigException("--token", "this node has not enrolled with " + options.server() + " yet (no credential in "
                    + dataDir + "); pass the one-time enrollment token with --token (an operator creates one with"
                    + " 'hotpatch token enroll')");
        }
        FileChannel ch = null;
        try {
            PrivateFiles.folder(dataDir);
            ch = FileChannel.open(dataDir.resolve("node.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = ch.tryLock();
            if (lock == null) {
                throw new NodeException("another node is running with data folder " + dataDir + "; stop it, or give this one its own --data");
            }
            return new Node(options, config, dataDir, ch, lock);
        } catch (IOException | OverlappingFileLockException e) {
            closeQuietly(ch);
            throw new NodeException("cannot use the node data folder " + dataDir + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(ch);
            throw e;
        }
    }

    private static void check(NodeOptions o) {
        if (o.standalone()) {
            if (o.server() != null) {
                throw new ConfigException("--standalone", "--standalone and --server exclude each other: a standalone node has no server");
            }
            if (o.catalog() == null) {
                throw new ConfigException("--catalog", "standalone mode needs --catalog DIR, the folder of signed .hotpatch packages");
            }
            if (!Files.isDirectory(o.catalog())) {
                throw new ConfigException("--catalog", "--catalog " + o.catalog() + " is not an existing folder");
            }
        } else {
            if (o.server() == null) {
                throw new ConfigException("--server", "give the server's URL with --server (e.g. http://127.0.0.1:8080), or run with"
                        + " --standalone --catalog DIR");
            }
            String scheme = o.server().getScheme() == null ? "" : o.server().getScheme().toLowerCase(Locale.ROOT);
            if (!(scheme.equals("http") || scheme.equals("https")) || o.server().getHost() == null) {
                throw new ConfigException("--server", "--server " + o.server() + " is not an http:// or https:// URL");
            }
            if (o.catalog() != null) {
                throw new ConfigException("--catalog", "--catalog is for --standalone mode; a node with a server gets packages from it");
            }
            try {
                ServerTransport.check(o.server(), o.insecure(), "--server");
                if (o.tlsCa() != null) {
                    ServerTransport.sslContext(o.tlsCa());
                }
            } catch (IllegalArgumentException e) {
                throw new ConfigException(e.getMessage().startsWith("--tls-ca") ? "--tls-ca" : "--server", e.getMessage());
            }
        }
        if (o.interval() != null && (o.interval().isNegative() || o.interval().isZero())) {
            throw new ConfigException("--interval", "--interval must be positive, e.g. 30s");
        }
    }

    /**
     * One round: finish commands a previous run left unfinished (first round only), keep supervised
     * JVMs running, find the machines, then check in and run the server's commands, or apply the
     * local policy.
     *
     * @throws ServerUnavailableException when the server cannot be reached (nothing is lost; the next round retries)
     */
    public void runOnce() {
        round();
        if (!dispatcher.awaitIdle(ROUND_COMMANDS)) {
            LOG.log(System.Logger.Level.WARNING, "the commands of this round are still running after " + ROUND_COMMANDS.toMinutes() + " min");
        }
    }

    /**
     * One round without waiting for the commands it received: they run on their machines' threads
     * and deliver their results themselves.
     */
    private void round() {
        if (!resumed) {
            List<Command> unfinished = executor.unfinished();
            unfinished.forEach(dispatcher::submit);
            resumed = true;
            if (!unfinished.isEmpty()) {
                LOG.log(System.Logger.Level.INFO, "finishing " + unfinished.size() + " command(s) left unfinished by the previous run");
            }
        }
        supervisor.ensureRunning();
        MachineDiscovery.Found found = discovery.discover();
        said.report(found.warnings(), found.notices());
        executor.reconcile(found.machines());
        health.track(found.machines());
        next = cycle.run(found);
    }

    /** Runs rounds until {@link #close()}; a failed round is logged and the next one runs after the interval. */
    public void runForever() {
        if (longPoll != null) {
            longPoll.start();
        }
        while (!closed) {
            Duration wait;
            try {
                round();
                wait = next;
            } catch (ServerUnavailableException e) {
                LOG.log(System.Logger.Level.WARNING, e.getMessage() + "; retrying at the next check-in");
                wait = interval(null);
            } catch (NodeRefusedException e) {
                throw e; // a refused token or credential does not heal by retrying: stop and say why
            } catch (NodeException e) {
                LOG.log(System.Logger.Level.ERROR, e.getMessage());
                wait = interval(null);
            }
            synchronized (sleeper) {
                if (closed) {
                    break;
                }
                long until = System.nanoTime() + Math.max(1, wait.toMillis()) * 1_000_000;
                try {
                    while (!closed && !wakeUp && until - System.nanoTime() > 0) {
                        sleeper.wait(Math.max(1, (until - System.nanoTime()) / 1_000_000));
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                wakeUp = false;
            }
        }
    }

    /** Runs the next round now instead of at the end of the interval (its results change what the server should see). */
    private void wakeUp() {
        synchronized (sleeper) {
            wakeUp = true;
            sleeper.notifyAll();
        }
    }

    /** What one look at this host's JVMs finds, named or not, with its warnings (for diagnosis in tests). */
    dev.hotpatch.node.discovery.MachineDiscovery.Found look() {
        return discovery.discover();
    }

    /** The machines on this host and what they run, now. */
    public List<MachineInventory> inventory() {
        return collectAll(discovery.discover().machines());
    }

    /**
     * Every machine's report, taken a few at a time: each asks its JVM under the look deadline, so
     * several JVMs that do not answer cost one deadline, not one each.
     */
    private List<MachineInventory> collectAll(List<LocalMachine> machines) {
        List<java.util.concurrent.Future<MachineInventory>> futures = new ArrayList<>();
        for (LocalMachine m : machines) {
            futures.add(collectors.submit(() -> inventory.collect(m).report()));
        }
        List<MachineInventory> out = new ArrayList<>();
        try {
            for (java.util.concurrent.Future<MachineInventory> f : futures) {
                out.add(f.get());
            }
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new NodeException("taking the machines' inventory failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NodeException("interrupted while taking the machines' inventory", e);
        }
        return out;
    }

    /** Runs one command now, as if the server had sent it (for operators and tests); the result is kept until delivered. */
    public CommandResult run(String machine, Action action, String actor) {
        Command c = new Command("local-" + java.util.UUID.randomUUID(), machine, action, actor, options.clockOrDefault().instant());
        CommandResult r = executor.execute(c);
        if (history != null) {
            history.append(History.Entry.of(r, actor));
        }
        executor.acknowledge(c.id());
        return r;
    }

    /** The node's data folder. */
    public Path dataDir() {
        return dataDir;
    }

    /** The name this node reports itself under. */
    public String hostname() {
        return hostname;
    }

    /**
     * Stops {@link #runForever()}, lets commands in progress run to their end for a few seconds,
     * and releases the data folder. Supervised JVMs keep running.
     */
    @Override
    public void close() {
        closed = true;
        synchronized (sleeper) {
            sleeper.notifyAll();
        }
        if (longPoll != null) {
            longPoll.close();
        }
        dispatcher.close();
        if (!dispatcher.awaitIdle(CLOSE_GRACE)) {
            LOG.log(System.Logger.Level.WARNING, "closing with command(s) still running (" + String.join(", ", dispatcher.inFlight())
                    + "); the journal has them, and the next run of the node finishes them");
        }
        health.close();
        collectors.shutdown();
        calls.close();
        try {
            lock.release();
        } catch (IOException e) {
            // The channel closes below, which releases the lock anyway.
        }
        closeQuietly(lockFile);
    }

    Supervisor supervisor() {
        return supervisor;
    }

    Executor executor() {
        return executor;
    }

    // ---- modes -------------------------------------------------------------------------------

    private Duration standaloneCycle(MachineDiscovery.Found found, LocalOrchestrator policy, History history) {
        java.util.Set<String> running = dispatcher.inFlight();
        for (CommandResult r : executor.undelivered()) {
            if (running.contains(r.commandId())) {
                continue;
            }
            history.append(History.Entry.of(r, "standalone-policy@" + hostname));
            executor.acknowledge(r.commandId());
        }
        policy.runOnce(found.machines());
        return options.interval() != null ? options.interval() : STANDALONE_INTERVAL;
    }

    private Duration serverCycle(MachineDiscovery.Found found, ServerClient client, Credentials credentials) {
        if (credentials.forServer(client.base()).isEmpty()) {
            ServerClient.Enrollment e = client.enroll(options.token(), hostname, version());
            credentials.store(new Credentials.Stored(client.base().toString(), e.nodeId(), e.credential()));
            client.useCredential(e.credential());
            LOG.log(System.Logger.Level.INFO, "enrolled with " + client.base() + " as node " + e.nodeId() + "; credential stored in "
                    + credentials.file());
        }
        java.util.Set<String> running = dispatcher.inFlight();
        for (CommandResult r : executor.undelivered()) {
            if (running.contains(r.commandId())) {
                continue;
            }
            if (!r.commandId().startsWith("local-")) {
                client.postResult(r);
            }
            executor.acknowledge(r.commandId());
        }
        List<MachineInventory> reports = collectAll(found.machines());
        ServerClient.CheckIn in = client.checkIn(hostname, version(), reports);
        received(client, in);
        return in.commands().isEmpty() && in.unknown().isEmpty() && in.sendFull().isEmpty() ? interval(in.interval()) : SOON;
    }

    /** Hands commands from a check-in or the long-poll to their machines, and answers those this node cannot run. */
    private void received(ServerClient client, ServerClient.CheckIn in) {
        for (CommandResult r : in.unknown()) {
            client.postResult(r);
        }
        for (Command c : in.commands()) {
            dispatcher.submit(c);
        }
    }

    /**
     * Delivers a finished command's result (a local one is only forgotten); when the long-poll is
     * not working, the next check-in comes at once, to pick up what the server queued behind it.
     */
    private void deliver(ServerClient client, CommandResult r) {
        if (!r.commandId().startsWith("local-")) {
            client.postResult(r);
        }
        executor.acknowledge(r.commandId());
        if (longPoll == null || !longPoll.active()) {
            wakeUp();
        }
    }

    /** A call into a JVM answered after the node had stopped waiting for it: say so, and report the machine again soon. */
    private void late(TargetCalls.Late l) {
        long s = Math.max(0, Duration.between(l.since(), java.time.Instant.now()).toSeconds());
        LOG.log(System.Logger.Level.WARNING, "JVM " + l.pid() + " answered " + l.what() + " " + s + " s after it was sent, after the node had"
                + " stopped waiting: " + (l.failure() != null ? "it failed (" + l.failure().getMessage() + ")"
                : l.value() == null ? "it completed" : "it completed (" + l.value() + ")")
                + "; the machine's next report shows what it runs");
        wakeUp();
    }

    private Duration interval(Duration server) {
        if (options.interval() != null) {
            return options.interval();
        }
        if (server != null) {
            return server;
        }
        return options.standalone() ? STANDALONE_INTERVAL : Duration.ofSeconds(30);
    }

    static String version() {
        String v = Node.class.getPackage().getImplementationVersion();
        return v != null ? v : "dev";
    }

    private static String localHostName() {
        String env = System.getenv("HOSTNAME");
        if (env != null && !env.isBlank()) {
            return env;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }

    private static void closeQuietly(FileChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException e) {
                // Nothing to do: closing the lock file only releases the lock.
            }
        }
    }
}
