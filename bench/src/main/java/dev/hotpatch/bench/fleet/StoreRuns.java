package dev.hotpatch.bench.fleet;

import dev.hotpatch.testkit.PostgresCluster;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * The frame every fleet benchmark shares: a header with the options and the machine, then one run
 * per store that {@code --store} names. PostgreSQL is a throwaway cluster started when first needed
 * ({@code --pg-durable} chooses fsync'd commits), stopped at the end or when the benchmark is
 * interrupted; one that cannot start is reported and its store left out.
 */
final class StoreRuns {
    /** One benchmark's run on one store ({@code pg} is null for SQLite); returns its table rows. */
    interface Run {
        List<String> on(FleetServer.Store store, PostgresCluster pg) throws Exception;
    }

    private StoreRuns() {
    }

    /** Prints the header line {@code # title (options)} and the machine, runs {@code run} on each store, returns all rows. */
    static List<String> each(String title, Options o, PrintStream out, Run run) throws Exception {
        out.println("# " + title + " (" + o.summary() + ")");
        out.println("# " + Environment.describe() + "; load average at start " + Environment.loadAverage());
        List<String> rows = new ArrayList<>();
        PostgresCluster pg = null;
        Thread stopPg = null;
        try {
            for (FleetServer.Store store : o.stores()) {
                if (store == FleetServer.Store.POSTGRESQL && pg == null) {
                    try {
                        pg = PostgresCluster.start(o.flag("pg-durable") ? PostgresCluster.Durability.FULL : PostgresCluster.Durability.ASYNC_COMMIT);
                    } catch (Exception e) {
                        out.println("PostgreSQL skipped: " + e.getMessage());
                        continue;
                    }
                    stopPg = new Thread(pg::close, "stop-postgres");
                    Runtime.getRuntime().addShutdownHook(stopPg);
                }
                rows.addAll(run.on(store, store == FleetServer.Store.POSTGRESQL ? pg : null));
            }
        } finally {
            if (pg != null) {
                Runtime.getRuntime().removeShutdownHook(stopPg);
                pg.close();
            }
        }
        return rows;
    }
}
