package dev.hotpatch.server.testing;

/**
 * The test JVM's throwaway PostgreSQL; the implementation is shared with other modules' tests in
 * {@link dev.hotpatch.testkit.PostgresCluster}.
 */
public final class PostgresCluster {
    private final dev.hotpatch.testkit.PostgresCluster cluster;

    private PostgresCluster(dev.hotpatch.testkit.PostgresCluster cluster) {
        this.cluster = cluster;
    }

    /** The shared cluster, started on first use; null (see {@link #unavailableReason()}) when PostgreSQL cannot be had here. */
    public static synchronized PostgresCluster get() {
        dev.hotpatch.testkit.PostgresCluster c = dev.hotpatch.testkit.PostgresCluster.get();
        return c == null ? null : new PostgresCluster(c);
    }

    public static synchronized String unavailableReason() {
        return dev.hotpatch.testkit.PostgresCluster.unavailableReason();
    }

    /** A JDBC URL (with user) of a new, empty database. */
    public String newDatabase() {
        return cluster.newDatabase();
    }
}
