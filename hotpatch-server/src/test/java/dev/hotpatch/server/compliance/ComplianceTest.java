package dev.hotpatch.server.compliance;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.server.testing.BothStores;
import dev.hotpatch.server.testing.Fixtures;
import dev.hotpatch.server.testing.Fixtures.Node;
import dev.hotpatch.server.testing.Fixtures.Scene;
import dev.hotpatch.server.testing.TestServer;
import java.time.Instant;
import java.util.List;

class ComplianceTest {
    private static final String KB = "KB2026-0001";
    private static final String CVE = "CVE-2026-1234";

    @BothStores
    void compliance_countsFixedInMemoryOnDiskAndExposed_withExposureWindows_andTheBaselineRestartOwed(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        assertThat(scene.publishHotpatch(KB, "1.0", "2026-02-10", scene.feesV1, scene.feesV2, List.of(), false).status()).isEqualTo(201);
        Node node = Node.enroll(s, "host-1");
        s.clock.set(Instant.parse("2026-02-12T12:00:00Z"));
        node.checkIn(Fixtures.machine("m1", scene.jar10, List.of(Fixtures.installed(KB, "acme/Fees", scene.feesV2,
                Instant.parse("2026-02-11T12:00:00Z"))), null), Fixtures.machine("m2", scene.jar10, List.of(), null));

        JsonNode u = s.get("/api/v1/compliance/updates", s.adminToken).json();
        assertThat(u.get("total").asInt()).isEqualTo(1);
        JsonNode kb = u.at("/items/0");
        assertThat(kb.get("kbId").asText()).isEqualTo(KB);
        assertThat(kb.get("memory").asInt()).isEqualTo(1);
        assertThat(kb.get("exposed").asInt()).isEqualTo(1);
        assertThat(kb.at("/exposure/p50Seconds").asLong()).isEqualTo(86_400);
        assertThat(kb.at("/exposure/open").asInt()).isEqualTo(1);
        assertThat(kb.at("/exposure/longestOpenSeconds").asLong()).isEqualTo(2 * 86_400);
        // Fixed only in memory and no newer baseline yet: it owes the next planned baseline (April, the image being quarterly from January).
        JsonNode m1 = s.get("/api/v1/compliance/updates/" + KB + "/machines?state=memory", s.adminToken).json().at("/items/0");
        assertThat(m1.get("machine").asText()).isEqualTo("m1");
        assertThat(m1.get("fixedBy").asText()).isEqualTo(KB);
        assertThat(m1.at("/owedRestart/expectedMonth").asText()).isEqualTo("2026-04");
        assertThat(m1.at("/owedRestart/dueBy").asText()).isEqualTo("2026-05-01T00:00:00Z");
        assertThat(m1.at("/owedRestart/baselineId").isNull()).isTrue();

        // April's baseline includes the fix; m3 runs it from April 7th.
        byte[] jar11 = Fixtures.jar(Fixtures.orderedMap("acme/Fees", scene.feesV2, "acme/Util", scene.util));
        TestServer.Response b = scene.publishBaseline("1.1", "planned", "2026-04-06", jar11, false);
        assertThat(b.status()).as(b.body()).isEqualTo(201);
        s.clock.set(Instant.parse("2026-04-07T12:00:00Z"));
        node.checkInAll(List.of(Fixtures.machine("m1", scene.jar10, List.of(Fixtures.installed(KB, "acme/Fees", scene.feesV2,
                Instant.parse("2026-02-11T12:00:00Z"))), null), Fixtures.machine("m2", scene.jar10, List.of(), null),
                Fixtures.machine("m3", jar11, List.of(), null)));

        kb = s.get("/api/v1/compliance/updates?image=acme:fees:1.x", s.adminToken).json().at("/items/0");
        assertThat(kb.get("machines").asInt()).isEqualTo(3);
        assertThat(kb.get("memory").asInt()).isEqualTo(1);
        assertThat(kb.get("disk").asInt()).isEqualTo(1);
        assertThat(kb.get("exposed").asInt()).isEqualTo(1);
        assertThat(kb.at("/exposure/closed").asInt()).isEqualTo(2);
        assertThat(kb.at("/exposure/p50Seconds").asLong()).isEqualTo(86_400);
        assertThat(kb.at("/exposure/maxSeconds").asLong()).isEqualTo(56 * 86_400); // Feb 10 12:00 → Apr 7 12:00
        m1 = s.get("/api/v1/compliance/updates/" + KB + "/machines?state=memory", s.adminToken).json().at("/items/0");
        assertThat(m1.at("/owedRestart/version").asText()).isEqualTo("1.1");
        assertThat(m1.at("/owedRestart/dueBy").asText()).as("its next window: 01:00 in Paris").isEqualTo("2026-04-07T23:00:00Z");
        assertThat(m1.at("/owedRestart/note").asText()).contains("its patch mode is Manual");
        JsonNode m3 = s.get("/api/v1/compliance/updates/" + KB + "/machines?state=disk", s.adminToken).json().at("/items/0");
        assertThat(m3.get("fixedBy").asText()).isEqualTo("acme/fees/1.x 1.1");
        assertThat(m3.get("fixedAt").asText()).isEqualTo("2026-04-07T12:00:00Z");

        JsonNode cves = s.get("/api/v1/compliance/cves", s.adminToken).json();
        assertThat(cves.get("total").asInt()).isEqualTo(1);
        JsonNode c = cves.at("/items/0");
        assertThat(c.get("cve").asText()).isEqualTo(CVE);
        assertThat(c.get("fixes")).extracting(JsonNode::asText).containsExactly(KB);
        assertThat(c.get("memory").asInt() + c.get("disk").asInt() + c.get("exposed").asInt()).isEqualTo(3);
        assertThat(c.get("exposed").asInt()).isEqualTo(1);
        JsonNode exposed = s.get("/api/v1/compliance/cves/" + CVE + "/machines?state=exposed", s.adminToken).json();
        assertThat(exposed.get("total").asInt()).isEqualTo(1);
        assertThat(exposed.at("/items/0/machine").asText()).isEqualTo("m2");
        assertThat(exposed.at("/items/0/open").asBoolean()).isTrue();
        assertThat(exposed.at("/exposure/open").asInt()).isEqualTo(1);
        // Paging.
        JsonNode page = s.get("/api/v1/compliance/updates/" + KB + "/machines?limit=2&offset=2", s.adminToken).json();
        assertThat(page.get("total").asInt()).isEqualTo(3);
        assertThat(page.get("items")).hasSize(1);
        assertThat(s.get("/api/v1/compliance/cves/CVE-1999-0001/machines", s.adminToken).status()).isEqualTo(404);
        assertThat(s.get("/api/v1/compliance/updates/" + KB + "/machines?state=lost", s.adminToken).status()).isEqualTo(400);
    }
}
