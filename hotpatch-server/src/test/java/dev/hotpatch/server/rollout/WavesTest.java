package dev.hotpatch.server.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class WavesTest {
    private static final Waves.Rules AZURE = Waves.Rules.of(20, 1, List.of());

    private static List<Waves.Member> set(String region, String zone, String set, int size, int domains) {
        List<Waves.Member> out = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            String name = region + "-" + zone + "-" + set + "-" + String.format("%03d", i);
            out.add(new Waves.Member(name, name, region, zone, set, i % domains, null));
        }
        return out;
    }

    @Test
    void zonesOfARegion_areNeverPatchedTogether_andEachWaveStaysInOneZone() {
        List<Waves.Member> fleet = new ArrayList<>();
        fleet.addAll(set("eu-west", "1", "web", 12, 3));
        fleet.addAll(set("eu-west", "2", "web", 12, 3));
        fleet.addAll(set("eu-west", "3", "db", 4, 2));
        List<Waves.Wave> waves = Waves.plan(fleet, AZURE);
        for (Waves.Wave w : waves) {
            assertThat(w.members().stream().map(Waves.Member::zone).collect(Collectors.toSet())).as(w.description()).hasSize(1);
        }
        // Zone order is kept: every wave of zone 1 before any of zone 2, before any of zone 3.
        List<String> zoneSequence = waves.stream().map(w -> w.members().get(0).zone()).toList();
        assertThat(zoneSequence).isSorted();
        assertThat(waves.stream().mapToInt(w -> w.members().size()).sum()).isEqualTo(28);
    }

    @Test
    void availabilitySet_oneUpdateDomainAtATime_atMostTwentyPercent_andOneAtATimeUnderTen() {
        List<Waves.Member> fleet = new ArrayList<>(set("us-east", "1", "big", 50, 5)); // 10 per UD, cap 10 (20% of 50)
        fleet.addAll(set("us-east", "1", "small", 9, 3)); // under 10: one at a time
        fleet.addAll(set("us-east", "1", "mid", 25, 2)); // cap 5 (20% of 25)
        List<Waves.Wave> waves = Waves.plan(fleet, AZURE);
        Map<String, Integer> lastUd = new HashMap<>();
        Map<String, Integer> waveCount = new HashMap<>();
        for (Waves.Wave w : waves) {
            Map<String, List<Waves.Member>> bySet = w.members().stream().collect(Collectors.groupingBy(Waves.Member::availabilitySet));
            for (Map.Entry<String, List<Waves.Member>> e : bySet.entrySet()) {
                Set<Integer> uds = e.getValue().stream().map(Waves.Member::updateDomain).collect(Collectors.toSet());
                assertThat(uds).as("one update domain of set %s in %s", e.getKey(), w.description()).hasSize(1);
                int ud = uds.iterator().next();
                assertThat(ud).as("update domains in order").isGreaterThanOrEqualTo(lastUd.getOrDefault(e.getKey(), 0));
                lastUd.put(e.getKey(), ud);
                waveCount.merge(e.getKey(), 1, Integer::sum);
                int max = switch (e.getKey()) {
                    case "big" -> 10;
                    case "mid" -> 5;
                    default -> 1;
                };
                assertThat(e.getValue()).as("%s in %s", e.getKey(), w.description()).hasSizeLessThanOrEqualTo(max);
            }
        }
        assertThat(waveCount).containsEntry("big", 5).containsEntry("small", 9).containsEntry("mid", 6);
        // Sets advance side by side: the first wave patches a bit of each.
        assertThat(waves.get(0).members().stream().map(Waves.Member::availabilitySet).collect(Collectors.toSet()))
                .containsExactlyInAnyOrder("big", "small", "mid");
        assertThat(waves.get(0).description()).contains("set big UD 0 (10 of 50)").contains("set small UD 0 (1 of 9)");
    }

    @Test
    void machinesWithoutASet_areBatchedSoNoGroupIsPatchedWhole() {
        List<Waves.Member> fleet = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            fleet.add(new Waves.Member("api-" + i, "api-" + i, "eu", "1", null, null, "api"));
        }
        for (int i = 0; i < 3; i++) {
            fleet.add(new Waves.Member("loose-" + i, "loose-" + i, "eu", "1", null, null, null));
        }
        List<Waves.Wave> waves = Waves.plan(fleet, AZURE);
        for (Waves.Wave w : waves) {
            long api = w.members().stream().filter(m -> "api".equals(m.group())).count();
            long loose = w.members().stream().filter(m -> m.group() == null).count();
            assertThat(api).isLessThanOrEqualTo(6);
            assertThat(loose).isLessThanOrEqualTo(1);
        }
        assertThat(waves).hasSize(5);
    }

    @Test
    void regions_goOnePhaseAtATime_smallestFirstAlone_andPairedRegionsNeverTogether() {
        List<Waves.Member> fleet = new ArrayList<>();
        fleet.addAll(set("eu-west", "1", "a", 3, 1));
        fleet.addAll(set("eu-north", "1", "a", 4, 1));
        fleet.addAll(set("us-east", "1", "a", 5, 1));
        fleet.addAll(set("us-west", "1", "a", 6, 1));
        fleet.addAll(set("ap-south", "1", "a", 2, 1));
        Waves.Rules rules = Waves.Rules.of(20, 2, List.of("eu-west:eu-north", "us-east:us-west"));
        List<Waves.Wave> waves = Waves.plan(fleet, rules);
        Map<Integer, Set<String>> regionsByPhase = new HashMap<>();
        for (Waves.Wave w : waves) {
            regionsByPhase.computeIfAbsent(w.phase(), k -> new HashSet<>()).addAll(w.members().stream().map(Waves.Member::region).toList());
        }
        assertThat(regionsByPhase.get(1)).containsExactly("ap-south");
        for (Set<String> regions : regionsByPhase.values()) {
            assertThat(regions).hasSizeLessThanOrEqualTo(2);
            assertThat(regions.containsAll(Set.of("eu-west", "eu-north"))).isFalse();
            assertThat(regions.containsAll(Set.of("us-east", "us-west"))).isFalse();
        }
        // Phases run in order: a wave never goes back to an earlier phase.
        assertThat(waves.stream().map(Waves.Wave::phase).toList()).isSorted();
        assertThat(waves.stream().mapToInt(w -> w.members().size()).sum()).isEqualTo(20);
        // With one region per phase (the default), every region is alone.
        for (Waves.Wave w : Waves.plan(fleet, AZURE)) {
            assertThat(w.members().stream().map(Waves.Member::region).distinct()).hasSize(1);
        }
    }
}
