package dev.hotpatch.server.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.HandleCallback;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.transaction.TransactionIsolationLevel;

/**
 * The server's database: a pooled connection to SQLite (the embedded default, one file in the data
 * folder) or PostgreSQL (production, shared by replicas), migrated by Flyway to the one schema
 * both run. Thread-safe; close it to release the pool.
 */
public final class Database implements AutoCloseable {
    /** Which engine is behind the URL. */
    public enum Engine {
        SQLITE("BLOB"), POSTGRESQL("BYTEA");

        private final String blobType;

        Engine(String blobType) {
            this.blobType = blobType;
        }
    }

    private final HikariDataSource pool;
    private final Jdbi jdbi;
    private final Engine engine;
    private final String description;
    /**
     * SQLite has one writer at a time, and a writer that finds the lock taken polls for it with
     * growing sleeps (busy_timeout), so under load a transaction could wait seconds while the
     * database sat idle between sleeps. This server's write transactions queue here instead, in
     * arrival order, and each finds the database free. Null on PostgreSQL (row locks).
     */
    private final java.util.concurrent.locks.ReentrantLock sqliteWriter;

    private Database(HikariDataSource pool, Engine engine, String description) {
        this.pool = pool;
        this.engine = engine;
        this.description = description;
        this.jdbi = Jdbi.create(pool);
        this.sqliteWriter = engine == Engine.SQLITE ? new java.util.concurrent.locks.ReentrantLock(true) : null;
    }

    /** The embedded store: {@code hotpatch.db} in {@code dataDir}. */
    public static Database sqlite(Path dataDir) {
        Path file = dataDir.resolve("hotpatch.db").toAbsolutePath();
        // WAL lets readers run beside the writer; IMMEDIATE transactions take the write lock up
        // front so two writers queue on busy_timeout instead of failing on a lock upgrade.
        String url = "jdbc:sqlite:" + file + "?journal_mode=WAL&busy_timeout=30000&foreign_keys=true"
                + "&transaction_mode=IMMEDIATE&synchronous=NORMAL";
        return open(url, null, null, 4);
    }

    /** PostgreSQL (or SQLite, for a {@code jdbc:sqlite:} URL) at a JDBC URL; user and password may be null when the URL carries them. */
    public static Database open(String url, String user, String password) {
        return open(url, user, password, 10);
    }

    private static Database open(String url, String user, String password, int poolSize) {
        Engine engine;
        if (url.startsWith("jdbc:sqlite:")) {
            engine = Engine.SQLITE;
        } else if (url.startsWith("jdbc:postgresql:")) {
            engine = Engine.POSTGRESQL;
        } else {
            throw new IllegalArgumentException("unsupported database URL '" + url
                    + "': use jdbc:postgresql://HOST:PORT/DB (or leave it out for the embedded SQLite store)");
        }
        HikariConfig cfg = new HikariConfig();
        cfg.setJdbcUrl(url);
        if (user != null) {
            cfg.setUsername(user);
        }
        if (password != null) {
            cfg.setPassword(password);
        }
        cfg.setMaximumPoolSize(poolSize);
        cfg.setMinimumIdle(1);
        cfg.setPoolName("hotpatch-db");
        cfg.setConnectionTimeout(30_000);
        cfg.setInitializationFailTimeout(10_000);
        HikariDataSource ds = new HikariDataSource(cfg);
        try {
            Flyway.configure()
                    .dataSource(ds)
                    .locations("classpath:db/migration")
                    .placeholders(Map.of("blob_type", engine.blobType))
                    .load()
                    .migrate();
        } catch (RuntimeException e) {
            ds.close();
            throw e;
        }
        return new Database(ds, engine, redact(url));
    }

    /** Creates the folder for the embedded store, owner-only where the file system allows it. */
    public static void prepareDataDir(Path dataDir) throws java.io.IOException {
        Files.createDirectories(dataDir);
        try {
            Files.setPosixFilePermissions(dataDir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        } catch (UnsupportedOperationException e) {
            // Not POSIX: the folder keeps the access control it inherits.
        }
    }

    public Engine engine() {
        return engine;
    }

    public Jdbi jdbi() {
        return jdbi;
    }

    /** Runs {@code work} in one read-committed transaction (on SQLite, after this server's earlier write transactions). */
    public <R> R tx(HandleCallback<R, RuntimeException> work) {
        if (sqliteWriter == null) {
            return jdbi.inTransaction(TransactionIsolationLevel.READ_COMMITTED, work);
        }
        sqliteWriter.lock();
        try {
            return jdbi.inTransaction(TransactionIsolationLevel.READ_COMMITTED, work);
        } finally {
            sqliteWriter.unlock();
        }
    }

    /** Runs {@code work} on a handle without an explicit transaction (each statement commits). */
    public <R> R read(HandleCallback<R, RuntimeException> work) {
        return jdbi.withHandle(work);
    }

    /** Runs {@code work} in one transaction without a result. */
    public void txRun(java.util.function.Consumer<Handle> work) {
        tx(h -> {
            work.accept(h);
            return null;
        });
    }

    @Override
    public void close() {
        pool.close();
    }

    @Override
    public String toString() {
        return description;
    }

    private static String redact(String url) {
        return url.replaceAll("(?i)(password=)[^&]*", "$1***");
    }
}
