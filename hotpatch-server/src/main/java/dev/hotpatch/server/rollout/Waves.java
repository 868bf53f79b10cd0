package dev.hotpatch.server.rollout;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Plans the waves of a rollout, availability first:
 * <ul>
 * <li>regions one phase at a time: the first phase is one region alone, later phases up to
 *     {@code regionsPerPhase} regions, never two regions of a configured pair together;</li>
 * <li>within a region, its zones one after the other, never two at the same time;</li>
 * <li>within a zone, availability sets side by side, each one update domain at a time, at most
 *     {@code maxPercentOfSet}% of the set at once, one machine at a time when it has fewer than 10;</li>
 * <li>machines in no availability set batched per machine group the same way, so a whole group
 *     is never patched at once (machines in no group form one group per zone).</li>
 * </ul>
 * Regions with fewer machines go first, so that a problem shows on as few machines as possible.
 * Pure computation; thread-safe.
 */
final class Waves {
    /** Regions, zones, sets and groups a machine does not name are grouped under this. */
    static final String NONE = "(none)";

    private Waves() {
    }

    /** A machine to place. */
    record Member(String machineId, String name, String region, String zone, String availabilitySet, Integer updateDomain, String group) {
        String regionKey() {
            return blank(region) ? NONE : region;
        }

        String zoneKey() {
            return blank(zone) ? NONE : zone;
        }
    }

    /** The availability rules. */
    record Rules(int maxPercentOfSet, int regionsPerPhase, Set<Set<String>> pairs) {
        Rules {
            if (maxPercentOfSet < 1 || maxPercentOfSet > 100 || regionsPerPhase < 1) {
                throw new IllegalArgumentException("invalid availability rules " + maxPercentOfSet + "%, " + regionsPerPhase + " regions per phase");
            }
        }

        /** Rules from the policy's fields; pairs written {@code a:b}. */
        static Rules of(int maxPercentOfSet, int regionsPerPhase, List<String> pairs) {
            Set<Set<String>> p = new HashSet<>();
            for (String s : pairs == null ? List.<String>of() : pairs) {
                String[] ab = s.split(":");
                p.add(Set.of(ab[0].trim(), ab[1].trim()));
            }
            return new Rules(maxPercentOfSet, regionsPerPhase, p);
        }

        boolean paired(String a, String b) {
            return pairs.contains(Set.of(a, b));
        }

        /** How many machines of a set or group of {@code size} may be patched at once. */
        int cap(int size) {
            if (size < 10) {
                return 1;
            }
            return Math.max(1, size * maxPercentOfSet / 100);
        }
    }

    /** One wave: machines patched at the same time and judged together. {@code wave} counts from 1. */
    record Wave(int wave, int phase, List<Member> members, String description) {
    }

    static List<Wave> plan(List<Member> machines, Rules rules) {
        Map<String, List<Member>> byRegion = new TreeMap<>();
        for (Member m : machines) {
            byRegion.computeIfAbsent(m.regionKey(), k -> new ArrayList<>()).add(m);
        }
        List<Wave> out = new ArrayList<>();
        int phaseNo = 0;
        for (List<String> phase : phases(byRegion, rules)) {
            phaseNo++;
            Map<String, List<Step>> steps = new LinkedHashMap<>();
            int longest = 0;
            for (String region : phase) {
                List<Step> s = regionSteps(region, byRegion.get(region), rules);
                steps.put(region, s);
                longest = Math.max(longest, s.size());
            }
            for (int i = 0; i < longest; i++) {
                List<Member> members = new ArrayList<>();
                List<String> parts = new ArrayList<>();
                for (Map.Entry<String, List<Step>> e : steps.entrySet()) {
                    if (i < e.getValue().size()) {
                        Step st = e.getValue().get(i);
                        members.addAll(st.members);
                        parts.add(st.description);
                    }
                }
                out.add(new Wave(out.size() + 1, phaseNo, members, "phase " + phaseNo + ": " + String.join("; ", parts)));
            }
        }
        return out;
    }

    /** Regions in phases: the smallest region first alone, then up to {@code regionsPerPhase} per phase, pairs apart. */
    static List<List<String>> phases(Map<String, List<Member>> byRegion, Rules rules) {
        List<String> order = new ArrayList<>(byRegion.keySet());
        order.sort(Comparator.comparingInt((String r) -> byRegion.get(r).size()).thenComparing(Function.identity()));
        List<List<String>> phases = new ArrayList<>();
        List<String> left = new ArrayList<>(order);
        while (!left.isEmpty()) {
            int cap = phases.isEmpty() ? 1 : rules.regionsPerPhase();
            List<String> phase = new ArrayList<>();
            for (String r : new ArrayList<>(left)) {
                if (phase.size() >= cap) {
                    break;
                }
                if (phase.stream().noneMatch(p -> rules.paired(p, r))) {
                    phase.add(r);
                    left.remove(r);
                }
            }
            phases.add(phase);
        }
        return phases;
    }

