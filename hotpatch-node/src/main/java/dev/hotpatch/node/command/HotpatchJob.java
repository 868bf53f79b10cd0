package dev.hotpatch.node.command;

import dev.hotpatch.attach.ApplyResult;
import dev.hotpatch.attach.NotSupportedException;
import dev.hotpatch.attach.UninstallResult;
import dev.hotpatch.format.HotpatchPackage;
import dev.hotpatch.format.PackageException;
import dev.hotpatch.format.TrustStore;
import dev.hotpatch.node.access.TargetAccess;
import dev.hotpatch.node.config.NodeConfig;
import dev.hotpatch.node.discovery.LocalMachine;
import dev.hotpatch.node.deadline.TargetCalls;
import dev.hotpatch.node.deadline.TargetTimeoutException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The hotpatch job: installs a hotpatch live (download, verify hash and signature on the node,
 * apply through the agent) and removes one. Both are all or nothing in the agent and idempotent,
 * so an interrupted one is simply sent again. Every call into the JVM runs under the node's change
 * deadline ({@link TargetCalls}): a JVM that is stopped or hung ends the command {@code timed_out}
 * instead of holding the node, and no second request is sent to it while the first is unanswered.
 * Thread-safe.
 */
final class HotpatchJob {
    /** Names the agent accepts as its {@code name=} option; other machine names load it unnamed. */
    private static final java.util.regex.Pattern AGENT_NAME = java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private final JobContext ctx;
    private final NodeConfig config;
    private final Journal journal;
    private final Fetcher fetcher;
    private final TargetCalls calls;

    /** What one install call into a JVM returned. */
    private record Applied(ApplyResult result, boolean loadedNow) {
        @Override
        public String toString() {
            return "the agent answered " + result.outcome() + ": " + result.message();
        }
    }

    /** What one removal call into a JVM returned: {@code result} null when nothing was to be done, with why. */
    private record Removed(UninstallResult result, String nothingToDo) {
        @Override
        public String toString() {
            return result == null ? nothingToDo : "the agent answered " + result.outcome() + ": " + result.message();
        }
    }

    HotpatchJob(JobContext ctx, Fetcher fetcher) {
        this.ctx = ctx;
        this.config = ctx.config;
        this.journal = ctx.journal;
        this.fetcher = fetcher;
        this.calls = ctx.calls;
    }

    CommandResult installHotpatch(Journal.Entry e, Action.InstallHotpatch a) {
        Optional<LocalMachine> running = ctx.target(e.command().machine());
        if (running.isEmpty()) {
            return notRunning(e);
        }
        LocalMachine m = running.get();
        // Only a call still unanswered keeps a change from being sent; a JVM that a listing merely found stopped or slow
        // gets it under the change deadline (held until a stopped JVM resumes), like any other.
        Optional<String> blocked = calls.unanswered(m.pid());
        if (blocked.isPresent()) {
            return ctx.notAnswering(e, m.notAnswering(blocked.get()));
        }
        Optional<Path> trust = config.trustFor(m.config());
        if (trust.isEmpty()) {
            return result(e, Status.REFUSED, "no trust folder is configured for machine " + m.name() + ", so package " + a.kbId()
                    + " cannot be verified; set node.trust (or machine." + m.name() + ".trust) in the node config to the folder"
                    + " holding the publisher's certificate", Map.of());
        }
        Path pkg = folder("packages").resolve(e.command().id() + ".hotpatch");
        boolean[] handedOver = {false};
        try {
            String problem = fetchVerified(a.pkg(), pkg);
            if (problem != null) {
                return result(e, Status.REFUSED, problem, Map.of());
            }
            HotpatchPackage verified;
            try {
                verified = HotpatchPackage.read(pkg, TrustStore.fromDirectory(trust.get()));
            } catch (PackageException x) {
                return result(e, Status.REFUSED, "package " + a.kbId() + " failed verification on the node: " + x.getMessage(),
                        Map.of("reason", x.reason().name()));
            }
            if (a.kbId() != null && !a.kbId().equals(verified.manifest().id())) {
                return result(e, Status.REFUSED, "the package sent as " + a.kbId() + " is " + verified.manifest().id()
                        + "; nothing was installed", Map.of());
            }
            journal.write(e.phase(Journal.Phase.APPLYING));
            try {
                handedOver[0] = true;
                Applied applied = calls.change(m.pid(), "the install of " + verified.manifest().id(), () -> {
                    // The package stays until the agent has read it, even when the node stopped waiting for the answer.
                    try {
                        TargetAccess.Applied done = ctx.access.apply(m.pid(), AGENT_NAME.matcher(m.name()).matches() ? m.name() : "", pkg,
                                trust.get(), actor(e));
                        return new Applied(done.result(), done.loadedNow());
                    } finally {
                        deleteQuietly(pkg);
                    }
                });
                ApplyResult r = applied.result();
                Map<String, Object> details = new LinkedHashMap<>();
                details.put("kbId", verified.manifest().id());
                details.put("pid", m.pid());
                details.put("agentLoadedNow", applied.loadedNow());
                details.put("durationMicros", r.durationMicros());
                List<Map<String, Object>> classes = new ArrayList<>();
                for (ApplyResult.PatchedClass pc : r.classes()) {
                    classes.add(Map.of("name", pc.name(), "loaders", pc.loaders(), "sha256", pc.sha256(), "pending", pc.pending()));
                }
                details.put("classes", classes);
                return switch (r.outcome()) {
                    case OK -> result(e, Status.SUCCEEDED, "installed " + verified.manifest().id() + " live in JVM " + m.pid()
                            + " (" + r.classes().size() + " class(es)); " + r.message(), details);
                    case NOOP -> result(e, Status.NOOP, r.message(), details);
                    case REFUSED -> result(e, isBaselineMismatch(r.message()) ? Status.NOT_APPLICABLE : Status.REFUSED,
                            "the agent refused " + verified.manifest().id() + ": " + r.message(), details);
                    case FAILED -> result(e, Status.FAILED, "the agent failed to install " + verified.manifest().id() + ": " + r.message(), details);
                };
            } catch (NotSupportedException x) {
                return result(e, Status.REFUSED, x.getMessage(), Map.of("reason", "NotSupported"));
            } catch (TargetTimeoutException x) {
                handedOver[0] = x.sent();
                return ctx.timedOut(e, m, x);
            }
        } finally {
            if (!handedOver[0]) {
                deleteQuietly(pkg);
            }
        }
    }

