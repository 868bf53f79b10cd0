package dev.hotpatch.server.policy;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.hotpatch.format.Classification;
import dev.hotpatch.server.ServerException;
import dev.hotpatch.server.window.Window;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The settings of automatic patching at one scope (fleet, image, group or machine). Every field
 * is optional: a field left out is inherited from the next scope up (machine → group → image →
 * fleet → {@link #DEFAULTS}). Immutable; the JSON shape of {@code /api/v1/policies}.
 *
 * @param patchMode              {@code AutomaticByPlatform} (Critical and Security updates install
 *                               by themselves, in rollouts), {@code Manual} (assessed only; operators
 *                               install) or {@code Disabled} (not even operators' rollouts)
 * @param window                 maintenance window, e.g. {@code daily 01:00 4h} (see {@link Window})
 * @param timeZone               IANA zone for machines whose node reports none
 * @param ring                   the ring of the machines in this scope (else the machine's ring tag)
 * @param rings                  an image's rings in order, e.g. {@code [canary, early, broad]}; machines
 *                               in no listed ring are in the last
 * @param ringTag                tag whose value names a machine's ring (default {@code ring})
 * @param promoteAfterHours      timed promotion: a ring gets an update this long after the ring
 *                               before it finished its rollout; absent: only an operator promotes
 * @param classifications        classifications that install automatically
 * @param severities             severities that install automatically; empty: any
 * @param delayHours             wait this long after an update's publish date before installing it
 * @param cutoff                 pin to a date: nothing published after it installs automatically
 * @param excludeKbs             KB ids never installed automatically
 * @param soakMinutes            how long a wave is watched after it is patched before its health is judged
 * @param requireHealth          a machine without a passing health check fails the gate
 * @param maxFailureRateIncrease most the failed-probe rate may rise over the pre-patch rate during the
 *                               soak, in percentage points
 * @param gateTimeoutMinutes     how long after its soak a machine may take to report before it fails the gate
 * @param maxFailures            error budget: failed machines a rollout tolerates before it halts
 * @param maxFailurePercent      error budget as a percentage of the rollout's machines (the larger of the two applies)
 * @param maxPercentOfSet        most of an availability set (or machine group) patched at once, in percent
 * @param regionsPerPhase        regions patched at the same time, after a first phase of one region
 * @param regionPairs            pairs {@code a:b} of regions never patched in the same phase
 * @param hotpatchMinutes        a hotpatch starts only with at least this long left in the window
 * @param restartMinutes         a baseline restart starts only with at least this long left in the window
 * @param maxAttempts            windows a machine is tried in before the rollout gives it up
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PolicySettings(String patchMode, String window, String timeZone, String ring, List<String> rings, String ringTag,
                             Integer promoteAfterHours, List<String> classifications, List<String> severities, Integer delayHours,
                             String cutoff, List<String> excludeKbs, Integer soakMinutes, Boolean requireHealth,
                             Double maxFailureRateIncrease, Integer gateTimeoutMinutes, Integer maxFailures, Double maxFailurePercent,
                             Integer maxPercentOfSet, Integer regionsPerPhase, List<String> regionPairs, Integer hotpatchMinutes,
                             Integer restartMinutes, Integer maxAttempts) {
    public static final String AUTOMATIC = "AutomaticByPlatform";
    public static final String MANUAL = "Manual";
    public static final String DISABLED = "Disabled";

    /** What applies where no scope says otherwise. Automatic patching is opt-in: the default mode is Manual. */
    public static final PolicySettings DEFAULTS = new PolicySettings(MANUAL, Window.DEFAULT_TEXT, "UTC", null, List.of(), "ring", null,
            List.of("Critical", "Security"), List.of(), 0, null, List.of(), 10, false, 5.0, 15, 0, 0.0, 20, 1, List.of(), 10, 30, 3);

    /** No field set. */
    public static final PolicySettings EMPTY = new PolicySettings(null, null, null, null, null, null, null, null, null, null, null, null,
            null, null, null, null, null, null, null, null, null, null, null, null);

    /* Merging goes over the record's components (found once), so that a new field cannot be forgotten by it. */
    private static final RecordComponent[] COMPONENTS = PolicySettings.class.getRecordComponents();
    private static final java.lang.reflect.Constructor<PolicySettings> CONSTRUCTOR;
    private static final List<String> FIELDS;

    static {
        Class<?>[] types = new Class<?>[COMPONENTS.length];
        List<String> names = new ArrayList<>();
        for (int i = 0; i < COMPONENTS.length; i++) {
            types[i] = COMPONENTS[i].getType();
            names.add(COMPONENTS[i].getName());
        }
        try {
            CONSTRUCTOR = PolicySettings.class.getDeclaredConstructor(types);
        } catch (NoSuchMethodException e) {
            throw new ExceptionInInitializerError(e);
        }
        FIELDS = List.copyOf(names);
    }

    /** Field names, in declaration order. */
    public static List<String> fields() {
        return FIELDS;
    }

    /** Field name → value of the fields that are set. */
    public Map<String, Object> asMap() {
        Map<String, Object> out = new LinkedHashMap<>();
        for (RecordComponent c : COMPONENTS) {
            Object v = get(c);
            if (v != null) {
                out.put(c.getName(), v);
            }
        }
        return out;
    }

    /** The value of field {@code name}; null when not set. */
    public Object get(String name) {
        for (RecordComponent c : COMPONENTS) {
            if (c.getName().equals(name)) {
                return get(c);
            }
        }
        throw new IllegalArgumentException("no policy field " + name);
    }

    /** These settings over {@code lower}: each field set here wins, the others come from {@code lower}. */
    public PolicySettings over(PolicySettings lower) {
        if (this == EMPTY) {
            return lower;
        }
        if (lower == EMPTY) {
            return this;
        }
        RecordComponent[] cs = COMPONENTS;
        Object[] args = new Object[cs.length];
        for (int i = 0; i < cs.length; i++) {
            Object mine = get(cs[i]);
            args[i] = mine != null ? mine : lower.get(cs[i]);
        }
        return create(args);
    }

    /** A copy with the fields in {@code changes} set (a null value clears the field). */
    public PolicySettings with(Map<String, Object> changes) {
        RecordComponent[] cs = COMPONENTS;
        Object[] args = new Object[cs.length];
        for (int i = 0; i < cs.length; i++) {
            args[i] = changes.containsKey(cs[i].getName()) ? changes.get(cs[i].getName()) : get(cs[i]);
        }
        return create(args);
    }

    private Object get(RecordComponent c) {
        try {
            return c.getAccessor().invoke(this);
        } catch (IllegalAccessException | InvocationTargetException e) {
            throw new IllegalStateException(e);
        }
    }

    private static PolicySettings create(Object[] args) {
        try {
            return CONSTRUCTOR.newInstance(args);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Checks every field that is set and returns the settings in canonical form (patch mode and
     * classification spelling, trimmed lists); the error names the field, the value and what fits.
     */
    public PolicySettings validated() {
        String mode = patchMode == null ? null : patchMode(patchMode);
        String win = null;
        if (window != null) {
            try {
                win = Window.parse(window).text();
            } catch (IllegalArgumentException e) {
                throw bad("window", e.getMessage(), "e.g. 'daily 01:00 4h', 'weekly Sat,Sun 02:00 6h', 'monthly 2nd Tue +3 22:00 4h', 'always'");
            }
        }
        if (timeZone != null) {
            try {
                ZoneId.of(timeZone);
            } catch (DateTimeException e) {
                throw bad("timeZone", "'" + timeZone + "' is not an IANA time zone", "use a name such as Europe/Paris or America/New_York");
            }
        }
        List<String> ringList = names("rings", rings);
        if (ringList != null && new HashSet<>(ringList).size() != ringList.size()) {
            throw bad("rings", "ring names " + ringList + " repeat", "list each ring once, in rollout order, e.g. [canary, early, broad]");
        }
        List<String> cls = null;
        if (classifications != null) {
            cls = new ArrayList<>();
            for (String c : classifications) {
                try {
                    cls.add(Classification.parse(c).label());
                } catch (IllegalArgumentException | NullPointerException e) {
                    throw bad("classifications", "'" + c + "' is not a classification", "use Critical, Security, Updates or Definition");
                }
            }
        }
        Instant cut = cutoff == null ? null : cutoffInstant(cutoff);
        List<String> pairs = names("regionPairs", regionPairs);
        if (pairs != null) {
            for (String p : pairs) {
                String[] ab = p.split(":");
                if (ab.length != 2 || ab[0].isBlank() || ab[1].isBlank() || ab[0].equals(ab[1])) {
                    throw bad("regionPairs", "'" + p + "' is not a pair of two regions", "write pairs as REGION:REGION, e.g. eu-west:eu-north");
                }
            }
        }
        range("promoteAfterHours", promoteAfterHours, 0, 24 * 365);
        range("delayHours", delayHours, 0, 24 * 365);
        range("soakMinutes", soakMinutes, 0, 7 * 24 * 60);
        range("gateTimeoutMinutes", gateTimeoutMinutes, 1, 7 * 24 * 60);
        range("maxFailures", maxFailures, 0, 1_000_000);
        range("maxPercentOfSet", maxPercentOfSet, 1, 100);
        range("regionsPerPhase", regionsPerPhase, 1, 1000);
        range("hotpatchMinutes", hotpatchMinutes, 0, 24 * 60);
        range("restartMinutes", restartMinutes, 0, 24 * 60);
        range("maxAttempts", maxAttempts, 1, 1000);
        if (maxFailureRateIncrease != null && (maxFailureRateIncrease < 0 || maxFailureRateIncrease > 100 || maxFailureRateIncrease.isNaN())) {
            throw bad("maxFailureRateIncrease", maxFailureRateIncrease + " is not 0–100 (percentage points)", "e.g. 5");
        }
        if (maxFailurePercent != null && (maxFailurePercent < 0 || maxFailurePercent > 100 || maxFailurePercent.isNaN())) {
            throw bad("maxFailurePercent", maxFailurePercent + " is not 0–100", "e.g. 10 for a tenth of the rollout's machines");
        }
        return new PolicySettings(mode, win, timeZone, blankToNull(ring), ringList, blankToNull(ringTag), promoteAfterHours, cls,
                names("severities", severities), delayHours, cut == null ? null : cutoff.trim(), names("excludeKbs", excludeKbs),
                soakMinutes, requireHealth, maxFailureRateIncrease, gateTimeoutMinutes, maxFailures, maxFailurePercent,
                maxPercentOfSet, regionsPerPhase, pairs, hotpatchMinutes, restartMinutes, maxAttempts);
    }

    /** The canonical spelling of a patch mode. */
    public static String patchMode(String text) {
        for (String m : List.of(AUTOMATIC, MANUAL, DISABLED)) {
            if (m.equalsIgnoreCase(text.trim())) {
                return m;
            }
        }
        throw bad("patchMode", "'" + text + "' is not a patch mode", "use AutomaticByPlatform, Manual or Disabled");
    }

    /** The cutoff as an instant: a date means the end of that day, UTC. */
    public static Instant cutoffInstant(String text) {
        String t = text.trim();
        try {
            if (t.length() == 10) {
                return LocalDate.parse(t).plusDays(1).atStartOfDay().toInstant(ZoneOffset.UTC).minusMillis(1);
            }
            return Instant.parse(t);
        } catch (DateTimeException e) {
            throw bad("cutoff", "'" + text + "' is not a date or time", "use YYYY-MM-DD (the end of that day, UTC) or an ISO instant");
        }
    }

    /** The machine's ring among {@code rings}: its own when listed, else the last ring; null when there are no rings. */
    public static String ringOf(String own, List<String> rings) {
        if (rings == null || rings.isEmpty()) {
            return null;
        }
        return own != null && rings.contains(own) ? own : rings.get(rings.size() - 1);
    }

    private static List<String> names(String field, List<String> values) {
        if (values == null) {
            return null;
        }
        List<String> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (String v : values) {
            if (v == null || v.isBlank()) {
                throw bad(field, "the list has an empty entry", "leave out empty entries");
            }
            if (seen.add(v.trim().toLowerCase(Locale.ROOT)) || field.equals("rings")) {
                out.add(v.trim());
            }
        }
        return out;
    }

    private static void range(String field, Integer v, int min, int max) {
        if (v != null && (v < min || v > max)) {
            throw bad(field, v + " is out of range", "use " + min + " to " + max);
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }

    private static ServerException bad(String field, String what, String hint) {
        return new ServerException.BadRequest("invalid-policy", "policy field " + field + ": " + what, hint);
    }
}
