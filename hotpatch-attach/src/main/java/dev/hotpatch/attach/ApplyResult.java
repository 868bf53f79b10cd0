package dev.hotpatch.attach;

import dev.hotpatch.format.channel.Message;
import java.util.ArrayList;
import java.util.List;

/**
 * The agent's answer to an install request.
 *
 * @param outcome        ok, noop (installed already), refused or failed
 * @param message        the agent's explanation; for refusals, which class and loader did not match
 * @param id             the hotpatch id
 * @param durationMicros time the agent took, including verification
 * @param classes        per class: how many loaded copies were redefined and the hash now in use
 * @param persisted      whether the agent keeps it across restarts (an enrolled agent); false for an attached one
 * @param title          the hotpatch's title as the agent read it from the verified package; empty from older agents or refusals
 * @param phases         where the agent's time went, {@code step=µs,…} in order (trust, stage, verify, check, plan, scan,
 *                       redefine, fixup, persist, publish); empty from older agents or refusals. For benchmarks and diagnosis.
 */
public record ApplyResult(Outcome outcome, String message, String id, long durationMicros, List<PatchedClass> classes,
                          boolean persisted, String title, String phases) {
    public ApplyResult {
        classes = List.copyOf(classes);
        title = title == null ? "" : title;
        phases = phases == null ? "" : phases;
    }

    public ApplyResult(Outcome outcome, String message, String id, long durationMicros, List<PatchedClass> classes,
                       boolean persisted, String title) {
        this(outcome, message, id, durationMicros, classes, persisted, title, "");
    }

    public ApplyResult(Outcome outcome, String message, String id, long durationMicros, List<PatchedClass> classes,
                       boolean persisted) {
        this(outcome, message, id, durationMicros, classes, persisted, "");
    }

    public ApplyResult(Outcome outcome, String message, String id, long durationMicros, List<PatchedClass> classes) {
        this(outcome, message, id, durationMicros, classes, false);
    }

    /**
     * One class of an installed hotpatch.
     *
     * @param name    binary or internal class name as the agent reports it
     * @param loaders copies of the class (one per class loader) redefined now
     * @param sha256  SHA-256 of the class bytes now in use
     * @param pending true when the class is not loaded yet: it is patched when it loads
     * @param added   true for a class the hotpatch adds: {@code loaders} counts the loaders it is defined in
     */
    public record PatchedClass(String name, int loaders, String sha256, boolean pending, boolean added) {
        public PatchedClass(String name, int loaders, String sha256, boolean pending) {
            this(name, loaders, sha256, pending, false);
        }
    }

    static ApplyResult from(Message m) {
        List<PatchedClass> classes = new ArrayList<>();
        int n = m.getInt("classes.count", 0);
        for (int i = 0; i < n; i++) {
            String p = "classes." + i + ".";
            classes.add(new PatchedClass(m.get(p + "name", ""), m.getInt(p + "loaders", 0), m.get(p + "sha256", ""),
                    Boolean.parseBoolean(m.get(p + "pending", "false")), "added".equals(m.get(p + "kind", "replace"))));
        }
        return new ApplyResult(Outcome.of(m), m.get("message", ""), m.get("id", ""), m.getLong("durationMicros", 0), classes,
                Boolean.parseBoolean(m.get("persisted", "false")), m.get("title", ""), m.get("phases", ""));
    }
}
