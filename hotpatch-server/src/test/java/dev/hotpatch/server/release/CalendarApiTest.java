package dev.hotpatch.server.release;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.server.testing.BothStores;
import dev.hotpatch.server.testing.Fixtures;
import dev.hotpatch.server.testing.Fixtures.Scene;
import dev.hotpatch.server.testing.TestServer;
import java.time.Instant;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

class CalendarApiTest {

    @BothStores
    void schedule_showsPlannedBaselinesHotpatchMonthsAndAnUnplannedBaselineInAHotpatchMonth(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        assertThat(scene.publishHotpatch("KB2026-0201", "1.0", "2026-02-10", scene.feesV1, scene.feesV2, List.of(), false).status()).isEqualTo(201);
        byte[] jar11 = Fixtures.jar(Fixtures.orderedMap("acme/Fees", scene.feesV3, "acme/Util", scene.util));
        TestServer.Response r = scene.publishBaseline("1.1", "unplanned", "2026-03-04", jar11, false);
        assertThat(r.status()).as(r.body()).isEqualTo(201);

        JsonNode sched = s.get("/api/v1/images/" + scene.imageId + "/schedule?year=2026", s.adminToken).json();
        assertThat(sched.get("baselineMonths").asText()).isEqualTo("Jan, Apr, Jul, Oct");
        assertThat(sched.at("/months/0/actual").asText()).isEqualTo("planned-baseline");
        assertThat(sched.at("/months/1/actual").asText()).isEqualTo("hotpatch");
        assertThat(sched.at("/months/2/planned").asText()).isEqualTo("hotpatch");
        assertThat(sched.at("/months/2/actual").asText()).isEqualTo("unplanned-baseline");
        assertThat(sched.at("/months/3/planned").asText()).isEqualTo("planned-baseline");
        assertThat(sched.get("currentBaselineId").asText()).isEqualTo(r.json().get("id").asText());
    }

    @BothStores
    void publish_enforcesTheCalendarRules_withClearConflicts(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        // A planned baseline outside the cadence.
        TestServer.Response r = scene.publishBaseline("1.1", "planned", "2026-02-03",
                Fixtures.jar(Map.of("acme/Fees", scene.feesV3)), false);
        assertThat(r.status()).isEqualTo(422);
        assertThat(r.json().get("error").asText()).isEqualTo("not-a-baseline-month");

        assertThat(scene.publishHotpatch("KB2026-0301", "1.0", "2026-02-10", scene.feesV1, scene.feesV2, List.of(), false).status()).isEqualTo(201);
        // A second release in February.
        r = scene.publishHotpatch("KB2026-0302", "1.0", "2026-02-20", scene.feesV1, scene.feesV3, List.of("KB2026-0301"), false);
        assertThat(r.status()).isEqualTo(409);
        assertThat(r.json().get("error").asText()).isEqualTo("month-taken");
        assertThat(r.json().get("hint").asText()).contains("override=true");
        r = scene.publishHotpatch("KB2026-0302", "1.0", "2026-02-20", scene.feesV1, scene.feesV3, List.of("KB2026-0301"), true);
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        assertThat(r.json().get("releaseOverride").asBoolean()).isTrue();

        // A new baseline starts a new cycle: hotpatches for the old one are refused.
        byte[] jar20 = Fixtures.jar(Fixtures.orderedMap("acme/Fees", scene.feesV3, "acme/Util", scene.util));
        assertThat(scene.publishBaseline("2.0", "planned", "2026-04-01", jar20, false).status()).isEqualTo(201);
        r = scene.publishHotpatch("KB2026-0303", "1.0", "2026-05-10", scene.feesV1, scene.feesV2, List.of(), false);
        assertThat(r.status()).isEqualTo(409);
        assertThat(r.json().get("error").asText()).isEqualTo("baseline-not-current");
        assertThat(r.json().get("message").asText()).contains("current baseline is 2.0");
        r = scene.publishHotpatch("KB2026-0304", "2.0", "2026-05-10", scene.feesV3, scene.feesV2, List.of(), false);
        assertThat(r.status()).as(r.body()).isEqualTo(201);
    }

    @BothStores
    void image_cadenceIsConfigurable(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        TestServer.Response r = s.patch("/api/v1/images/" + scene.imageId, s.adminToken, Map.of("cadenceMonths", 2, "cadenceAnchorMonth", 1));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode sched = s.get("/api/v1/images/" + scene.imageId + "/schedule?year=2026", s.adminToken).json();
        assertThat(sched.get("baselineMonths").asText()).isEqualTo("Jan, Mar, May, Jul, Sep, Nov");
        r = s.patch("/api/v1/images/" + scene.imageId, s.adminToken, Map.of("cadenceMonths", 5));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.json().get("error").asText()).isEqualTo("invalid-cadence");
    }

    /**
     * The README's fleet walkthrough on any day of the year: add an image, publish the build the
     * machines run today as its first baseline (no date: the server's today), publish a hotpatch
     * built today. Before the first-baseline rule this was refused in 8 of 12 months.
     */
    @BothStores
    void onboarding_firstBaselineAndItsHotpatch_areAcceptedInEveryMonth(TestServer s) throws Exception {
        Fixtures.trust(s);
        for (int month = 1; month <= 12; month++) {
            LocalDate today = LocalDate.of(2026, month, 17);
            s.clock.set(Instant.parse(today + "T09:30:00Z"));
            String sku = "m" + month;
            TestServer.Response img = s.post("/api/v1/images", s.adminToken, Map.of("publisher", "acme", "offer", "fees", "sku", sku,
                    "hotpatchSupported", true));
            assertThat(img.status()).as(img.body()).isEqualTo(201);
            byte[] v1 = Fixtures.cls("acme/Fees v1 " + month);
            Map<String, Object> parts = new LinkedHashMap<>();
            parts.put("version", "1.0");
            byte[] jar = Fixtures.jar(Map.of("acme/Fees", v1));
            parts.put("jar", new TestServer.FilePart("fees-1.0.jar", jar));
            parts.put("descriptor", new TestServer.FilePart("fees-1.0.release",
                    Fixtures.baselineDescriptor(Fixtures.trustedKey(), "acme/fees/" + sku, "1.0", "planned", Map.of("fees-1.0.jar", jar))));
            TestServer.Response bl = s.postMultipart("/api/v1/images/" + img.json().get("id").asText() + "/baselines", s.adminToken, parts);
            assertThat(bl.status()).as(today + ": first baseline " + bl.body()).isEqualTo(201);
            assertThat(bl.json().get("releasedOn").asText()).isEqualTo(today.toString());
            byte[] pkg = Fixtures.hotpatch(Fixtures.trustedKey(), "KB2026-" + (100 + month), "acme/fees/" + sku, "1.0",
                    s.clock.instant(), List.of(dev.hotpatch.format.ClassPatch.replace("acme/Fees", Fixtures.sha(v1),
                            Fixtures.cls("acme/Fees v2 " + month))), List.of());
            TestServer.Response hp = s.postMultipart("/api/v1/updates", s.adminToken,
                    Map.of("package", new TestServer.FilePart("KB.hotpatch", pkg)));
            assertThat(hp.status()).as(today + ": hotpatch in the month of the first baseline " + hp.body()).isEqualTo(201);
        }
    }
}
