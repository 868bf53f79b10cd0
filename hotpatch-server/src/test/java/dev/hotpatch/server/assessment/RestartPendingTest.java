package dev.hotpatch.server.assessment;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.server.testing.BothStores;
import dev.hotpatch.server.testing.Fixtures;
import dev.hotpatch.server.testing.Fixtures.Node;
import dev.hotpatch.server.testing.Fixtures.Scene;
import dev.hotpatch.server.testing.TestServer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A machine whose JVM does not run the code on its disk (restart pending) is offered no hotpatch until it restarts. */
class RestartPendingTest {

    @BothStores
    void restartPending_makesTheMachineActionRequired_andOffersNoHotpatch_untilTheJvmRunsTheNewCode(TestServer s) throws Exception {
        Scene scene = new Scene(s);
        assertThat(scene.publishHotpatch("KB2026-0001", "1.0", "2026-02-10", scene.feesV1, scene.feesV2, List.of(), false).status())
                .isEqualTo(201);
        Node node = Node.enroll(s, "host-1");
        Map<String, Object> report = Fixtures.machine("billing-1", scene.jar10, List.of(), null);
        node.checkIn(report);
        assertThat(s.get("/api/v1/machines/billing-1/assessment", s.adminToken).json().get("status").asText()).isEqualTo("Enabled");

        Map<String, Object> pending = new LinkedHashMap<>(report);
        pending.put("restartPending", Map.of("since", "2026-01-15T09:00:00Z",
                "reason", "/srv/app/lib/fees.jar changed on disk after the JVM loaded it; hotpatches for it are refused until restart"));
        node.checkIn(pending);

        JsonNode a = s.get("/api/v1/machines/billing-1/assessment", s.adminToken).json();
        assertThat(a.get("status").asText()).isEqualTo("ActionRequired");
        assertThat(a.get("statusReason").asText()).startsWith("restart pending").contains("fees.jar changed on disk");
        assertThat(a.get("updates").findValuesAsText("kind")).doesNotContain("hotpatch");
        JsonNode op = s.post("/api/v1/machines/billing-1/install", s.adminToken, Map.of()).json();
        assertThat(op.get("items")).isEmpty();
        assertThat(Node.commands(node.checkIn(pending))).isEmpty();

        node.checkIn(report);
        JsonNode after = s.get("/api/v1/machines/billing-1/assessment", s.adminToken).json();
        assertThat(after.get("status").asText()).isEqualTo("Enabled");
        assertThat(after.at("/updates/0/kbId").asText()).isEqualTo("KB2026-0001");
    }
}
