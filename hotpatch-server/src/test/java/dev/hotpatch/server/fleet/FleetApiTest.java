package dev.hotpatch.server.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.server.testing.BothStores;
import dev.hotpatch.server.testing.Fixtures;
import dev.hotpatch.server.testing.Fixtures.Scene;
import dev.hotpatch.server.testing.SimFleet;
import dev.hotpatch.server.testing.TestServer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The fleet search, counts and audit routes behind the console, on both stores, checked against
 * the machine list and history the older routes answer (a second reading of the same data).
 */
public class FleetApiTest {
    private static final String KB = "KB2026-0001";

    /** Twelve machines on the scene's baseline over two regions, two zones and two teams; one turns hotpatch off; two run a custom jar. */
    public static SimFleet fleet(TestServer s, Scene scene) throws Exception {
        TestServer.Response kb = scene.publishHotpatch(KB, "1.0", "2026-02-10", scene.feesV1, scene.feesV2, List.of(), false);
        assertThat(kb.status()).as(kb.body()).isEqualTo(201);
        SimFleet fleet = new SimFleet(s);
        Map<String, Map<String, Object>> machines = new LinkedHashMap<>();
        for (int i = 0; i < 12; i++) {
            Map<String, Object> c = SimFleet.config(i % 3 == 0 ? "us-east" : "eu-west", String.valueOf(1 + i % 2), "web", i % 3, "web", "Manual",
                    "Europe/Paris", Map.of("team", i < 6 ? "payments" : "search"));
            if (i == 5) {
                c.put("hotpatch", false);
            }
            machines.put(String.format("web-%02d", i), c);
        }
        fleet.machines(scene.jar10, machines);
        byte[] custom = Fixtures.jar(Fixtures.orderedMap("acme/Fees", Fixtures.cls("acme/Fees patched by hand"), "acme/Util", scene.util));
        fleet.node("host-custom", custom, List.of(SimFleet.config("eu-west", "1", null, null, null, "Manual", "UTC", Map.of("team", "search")),
                SimFleet.config("eu-west", "2", null, null, null, "Manual", "UTC", Map.of())), "custom-1", "custom-2");
        fleet.checkInAll();
        return fleet;
    }

    @BothStores
    void summary_countsTheSelectionAsTheMachineListDoes_byStatusMissingAndBaseline(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        try (SimFleet fleet = fleet(s, scene)) {
            List<JsonNode> all = list(s, "");
            assertThat(all).hasSize(14);
            JsonNode sum = get(s, "/api/v1/fleet/summary");
            assertThat(sum.get("total").asInt()).isEqualTo(14);
            assertThat(sum.get("present").asInt()).isEqualTo(14);
            for (String status : List.of("Enabled", "ActionRequired", "PendingEvaluation", "Disabled", "NotSupported")) {
                assertThat(sum.at("/byStatus/" + status).asInt()).as(status).isEqualTo(list(s, "?status=" + status).size());
            }
            assertThat(sum.at("/byStatus/Enabled").asInt()).isEqualTo(11);
            assertThat(sum.at("/byStatus/Disabled").asInt()).isEqualTo(1);
            assertThat(sum.at("/byStatus/NotSupported").asInt()).isEqualTo(2);
            assertThat(sum.at("/byMissing/security").asInt()).isEqualTo((int) all.stream().filter(m -> m.at("/missing/security").asInt() > 0).count())
                    .isEqualTo(11);
            assertThat(sum.at("/byMissing/critical").asInt()).isZero();
            assertThat(sum.at("/byMissing/none").asInt()).isEqualTo(3);
            Map<String, Integer> byBaseline = new LinkedHashMap<>();
            sum.get("byBaseline").forEach(b -> byBaseline.put(b.get("image").asText() + " " + b.get("baselineVersion").asText(), b.get("machines").asInt()));
            assertThat(byBaseline).containsEntry("acme/fees/1.x 1.0", 12).containsEntry("null null", 2);
            assertThat(sum.at("/facets/regions").toString()).isEqualTo("[\"eu-west\",\"us-east\"]");
            assertThat(sum.at("/facets/zones").toString()).isEqualTo("[\"1\",\"2\"]");
            assertThat(sum.at("/facets/tags").toString()).isEqualTo("[\"team=payments\",\"team=search\"]");

            // The same filters narrow the counts and the pages alike.
            JsonNode us = get(s, "/api/v1/fleet/summary?region=us-east");
            assertThat(us.get("total").asInt()).isEqualTo(list(s, "?region=us-east").size()).isEqualTo(4);
            assertThat(get(s, "/api/v1/fleet/summary?tag=team%3Dsearch&zone=1").get("total").asInt()).isEqualTo(4);
            assertThat(get(s, "/api/v1/fleet/summary?missing=none&status=NotSupported").get("total").asInt()).isEqualTo(2);

            // Machines recorded before the placement index existed are indexed by the first query.
            s.sql("DELETE FROM machine_tags");
            s.sql("DELETE FROM machine_placement");
            assertThat(get(s, "/api/v1/fleet/summary?tag=team%3Dsearch&zone=1").get("total").asInt()).isEqualTo(4);
            assertThat(get(s, "/api/v1/fleet/summary?region=us-east").get("total").asInt()).isEqualTo(4);
        }
    }