    private record Step(List<Member> members, String description) {
    }

    private static List<Step> regionSteps(String region, List<Member> members, Rules rules) {
        Map<String, List<Member>> byZone = new TreeMap<>();
        for (Member m : members) {
            byZone.computeIfAbsent(m.zoneKey(), k -> new ArrayList<>()).add(m);
        }
        List<Step> out = new ArrayList<>();
        for (Map.Entry<String, List<Member>> z : byZone.entrySet()) {
            out.addAll(zoneSteps(region, z.getKey(), z.getValue(), rules));
        }
        return out;
    }

    /** A zone's steps: every set and group advances one chunk per step. */
    private static List<Step> zoneSteps(String region, String zone, List<Member> members, Rules rules) {
        Map<String, List<Member>> sets = new TreeMap<>();
        Map<String, List<Member>> groups = new TreeMap<>();
        for (Member m : members) {
            if (!blank(m.availabilitySet())) {
                sets.computeIfAbsent(m.availabilitySet(), k -> new ArrayList<>()).add(m);
            } else {
                groups.computeIfAbsent(blank(m.group()) ? NONE : m.group(), k -> new ArrayList<>()).add(m);
            }
        }
        Map<String, List<Chunk>> chunks = new LinkedHashMap<>();
        for (Map.Entry<String, List<Member>> s : sets.entrySet()) {
            chunks.put("set " + s.getKey(), setChunks(s.getValue(), rules));
        }
        for (Map.Entry<String, List<Member>> g : groups.entrySet()) {
            chunks.put("group " + g.getKey(), groupChunks(g.getValue(), rules));
        }
        int longest = chunks.values().stream().mapToInt(List::size).max().orElse(0);
        List<Step> out = new ArrayList<>();
        for (int i = 0; i < longest; i++) {
            List<Member> step = new ArrayList<>();
            List<String> parts = new ArrayList<>();
            for (Map.Entry<String, List<Chunk>> c : chunks.entrySet()) {
                if (i < c.getValue().size()) {
                    Chunk ch = c.getValue().get(i);
                    step.addAll(ch.members);
                    parts.add(c.getKey() + (ch.updateDomain == null ? "" : " UD " + ch.updateDomain) + " (" + ch.members.size() + " of "
                            + ch.of + ")");
                }
            }
            out.add(new Step(step, "region " + region + " zone " + zone + ": " + String.join(", ", parts)));
        }
        return out;
    }

    private record Chunk(List<Member> members, Integer updateDomain, int of) {
    }

    /** One update domain at a time (in order), at most the set's cap of machines at once. */
    private static List<Chunk> setChunks(List<Member> set, Rules rules) {
        int cap = rules.cap(set.size());
        Map<Integer, List<Member>> byUd = new TreeMap<>(Comparator.nullsLast(Comparator.naturalOrder()));
        for (Member m : set) {
            byUd.computeIfAbsent(m.updateDomain(), k -> new ArrayList<>()).add(m);
        }
        List<Chunk> out = new ArrayList<>();
        for (Map.Entry<Integer, List<Member>> ud : byUd.entrySet()) {
            List<Member> ms = sorted(ud.getValue());
            for (int i = 0; i < ms.size(); i += cap) {
                out.add(new Chunk(ms.subList(i, Math.min(ms.size(), i + cap)), ud.getKey(), set.size()));
            }
        }
        return out;
    }

    private static List<Chunk> groupChunks(List<Member> group, Rules rules) {
        int cap = rules.cap(group.size());
        List<Member> ms = sorted(group);
        List<Chunk> out = new ArrayList<>();
        for (int i = 0; i < ms.size(); i += cap) {
            out.add(new Chunk(ms.subList(i, Math.min(ms.size(), i + cap)), null, group.size()));
        }
        return out;
    }

    private static List<Member> sorted(List<Member> ms) {
        List<Member> out = new ArrayList<>(ms);
        out.sort(Comparator.comparing(Member::name));
        return out;
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    /** Index of machines by id (for tests and the planner's callers). */
    static Map<String, Integer> waveOf(List<Wave> waves) {
        Map<String, Integer> out = new HashMap<>();
        for (Wave w : waves) {
            for (Member m : w.members()) {
                out.put(m.machineId(), w.wave());
            }
        }
        return out;
    }
}
