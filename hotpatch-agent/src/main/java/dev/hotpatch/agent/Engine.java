package dev.hotpatch.agent;

import dev.hotpatch.format.ClassPatch;
import dev.hotpatch.format.HotpatchPackage;
import dev.hotpatch.format.OwnerOnly;
import dev.hotpatch.format.PackageException;
import dev.hotpatch.format.PackageManifest;
import dev.hotpatch.format.RebootBehavior;
import dev.hotpatch.format.TrustStore;
import dev.hotpatch.format.channel.Message;
import java.io.IOException;
import java.lang.instrument.Instrumentation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The agent's operations: apply, uninstall, clear a quarantine, list, ping; and the start-up that
 * re-applies what an enrolled JVM accepted before. It decides <em>whether</em> an operation may
 * happen (trust from {@link TrustPolicy}, persistence from {@link StateStore}, crash quarantine from
 * {@link CrashQuarantine}) and leaves <em>how</em> classes change to {@link Patcher}.
 *
 * <p>Every operation is all or nothing: a live change whose persistence fails is rolled back, and
 * the reply says why. An enrolled agent whose state folder is unusable refuses to apply (a fix that
 * vanishes at the next restart is not installed); an attached agent never persists, because it is
 * not there when the JVM starts again.
 *
 * <p>Thread-safety: operations are serialised by synchronising on the engine.
 */
final class Engine {
    private final AgentOptions options;
    private final HotpatchAgent.Mode mode;
    private final CodeSourceLedger ledger;
    private final Patcher patcher;
    private final Fixups fixups;
    private final TrustPolicy trust;
    /** Null when nothing persists: an attached agent, or an enrolled one whose state folder is unusable ({@link #storeProblem}). */
    private final StateStore store;
    private final String storeProblem;
    private final CrashQuarantine quarantine;
    /** Live hotpatches, in install order. */
    private final List<Installed> installed = new ArrayList<>();
    /** Persisted hotpatches that are not live (quarantined, revoked, unrestored). */
    private final List<Held> held = new ArrayList<>();
    /** What the state folder lists, in install order: the source of every save. */
    private List<StateStore.Record> persisted = new ArrayList<>();
    private final List<String> problems = new ArrayList<>();
    private Path staging;

    Engine(Instrumentation inst, AgentOptions options, HotpatchAgent.Mode mode) {
        if (!inst.isRedefineClassesSupported()) {
            throw new IllegalStateException("this JVM does not support class redefinition");
        }
        this.options = options;
        this.mode = mode;
        this.ledger = new CodeSourceLedger(mode == HotpatchAgent.Mode.ATTACHED);
        this.patcher = new Patcher(inst, ledger);
        this.fixups = new Fixups(inst, options.fixupTimeoutMillis);
        this.trust = new TrustPolicy(options.trust, mode);
        StateStore s = null;
        String problem = null;
        if (mode == HotpatchAgent.Mode.ENROLLED) {
            try {
                s = StateStore.open(options.stateDir());
            } catch (IOException e) {
                problem = "the state folder " + options.stateDir() + " is unusable (" + e.getMessage() + ")";
                System.err.println("[hotpatch] " + problem + ": hotpatches cannot be applied to this JVM until it is fixed"
                        + " and the JVM restarted; start the agent with state=<owner-only folder>");
            }
        }
        this.store = s;
        this.storeProblem = problem;
        this.quarantine = new CrashQuarantine(store, options.probationMillis);
        publishProperties();
    }

    HotpatchAgent.Mode mode() {
        return mode;
    }

    /**
     * Does ahead of time, on the calling (background) thread, the first-use work of an apply that
     * does not depend on the package: reading the trust folder; verifying a tiny signed package kept
     * in the agent jar ({@code warmup/warmup.hotpatch}, one empty class, checked against its own
     * {@code warmup/signer.crt} only, whose private key was thrown away) exactly as an apply verifies,
     * so that the JDK's zip, certificate, SHA-256 and RSA code has loaded and run once; and initialising
     * signature checks with the trusted publishers' keys. Applies nothing, trusts nothing new, changes
     * nothing: a later apply still runs every check.
     */
    void warm() {
        Warmup.verifyCarriedPackage();
        java.util.List<java.security.cert.X509Certificate> certs;
        synchronized (this) {
            trust.warm();
            certs = trust.warmCertificates();
        }
        Warmup.signatures(certs);
    }

