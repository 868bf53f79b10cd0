package dev.hotpatch.bench.fleet;

import dev.hotpatch.testkit.PostgresCluster;
import dev.hotpatch.server.HotpatchServer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A control-plane server started in this JVM for one benchmark: port 0 on loopback, a fresh
 * temporary data folder, and either the embedded SQLite store (the default, as {@code hotpatch
 * server} runs with no options) or a new database in a {@link PostgresCluster}. Every other
 * option is the product default. Closing stops it and deletes the data folder. Not thread-safe.
 */
final class FleetServer implements AutoCloseable {
    /** Which store the server runs on. */
    enum Store {
        SQLITE("SQLite (embedded)"), POSTGRESQL("PostgreSQL");

        final String label;

        Store(String label) {
            this.label = label;
        }
    }

    final Store store;
    final HotpatchServer server;
    final ApiClient api;
    final String adminToken;
    final Path dataDir;

    private FleetServer(Store store, HotpatchServer server, Path dataDir) throws IOException {
        this.store = store;
        this.server = server;
        this.dataDir = dataDir;
        this.api = new ApiClient(server.port());
        this.adminToken = Files.readString(server.adminTokenFile()).trim();
    }

    /** Starts a server on {@code store}; {@code pg} must be given for PostgreSQL. */
    static FleetServer start(Store store, PostgresCluster pg, PrintStream log) throws IOException {
        return start(store, pg, log, b -> b);
    }

    /** Starts a server on {@code store} with the options {@code tune} changes (a clock, no timers). */
    static FleetServer start(Store store, PostgresCluster pg, PrintStream log, java.util.function.UnaryOperator<HotpatchServer.Builder> tune)
            throws IOException {
        Path data = Files.createTempDirectory("hotpatch-bench-server-");
        HotpatchServer.Builder b = tune.apply(HotpatchServer.builder().port(0).dataDir(data).out(log));
        if (store == Store.POSTGRESQL) {
            b.dbUrl(pg.newDatabase());
        }
        HotpatchServer s = b.build().start();
        try {
            return new FleetServer(store, s, data);
        } catch (IOException | RuntimeException e) {
            s.stop();
            throw e;
        }
    }

    Path trustDir() {
        return server.trustDir();
    }

    @Override
    public void close() {
        server.stop();
        try (Stream<Path> files = Files.walk(dataDir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.err.println("left " + dataDir + " behind: " + e.getMessage());
        }
    }
}
