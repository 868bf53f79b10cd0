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
 * A throwaway PostgreSQL cluster for the test JVM: started once on a free loopback port from
 * Debian's {@code postgresql} binaries (as the {@code postgres} user when the tests run as root),
 * stopped when the JVM exits. Each {@link #newDatabase()} is an empty database, so every server
 * under test starts from a clean schema. With {@code HOTPATCH_TEST_PG_URL} set (a superuser or
 * CREATEDB URL such as {@code jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres}) that server
 * is used instead. Thread-safe.
 */
public final class PostgresCluster {
    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static PostgresCluster instance;
    private static String unavailable;

    private final String adminUrl;
    private final String baseUrl;

    private PostgresCluster(String adminUrl, String baseUrl) {
        this.adminUrl = adminUrl;
        this.baseUrl = baseUrl;
    }

    /** The shared cluster, started on first use; null (see {@link #unavailableReason()}) when PostgreSQL cannot be had here. */
    public static synchronized PostgresCluster get() {
        if (instance == null && unavailable == null) {
            try {
                instance = start();
            } catch (Exception e) {
                unavailable = e.getMessage();
            }
        }
        return instance;
    }

    public static synchronized String unavailableReason() {
        return unavailable;
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

    private static PostgresCluster start() throws IOException, InterruptedException {
        String env = System.getenv("HOTPATCH_TEST_PG_URL");
        if (env != null && !env.isBlank()) {
            int q = env.indexOf('?');
            String query = q < 0 ? "" : env.substring(q);
            String prefix = env.substring(0, q < 0 ? env.length() : q);
            String base = prefix.substring(0, prefix.lastIndexOf('/') + 1) + "{db}" + query;
            return new PostgresCluster(env, base);
        }
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
                "-o", "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
                        + " -c full_page_writes=off -c max_connections=200", "start"), root);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                run(List.of(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-m", "immediate", "stop"), root);
            } catch (Exception ignored) {
                // The JVM is exiting; the temp folder is removed below either way.
            }
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException ignored) {
                // Left in the temp folder.
            }
        }, "stop-test-postgres"));
        String admin = "jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=postgres";
        return new PostgresCluster(admin, "jdbc:postgresql://127.0.0.1:" + port + "/{db}?user=postgres");
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
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", full) + " failed: " + new String(out));
        }
    }
}
