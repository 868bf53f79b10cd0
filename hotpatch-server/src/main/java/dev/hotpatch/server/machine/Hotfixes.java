package dev.hotpatch.server.machine;

import dev.hotpatch.server.catalog.Catalog;
import dev.hotpatch.server.catalog.Update;
import dev.hotpatch.server.store.Database;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The Get-HotFix view of a machine through the server: the hotpatches and restart updates it
 * reports as installed, each checked against the catalog (are the bytes in use the package's?).
 * Thread-safe.
 */
public final class Hotfixes {
    private final Database db;
    private final Machines machines;
    private final Catalog catalog;

    public Hotfixes(Database db, Machines machines, Catalog catalog) {
        this.db = db;
        this.machines = machines;
        this.catalog = catalog;
    }

    /**
     * One installed fix.
     *
     * @param kind     {@code hotpatch} or {@code restart}
     * @param verified for a hotpatch: every class's bytes in use match the published package; null when not checkable
     * @param note     why it is not verified, or that the KB is not in the catalog
     */
    public record Hotfix(String hotFixId, String description, String kind, Instant installedOn, int classes, Boolean verified, String note) {
    }

    public List<Hotfix> list(String machineRef) {
        return db.read(h -> {
            Machine m = machines.get(h, machineRef);
            MachineReport r = machines.report(h, m.id());
            List<Hotfix> out = new ArrayList<>();
            for (MachineReport.InstalledHotpatch hp : r.hotpatchesOrEmpty()) {
                Optional<Update> u = catalog.findUpdate(h, hp.id());
                if (u.isEmpty()) {
                    out.add(new Hotfix(hp.id(), "(not in the catalog)", "hotpatch", hp.installedAt(),
                            hp.classes() == null ? 0 : hp.classes().size(), null, "KB " + hp.id() + " is not published on this server"));
                    continue;
                }
                Map<String, String> expected = new HashMap<>();
                u.get().classes().forEach(c -> expected.put(c.name(), c.sha256()));
                Boolean verified = null;
                String note = null;
                if (hp.classes() != null && !hp.classes().isEmpty()) {
                    verified = true;
                    for (MachineReport.Hash c : hp.classes()) {
                        String want = expected.get(c.name());
                        if (want == null || !want.equals(c.sha256())) {
                            verified = false;
                            note = "class " + c.name().replace('/', '.') + " runs bytes " + c.sha256().substring(0, 12)
                                    + "… instead of the package's " + (want == null ? "(class not in package)" : want.substring(0, 12) + "…");
                            break;
                        }
                    }
                } else {
                    note = "the node reported no class hashes for it";
                }
                out.add(new Hotfix(hp.id(), description(u.get()), "hotpatch", hp.installedAt(), u.get().classes().size(), verified, note));
            }
            for (String kb : r.installedUpdatesOrEmpty()) {
                Optional<Update> u = catalog.findUpdate(h, kb);
                out.add(new Hotfix(kb, u.map(Hotfixes::description).orElse("(not in the catalog)"), "restart", null, 0, null, null));
            }
            return out;
        });
    }

    private static String description(Update u) {
        return u.classification() + " Update: " + u.title();
    }
}
