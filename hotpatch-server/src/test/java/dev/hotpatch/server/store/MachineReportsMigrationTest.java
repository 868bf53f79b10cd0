package dev.hotpatch.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.server.testing.Fixtures;
import dev.hotpatch.server.testing.TestServer;
import dev.hotpatch.testkit.PostgresCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Migration V21_1 moves each machine's report out of {@code machines} into {@code machine_reports}:
 * a store written by the schema before it keeps every report, byte for byte, and every index of
 * the machines table, and the server reads the machines from it.
 */
class MachineReportsMigrationTest {

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void reportsSurviveTheMoveOutOfTheMachineRow(String store, @TempDir Path dir) throws Exception {
        String url;
        String blobType;
        if (store.equals("sqlite")) {
            url = "jdbc:sqlite:" + dir.resolve("hotpatch.db") + "?foreign_keys=true";
            blobType = "BLOB";
        } else {
            PostgresCluster pg = PostgresCluster.get();
            assertThat(pg).as("PostgreSQL unavailable: %s", PostgresCluster.unavailableReason()).isNotNull();
            url = pg.newDatabase();
            blobType = "BYTEA";
        }
        Flyway.configure().dataSource(url, null, null).locations("classpath:db/migration").placeholders(Map.of("blob_type", blobType))
                .target("20.1").load().migrate();

        List<String> reports = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(url)) {
            c.createStatement().execute("INSERT INTO nodes (id, hostname, version, credential_hash, enrolled_at, enrolled_with, last_seen_at)"
                    + " VALUES ('n1', 'host-1', '0.1.0', '" + "0".repeat(64) + "', 1, 'tok', 1000)");
            PreparedStatement ins = c.prepareStatement("INSERT INTO machines (id, name, node_id, first_seen_at, last_seen_at, present, report,"
                    + " code_digest, status, missing_total, missing_critical, missing_security, missing_other, missing_updates)"
                    + " VALUES (?, ?, 'n1', 1, 1000, TRUE, ?, ?, 'PendingEvaluation', 0, 0, 0, 0, '[]')");
            for (int i = 1; i <= 3; i++) {
                String report = TestServer.JSON.writeValueAsString(
                        Fixtures.machine("billing-" + i, ("jar " + i).getBytes(), List.of(), Map.of("region", "eu-" + i, "group", "g")));
                reports.add(report);
                ins.setString(1, "m" + i);
                ins.setString(2, "billing-" + i);
                ins.setString(3, report);
                ins.setString(4, String.valueOf(i).repeat(64));
                ins.executeUpdate();
            }
        }
        TreeSet<String> indexesBefore = indexes(url, store);
        assertThat(indexesBefore).contains("machines_node_check_in", "machines_image_fingerprint");

        try (TestServer s = new TestServer(store, url, Files.createDirectories(dir.resolve("trust")))) {
            for (int i = 1; i <= 3; i++) {
                List<Map<String, Object>> rows = s.query("SELECT report FROM machine_reports WHERE machine_id = 'm" + i + "'");
                assertThat(rows).hasSize(1);
                assertThat(rows.get(0).get("report")).isEqualTo(reports.get(i - 1));
                JsonNode m = s.get("/api/v1/machines/billing-" + i, s.adminToken).json();
                assertThat(m.at("/jvm/version").asText()).isEqualTo("17.0.12");
                assertThat(m.at("/config/region").asText()).isEqualTo("eu-" + i);
            }
            assertThat(s.query("SELECT * FROM machines WHERE id = 'm1'").get(0)).containsKey("code_digest").doesNotContainKey("report");
            assertThat(indexes(url, store)).isEqualTo(indexesBefore);
        }
    }

    private static TreeSet<String> indexes(String url, String store) throws Exception {
        String sql = store.equals("sqlite") ? "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'machines'"
                : "SELECT indexname FROM pg_indexes WHERE tablename = 'machines'";
        TreeSet<String> out = new TreeSet<>();
        try (Connection c = DriverManager.getConnection(url); ResultSet rs = c.createStatement().executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }
}
