package dev.hotpatch.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hotpatch.format.Sha256;
import dev.hotpatch.node.inventory.MachineInventory;
import dev.hotpatch.node.server.ServerClient;
import dev.hotpatch.server.HotpatchServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node's side of the check-in's report digests, against the real server: an unchanged machine
 * travels as its digest and health, a changed one in full, a server that asks for the full report
 * gets it at the next check-in, and a server without digests is only ever sent full reports.
 */
class ReportDigestsTest {
    @TempDir
    Path dir;

    /** A real server on {@code dir/server} (SQLite), on {@code port} (0: any). */
    private HotpatchServer server(int port) {
        return HotpatchServer.builder().port(port).dataDir(dir.resolve("server")).maintenanceInterval(Duration.ZERO)
                .out(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).build().start();
    }

    private static String enrollmentToken(HotpatchServer server) throws Exception {
        String admin = Files.readString(server.adminTokenFile()).trim();
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(server.url()).resolve("api/v1/enrollment-tokens"))
                .header("Authorization", "Bearer " + admin).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return new ObjectMapper().readTree(r.body()).get("token").asText();
    }

    @Test
    void checkIn_sendsAnUnchangedMachineAsItsDigest_andInFullWhenItChangesOrTheServerAsks() throws Exception {
        HotpatchServer server = server(0);
        int port = server.port();
        try (ServerTap tap = new ServerTap(URI.create(server.url()))) {
            ServerClient client = new ServerClient(tap.url());
            client.useCredential(client.enroll(enrollmentToken(server), "host-1", "0.2.0").credential());
            String jar = Sha256.hex("fees.jar".getBytes(StandardCharsets.UTF_8));

            ServerClient.CheckIn first = client.checkIn("host-1", "0.2.0", List.of(machine(jar, 100, 1)));
            assertThat(first.sendFull()).isEmpty();
            assertThat(last(tap).path("machines")).hasSize(1);
            assertThat(last(tap).path("digests").path("app-1").asText()).hasSize(64);

            client.checkIn("host-1", "0.2.0", List.of(machine(jar, 100, 2)));
            assertThat(last(tap).path("machines")).isEmpty();
            assertThat(last(tap).at("/unchanged/0/name").asText()).isEqualTo("app-1");
            assertThat(last(tap).at("/unchanged/0/health/samples").asLong()).isEqualTo(2);
            assertThat(row("SELECT s.health_samples FROM machine_signals s JOIN machines m ON m.id = s.machine_id")).isEqualTo("2");
            assertThat(row("SELECT report FROM machine_reports")).contains("\"samples\":1");

            // The JVM restarted: another pid is another report.
            client.checkIn("host-1", "0.2.0", List.of(machine(jar, 101, 0)));
            assertThat(last(tap).at("/machines/0/pid").asLong()).isEqualTo(101);

            // The server keeps what it holds across a restart.
            server.stop();
            server = server(port);
            client.checkIn("host-1", "0.2.0", List.of(machine(jar, 101, 1)));
            assertThat(last(tap).path("unchanged")).hasSize(1);
            assertThat(row("SELECT s.health_samples FROM machine_signals s JOIN machines m ON m.id = s.machine_id")).isEqualTo("1");

            // A server that no longer holds that report asks for it, and gets it at the next check-in.
            sql("UPDATE machines SET report_digest = NULL");
            ServerClient.CheckIn asked = client.checkIn("host-1", "0.2.0", List.of(machine(jar, 101, 2)));
            assertThat(asked.sendFull()).containsExactly("app-1");
            client.checkIn("host-1", "0.2.0", List.of(machine(jar, 101, 3)));
            assertThat(last(tap).path("machines")).hasSize(1);
            assertThat(row("SELECT report_digest FROM machines")).hasSize(64);
            client.checkIn("host-1", "0.2.0", List.of(machine(jar, 101, 4)));
            assertThat(last(tap).path("unchanged")).hasSize(1);
        } finally {
            server.stop();
        }
    }

    @Test
    void serverWithoutDigests_isOnlyEverSentFullReports() throws Exception {
        HotpatchServer server = server(0);
        try (ServerTap tap = new ServerTap(URI.create(server.url()))) {
            tap.playServerWithoutDigests();
            ServerClient client = new ServerClient(tap.url());
            client.useCredential(client.enroll(enrollmentToken(server), "host-1", "0.2.0").credential());
            String jar = Sha256.hex("fees.jar".getBytes(StandardCharsets.UTF_8));
            for (int i = 1; i <= 3; i++) {
                ServerClient.CheckIn in = client.checkIn("host-1", "0.2.0", List.of(machine(jar, 100, i)));
                assertThat(in.sendFull()).isEmpty();
                assertThat(last(tap).path("machines")).hasSize(1);
                assertThat(last(tap).path("unchanged")).isEmpty();
            }
            assertThat(row("SELECT report FROM machine_reports")).contains("\"samples\":3");
        } finally {
            server.stop();
        }
    }

    private static MachineInventory machine(String jarSha, long pid, long samples) {
        Map<String, String> tags = new LinkedHashMap<>();
        tags.put("team", "billing");
        tags.put("app", "fees");
        return new MachineInventory("app-1", pid, new MachineInventory.Jvm("Eclipse Adoptium", "17.0.12", "OpenJDK"),
                new MachineInventory.Agent(true, "0.1.0", "enrolled", true), null, List.of(new MachineInventory.Hash("fees.jar", jarSha)),
                List.of(), List.of(), List.of(), new MachineInventory.Config("Europe/Paris", null, null, null, null, "Manual", null, null,
                null, tags, null), Instant.parse("2026-01-15T09:00:00Z").plusSeconds(pid), "Enabled", "", "config", "none", List.of(),
                new MachineInventory.Health("passing", Instant.parse("2026-01-15T10:00:00Z").plusSeconds(samples), null, samples, 0L),
                null, null);
    }

    private static JsonNode last(ServerTap tap) {
        List<JsonNode> all = tap.checkIns();
        return all.get(all.size() - 1);
    }

    private String row(String query) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("server/hotpatch.db"));
             Statement st = c.createStatement(); ResultSet rs = st.executeQuery(query)) {
            assertThat(rs.next()).as(query).isTrue();
            return rs.getString(1);
        }
    }

    private void sql(String statement) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("server/hotpatch.db") + "?busy_timeout=30000");
             Statement st = c.createStatement()) {
            st.executeUpdate(statement);
        }
    }
}