    @BothStores
    void machines_arePagedByNameOnTheServer_filteredByEveryField_andFollowAMachineThatMoves(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        try (SimFleet fleet = fleet(s, scene)) {
            List<String> names = list(s, "").stream().map(m -> m.get("name").asText()).toList();
            List<String> paged = new ArrayList<>();
            for (int off = 0; off < 14; off += 5) {
                JsonNode page = get(s, "/api/v1/fleet/machines?limit=5&offset=" + off);
                assertThat(page.get("total").asInt()).isEqualTo(14);
                assertThat(page.get("limit").asInt()).isEqualTo(5);
                page.get("items").forEach(m -> paged.add(m.get("name").asText()));
            }
            assertThat(paged).isEqualTo(names);

            JsonNode row = get(s, "/api/v1/fleet/machines?q=WEB-05").at("/items/0");
            assertThat(row.get("name").asText()).isEqualTo("web-05");
            assertThat(row.get("status").asText()).isEqualTo("Disabled");
            assertThat(row.get("image").asText()).isEqualTo("acme/fees/1.x");
            assertThat(row.get("baselineVersion").asText()).isEqualTo("1.0");
            assertThat(row.get("region").asText()).isEqualTo("eu-west");
            assertThat(row.get("zone").asText()).isEqualTo("2");
            assertThat(row.at("/tags/team").asText()).isEqualTo("payments");
            assertThat(names(s, "?image=acme/fees/1.x&status=Enabled&tag=team%3Dpayments"))
                    .containsExactly("web-00", "web-01", "web-02", "web-03", "web-04");
            assertThat(names(s, "?image=acme:fees:1.x&tag=team")).hasSize(12);
            assertThat(names(s, "?missing=security&region=us-east")).containsExactly("web-00", "web-03", "web-06", "web-09");
            assertThat(names(s, "?status=notsupported")).containsExactly("custom-1", "custom-2");

            // A machine reported in another region is found there at the next query.
            fleet.machine("web-01").config.put("region", "ap-south");
            fleet.checkInNamed(List.of("web-01"));
            assertThat(names(s, "?region=ap-south")).containsExactly("web-01");
            assertThat(names(s, "?region=eu-west")).doesNotContain("web-01");
            // One that stops is not running.
            fleet.machine("custom-2").present = false;
            fleet.checkInAll();
            assertThat(names(s, "?present=false")).containsExactly("custom-2");
        }
    }

    @BothStores
    void badFilters_areRefusedWithTheFix(TestServer s) {
        assertError(s.get("/api/v1/fleet/machines?status=Green", s.adminToken), 400, "invalid-status", "Enabled, ActionRequired");
        assertError(s.get("/api/v1/fleet/machines?limit=0", s.adminToken), 400, "invalid-limit", "1 to 1000");
        assertError(s.get("/api/v1/fleet/summary?missing=lots", s.adminToken), 400, "invalid-missing", "critical, security");
        assertError(s.get("/api/v1/fleet/summary?present=maybe", s.adminToken), 400, "invalid-present", "true|false");
        assertError(s.get("/api/v1/fleet/history?from=yesterday", s.adminToken), 400, "invalid-from", "YYYY-MM-DD");
        assertError(s.get("/api/v1/fleet/history?days=0", s.adminToken), 400, "invalid-days", "1 to 3660");
    }

    @BothStores
    void history_filtersTheFleetsEntries_andPagesThemNewestFirst(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        try (SimFleet fleet = fleet(s, scene)) {
            for (String m : List.of("web-00", "web-01", "web-02")) {
                assertThat(s.post("/api/v1/machines/" + m + "/install", s.adminToken, Map.of()).status()).isEqualTo(202);
                s.clock.advance(java.time.Duration.ofMinutes(1));
            }
            fleet.checkInNamed(List.of("web-00", "web-01", "web-02"));
            List<JsonNode> older = new ArrayList<>();
            s.get("/api/v1/history?action=install&days=3650", s.adminToken).json().forEach(older::add);
            JsonNode page = get(s, "/api/v1/fleet/history?action=install&days=3650&limit=4");
            assertThat(page.get("total").asInt()).isEqualTo(older.size()).isEqualTo(6);
            assertThat(page.get("items")).extracting(e -> e.get("id").asText())
                    .containsExactlyElementsOf(older.subList(0, 4).stream().map(e -> e.get("id").asText()).toList());
            JsonNode rest = get(s, "/api/v1/fleet/history?action=install&days=3650&limit=4&offset=4");
            assertThat(rest.get("items")).hasSize(2);
            JsonNode done = get(s, "/api/v1/fleet/history?action=install&outcome=succeeded&machine=web-01&actor=ADMIN&kb=" + KB);
            assertThat(done.get("total").asInt()).isEqualTo(1);
            assertThat(done.at("/items/0/machineName").asText()).isEqualTo("web-01");
            assertThat(get(s, "/api/v1/fleet/history?action=install&to=2026-01-01").get("total").asInt()).isZero();
        }
    }

    private static void assertError(TestServer.Response r, int status, String code, String hint) {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        assertThat(r.json().get("error").asText()).isEqualTo(code);
        assertThat(r.json().get("hint").asText()).contains(hint);
    }

    static JsonNode get(TestServer s, String path) {
        TestServer.Response r = s.get(path, s.adminToken);
        assertThat(r.status()).as(path + ": " + r.body()).isEqualTo(200);
        return r.json();
    }

    private static List<JsonNode> list(TestServer s, String query) {
        List<JsonNode> out = new ArrayList<>();
        get(s, "/api/v1/machines" + query).forEach(out::add);
        return out;
    }

    private static List<String> names(TestServer s, String query) {
        List<String> out = new ArrayList<>();
        get(s, "/api/v1/fleet/machines" + query).get("items").forEach(m -> out.add(m.get("name").asText()));
        return out;
    }
}
