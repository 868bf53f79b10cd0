package dev.hotpatch.attach;

import dev.hotpatch.format.channel.Message;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * A hotpatch of a JVM, as {@code Get-HotFix} shows one: live ({@code active}, or {@code superseded}
 * by a later one), or held back and not running ({@code quarantined} after the JVM died during its
 * probation, {@code revoked} because its signer left the trust folder).
 *
 * @param id             e.g. {@code KB2026-0001}
 * @param title          package title
 * @param classification e.g. {@code Security}
 * @param description    e.g. {@code Security Update: ...}
 * @param installedOn    when it was installed; {@code null} if the agent did not say
 * @param installedBy    who installed it ({@code user@host})
 * @param supersedes     ids it replaced
 * @param cves           CVEs it fixes
 * @param persisted      whether the agent keeps it across restarts (enrolled agents do; attached ones never)
 * @param classes        its classes with the bytes each loaded copy runs
 * @param state          {@code active}, {@code superseded}, {@code quarantined} or {@code revoked}
 * @param stateSince     since when it is quarantined or revoked; null otherwise
 * @param stateReason    why it is quarantined or revoked; empty otherwise
 * @param fixup          its fix-up class and whether it ran; null when it has none (or the agent predates fix-ups)
 */
public record InstalledHotpatch(String id, String title, String classification, String description, Instant installedOn,
                                String installedBy, List<String> supersedes, List<String> cves, boolean persisted,
                                List<InstalledClass> classes, String state, Instant stateSince, String stateReason, Fixup fixup) {
    public static final String ACTIVE = "active";
    public static final String SUPERSEDED = "superseded";
    public static final String QUARANTINED = "quarantined";
    public static final String REVOKED = "revoked";

    public InstalledHotpatch {
        supersedes = List.copyOf(supersedes);
        cves = List.copyOf(cves);
        classes = List.copyOf(classes);
        state = state == null || state.isEmpty() ? ACTIVE : state;
        stateReason = stateReason == null ? "" : stateReason;
    }

    /** A hotpatch without a fix-up class. */
    public InstalledHotpatch(String id, String title, String classification, String description, Instant installedOn,
                             String installedBy, List<String> supersedes, List<String> cves, boolean persisted,
                             List<InstalledClass> classes, String state, Instant stateSince, String stateReason) {
        this(id, title, classification, description, installedOn, installedBy, supersedes, cves, persisted, classes, state, stateSince,
                stateReason, null);
    }

    /**
     * A hotpatch's fix-up class (see docs/package-format.md) and what became of it in this JVM.
     *
     * @param className binary name, e.g. {@code acme.QuotesFixup}
     * @param hooks     {@code afterApply}, and {@code afterUninstall} when declared
     * @param state     {@code ran} (afterApply ran at the live apply), {@code not-run} (re-applied at start, held back, or
     *                  no loader had the package); empty when the agent did not say
     * @param detail    the agent's words, e.g. "afterApply() ran in 2 class loaders at the live apply"
     */
    public record Fixup(String className, List<String> hooks, String state, String detail) {
        public Fixup {
            hooks = List.copyOf(hooks);
        }

        /** {@code fix-up: acme.QuotesFixup (afterApply, afterUninstall)}. */
        public String describe() {
            return "fix-up: " + className + (hooks.isEmpty() ? "" : " (" + String.join(", ", hooks) + ")");
        }
    }

    /** An active hotpatch (the shape before states existed). */
    public InstalledHotpatch(String id, String title, String classification, String description, Instant installedOn,
                             String installedBy, List<String> supersedes, List<String> cves, boolean persisted,
                             List<InstalledClass> classes) {
        this(id, title, classification, description, installedOn, installedBy, supersedes, cves, persisted, classes, ACTIVE, null, "");
    }

    /** Whether it runs in the JVM (active or superseded), as opposed to held back. */
    public boolean live() {
        return state.equals(ACTIVE) || state.equals(SUPERSEDED);
    }

    /**
     * One class of a hotpatch.
     *
     * @param name    class name
     * @param sha256  SHA-256 of the bytes the hotpatch installs for it
     * @param loaders loaded copies that run those bytes now
     * @param copies  every loaded copy of the class, with the bytes it actually runs (as the agent
     *                last redefined it, or its transformer produced it); empty from an older agent
     * @param added   true for a class the hotpatch adds (it stays defined after an uninstall), false
     *                for one it replaces
     */
    public record InstalledClass(String name, String sha256, int loaders, List<Copy> copies, boolean added) {
        public InstalledClass {
            copies = List.copyOf(copies);
        }

        public InstalledClass(String name, String sha256, int loaders, List<Copy> copies) {
            this(name, sha256, loaders, copies, false);
        }

        public InstalledClass(String name, String sha256, int loaders) {
            this(name, sha256, loaders, List.of());
        }
    }

    /**
     * One loaded copy of a class.
     *
     * @param loader the class loader that defined it, as the agent describes it
     * @param sha256 SHA-256 of the bytes it runs; empty when the agent could not tell
     */
    public record Copy(String loader, String sha256) {
    }

    static List<InstalledHotpatch> listFrom(Message m) {
        List<InstalledHotpatch> out = new ArrayList<>();
        int n = m.getInt("installed.count", 0);
        for (int i = 0; i < n; i++) {
            String p = "installed." + i + ".";
            List<InstalledClass> classes = new ArrayList<>();
            int c = m.getInt(p + "classes.count", 0);
            for (int j = 0; j < c; j++) {
                String q = p + "classes." + j + ".";
                List<Copy> copies = new ArrayList<>();
                int k = m.getInt(q + "copies.count", 0);
                for (int x = 0; x < k; x++) {
                    copies.add(new Copy(m.get(q + "copies." + x + ".loader", ""), m.get(q + "copies." + x + ".sha256", "")));
                }
                classes.add(new InstalledClass(m.get(q + "name", ""), m.get(q + "sha256", ""), m.getInt(q + "loaders", 0), copies,
                        "added".equals(m.get(q + "kind", "replace"))));
            }
            out.add(new InstalledHotpatch(m.get(p + "id", ""), m.get(p + "title", ""), m.get(p + "classification", ""),
                    m.get(p + "description", ""), instant(m.get(p + "installedOn", "")), m.get(p + "installedBy", ""),
                    commaList(m.get(p + "supersedes", "")), commaList(m.get(p + "cves", "")),
                    Boolean.parseBoolean(m.get(p + "persisted", "false")), classes,
                    m.get(p + "state", Boolean.parseBoolean(m.get(p + "active", "true")) ? ACTIVE : SUPERSEDED),
                    instant(m.get(p + "stateSince", "")), m.get(p + "stateReason", ""),
                    m.get(p + "fixup", "").isEmpty() ? null : new Fixup(m.get(p + "fixup", ""), commaList(m.get(p + "fixup.hooks", "")),
                            m.get(p + "fixup.state", ""), m.get(p + "fixup.detail", ""))));
        }
        return out;
    }

    static Instant instant(String s) {
        try {
            return s.isBlank() ? null : Instant.parse(s.trim());
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    private static List<String> commaList(String s) {
        List<String> out = new ArrayList<>();
        for (String part : s.split(",")) {
            if (!part.isBlank()) {
                out.add(part.trim());
            }
        }
        return out;
    }
}
