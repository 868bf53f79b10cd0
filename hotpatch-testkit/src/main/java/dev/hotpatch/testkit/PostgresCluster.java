package dev.hotpatch.testkit;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A throwaway PostgreSQL cluster from Debian's {@code postgresql} binaries (as the {@code postgres}
 * user when running as root), on a free loopback port. Tests share one ({@link #get()}), started on
 * first use and stopped when the JVM exits; each {@link #newDatabase()} is an empty database, so
 * every server under test starts from a clean schema. With {@code HOTPATCH_TEST_PG_URL} set (a
 * superuser or CREATEDB URL such as {@code jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres})
 * that server is used instead. Benchmarks start their own ({@link #start(Durability)}), whose
 * durability is that of a real installation, and close it. Thread-safe.
 */
public final class PostgresCluster implements AutoCloseable {
    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static PostgresCluster instance;
    private static String unavailable;

    /** How much of PostgreSQL's durability the cluster keeps. */
    public enum Durability {
        /** Tests: no fsync at all (a crash of the machine loses the cluster, which is thrown away anyway). */
        NONE("-c fsync=off -c synchronous_commit=off -c full_page_writes=off"),
        /**
         * Benchmarks: fsync on, commits not waiting for the WAL flush ({@code synchronous_commit=off}),
         * the analogue of the embedded store's WAL with {@code synchronous=NORMAL}.
         */
        ASYNC_COMMIT("-c synchronous_commit=off"),
        /** Every commit waits for its WAL flush. */
        FULL("");

        private final String settings;

        Durability(String settings) {
            this.settings = settings;
        }
    }

    private final String adminUrl;
    private final String baseUrl;
    private final Path bin;
    private final Path dir;
    private final boolean asPostgres;
    private final int port;

    private PostgresCluster(String adminUrl, String baseUrl, Path bin, Path dir, boolean asPostgres, int port) {
        this.adminUrl = adminUrl;
        this.baseUrl = baseUrl;
        this.bin = bin;
        this.dir = dir;
        this.asPostgres = asPostgres;
        this.port = port;
    }

    /** The tests' shared cluster, started on first use; null (see {@link #unavailableReason()}) when PostgreSQL cannot be had here. */
    public static synchronized PostgresCluster get() {
        if (instance == null && unavailable == null) {
            try {
                String env = System.getenv("HOTPATCH_TEST_PG_URL");
                if (env != null && !env.isBlank()) {
                    int q = env.indexOf('?');
                    String query = q < 0 ? "" : env.substring(q);
                    String prefix = env.substring(0, q < 0 ? env.length() : q);
                    String base = prefix.substring(0, prefix.lastIndexOf('/') + 1) + "{db}" + query;
                    instance = new PostgresCluster(env, base, null, null, false, -1);
                } else {
                    PostgresCluster started = start(Durability.NONE);
                    Runtime.getRuntime().addShutdownHook(new Thread(started::close, "stop-test-postgres"));
                    instance = started;
                }
            } catch (Exception e) {
                unavailable = e.getMessage();
            }
        }
        return instance;
    }

    public static synchronized String unavailableReason() {
        return unavailable;
    }

    /** Starts a cluster of its own, which the caller closes; the exception says why PostgreSQL cannot be had here. */
    public static PostgresCluster start(Durability durability) throws IOException, InterruptedException {
        Path bin = findBin();
        boolean root = "root".equals(System.getProperty("user.name"));
        Path dir = Files.createTempDirectory("hotpatch-pg-");
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        if (root) {
            run(List.of("chown", "postgres:postgres", dir.toString()), false);
        }
        run(List.of(bin.resolve("initdb").toString(), "-D", dir.resolve("data").toString(), "-A", "trust", "-U", "postgres",
                "-E", "UTF8", "--no-sync"), root);
        run(List.of(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-l", dir.resolve("log").toString(), "-w",
                "-o", "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c max_connections=200 " + durability.settings, "start"),
                root);
        String admin = "jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=postgres";
        return new PostgresCluster(admin, "jdbc:postgresql://127.0.0.1:" + port + "/{db}?user=postgres", bin, dir, root, port);
    }

    /** A JDBC URL (with user) of a new, empty database. */
    public String newDatabase() {
        String name = "hp_" + ProcessHandle.current().pid() + "_" + COUNTER.incrementAndGet();
        try (Connection c = DriverManager.getConnection(adminUrl); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create test database " + name + ": " + e.getMessage(), e);
        }
        return baseUrl.replace("{db}", name);
    }

    /**
     * CPU time the cluster's processes (postmaster and its children: backends, WAL writer,
     * checkpointer…) have used so far, in seconds; NaN for a server this JVM did not start. What a
     * backend that has exited used is lost, so take differences over periods in which pooled
     * connections stay open.
     */
    public double cpuSeconds() {
        if (dir == null) {
            return Double.NaN;
        }
        long postmaster;
        try {
            postmaster = Long.parseLong(Files.readAllLines(dir.resolve("data").resolve("postmaster.pid")).get(0).trim());
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
        long ticks = 0;
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : (Iterable<Path>) procs::iterator) {
                String name = p.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                try {
                    String stat = Files.readString(p.resolve("stat"));
                    // Fields after the command name, which is in parentheses and may hold spaces.
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    long pid = Long.parseLong(name);
                    long ppid = Long.parseLong(f[1]);
                    if (pid == postmaster || ppid == postmaster) {
                        ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]);
                    }
                } catch (IOException | RuntimeException e) {
                    // The process ended while being read.
                }
            }
        } catch (IOException e) {
            return Double.NaN;
        }
        return ticks / 100.0;
    }

    /** Stops a cluster this JVM started and deletes its folder; nothing for a server given by URL. */
    @Override
    public void close() {
        if (dir == null) {
            return;
        }
        try {
            run(List.of(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-m", "fast", "-w", "stop"), asPostgres);
        } catch (IOException | InterruptedException e) {
            System.err.println("could not stop the throwaway PostgreSQL in " + dir + ": " + e.getMessage());
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.err.println("left " + dir + " behind: " + e.getMessage());
        }
    }

    @Override
    public String toString() {
        return dir == null ? "PostgreSQL at " + adminUrl : "PostgreSQL " + bin.getParent().getFileName() + " on 127.0.0.1:" + port;
    }

    private static Path findBin() throws IOException {
        Path root = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(root)) {
            try (Stream<Path> versions = Files.list(root)) {
                List<Path> bins = new ArrayList<>(versions.map(v -> v.resolve("bin")).filter(b -> Files.isExecutable(b.resolve("initdb"))).toList());
                bins.sort(Comparator.reverseOrder());
                if (!bins.isEmpty()) {
                    return bins.get(0);
                }
            }
        }
        throw new IOException("PostgreSQL binaries not found under /usr/lib/postgresql/*/bin (apt-get install -y postgresql),"
                + " and HOTPATCH_TEST_PG_URL is not set");
    }

    private static void run(List<String> cmd, boolean asPostgres) throws IOException, InterruptedException {
        List<String> full = new ArrayList<>();
        if (asPostgres) {
            full.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        full.addAll(cmd);
        Process p = new ProcessBuilder(full).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", full) + " did not finish in 60 s");
        }
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", full) + " failed: " + new String(out));
        }
    }
}
