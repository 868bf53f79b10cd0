package dev.hotpatch.node.standalone;

import dev.hotpatch.format.ClassPatch;
import dev.hotpatch.format.HotpatchPackage;
import dev.hotpatch.format.PackageManifest;
import dev.hotpatch.format.RebootBehavior;
import dev.hotpatch.node.NodeException;
import dev.hotpatch.node.command.Action;
import dev.hotpatch.node.command.Artifact;
import dev.hotpatch.node.command.Command;
import dev.hotpatch.node.command.CommandResult;
import dev.hotpatch.node.command.Executor;
import dev.hotpatch.node.config.MachineConfig;
import dev.hotpatch.node.config.MaintenanceWindow;
import dev.hotpatch.node.config.NodeConfig;
import dev.hotpatch.node.config.PatchMode;
import dev.hotpatch.node.discovery.LocalMachine;
import dev.hotpatch.node.inventory.InventoryCollector;
import dev.hotpatch.node.inventory.MachineInventory;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * Standalone mode's local policy, Azure Stack HCI's "local / third-party orchestration": installs the
 * signed hotpatches found in a catalog folder on the local machines they apply to, with no server.
 *
 * <p>A package is installed on a machine when all of these hold: it verifies against the machine's
 * trust folder; it is a hotpatch ({@code NeverReboots}) of a classification the policy allows; it is
 * not installed, nor superseded by an installed package or by another package in the folder; every
 * class it replaces is on the machine's class path with the package's baseline bytes (otherwise it
 * is for other code: not applicable); the machine is not {@code Manual} nor opted out of hotpatching;
 * and its maintenance window is open now in its own time zone. The agent then checks the loaded
 * classes again: a refusal for a baseline mismatch is likewise "not applicable", not an error.
 *
 * <p>Every decision is written to the {@link History}: installs and their outcome each time,
 * refusals, deferrals and not-applicable verdicts once per machine and package for as long as
 * the verdict stays the same. Not thread-safe: the node's loop calls it.
 */
public final class LocalOrchestrator {
    private static final System.Logger LOG = System.getLogger("dev.hotpatch.node");

    private final NodeConfig config;
    private final CatalogFolder catalog;
    private final History history;
    private final Executor executor;
    private final InventoryCollector inventory;
    private final Clock clock;
    private final String actor;
    /** Verdicts already written, so an unchanged one is not logged every cycle. */
    private final Map<String, String> noted = new LinkedHashMap<>();

    public LocalOrchestrator(NodeConfig config, Path catalogDir, History history, Executor executor, InventoryCollector inventory,
                             Clock clock, String actor) {
        this.config = config;
        this.catalog = new CatalogFolder(catalogDir);
        this.history = history;
        this.executor = executor;
        this.inventory = inventory;
        this.clock = clock;
        this.actor = actor;
    }

    /** Applies the policy once to {@code machines}; returns the results of the installs it ran. */
    public List<CommandResult> runOnce(List<LocalMachine> machines) {
        List<CommandResult> results = new ArrayList<>();
        if (!config.policy().enabled()) {
            note("*", "*", "disabled", "policy.enabled is false: packages are not installed automatically", null);
            return results;
        }
        for (LocalMachine m : machines) {
            try {
                results.addAll(runOn(m));
            } catch (NodeException | IOException e) {
                note(m.name(), "*", "failed", "standalone policy could not run on machine " + m.name() + ": " + e.getMessage(), null);
            }
        }
        return results;
    }