    /** Folder where packages are copied before verification; owner-only, set by the channel. */
    synchronized void stagingDir(Path dir) {
        this.staging = dir;
    }

    /**
     * Re-activates the hotpatches persisted by earlier runs of an enrolled JVM, each verified again
     * against the trust folder of today, except those the JVM's death during their probation put in
     * quarantine. Runs before the application's classes load, so they are patched as they load.
     */
    synchronized void restore() {
        if (store == null) {
            return;
        }
        persisted = store.load(problems);
        StateStore.PreviousRun previous = store.previousRun(problems);
        boolean changed = quarantine.onStart(persisted, previous);
        TrustStore current = null;
        String trustProblem = null;
        if (!persisted.isEmpty()) {
            try {
                current = trust.forRestore();
            } catch (Refusal e) {
                trustProblem = e.getMessage();
            }
        }
        for (StateStore.Record r : persisted) {
            if (r.quarantinedSince != null) {
                hold(r, Held.QUARANTINED, r.quarantinedSince, r.quarantineReason);
            } else if (trustProblem != null) {
                hold(r, Held.UNRESTORED, Instant.now(), trustProblem);
            } else {
                restoreOne(r, current);
            }
        }
        if (!installed.isEmpty()) {
            try {
                patcher.converge(installed, Collections.<String>emptySet(), null, true);
            } catch (Refusal e) {
                // Never half-restored: without its loaded classes, a restored patch is not installed.
                for (Installed i : installed) {
                    hold(i.record, Held.UNRESTORED, Instant.now(), "not re-applied: " + e.getMessage());
                }
                installed.clear();
            }
            patcher.plan(installed);
        }
        changed |= quarantine.expire(installed, Instant.now());
        if (changed) {
            saveQuietly();
        }
        quarantine.startRun();
        if (quarantine.onProbation(installed)) {
            quarantine.watch(this);
        }
        publishProperties();
    }

    private void restoreOne(StateStore.Record r, TrustStore current) {
        try {
            HotpatchPackage pkg = HotpatchPackage.read(r.file, current);
            if (!pkg.sha256().equals(r.sha256)) {
                hold(r, Held.UNRESTORED, Instant.now(), "its stored package " + r.file + " changed since it was accepted");
                return;
            }
            Installed restored = new Installed(pkg, r);
            if (restored.fixupClass() != null) {
                restored.fixupRun = new Fixups.Run("not-run", "afterApply() not run: the hotpatch was re-applied at JVM start,"
                        + " before the library built any state, so the fixed code builds it");
            }
            installed.add(restored);
        } catch (PackageException e) {
            if (e.reason() == PackageException.Reason.UNTRUSTED) {
                HotpatchPackage unverified = HotpatchPackage.read(r.file, true);
                hold(r, Held.REVOKED, Instant.now(), "signed by " + unverified.signerDescriptions() + ", which is no longer in"
                        + " the trust folder " + trust.folder() + "; not re-applied. Uninstall it, or put the certificate back and restart");
            } else {
                hold(r, Held.UNRESTORED, Instant.now(), e.getMessage());
            }
        }
    }

    /** Keeps a persisted hotpatch that is not live, reporting it. */
    private void hold(StateStore.Record r, String state, Instant since, String reason) {
        PackageManifest manifest = null;
        try {
            manifest = HotpatchPackage.read(r.file, true).manifest();
        } catch (PackageException e) {
            // Tampered or missing: only its id is known; it is reported as a problem below.
        }
        Held h = new Held(r, manifest, state, since, reason);
        held.add(h);
        if (!h.listed()) {
            problems.add("persisted hotpatch " + r.id + " not restored: " + reason);
        }
        System.err.println("[hotpatch] persisted hotpatch " + r.id + " is " + state + ": " + reason);
    }

