package dev.hotpatch.attach;

import dev.hotpatch.format.channel.Message;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * A hotpatch installed in a JVM, as {@code Get-HotFix} shows one.
 *
 * @param id             e.g. {@code KB2026-0001}
 * @param title          package title
 * @param classification e.g. {@code Security}
 * @param description    e.g. {@code Security Update: ...}
 * @param installedOn    when it was installed; {@code null} if the agent did not say
 * @param installedBy    who installed it ({@code user@host})
 * @param supersedes     ids it replaced
 * @param cves           CVEs it fixes
 * @param persisted      whether the agent re-applies it when the JVM restarts
 * @param classes        its classes with the hash now in use
 */
public record InstalledHotpatch(String id, String title, String classification, String description, Instant installedOn,
                                String installedBy, List<String> supersedes, List<String> cves, boolean persisted,
                                List<InstalledClass> classes) {
    public InstalledHotpatch {
        supersedes = List.copyOf(supersedes);
        cves = List.copyOf(cves);
        classes = List.copyOf(classes);
    }

    /**
     * One class of an installed hotpatch.
     *
     * @param name    class name
     * @param sha256  SHA-256 of the bytes in use
     * @param loaders copies of the class currently patched
     */
    public record InstalledClass(String name, String sha256, int loaders) {
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
                classes.add(new InstalledClass(m.get(q + "name", ""), m.get(q + "sha256", ""), m.getInt(q + "loaders", 0)));
            }
            out.add(new InstalledHotpatch(m.get(p + "id", ""), m.get(p + "title", ""), m.get(p + "classification", ""),
                    m.get(p + "description", ""), instant(m.get(p + "installedOn", "")), m.get(p + "installedBy", ""),
                    commaList(m.get(p + "supersedes", "")), commaList(m.get(p + "cves", "")),
                    Boolean.parseBoolean(m.get(p + "persisted", "false")), classes));
        }
        return out;
    }

    private static Instant instant(String s) {
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