    /** Whether an agent refusal says the JVM runs other code than the package was built for. */
    static boolean isBaselineMismatch(String agentMessage) {
        return agentMessage != null && agentMessage.contains("does not match the baseline");
    }

    CommandResult uninstallHotpatch(Journal.Entry e, Action.UninstallHotpatch a) {
        Optional<LocalMachine> running = ctx.target(e.command().machine());
        if (running.isEmpty()) {
            return notRunning(e);
        }
        LocalMachine m = running.get();
        // Only a call still unanswered keeps a change from being sent; a JVM that a listing merely found stopped or slow
        // gets it under the change deadline (held until a stopped JVM resumes), like any other.
        Optional<String> blocked = calls.unanswered(m.pid());
        if (blocked.isPresent()) {
            return ctx.notAnswering(e, m.notAnswering(blocked.get()));
        }
        journal.write(e.phase(Journal.Phase.APPLYING));
        Removed removed;
        try {
            removed = calls.change(m.pid(), "the removal of " + (a.kbId() == null ? "its latest hotpatch" : a.kbId()), () -> {
                TargetAccess.Uninstalled un = ctx.access.uninstall(m.pid(), a.kbId(), actor(e));
                if (!un.present()) {
                    return new Removed(null, "no hotpatch agent runs in JVM " + m.pid() + ", so no hotpatch is installed");
                }
                if (un.result() == null) {
                    return new Removed(null, "hotpatch " + a.kbId() + " is not installed in JVM " + m.pid());
                }
                return new Removed(un.result(), null);
            });
        } catch (NotSupportedException x) {
            return result(e, Status.REFUSED, x.getMessage(), Map.of());
        } catch (TargetTimeoutException x) {
            return ctx.timedOut(e, m, x);
        }
        if (removed.result() == null) {
            return result(e, Status.NOOP, removed.nothingToDo(), Map.of());
        }
        UninstallResult r = removed.result();
        Map<String, Object> details = Map.of("kbId", r.id(), "pid", m.pid());
        return switch (r.outcome()) {
            case OK -> result(e, Status.SUCCEEDED, "uninstalled " + r.id() + " live from JVM " + m.pid() + "; " + r.message(), details);
            case NOOP -> result(e, Status.NOOP, r.message(), details);
            case REFUSED -> result(e, Status.REFUSED, "the agent refused to uninstall " + a.kbId() + ": " + r.message(), details);
            case FAILED -> result(e, Status.FAILED, "the agent failed to uninstall " + a.kbId() + ": " + r.message(), details);
        };
    }

    // ---- shared helpers, named as in the other jobs --------------------------------------------

    private CommandResult notRunning(Journal.Entry e) {
        return ctx.notRunning(e);
    }

    private CommandResult result(Journal.Entry e, Status s, String message, Map<String, Object> details) {
        return ctx.result(e, s, message, details);
    }

    private Path folder(String name) {
        return ctx.folder(name);
    }

    private String fetchVerified(Artifact a, Path target) {
        return fetcher.fetchVerified(a, target);
    }

    private static String actor(Journal.Entry e) {
        return JobContext.actor(e);
    }

    private static void deleteQuietly(Path p) {
        JobContext.deleteQuietly(p);
    }
}