    /**
     * Applies the package at {@code file}, verified against the agent's trust folder (which
     * {@code trustDir}, when given, must be).
     *
     * @param allowPending install even when no class of the package is in this JVM yet
     */
    synchronized Message apply(Path file, Path trustDir, String actor, boolean allowPending) {
        long start = System.nanoTime();
        if (mode == HotpatchAgent.Mode.ENROLLED && store == null) {
            throw new Refusal(storeProblem + ", so a hotpatch applied now would vanish at the next restart; nothing was"
                    + " changed. Make the folder owner-only (chmod 700, owned by the JVM's user) and restart the JVM, or"
                    + " restart it with the agent option state=<owner-only folder>");
        }
        Phases phases = new Phases(start);
        TrustStore verifyWith = trust.forRequest(trustDir);
        phases.end("trust");
        // Read once into memory, checked and applied from there: the file cannot change between
        // check and use, and no copy is written and deleted on the way.
        byte[] data = readPackage(file);
        phases.end("read");
        HotpatchPackage pkg;
        Path copy = null;
        try {
            pkg = HotpatchPackage.readSignedManifest(data, file.getFileName().toString(), verifyWith);
            if (pkg == null) {
                // Decided by its JAR signature (a package built before manifest signatures), which
                // the JDK checks only on a file: a private copy of the bytes read.
                copy = stage(data);
                pkg = HotpatchPackage.read(copy, verifyWith);
            }
            phases.end("verify");
        } catch (PackageException e) {
            deleteQuietly(copy);
            throw new Refusal(e.getMessage(), e);
        }
        String id = pkg.manifest().id();
        try {
            Message noop = checkApplicable(pkg);
            if (noop != null) {
                deleteQuietly(copy);
                return noop.put("title", pkg.manifest().title());
            }
        } catch (Refusal e) {
            deleteQuietly(copy);
            throw e;
        }
        Instant now = Instant.now();
        StateStore.Record record = new StateStore.Record(id, copy, pkg.sha256(), now, actor == null ? "" : actor);
        record.probationUntil = quarantine.probationFrom(now);
        Installed candidate = new Installed(pkg, record);
        try {
            Fixups.check(candidate);
        } catch (Refusal e) {
            deleteQuietly(copy);
            throw e;
        }
        Set<String> superseded = new HashSet<>(candidate.manifest.supersedes());
        Set<String> names = classNames(candidate, superseded);
        List<Installed> before = new ArrayList<>(installed);
        installed.add(candidate);
        Map<String, Patcher.ClassOutcome> outcome;
        phases.end("check");
        // The plan goes first, so that one scan of the loaded classes suffices: a copy that loads
        // from now on is patched as it loads, one loaded before is found by the scan.
        patcher.plan(installed);
        phases.end("plan");
        try {
            outcome = patcher.converge(installed, names, candidate, allowPending, phases);
        } catch (RuntimeException e) {
            installed.clear();
            installed.addAll(before);
            patcher.undoPlan(installed, names);
            deleteQuietly(copy);
            throw e;
        }
        try {
            candidate.fixupRun = fixups.afterApply(candidate);
        } catch (Fixups.Failure f) {
            throw fixupFailed(candidate, f, before, names, copy);
        }
        phases.end("fixup");
        try {
            if (store != null) {
                StateStore.Record stored = new StateStore.Record(id, store.keep(id, data), pkg.sha256(), now, record.installedBy);
                stored.probationUntil = record.probationUntil;
                List<StateStore.Record> next = without(persisted, id);
                next.add(stored);
                store.save(next);
                persisted = next;
                Installed kept = new Installed(pkg, stored);
                kept.fixupRun = candidate.fixupRun;
                installed.set(installed.indexOf(candidate), kept);
                for (java.util.Iterator<Held> it = held.iterator(); it.hasNext(); ) {
                    if (it.next().id().equals(id)) {
                        it.remove();
                    }
                }
            }
        } catch (IOException e) {
            // All or nothing: a fix that would silently vanish at the next restart is not installed.
            installed.clear();
            installed.addAll(before);
            patcher.plan(installed);
            patcher.converge(installed, names, null, true);
            List<String> hookProblems = candidate.fixupRun == null ? Collections.<String>emptyList()
                    : fixups.afterUninstall(candidate, candidate.fixupRun.liveLoaders());
            return reply("failed", id + " was redefined but could not be persisted in " + store.dir() + " (" + e.getMessage()
                    + "), so it was rolled back: nothing changed" + (hookProblems.isEmpty() ? "" : " (but " + String.join("; ", hookProblems)
                    + ")") + ". Fix the state folder (owner-only, space on disk) and retry")
                    .put("id", id);
        } finally {
            deleteQuietly(copy);
        }
        phases.end("persist");
        trust.accepted(trustDir);
        if (record.probationUntil != null) {
            quarantine.watch(this);
        }
        publishProperties();
        phases.end("publish");
        Message m = reply("ok", id + " applied: " + describe(outcome) + (candidate.fixupRun == null ? ""
                : "; fix-up " + candidate.fixupClass().binaryName() + ": " + candidate.fixupRun.detail)
                + (store == null ? "; live in this JVM only (the agent was"
                + " attached, so nothing re-applies it when the JVM restarts)" : "")).put("id", id)
                .put("durationMicros", (System.nanoTime() - start) / 1000).put("phases", phases.toString()).put("persisted", store != null)
                .put("title", candidate.manifest.title());
        int n = 0;
        for (ClassPatch c : candidate.manifest.classes()) {
            Patcher.ClassOutcome o = outcome.get(c.name());
            m.put("classes." + n + ".name", c.name());
            m.put("classes." + n + ".kind", c.kind() == ClassPatch.Kind.ADDED ? "added" : "replace");
            m.put("classes." + n + ".loaders", o == null ? 0 : o.copies);
            m.put("classes." + n + ".sha256", c.sha256());
            m.put("classes." + n + ".pending", o == null || o.copies == 0);
            n++;
        }
        fixup(m, "", candidate);
        return m.put("classes.count", n);
    }

