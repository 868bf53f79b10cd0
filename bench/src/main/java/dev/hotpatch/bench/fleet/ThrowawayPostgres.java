package dev.hotpatch.bench.fleet;

import java.io.IOException;
import java.net.InetAddress;
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
import java.util.stream.Stream;

/**
 * A PostgreSQL cluster that lives as long as one benchmark: created with Debian's
 * {@code initdb} in a temporary folder, started on a free loopback port (as the {@code postgres}
 * user when running as root, since PostgreSQL refuses root), and removed by {@link #close()}.
 *
 * <p>Commits do not wait for the WAL flush ({@code synchronous_commit=off}, {@code fsync} stays
 * on), which is what the embedded SQLite store does too (WAL with {@code synchronous=NORMAL});
 * {@code durable} turns the flush wait back on. Not thread-safe.
 */
final class ThrowawayPostgres implements AutoCloseable {
    private final Path bin;
    private final Path dir;
    private final boolean asPostgres;
    private final int port;
    private int databases;

    private ThrowawayPostgres(Path bin, Path dir, boolean asPostgres, int port) {
        this.bin = bin;
        this.dir = dir;
        this.asPostgres = asPostgres;
        this.port = port;
    }

    /** Starts a cluster, or explains in the exception why PostgreSQL cannot be had here. */
    static ThrowawayPostgres start(boolean durable) throws IOException, InterruptedException {
        Path bin = findBin();
        boolean root = "root".equals(System.getProperty("user.name"));
        Path dir = Files.createTempDirectory("hotpatch-bench-pg-");
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        ThrowawayPostgres pg = new ThrowawayPostgres(bin, dir, root, port);
        if (root) {
            run(List.of("chown", "postgres:postgres", dir.toString()), false);
        }
        run(List.of(bin.resolve("initdb").toString(), "-D", pg.data(), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"), root);
        run(List.of(bin.resolve("pg_ctl").toString(), "-D", pg.data(), "-l", dir.resolve("log").toString(), "-w",
                "-o", "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c max_connections=100"
                        + (durable ? "" : " -c synchronous_commit=off"), "start"), root);
        return pg;
    }

    /** A JDBC URL (with user) of a new, empty database. */
    String newDatabase() {
        String name = "bench_" + (++databases);
        try (Connection c = DriverManager.getConnection(url("postgres")); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create database " + name + ": " + e.getMessage(), e);
        }
        return url(name);
    }

    /**
     * CPU time the cluster's processes (postmaster and its children: backends, WAL writer,
     * checkpointer…) have used so far, in seconds; what a backend that has exited used is lost, so
     * take differences over periods in which the pooled connections stay open.
     */
    double cpuSeconds() {
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

    private String url(String db) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + db + "?user=postgres";
    }

    private String data() {
        return dir.resolve("data").toString();
    }

    @Override
    public void close() {
        try {
            run(List.of(bin.resolve("pg_ctl").toString(), "-D", data(), "-m", "fast", "-w", "stop"), asPostgres);
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
        return "PostgreSQL " + bin.getParent().getFileName() + " on 127.0.0.1:" + port;
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
        throw new IOException("PostgreSQL binaries not found under /usr/lib/postgresql/*/bin (apt-get install -y postgresql)");
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
