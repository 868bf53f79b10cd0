package dev.hotpatch.server.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.server.testing.BothStores;
import dev.hotpatch.server.testing.SimFleet;
import dev.hotpatch.server.testing.TestServer;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * One rollout over 1,008 simulated nodes (one machine each) in two regions, two zones each, two
 * availability sets of 100 and a loose group of 52 per zone: the plan keeps every rule, the
 * waves run one after the other (none starts before the last one ended), and every machine is
 * patched exactly once.
 */
class FleetScaleTest {
    private static final String KB = "KB2026-0001";

    @BothStores
    void aThousandMachines_inOneRollout_followTheAvailabilityRules_andArePatchedOnceEach(TestServer s) throws Exception {
        try (Rig rig = new Rig(s)) {
            rig.publishKb1();
            rig.policy("fleet", Map.of("window", "always", "soakMinutes", 10));
            Map<String, Map<String, Object>> fleet = new LinkedHashMap<>();
            for (String region : List.of("eu-west", "us-east")) {
                for (String zone : List.of("1", "2")) {
                    for (String set : List.of("web", "api")) {
                        for (int i = 0; i < 100; i++) {
                            fleet.put(region + "-" + zone + "-" + set + "-" + i, SimFleet.config(region, zone, set, i % 5, set, "Manual", "UTC", null));
                        }
                    }
                    for (int i = 0; i < 52; i++) {
                        fleet.put(region + "-" + zone + "-batch-" + i, SimFleet.config(region, zone, null, null, "batch", "Manual", "UTC", null));
                    }
                }
            }
            rig.fleet.machines(rig.scene.jar10, fleet);
            JsonNode started = rig.start(Map.of("update", KB));
            String id = started.get("id").asText();
            assertThat(started.get("machineCount").asInt()).isEqualTo(1008);
            // Per zone: sets advance one update domain (20 machines = 20%) per wave, the batch group 10 per wave: 6 waves; 2 zones × 2 regions.
            assertThat(started.get("waveCount").asInt()).isEqualTo(24);

            JsonNode done = rig.drive(id, Duration.ofMinutes(11), 80);
            assertThat(done.get("state").asText()).as(done.toString()).isEqualTo("completed");
            List<JsonNode> ms = rig.machines(id);
            assertThat(ms).hasSize(1008).allMatch(m -> m.get("state").asText().equals("healthy"));

            Map<Integer, List<JsonNode>> byWave = new TreeMap<>();
            ms.forEach(m -> byWave.computeIfAbsent(m.get("wave").asInt(), k -> new java.util.ArrayList<>()).add(m));
            Instant previousEnd = Instant.EPOCH;
            Map<String, Integer> lastUd = new HashMap<>();
            Set<String> regionsSeen = new HashSet<>();
            String lastRegion = null;
            for (Map.Entry<Integer, List<JsonNode>> w : byWave.entrySet()) {
                List<JsonNode> wave = w.getValue();
                Set<String> zones = new HashSet<>();
                Set<String> regions = new HashSet<>();
                Map<String, Integer> perSet = new HashMap<>();
                Map<String, Set<Integer>> udsPerSet = new HashMap<>();
                Instant firstStart = Instant.MAX;
                Instant lastEnd = Instant.EPOCH;
                for (JsonNode m : wave) {
                    zones.add(m.get("region").asText() + "/" + m.get("zone").asText());
                    regions.add(m.get("region").asText());
                    String set = m.get("region").asText() + "/" + m.get("zone").asText() + "/" + m.path("availabilitySet").asText(m.get("group").asText());
                    perSet.merge(set, 1, Integer::sum);
                    if (m.hasNonNull("updateDomain")) {
                        udsPerSet.computeIfAbsent(set, k -> new HashSet<>()).add(m.get("updateDomain").asInt());
                    }
                    Instant st = Instant.parse(m.get("startedAt").asText());
                    Instant en = Instant.parse(m.get("completedAt").asText());
                    firstStart = st.isBefore(firstStart) ? st : firstStart;
                    lastEnd = en.isAfter(lastEnd) ? en : lastEnd;
                }
                assertThat(zones).as("wave %s in one zone", w.getKey()).hasSize(1);
                assertThat(regions).hasSize(1);
                String region = regions.iterator().next();
                if (!region.equals(lastRegion)) {
                    assertThat(regionsSeen.add(region)).as("a region's phase does not come back").isTrue();
                    lastRegion = region;
                }
                perSet.forEach((set, n) -> assertThat(n).as("%s in wave %s", set, w.getKey()).isLessThanOrEqualTo(set.endsWith("batch") ? 10 : 20));
                udsPerSet.forEach((set, uds) -> {
                    assertThat(uds).as("one update domain of %s at a time", set).hasSize(1);
                    int ud = uds.iterator().next();
                    assertThat(ud).isGreaterThanOrEqualTo(lastUd.getOrDefault(set, 0));
                    lastUd.put(set, ud);
                });
                assertThat(firstStart).as("wave %s starts after wave %s ended", w.getKey(), w.getKey() - 1).isAfterOrEqualTo(previousEnd);
                previousEnd = lastEnd;
            }
            for (String name : List.of("eu-west-1-web-0", "eu-west-2-batch-51", "us-east-2-api-99")) {
                assertThat(rig.fleet.machine(name).commands()).containsExactly("install_hotpatch " + KB);
            }
            assertThat(rig.get("/api/v1/compliance/updates").at("/items/0/memory").asInt()).isEqualTo(1008);
        }
    }
}