    /**
     * Rolls back an apply whose fix-up's {@code afterApply()} threw, exactly as a refused apply:
     * the previous code back in every loader, nothing persisted; then {@code afterUninstall()},
     * when declared, in the loaders where {@code afterApply()} had run or failed.
     */
    private Refusal fixupFailed(Installed candidate, Fixups.Failure f, List<Installed> before, Set<String> names, Path copy) {
        installed.clear();
        installed.addAll(before);
        patcher.undoPlan(installed, names);
        deleteQuietly(copy);
        List<ClassLoader> undo = new ArrayList<>(f.ran);
        if (!f.stillRunning) {
            // Not beside an afterApply() that has not ended: the two would race over the same state.
            undo.add(f.failedIn);
        }
        boolean declared = Fixups.hooks(candidate).contains(Fixups.AFTER_UNINSTALL);
        List<String> problems = fixups.afterUninstall(candidate, undo);
        String undone = !declared ? "; the fix-up declares no afterUninstall(), so whatever afterApply() changed before it "
                + (f.stillRunning ? "stopped returning" : "threw") + " stays"
                : !problems.isEmpty() ? "; " + String.join("; ", problems)
                : undo.isEmpty() ? "" : "; afterUninstall() ran in " + undo.size() + " class loader" + (undo.size() == 1 ? "" : "s");
        return new Refusal(candidate.id() + " was not applied: its fix-up " + f.getMessage() + ". The redefinition was rolled"
                + " back: the previous code runs again in every class loader and nothing was persisted" + undone
                + (f.stillRunning ? "; afterUninstall() was not called where afterApply() is still running, and whatever that call"
                + " changes when it ends stays" : "")
                + ". Fix the fix-up and rebuild the package", f);
    }

