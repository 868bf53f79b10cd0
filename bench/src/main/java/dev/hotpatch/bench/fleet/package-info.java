/**
 * Fleet control-plane benchmarks (issue 3, "Performance"): a simulated-node load tool that runs
 * the real {@code HotpatchServer} in this JVM and drives it through its REST API with many
 * lightweight node clients. Main classes, run by hand; nothing here passes or fails on time.
 *
 * <pre>
 * mvn -o -q -pl bench -am package -DskipTests
 * java -cp bench/target/hotpatch-bench.jar dev.hotpatch.bench.fleet.CheckInThroughput       # ~5 min
 * java -cp bench/target/hotpatch-bench.jar dev.hotpatch.bench.fleet.FleetScale              # ~40 min
 * java -cp bench/target/hotpatch-bench.jar dev.hotpatch.bench.fleet.AssessmentAfterPublish  # ~5 min
 * java -cp bench/target/hotpatch-bench.jar dev.hotpatch.bench.fleet.RolloutOverhead         # ~20 min
 * </pre>
 *
 * <ul>
 *   <li>{@link dev.hotpatch.bench.fleet.CheckInThroughput}: check-ins per second of 50 nodes × 4
 *       machines (300 class hashes each), in full and by report digest, against {@code GET
 *       /healthz} and {@code GET /api/v1/whoami} in the same run; goal: digest check-ins/s ≥ 0.5 ×
 *       {@code /healthz}. {@code --report-classes=false --machines=1} gives the lightest full check-in.</li>
 *   <li>{@link dev.hotpatch.bench.fleet.FleetScale}: server processes (one on SQLite, two on one
 *       PostgreSQL) holding 25,000, 50,000 and 75,000 simulated machines checking in at the default
 *       interval: check-in latency, the servers' CPU and memory, and re-assessment of the whole
 *       fleet after a publish.</li>
 *   <li>{@link dev.hotpatch.bench.fleet.AssessmentAfterPublish}: 10,000 machines registered by
 *       check-in, a hotpatch published, time until every machine is re-assessed.</li>
 *   <li>{@link dev.hotpatch.bench.fleet.RolloutOverhead}: 10,000 machines patched by an automatic
 *       availability-first rollout on a compressed clock; the overhead over the policy's own waits
 *       (soaks, maintenance windows), goal ≤ 1%.</li>
 * </ul>
 *
 * All take {@code --store=sqlite|postgresql|all} (default all; PostgreSQL is a throwaway cluster
 * from Debian's binaries, {@code dev.hotpatch.testkit.PostgresCluster}, removed at the end) and print
 * every option with its value in the first line. Figures go with wall time and CPU time: the
 * machine is shared, and CPU time per unit of work moves much less with other processes' load.
 */
package dev.hotpatch.bench.fleet;