    private List<CommandResult> runOn(LocalMachine m) throws IOException {
        List<CommandResult> results = new ArrayList<>();
        MachineConfig mc = m.config();
        Optional<Path> trust = config.trustFor(mc);
        if (trust.isEmpty()) {
            note(m.name(), "*", "refused", "no trust folder is configured for machine " + m.name()
                    + ", so no package can be verified; set node.trust or machine." + m.name() + ".trust", null);
            return results;
        }
        if (mc.patchMode() == PatchMode.MANUAL || Boolean.FALSE.equals(mc.hotpatch())) {
            note(m.name(), "*", "skipped", "machine " + m.name() + " is " + (mc.patchMode() == PatchMode.MANUAL ? "in patch mode Manual"
                    : "opted out of hotpatching (hotpatch = false)") + "; the local policy leaves it alone", null);
            return results;
        }
        List<CatalogFolder.Listed> listed = catalog.list(trust.get());
        List<HotpatchPackage> packages = new ArrayList<>();
        for (CatalogFolder.Listed l : listed) {
            if (l.pkg() == null) {
                note(m.name(), l.file().getFileName().toString(), "refused", "package " + l.file() + " was refused: " + l.refusal(), null);
            } else {
                packages.add(l.pkg());
            }
        }
        Set<String> supersededInFolder = new HashSet<>();
        for (HotpatchPackage p : packages) {
            supersededInFolder.addAll(p.manifest().supersedes());
        }
        packages.sort(Comparator.comparing((HotpatchPackage p) -> p.manifest().published()).thenComparing(p -> p.manifest().id()));
        InventoryCollector.Collected collected = inventory.collect(m);
        Set<String> installed = new HashSet<>();
        for (MachineInventory.Hotpatch hp : collected.report().hotpatches()) {
            installed.add(hp.id());
        }
        Set<String> supersededByInstalled = new HashSet<>();
        for (HotpatchPackage p : packages) {
            if (installed.contains(p.manifest().id())) {
                supersededByInstalled.addAll(p.manifest().supersedes());
            }
        }
        ZoneId zone = config.zoneFor(mc);
        MaintenanceWindow window = config.windowFor(mc);
        for (HotpatchPackage p : packages) {
            PackageManifest man = p.manifest();
            String id = man.id();
            if (installed.contains(id) || supersededByInstalled.contains(id)) {
                continue;
            }
            if (man.rebootBehavior() != RebootBehavior.NEVER_REBOOTS) {
                note(m.name(), id, "skipped", id + " is " + man.rebootBehavior().label() + ", not a hotpatch; standalone mode installs hotpatches only", null);
                continue;
            }
            if (!config.policy().classifications().contains(man.classification())) {
                note(m.name(), id, "skipped", id + " is classified " + man.classification().label() + ", which policy.classifications ("
                        + config.policy().classifications() + ") does not include", null);
                continue;
            }
            if (supersededInFolder.contains(id)) {
                continue;
            }
            String mismatch = baselineMismatch(man, collected.diskClasses());
            if (mismatch != null) {
                note(m.name(), id, "not_applicable", id + " does not apply to machine " + m.name() + ": " + mismatch, null);
                continue;
            }
            Instant now = clock.instant();
            if (!window.isOpen(now, zone)) {
                note(m.name(), id, "deferred", id + " applies to machine " + m.name() + " and waits for its maintenance window ("
                        + window + ", " + zone.getId() + ")", null);
                continue;
            }
            Command c = new Command("local-" + UUID.randomUUID(), m.name(), new Action.InstallHotpatch(id,
                    new Artifact(p.manifest().id() + ".hotpatch", p.sha256(), findFile(listed, p).toUri())), actor, now);
            CommandResult r = executor.execute(c);
            history.append(History.Entry.of(r, actor));
            executor.acknowledge(c.id());
            noted.remove(m.name() + "|" + id);
            results.add(r);
        }
        return results;
    }

    /**
     * Why the package's classes are not the bytes on the machine's class path, or null when every
     * class it replaces is there with its baseline bytes.
     */
    static String baselineMismatch(PackageManifest man, Map<String, String> diskClasses) {
        List<String> absent = new ArrayList<>();
        for (ClassPatch c : man.classes()) {
            if (c.kind() != ClassPatch.Kind.REPLACE) {
                continue;
            }
            String onDisk = diskClasses.get(c.name());
            if (onDisk == null) {
                absent.add(c.name().replace('/', '.'));
            } else if (!onDisk.equals(c.baselineSha256())) {
                return "class " + c.name().replace('/', '.') + " on its class path has bytes " + onDisk.substring(0, 12)
                        + "…, not the package's baseline " + c.baselineSha256().substring(0, 12) + "… (it runs another build)";
            }
        }
        if (!absent.isEmpty()) {
            return "its class path has no " + String.join(", ", absent);
        }
        return null;
    }

    private static Path findFile(List<CatalogFolder.Listed> listed, HotpatchPackage p) {
        for (CatalogFolder.Listed l : listed) {
            if (l.pkg() == p) {
                return l.file();
            }
        }
        throw new IllegalStateException("package " + p.manifest().id() + " is not in the listing it came from");
    }

    /** Writes a verdict to the history unless the same verdict for this machine and package was written last. */
    private void note(String machine, String kbOrFile, String outcome, String message, Map<String, Object> details) {
        String key = machine + "|" + kbOrFile;
        String verdict = outcome + "|" + message;
        if (verdict.equals(noted.get(key))) {
            return;
        }
        noted.put(key, verdict);
        LOG.log(System.Logger.Level.INFO, message);
        history.append(new History.Entry(clock.instant(), machine, "policy", kbOrFile.equals("*") ? null : kbOrFile, outcome, message,
                actor, null, details));
    }
}