    /** The fix-up fields of an apply reply or a list entry: its class, hooks, and whether it ran. */
    private static void fixup(Message m, String p, Installed i) {
        ClassPatch c = i.fixupClass();
        if (c == null) {
            return;
        }
        m.put(p + "fixup", c.binaryName()).put(p + "fixup.hooks", String.join(",", Fixups.hooks(i)));
        if (i.fixupRun != null) {
            m.put(p + "fixup.state", i.fixupRun.state).put(p + "fixup.detail", i.fixupRun.detail);
        }
    }

    /** Refuses what cannot be applied; answers the no-op reply when this very package is live already; null to go on. */
    private Message checkApplicable(HotpatchPackage pkg) {
        String id = pkg.manifest().id();
        for (Installed i : installed) {
            if (i.id().equals(id)) {
                if (i.manifest.classes().equals(pkg.manifest().classes())
                        && i.manifest.supersedes().equals(pkg.manifest().supersedes())) {
                    return reply("noop", id + " is already installed; nothing changed").put("id", id);
                }
                throw new Refusal("a different package with id " + id + " is already installed (other classes or"
                        + " supersedes); uninstall it first or give the new package its own id");
            }
        }
        if (pkg.manifest().rebootBehavior() != RebootBehavior.NEVER_REBOOTS) {
            throw new Refusal(id + " is not a hotpatch (" + pkg.manifest().rebootBehavior().label()
                    + "): it must be installed as a baseline with a restart");
        }
        List<ClassPatch> adds = new ArrayList<>();
        for (ClassPatch c : pkg.manifest().classes()) {
            if (c.kind() == ClassPatch.Kind.ADDED) {
                try {
                    String declared = ClassHeader.read(c.bytes()).name;
                    if (!declared.equals(c.name())) {
                        throw new IllegalArgumentException("its class file declares " + declared);
                    }
                } catch (IllegalArgumentException e) {
                    throw new Refusal(id + " adds class " + c.name() + ", whose entry is not a usable class file: " + e.getMessage()
                            + "; rebuild the package");
                }
                adds.add(c);
            }
        }
        try {
            AddedClasses.order(adds);
        } catch (IllegalArgumentException e) {
            throw new Refusal(id + ": " + e.getMessage() + "; rebuild the package");
        }
        Set<String> superseded = new HashSet<>(pkg.manifest().supersedes());
        for (ClassPatch c : pkg.manifest().classes()) {
            if (c.kind() == ClassPatch.Kind.ADDED) {
                continue;
            }
            for (Installed other : Patcher.active(installed)) {
                if (!superseded.contains(other.id()) && other.patchFor(c.name(), c.baselineSha256()) != null) {
                    throw new Refusal("class " + c.name() + " is already patched by " + other.id() + ", which " + id
                            + " does not supersede; uninstall " + other.id() + " first or rebuild " + id + " with --supersedes " + other.id());
                }
            }
        }
        return null;
    }

