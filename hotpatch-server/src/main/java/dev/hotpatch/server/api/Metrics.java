package dev.hotpatch.server.api;

import dev.hotpatch.server.store.Database;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Prometheus text metrics: request counts and time per route of this replica (counters that
 * Prometheus sums over replicas), and fleet gauges read from the database at scrape time
 * (identical on every replica). Thread-safe.
 */
final class Metrics {
    private final Database db;
    private final Map<String, LongAdder> requests = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> micros = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> events = new ConcurrentHashMap<>();

    Metrics(Database db) {
        this.db = db;
    }

    void request(String method, String route, int status, long nanos) {
        String key = "method=\"" + method + "\",route=\"" + escape(route) + "\",status=\"" + status + "\"";
        requests.computeIfAbsent(key, k -> new LongAdder()).increment();
        micros.computeIfAbsent("method=\"" + method + "\",route=\"" + escape(route) + "\"", k -> new LongAdder()).add(nanos / 1000);
    }

    /** Counts a named event, e.g. {@code package_refused}. */
    void event(String name) {
        events.computeIfAbsent(name, k -> new LongAdder()).increment();
    }

    String scrape() {
        StringBuilder b = new StringBuilder();
        b.append("# HELP hotpatch_http_requests_total HTTP requests served by this replica.\n# TYPE hotpatch_http_requests_total counter\n");
        new TreeMap<>(requests).forEach((k, v) -> b.append("hotpatch_http_requests_total{").append(k).append("} ").append(v.sum()).append('\n'));
        b.append("# HELP hotpatch_http_request_seconds_total Time spent serving requests on this replica.\n# TYPE hotpatch_http_request_seconds_total counter\n");
        new TreeMap<>(micros).forEach((k, v) -> b.append("hotpatch_http_request_seconds_total{").append(k).append("} ")
                .append(v.sum() / 1_000_000.0).append('\n'));
        b.append("# HELP hotpatch_events_total Notable events on this replica.\n# TYPE hotpatch_events_total counter\n");
        new TreeMap<>(events).forEach((k, v) -> b.append("hotpatch_events_total{event=\"").append(escape(k)).append("\"} ").append(v.sum()).append('\n'));
        db.read(h -> {
            gauge(b, "hotpatch_machines", "Machines by hotpatch status.", "status",
                    h.createQuery("SELECT status AS k, COUNT(*) AS n FROM machines GROUP BY status").mapToMap().list());
            gauge(b, "hotpatch_machines_present", "Machines whose JVM was in their node's last check-in.", "present",
                    h.createQuery("SELECT CASE WHEN present THEN 'true' ELSE 'false' END AS k, COUNT(*) AS n FROM machines GROUP BY present").mapToMap().list());
            gauge(b, "hotpatch_missing_updates", "Missing updates over all machines, by kind.", "kind",
                    h.createQuery("SELECT 'critical' AS k, COALESCE(SUM(missing_critical), 0) AS n FROM machines"
                            + " UNION ALL SELECT 'security', COALESCE(SUM(missing_security), 0) FROM machines"
                            + " UNION ALL SELECT 'other', COALESCE(SUM(missing_other), 0) FROM machines").mapToMap().list());
            gauge(b, "hotpatch_machines_stale", "Machines waiting to be re-assessed after a catalog change.", null,
                    h.createQuery("SELECT 'all' AS k, COUNT(*) AS n FROM stale_machines").mapToMap().list());
            gauge(b, "hotpatch_commands", "Node commands by state.", "state",
                    h.createQuery("SELECT state AS k, COUNT(*) AS n FROM commands GROUP BY state").mapToMap().list());
            gauge(b, "hotpatch_operations", "Operations by state.", "state",
                    h.createQuery("SELECT state AS k, COUNT(*) AS n FROM operations GROUP BY state").mapToMap().list());
            gauge(b, "hotpatch_catalog_updates", "Published updates by kind.", "kind",
                    h.createQuery("SELECT kind AS k, COUNT(*) AS n FROM updates GROUP BY kind").mapToMap().list());
            gauge(b, "hotpatch_nodes", "Enrolled nodes that are not revoked.", null,
                    h.createQuery("SELECT 'all' AS k, COUNT(*) AS n FROM nodes WHERE revoked_at IS NULL").mapToMap().list());
            return null;
        });
        return b.toString();
    }

    private static void gauge(StringBuilder b, String name, String help, String label, java.util.List<Map<String, Object>> rows) {
        b.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(" gauge\n");
        for (Map<String, Object> r : rows) {
            b.append(name);
            if (label != null) {
                b.append('{').append(label).append("=\"").append(escape(String.valueOf(r.get("k")))).append("\"}");
            }
            b.append(' ').append(((Number) r.get("n")).longValue()).append('\n');
        }
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