    /**
     * Uninstalls {@code id}, or the latest active hotpatch when {@code id} is null, restoring the
     * previous bytes live; a quarantined or revoked one (not live) is only removed from the state.
     * If the state folder cannot record it, the live change is rolled back and the reply says so.
     */
    synchronized Message uninstall(String id, String actor) {
        if (id != null && !id.isEmpty()) {
            for (Held h : held) {
                if (h.id().equals(id)) {
                    return forget(h);
                }
            }
        }
        if (installed.isEmpty()) {
            throw new Refusal("no hotpatch is installed in this JVM");
        }
        Installed target = null;
        if (id == null || id.isEmpty()) {
            List<Installed> act = Patcher.active(installed);
            target = act.get(act.size() - 1);
        } else {
            for (Installed i : installed) {
                if (i.id().equals(id)) {
                    target = i;
                }
            }
            if (target == null) {
                throw new Refusal(id + " is not installed in this JVM; 'hotpatch list' shows what is");
            }
            for (Installed i : installed) {
                if (i.manifest.supersedes().contains(id)) {
                    throw new Refusal(id + " is superseded by " + i.id() + "; uninstall " + i.id() + " first");
                }
            }
        }
        List<Installed> before = new ArrayList<>(installed);
        installed.remove(target);
        Set<String> names = classNames(target, new HashSet<>(target.manifest.supersedes()));
        patcher.plan(installed);
        try {
            patcher.converge(installed, names, null, true);
        } catch (RuntimeException e) {
            installed.clear();
            installed.addAll(before);
            patcher.undoPlan(installed, names);
            throw e;
        }
        if (store != null) {
            List<StateStore.Record> next = without(persisted, target.id());
            try {
                store.save(next);
            } catch (IOException e) {
                // It would come back at the next restart: undo the live change rather than answer ok.
                installed.clear();
                installed.addAll(before);
                patcher.plan(installed);
                patcher.converge(installed, names, null, true);
                return reply("failed", "could not record the uninstall of " + target.id() + " in " + store.dir() + " ("
                        + e.getMessage() + "), so it was rolled back: " + target.id() + " is still installed and active."
                        + " Fix the state folder (owner-only, space on disk) and retry").put("id", target.id());
            }
            persisted = next;
            forgetFile(target.id());
        }
        publishProperties();
        String hookNote = "";
        if (target.fixupRun != null && "ran".equals(target.fixupRun.state)) {
            List<ClassLoader> loaders = target.fixupRun.liveLoaders();
            List<String> problems = fixups.afterUninstall(target, loaders);
            if (!Fixups.hooks(target).contains(Fixups.AFTER_UNINSTALL)) {
                hookNote = "; its fix-up declares no afterUninstall(), so the state afterApply() repaired stays as it left it";
            } else if (problems.isEmpty()) {
                hookNote = "; fix-up " + target.fixupClass().binaryName() + ".afterUninstall() ran in " + loaders.size()
                        + " class loader" + (loaders.size() == 1 ? "" : "s");
            } else {
                hookNote = "; the previous code is restored, but " + String.join("; ", problems);
            }
        }
        return reply("ok", target.id() + " uninstalled; previous code restored without restart" + (target.added.isEmpty() ? ""
                : "; the " + target.added.size() + " class(es) it added stay defined (a class cannot be unloaded), unreferenced by"
                + " the restored code") + hookNote).put("id", target.id()).put("actor", actor);
    }

    private Message forget(Held h) {
        List<StateStore.Record> next = without(persisted, h.id());
        try {
            store.save(next);
        } catch (IOException e) {
            return reply("failed", "could not remove " + h.state + " " + h.id() + " from " + store.dir() + " (" + e.getMessage()
                    + "); nothing changed. Fix the state folder and retry").put("id", h.id());
        }
        persisted = next;
        held.remove(h);
        forgetFile(h.id());
        return reply("ok", h.id() + " was " + h.state + " (not running); it is removed from this JVM's saved state and will"
                + " not come back").put("id", h.id());
    }

    /**
     * Clears the quarantine of {@code id}: applies its stored package again, live, with every check
     * of a first apply (trust of today, baseline bytes); a new probation starts.
     */
    synchronized Message clear(String id, String actor, boolean allowPending) {
        for (Held h : held) {
            if (h.id().equals(id)) {
                if (!h.state.equals(Held.QUARANTINED)) {
                    throw new Refusal(id + " is " + h.state + ", not quarantined: " + h.reason);
                }
                return apply(h.record.file, null, actor, allowPending);
            }
        }
        throw new Refusal(id + " is not quarantined in this JVM; 'hotpatch list' shows what is");
    }

    /** Get-HotFix: the hotpatches of this JVM, live ones first in install order, then those held back, with the bytes in use. */
    synchronized Message list() {
        Set<String> names = new HashSet<>();
        for (Installed i : installed) {
            names.addAll(i.classes.keySet());
            names.addAll(i.added.keySet());
        }
        for (Held h : held) {
            if (h.listed()) {
                for (ClassPatch c : h.manifest.classes()) {
                    names.add(c.name());
                }
            }
        }
        Map<String, List<Patcher.Copy>> copies = patcher.copiesInUse(names);
        Set<String> activeIds = new HashSet<>();
        for (Installed i : Patcher.active(installed)) {
            activeIds.add(i.id());
        }
        Message m = reply("ok", installed.size() + " hotpatch(es) installed");
        int n = 0;
        for (Installed i : installed) {
            String p = "installed." + n++ + ".";
            boolean active = activeIds.contains(i.id());
            describe(m, p, i.manifest, i.record).put(p + "active", active).put(p + "state", active ? "active" : "superseded");
            if (i.record.probationUntil != null) {
                m.put(p + "probationUntil", i.record.probationUntil.toString());
            }
            fixup(m, p, i);
            classes(m, p, i.manifest, copies);
        }
        for (Held h : held) {
            if (!h.listed()) {
                continue;
            }
            String p = "installed." + n++ + ".";
            describe(m, p, h.manifest, h.record).put(p + "active", false).put(p + "state", h.state)
                    .put(p + "stateSince", h.since.toString()).put(p + "stateReason", h.reason);
            if (!h.manifest.fixup().isEmpty()) {
                m.put(p + "fixup", h.manifest.fixup().replace('/', '.')).put(p + "fixup.state", "not-run")
                        .put(p + "fixup.detail", "afterApply() not run: the hotpatch is " + h.state);
            }
            classes(m, p, h.manifest, copies);
        }
        m.put("installed.count", n);
        CodeSourceLedger.RestartPending pending = ledger.restartPending();
        if (pending != null) {
            m.put("restartPending.since", pending.since.toString()).put("restartPending.reason", pending.reason);
        }
        if (!problems.isEmpty()) {
            m.put("problems", String.join(" | ", problems));
        }
        return m.put("mode", mode.label).put("stateDir", store == null ? "" : store.dir().toString())
                .put("trust", trust.folder() == null ? "" : trust.folder().toString());
    }

    private Message describe(Message m, String p, PackageManifest manifest, StateStore.Record r) {
        return m.put(p + "id", manifest.id()).put(p + "title", manifest.title())
                .put(p + "classification", manifest.classification().label())
                .put(p + "description", manifest.description())
                .put(p + "installedOn", r.installedOn.toString()).put(p + "installedBy", r.installedBy)
                .put(p + "supersedes", String.join(",", manifest.supersedes()))
                .put(p + "cves", String.join(",", manifest.cves()))
                .put(p + "persisted", store != null);
    }

    /** Per class: the package's bytes, how many copies run them, and every loaded copy with the hash of the bytes it runs. */
    private static void classes(Message m, String p, PackageManifest manifest, Map<String, List<Patcher.Copy>> copies) {
        int c = 0;
        for (ClassPatch cp : manifest.classes()) {
            String q = p + "classes." + c++ + ".";
            List<Patcher.Copy> inUse = copies.getOrDefault(cp.name(), Collections.<Patcher.Copy>emptyList());
            int running = 0;
            int k = 0;
            for (Patcher.Copy copy : inUse) {
                running += copy.sha256.equals(cp.sha256()) ? 1 : 0;
                m.put(q + "copies." + k + ".loader", copy.loader).put(q + "copies." + k + ".sha256", copy.sha256);
                k++;
            }
            m.put(q + "name", cp.name()).put(q + "sha256", cp.sha256()).put(q + "loaders", running).put(q + "copies.count", k)
                    .put(q + "kind", cp.kind() == ClassPatch.Kind.ADDED ? "added" : "replace");
        }
        m.put(p + "classes.count", c);
    }

    synchronized Message ping() {
        return reply("ok", "hotpatch agent " + version() + " (" + mode.label + ")")
                .put("version", version()).put("mode", mode.label).put("machine", options.name)
                .put("javaVersion", System.getProperty("java.version")).put("persistent", store != null)
                .put("trust", trust.folder() == null ? "" : trust.folder().toString());
    }

    /**
     * One beat of the probation watch: ends the probations that are over, leaves a sign of life.
     *
     * @return whether a hotpatch is still on probation (false stops the watch)
     */
    synchronized boolean probationTick() {
        if (quarantine.expire(installed, Instant.now())) {
            saveQuietly();
        }
        return quarantine.beat(installed);
    }

    // ---- internals -------------------------------------------------------------------------

    private void saveQuietly() {
        try {
            store.save(persisted);
        } catch (IOException e) {
            String problem = "cannot update the state folder " + store.dir() + ": " + e.getMessage();
            if (!problems.contains(problem)) {
                problems.add(problem);
            }
            System.err.println("[hotpatch] " + problem);
        }
    }

    private void forgetFile(String id) {
        try {
            store.forget(id);
        } catch (IOException e) {
            // The list no longer names it: a leftover file is never re-applied.
            System.err.println("[hotpatch] could not delete the stored package of " + id + ": " + e.getMessage());
        }
    }

    private static List<StateStore.Record> without(List<StateStore.Record> records, String id) {
        List<StateStore.Record> out = new ArrayList<>();
        for (StateStore.Record r : records) {
            if (!r.id.equals(id)) {
                out.add(r);
            }
        }
        return out;
    }

    private Set<String> classNames(Installed pkg, Set<String> alsoFrom) {
        Set<String> names = new HashSet<>(pkg.classes.keySet());
        for (Installed i : installed) {
            if (alsoFrom.contains(i.id())) {
                names.addAll(i.classes.keySet());
            }
        }
        return names;
    }

    private static String describe(Map<String, Patcher.ClassOutcome> outcome) {
        int copies = 0;
        int added = 0;
        for (Patcher.ClassOutcome o : outcome.values()) {
            if (o.added) {
                added += o.copies;
            } else {
                copies += o.copies;
            }
        }
        return copies + " loaded class cop" + (copies == 1 ? "y" : "ies") + " redefined"
                + (added == 0 ? "" : ", " + added + " added class cop" + (added == 1 ? "y" : "ies") + " in place");
    }

    /** The package file's bytes, read once: what is checked is what is applied, whatever happens to the file meanwhile. */
    private static byte[] readPackage(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new Refusal("package file " + file + " does not exist or is not readable by the target JVM");
        }
        try {
            return HotpatchPackage.readFile(file);
        } catch (PackageException e) {
            throw new Refusal(e.getMessage() + " (read by the target JVM)", e);
        }
    }

    /**
     * Writes {@code data} to a new owner-only file in the agent's private staging folder, for the
     * JDK's signed-JAR check, which reads only files. Deleted by the caller.
     */
    private Path stage(byte[] data) {
        Path copy = null;
        try {
            Path dir = staging != null ? staging : Files.createTempDirectory("hotpatch-stage-");
            copy = OwnerOnly.createTempFile(dir, "pkg-");
            // Into the owner-only file just created, so the copy is never readable by others.
            Files.write(copy, data, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
            return copy;
        } catch (IOException e) {
            deleteQuietly(copy);
            throw new Refusal("cannot stage the package in the agent's private folder: " + e, e);
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            if (p != null) {
                Files.deleteIfExists(p);
            }
        } catch (IOException ignored) {
            // Staging copies live in an owner-only folder removed at exit.
        }
    }

    private void publishProperties() {
        List<String> ids = new ArrayList<>();
        for (Installed i : installed) {
            ids.add(i.id());
        }
        System.setProperty("hotpatch.agent.version", version());
        System.setProperty("hotpatch.agent.mode", mode.label);
        System.setProperty("hotpatch.agent.machine", options.name);
        System.setProperty("hotpatch.agent.installed", String.join(",", ids));
    }

    static String version() {
        String v = Engine.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    private static Message reply(String status, String message) {
        return Message.of("status", status, "message", message);
    }
}
