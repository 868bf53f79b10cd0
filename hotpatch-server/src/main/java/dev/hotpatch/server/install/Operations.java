package dev.hotpatch.server.install;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.hotpatch.format.Classification;
import dev.hotpatch.server.ServerException;
import dev.hotpatch.server.assessment.Assessment;
import dev.hotpatch.server.assessment.Assessor;
import dev.hotpatch.server.assessment.MissingUpdate;
import dev.hotpatch.server.catalog.Baseline;
import dev.hotpatch.server.catalog.Catalog;
import dev.hotpatch.server.catalog.Update;
import dev.hotpatch.server.history.History;
import dev.hotpatch.server.machine.Machine;
import dev.hotpatch.server.machine.MachineReport;
import dev.hotpatch.server.machine.Machines;
import dev.hotpatch.server.store.Database;
import dev.hotpatch.server.store.Ids;
import dev.hotpatch.server.store.Json;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jdbi.v3.core.Handle;

/**
 * Long-running actions on machines: install now, uninstall the latest hotpatch, roll back to the
 * last known good baseline, restart, assess now. Each becomes an operation row with one item per
 * update and a sequence of commands for the machine's node; node results advance the items, write
 * history and, when the last command is answered, settle the operation. Everything is in the
 * database, so any replica can take any step and a crash loses nothing. Thread-safe.
 */
public final class Operations {
    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {
    };
    private static final TypeReference<List<MissingUpdate>> MISSING = new TypeReference<>() {
    };
    /** Default window of an operation. */
    public static final Duration DEFAULT_DURATION = Duration.ofMinutes(120);

    private final Database db;
    private final Clock clock;
    private final Machines machines;
    private final Catalog catalog;
    private final Assessor assessor;
    private final History history;
    private final Commands commands;

    public Operations(Database db, Clock clock, Machines machines, Catalog catalog, Assessor assessor, History history, Commands commands) {
        this.db = db;
        this.clock = clock;
        this.machines = machines;
        this.catalog = catalog;
        this.assessor = assessor;
        this.history = history;
        this.commands = commands;
    }

    /** Installs the machine's missing updates that the request selects, at once (not availability-first). */
    public Operation install(String machineRef, InstallRequest req, String actor) {
        String reboot = reboot(req.reboot());
        Duration window = window(req.maxDurationMinutes());
        Set<String> classifications = new LinkedHashSet<>();
        for (String c : req.classifications() == null ? List.<String>of() : req.classifications()) {
            try {
                classifications.add(Classification.parse(c).label());
            } catch (IllegalArgumentException e) {
                throw new ServerException.BadRequest("invalid-classification", e.getMessage(), "use Critical, Security, Updates or Definition");
            }
        }
        List<String> include = req.includeKbs() == null ? List.of() : req.includeKbs();
        List<String> exclude = req.excludeKbs() == null ? List.of() : req.excludeKbs();
        if (classifications.isEmpty() && include.isEmpty()) {
            for (Classification c : Classification.values()) {
                classifications.add(c.label());
            }
        }
        Machine machine = machines.get(machineRef);
        refuseIfIneligible(machine, "install", actor);
        return db.tx(h -> {
            for (String kb : concat(include, exclude)) {
                if (!kbExists(h, kb)) {
                    throw new ServerException.Refused("unknown-kb", "KB " + kb + " is not in the catalog",
                            "list updates with GET /api/v1/updates; check the KB id");
                }
            }
            String json = h.createQuery("SELECT missing_updates FROM machines WHERE id = :id").bind("id", machine.id())
                    .mapTo(String.class).one();
            List<MissingUpdate> missing = Json.read(json, MISSING);
            List<MissingUpdate> chosen = new ArrayList<>();
            for (MissingUpdate m : missing) {
                boolean wanted = include.contains(m.kbId()) || classifications.contains(m.classification());
                if (wanted && !exclude.contains(m.kbId())) {
                    chosen.add(m);
                }
            }
            List<String> notApplicable = new ArrayList<>();
            for (String kb : include) {
                if (missing.stream().noneMatch(m -> m.kbId().equals(kb))) {
                    notApplicable.add(kb);
                }
            }
            Map<String, Object> request = new LinkedHashMap<>();
            request.put("classifications", List.copyOf(classifications));
            request.put("includeKbs", include);
            request.put("excludeKbs", exclude);
            request.put("reboot", reboot);
            request.put("maxDurationMinutes", window.toMinutes());
            String message = notApplicable.isEmpty() ? null
                    : "not applicable to this machine (installed, superseded or for another baseline): " + String.join(", ", notApplicable);
            String opId = install(h, machine, chosen, reboot, window, request, message, actor);
            return operation(h, opId);
        });
    }

    /**
     * Queues the install of {@code chosen} (missing updates of the machine, each a live hotpatch, a
     * restart update or a baseline) in the caller's transaction, as Install now does once it has
     * chosen: live hotpatches first, then what needs the restart, then one restart when something
     * needs it and {@code reboot} allows. For callers that choose the updates themselves (rollouts,
     * whose actor is {@code rollout:ID}). Returns the operation id.
     */
    public String install(Handle h, Machine machine, List<MissingUpdate> chosen, String reboot, Duration window,
                          Map<String, Object> request, String message, String actor) {
        List<MissingUpdate> ordered = new ArrayList<>(chosen);
        // Live hotpatches first, then what needs the restart, then the restart itself.
        ordered.sort(Comparator.comparingInt(m -> "hotpatch".equals(m.kind()) ? 0 : "restart".equals(m.kind()) ? 1 : 2));
        Instant now = clock.instant();
        String opId = createOperation(h, "install", machine, actor, now, window, request, message);
        int pos = 0;
        boolean restartNeeded = false;
        int enqueued = 0;
        for (MissingUpdate m : ordered) {
            insertItem(h, opId, pos, m.kbId(), m.updateName(), m.classification(), m.rebootBehavior(), now);
            String unsigned = unsignedRelease(h, m);
            if (unsigned != null) {
                setItem(h, opId, pos, Operation.Item.FAILED, unsigned, now);
                history.append(h, machine.id(), machine.name(), machine.node(), "install", m.kbId(), actor, "refused", unsigned, opId);
                pos++;
                continue;
            }
            enqueued++;
            Map<String, Object> payload = new LinkedHashMap<>();
            String type;
            if ("hotpatch".equals(m.kind())) {
                Update u = catalog.update(h, m.kbId());
                type = Command.INSTALL_HOTPATCH;
                payload.put("kbId", u.kbId());
                payload.put("title", u.title());
                payload.put("package", u.artifact());
            } else if ("baseline".equals(m.kind())) {
                Baseline b = catalog.baseline(h, m.baselineId());
                type = Command.INSTALL_BASELINE;
                payload.putAll(baselinePayload(b, false));
                restartNeeded = true;
            } else {
                Update u = catalog.update(h, m.kbId());
                type = Command.INSTALL_UPDATE;
                payload.put("kbId", u.kbId());
                payload.put("title", u.title());
                payload.put("rebootBehavior", u.rebootBehavior());
                payload.put("artifact", u.artifact());
                payload.put("descriptor", u.descriptor());
                payload.put("restart", false);
                restartNeeded = true;
            }
            commands.enqueue(h, machine.id(), opId, pos, pos, type, payload, now);
            pos++;
        }
        if ((restartNeeded && !"Never".equals(reboot)) || "Always".equals(reboot)) {
            commands.enqueue(h, machine.id(), opId, pos, null, Command.RESTART, Map.of("reason", "install " + opId), now);
        }
        String kbs = ordered.stream().map(MissingUpdate::kbId).reduce((a, b) -> a + ", " + b).orElse("nothing to install");
        history.append(h, machine.id(), machine.name(), machine.node(), "install", null, actor, "requested",
                ordered.size() + " update(s): " + kbs + "; reboot " + reboot + "; max " + window.toMinutes() + " min", opId);
        if (enqueued == 0 && !"Always".equals(reboot)) {
            settle(h, opId);
        }
        return opId;
    }

    /** Uninstalls a hotpatch live (the latest one when {@code kb} is null). */
    public Operation uninstall(String machineRef, String kb, String actor) {
        Machine machine = machines.get(machineRef);
        List<MachineReport.InstalledHotpatch> installed = machine.hotpatches();
        if (installed.isEmpty()) {
            throw new ServerException.Conflict("nothing-installed", "machine " + machine.name() + " has no hotpatch installed",
                    "see its hotfixes with GET /api/v1/machines/{id}/hotfixes");
        }
        MachineReport.InstalledHotpatch target;
        if (kb == null || kb.isBlank()) {
            target = installed.stream().max(Comparator.comparing((MachineReport.InstalledHotpatch hp) ->
                    hp.installedAt() == null ? Instant.EPOCH : hp.installedAt())).orElseThrow();
        } else {
            target = installed.stream().filter(hp -> hp.id().equals(kb)).findFirst().orElseThrow(() -> new ServerException.Refused(
                    "not-installed", "hotpatch " + kb + " is not installed on machine " + machine.name(),
                    "installed: " + installed.stream().map(MachineReport.InstalledHotpatch::id).toList()));
        }
        return db.tx(h -> operation(h, uninstall(h, machine, target.id(), actor)));
    }

    /** Queues the live uninstall of hotpatch {@code kb} in the caller's transaction (rollouts' automatic rollback); returns the operation id. */
    public String uninstall(Handle h, Machine machine, String kb, String actor) {
        Instant now = clock.instant();
        String title = catalog.findUpdate(h, kb).map(Update::title).orElse(kb);
        String opId = createOperation(h, "uninstall", machine, actor, now, DEFAULT_DURATION, Map.of("kbId", kb), null);
        insertItem(h, opId, 0, kb, title, catalog.findUpdate(h, kb).map(Update::classification).orElse(""),
                "NeverReboots", now);
        commands.enqueue(h, machine.id(), opId, 0, 0, Command.UNINSTALL_HOTPATCH, Map.of("kbId", kb), now);
        history.append(h, machine.id(), machine.name(), machine.node(), "uninstall", kb, actor, "requested",
                "uninstall hotpatch " + kb + " (live)", opId);
        return opId;
    }

    /** Rolls the machine back to its last known good baseline (or {@code baselineId}), with a restart. */
    public Operation rollbackBaseline(String machineRef, String baselineId, String actor) {
        Machine machine = machines.get(machineRef);
        refuseIfIneligible(machine, "rollback-baseline", actor);
        return db.tx(h -> {
            String target = baselineId;
            if (target == null || target.isBlank()) {
                target = h.createQuery("SELECT last_good_baseline FROM machines WHERE id = :id").bind("id", machine.id())
                        .mapTo(String.class).findOne().orElse(null);
            }
            if (target == null) {
                throw new ServerException.Conflict("no-last-known-good", "machine " + machine.name()
                        + " has run no other baseline, so there is no last known good one to roll back to",
                        "pass baselineId to choose a baseline of its image");
            }
            String ref = target;
            Baseline b = catalog.findBaseline(h, ref).or(() -> machine.imageId() == null ? Optional.empty()
                    : catalog.findBaseline(h, catalog.image(h, machine.imageId()), ref)).orElse(null);
            if (b == null || !b.imageId().equals(machine.imageId())) {
                throw new ServerException.Refused("unknown-baseline", "baseline '" + target + "' is not a baseline of the machine's image "
                        + machine.image(), "list baselines with GET /api/v1/images/{id}/baselines");
            }
            if (b.descriptor() == null) {
                throw new ServerException.Refused("unsigned-baseline", "baseline " + b.version() + " of " + b.image()
                        + " was published before baselines were signed, so nodes do not install it",
                        "have a publisher attach its signed descriptor: 'hotpatch baseline sign --image " + b.image() + " --version "
                                + b.version() + " --key DIR --attach JAR…' (PUT /api/v1/baselines/{id}/descriptor)");
            }
            if (b.id().equals(machine.baselineId())) {
                throw new ServerException.Conflict("already-on-baseline", "machine " + machine.name() + " already runs baseline " + b.version(),
                        "to drop hotpatches, uninstall them instead");
            }
            return operation(h, rollbackBaseline(h, machine, b, actor));
        });
    }

    /** Queues the roll back of the machine to baseline {@code b} (with a restart) in the caller's transaction; returns the operation id. */
    public String rollbackBaseline(Handle h, Machine machine, Baseline b, String actor) {
        Instant now = clock.instant();
        String opId = createOperation(h, "rollback-baseline", machine, actor, now, DEFAULT_DURATION,
                Map.of("baselineId", b.id(), "baseline", b.image() + " " + b.version()), null);
        insertItem(h, opId, 0, b.kbId() == null ? b.id() : b.kbId(), b.title(), b.classification(), b.rebootBehavior(), now);
        Map<String, Object> payload = baselinePayload(b, true);
        payload.put("rollback", true);
        commands.enqueue(h, machine.id(), opId, 0, 0, Command.INSTALL_BASELINE, payload, now);
        history.append(h, machine.id(), machine.name(), machine.node(), "rollback-baseline", b.kbId(), actor, "requested",
                "roll back from " + machine.baselineVersion() + " to baseline " + b.version() + " (restart)", opId);
        return opId;
    }

    /** Restarts the machine's JVM. */
    public Operation restart(String machineRef, String actor) {
        Machine machine = machines.get(machineRef);
        return db.tx(h -> {
            Instant now = clock.instant();
            String opId = createOperation(h, "restart", machine, actor, now, DEFAULT_DURATION, Map.of(), null);
            commands.enqueue(h, machine.id(), opId, 0, null, Command.RESTART, Map.of("reason", "requested by " + actor), now);
            history.append(h, machine.id(), machine.name(), machine.node(), "restart", null, actor, "requested", "restart requested", opId);
            return operation(h, opId);
        });
    }

    /** Assess now: asks the node for a fresh report, which is then assessed. */
    public Operation assess(String machineRef, String actor) {
        Machine machine = machines.get(machineRef);
        return db.tx(h -> {
            Instant now = clock.instant();
            String opId = createOperation(h, "assess", machine, actor, now, DEFAULT_DURATION, Map.of(), null);
            commands.enqueue(h, machine.id(), opId, 0, null, Command.ASSESS, Map.of(), now);
            return operation(h, opId);
        });
    }

    /** Queues a periodic assessment (no operation) unless one is already open. */
    public void scheduleAssessment(Handle h, String machineId, Instant now) {
        if (!commands.hasOpenAssess(h, machineId)) {
            commands.enqueue(h, machineId, null, 0, null, Command.ASSESS, Map.of("periodic", true), now);
        }
    }

    /**
     * Records a node's result for command {@code commandId}; repeats of a settled command are
     * ignored. Returns false when the command was already settled.
     */
    public boolean complete(String nodeId, String nodeName, String commandId, CommandResult result) {
        if (result == null || result.status() == null) {
            throw new ServerException.BadRequest("missing-status", "a command result needs a status",
                    "send {\"status\": \"succeeded|noop|pending_restart|failed|refused|timed_out\", \"message\": …}");
        }
        String status = result.status().toLowerCase(Locale.ROOT);
        if (!List.of(CommandResult.SUCCEEDED, CommandResult.NOOP, CommandResult.PENDING_RESTART, CommandResult.FAILED,
                CommandResult.REFUSED, CommandResult.TIMED_OUT).contains(status)) {
            throw new ServerException.BadRequest("invalid-status", "command status '" + result.status() + "' is not known",
                    "use succeeded, noop, pending_restart, failed, refused or timed_out");
        }
        if (result.machine() != null) {
            result.machine().validate();
        }
        return db.tx(h -> {
            Map<String, Object> cmd = h.createQuery("SELECT c.id, c.machine_id, c.operation_id, c.item_position, c.type, c.state, c.payload,"
                            + " m.node_id, m.name FROM commands c JOIN machines m ON m.id = c.machine_id WHERE c.id = :id")
                    .bind("id", commandId).mapToMap().findOne()
                    .orElseThrow(() -> new ServerException.NotFound("command", commandId, "post results only for commands you received"));
            if (!nodeId.equals(cmd.get("node_id"))) {
                throw new ServerException.Forbidden("command " + commandId + " belongs to a machine of another node",
                        "post results only for commands this node received");
            }
            String state = (String) cmd.get("state");
            if (!"pending".equals(state) && !"delivered".equals(state)) {
                return false;
            }
            Instant now = clock.instant();
            boolean ok = new CommandResult(status, null, null, null, null, null).ok();
            // A command the node gave up on (its JVM did not answer) ends like one the server gave up on: its operation times out.
            h.createUpdate("UPDATE commands SET state = :s, completed_at = :t, result = :r WHERE id = :id AND state IN ('pending', 'delivered')")
                    .bind("s", ok ? "succeeded" : CommandResult.TIMED_OUT.equals(status) ? "expired" : "failed").bind("t", now.toEpochMilli()).bind("r", Json.write(result)).bind("id", commandId)
                    .execute();
            String machineId = (String) cmd.get("machine_id");
            String machineName = (String) cmd.get("name");
            if (result.machine() != null) {
                if (!machineName.equals(result.machine().name())) {
                    throw new ServerException.BadRequest("wrong-machine", "the result's machine report is for '" + result.machine().name()
                            + "', but command " + commandId + " is for '" + machineName + "'", "send the report of the command's machine");
                }
                machines.record(h, nodeId, result.machine(), now);
            }
            String opId = (String) cmd.get("operation_id");
            String type = (String) cmd.get("type");
            Map<String, Object> payload = Json.read((String) cmd.get("payload"), MAP);
            String actor = opId == null ? "scheduler" : h.createQuery("SELECT created_by FROM operations WHERE id = :id").bind("id", opId)
                    .mapTo(String.class).one();
            String message = result.message() == null ? "" : result.message();
            String kb = payload.get("kbId") instanceof String s ? s : null;
            String outcome = switch (status) {
                case CommandResult.NOOP, CommandResult.SUCCEEDED -> "succeeded";
                case CommandResult.PENDING_RESTART -> "pending-restart";
                case CommandResult.REFUSED -> "refused";
                case CommandResult.TIMED_OUT -> "timed-out";
                default -> "failed";
            };
            if (opId != null) {
                h.createUpdate("UPDATE operations SET state = :s WHERE id = :id AND state = :q")
                        .bind("s", Operation.IN_PROGRESS).bind("id", opId).bind("q", Operation.QUEUED).execute();
            }
            Object itemPos = cmd.get("item_position");
            switch (type) {
                case Command.ASSESS -> {
                    if (ok) {
                        assessor.assess(h, machineId);
                    }
                    if (opId != null) {
                        history.append(h, machineId, machineName, nodeName, "assess", null, actor, outcome, message, opId);
                    }
                }
                case Command.INSTALL_HOTPATCH -> {
                    setItem(h, opId, itemPos, ok ? Operation.Item.INSTALLED : Operation.Item.FAILED, ok ? null : message, now);
                    history.append(h, machineId, machineName, nodeName, "install", kb, actor, outcome, describe("hotpatch " + kb, message), opId);
                }
                case Command.INSTALL_UPDATE, Command.INSTALL_BASELINE -> {
                    boolean restarted = Boolean.TRUE.equals(payload.get("restart"));
                    String itemState = !ok ? Operation.Item.FAILED
                            : restarted && !CommandResult.PENDING_RESTART.equals(status) ? Operation.Item.INSTALLED : Operation.Item.PENDING_RESTART;
                    setItem(h, opId, itemPos, itemState, ok ? null : message, now);
                    String what = Command.INSTALL_BASELINE.equals(type) ? "baseline " + payload.get("version") : "update " + kb;
                    String action = Boolean.TRUE.equals(payload.get("rollback")) ? "rollback-baseline"
                            : Command.INSTALL_BASELINE.equals(type) ? "install-baseline" : "install";
                    history.append(h, machineId, machineName, nodeName, action, kb != null ? kb : (String) payload.get("kbId"), actor,
                            ok && !restarted ? "pending-restart" : outcome, describe(what, message), opId);
                }
                case Command.UNINSTALL_HOTPATCH -> {
                    setItem(h, opId, itemPos, ok ? Operation.Item.UNINSTALLED : Operation.Item.FAILED, ok ? null : message, now);
                    history.append(h, machineId, machineName, nodeName, "uninstall", kb, actor, outcome, describe("hotpatch " + kb, message), opId);
                }
                case Command.RESTART -> {
                    if (opId != null) {
                        h.createUpdate("UPDATE operation_items SET state = :s, reason = :r, updated_at = :t WHERE operation_id = :op AND state = :p")
                                .bind("s", ok ? Operation.Item.INSTALLED : Operation.Item.PENDING_RESTART)
                                .bind("r", ok ? null : "restart failed: " + message).bind("t", now.toEpochMilli())
                                .bind("op", opId).bind("p", Operation.Item.PENDING_RESTART).execute();
                    }
                    history.append(h, machineId, machineName, nodeName, "restart", null, actor, outcome, describe("restart", message), opId);
                }
                default -> throw new IllegalStateException("unknown command type " + type);
            }
            if (opId != null) {
                settleIfDone(h, opId);
            }
            if (result.machine() != null && !Command.ASSESS.equals(type)) {
                assessor.assess(h, machineId);
            }
            return true;
        });
    }

    /**
     * Gives up on the operations whose window has passed: commands not yet delivered expire and
     * their updates are {@code not_attempted}. Also fails commands delivered too often without a
     * result. Returns how many operations changed.
     */
    public int expireOverdue(Handle h, List<String> givenUpCommands) {
        Instant now = clock.instant();
        for (String id : givenUpCommands) {
            h.createUpdate("UPDATE commands SET state = 'failed', completed_at = :t, result = :r WHERE id = :id AND state IN ('pending', 'delivered')")
                    .bind("t", now.toEpochMilli()).bind("id", id)
                    .bind("r", Json.write(new CommandResult(CommandResult.FAILED, "the node did not report a result after "
                            + Commands.MAX_ATTEMPTS + " deliveries", null, null, null, null)))
                    .execute();
            Map<String, Object> c = h.createQuery("SELECT operation_id, item_position FROM commands WHERE id = :id").bind("id", id).mapToMap().one();
            if (c.get("operation_id") != null) {
                setItem(h, (String) c.get("operation_id"), c.get("item_position"), Operation.Item.FAILED,
                        "the node did not report a result after " + Commands.MAX_ATTEMPTS + " deliveries", now);
                settleIfDone(h, (String) c.get("operation_id"));
            }
        }
        List<Map<String, Object>> overdue = h.createQuery("SELECT o.id, o.machine_id, o.created_by, o.request, m.name FROM operations o"
                        + " JOIN machines m ON m.id = o.machine_id WHERE o.state IN ('queued', 'in_progress') AND o.deadline_at < :t")
                .bind("t", now.toEpochMilli()).mapToMap().list();
        for (Map<String, Object> op : overdue) {
            String opId = (String) op.get("id");
            Map<String, Object> req = Json.read((String) op.get("request"), MAP);
            String why = "the operation's window (max " + req.getOrDefault("maxDurationMinutes", DEFAULT_DURATION.toMinutes())
                    + " min) ran out before it started";
            List<Map<String, Object>> pending = h.createQuery("SELECT id, item_position, type FROM commands WHERE operation_id = :op AND state = 'pending'")
                    .bind("op", opId).mapToMap().list();
            for (Map<String, Object> c : pending) {
                h.createUpdate("UPDATE commands SET state = 'expired', completed_at = :t WHERE id = :id AND state = 'pending'")
                        .bind("t", now.toEpochMilli()).bind("id", c.get("id")).execute();
                if (c.get("item_position") != null) {
                    setItem(h, opId, c.get("item_position"), Operation.Item.NOT_ATTEMPTED, why, now);
                    String kb = h.createQuery("SELECT kb_id FROM operation_items WHERE operation_id = :op AND position = :p")
                            .bind("op", opId).bind("p", ((Number) c.get("item_position")).intValue()).mapTo(String.class).one();
                    history.append(h, (String) op.get("machine_id"), (String) op.get("name"), null, "install", kb, (String) op.get("created_by"),
                            "not-attempted", why, opId);
                }
            }
            settleIfDone(h, opId);
        }
        return overdue.size() + givenUpCommands.size();
    }

    /** Runs {@link #expireOverdue} in its own transaction (the periodic duty). */
    public int expireOverdue() {
        return db.tx(h -> expireOverdue(h, List.of()));
    }

    public Operation operation(String id) {
        return db.read(h -> operation(h, id));
    }

    /** Operations newest first, optionally for one machine and in one state. */
    public List<Operation> list(String machineRef, String state, int limit) {
        return db.read(h -> {
            StringBuilder sql = new StringBuilder("SELECT id FROM operations WHERE 1 = 1");
            Map<String, Object> args = new LinkedHashMap<>();
            if (machineRef != null && !machineRef.isBlank()) {
                sql.append(" AND machine_id = :m");
                args.put("m", machines.get(h, machineRef).id());
            }
            if (state != null && !state.isBlank()) {
                sql.append(" AND state = :s");
                args.put("s", state);
            }
            sql.append(" ORDER BY created_at DESC, id DESC LIMIT :lim");
            args.put("lim", Math.max(1, Math.min(limit, 1000)));
            List<Operation> out = new ArrayList<>();
            for (String id : h.createQuery(sql.toString()).bindMap(args).mapTo(String.class).list()) {
                out.add(operation(h, id));
            }
            return out;
        });
    }

    public Operation operation(Handle h, String id) {
        Optional<Map<String, Object>> row = h.createQuery("SELECT o.id, o.type, o.machine_id, m.name, o.state, o.created_at, o.created_by,"
                        + " o.deadline_at, o.completed_at, o.request, o.message FROM operations o JOIN machines m ON m.id = o.machine_id"
                        + " WHERE o.id = :id")
                .bind("id", id).mapToMap().findOne();
        Map<String, Object> o = row.orElseThrow(() -> new ServerException.NotFound("operation", id, "list operations with GET /api/v1/operations"));
        List<Operation.Item> items = h.createQuery("SELECT position, kb_id, title, classification, reboot_behavior, state, reason, updated_at"
                        + " FROM operation_items WHERE operation_id = :id ORDER BY position")
                .bind("id", id)
                .map((rs, ctx) -> new Operation.Item(rs.getInt(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                        rs.getString(6), rs.getString(7), Instant.ofEpochMilli(rs.getLong(8))))
                .list();
        List<Operation.CommandState> cmds = h.createQuery("SELECT id, type, state, attempts, delivered_at, completed_at, result FROM commands"
                        + " WHERE operation_id = :id ORDER BY position, created_at")
                .bind("id", id)
                .map((rs, ctx) -> {
                    CommandResult r = rs.getString(7) == null ? null : Json.read(rs.getString(7), CommandResult.class);
                    return new Operation.CommandState(rs.getString(1), rs.getString(2), rs.getString(3), rs.getInt(4),
                            rs.getObject(5) == null ? null : Instant.ofEpochMilli(rs.getLong(5)),
                            rs.getObject(6) == null ? null : Instant.ofEpochMilli(rs.getLong(6)),
                            r == null ? null : r.status(), r == null ? null : r.message());
                })
                .list();
        return new Operation((String) o.get("id"), (String) o.get("type"), (String) o.get("machine_id"), (String) o.get("name"),
                (String) o.get("state"), instant(o.get("created_at")), (String) o.get("created_by"), instant(o.get("deadline_at")),
                instant(o.get("completed_at")), Json.read((String) o.get("request"), MAP), (String) o.get("message"), items, cmds);
    }

    private void refuseIfIneligible(Machine machine, String action, String actor) {
        String why = null;
        String code = null;
        if (Assessment.PENDING_EVALUATION.equals(machine.status())) {
            code = "not-assessed";
            why = "machine " + machine.name() + " has not been assessed yet";
        } else if (Assessment.NOT_SUPPORTED.equals(machine.status()) && machine.baselineId() == null) {
            code = machine.statusReason() != null && machine.statusReason().contains("uniform") ? "uniform-group" : "not-supported";
            why = "machine " + machine.name() + " is NotSupported: " + machine.statusReason();
        } else if (machine.statusReason() != null && machine.statusReason().contains("uniform orchestration")) {
            code = "uniform-group";
            why = "machine " + machine.name() + " is NotSupported: " + machine.statusReason();
        }
        if (why != null) {
            String details = why;
            db.txRun(h -> history.append(h, machine.id(), machine.name(), machine.node(), action, null, actor, "refused", details, null));
            throw new ServerException.Conflict(code, why, "not-assessed".equals(code)
                    ? "wait for the machine's first check-in, or POST /api/v1/machines/{id}/assess"
                    : "see the reason; a custom build or uniform group cannot take hotpatches");
        }
    }

    private String createOperation(Handle h, String type, Machine machine, String actor, Instant now, Duration window,
                                   Map<String, Object> request, String message) {
        String id = Ids.next("op", now);
        h.createUpdate("INSERT INTO operations (id, type, machine_id, state, created_at, created_by, deadline_at, request, message)"
                        + " VALUES (:id, :type, :m, :s, :t, :by, :d, :r, :msg)")
                .bind("id", id).bind("type", type).bind("m", machine.id()).bind("s", Operation.QUEUED).bind("t", now.toEpochMilli())
                .bind("by", actor).bind("d", now.plus(window).toEpochMilli()).bind("r", Json.write(request)).bind("msg", message)
                .execute();
        return id;
    }

    private static void insertItem(Handle h, String opId, int pos, String kb, String title, String classification, String reboot, Instant now) {
        h.createUpdate("INSERT INTO operation_items (operation_id, position, kb_id, title, classification, reboot_behavior, state, updated_at)"
                        + " VALUES (:op, :p, :kb, :t, :c, :r, 'pending', :now)")
                .bind("op", opId).bind("p", pos).bind("kb", kb).bind("t", title).bind("c", classification).bind("r", reboot)
                .bind("now", now.toEpochMilli()).execute();
    }

    private static void setItem(Handle h, String opId, Object pos, String state, String reason, Instant now) {
        if (opId == null || pos == null) {
            return;
        }
        h.createUpdate("UPDATE operation_items SET state = :s, reason = :r, updated_at = :t WHERE operation_id = :op AND position = :p")
                .bind("s", state).bind("r", reason).bind("t", now.toEpochMilli()).bind("op", opId).bind("p", ((Number) pos).intValue())
                .execute();
    }

    private void settleIfDone(Handle h, String opId) {
        int open = h.createQuery("SELECT COUNT(*) FROM commands WHERE operation_id = :op AND state IN ('pending', 'delivered')")
                .bind("op", opId).mapTo(Integer.class).one();
        if (open == 0) {
            settle(h, opId);
        }
    }

    private void settle(Handle h, String opId) {
        List<String> items = h.createQuery("SELECT state FROM operation_items WHERE operation_id = :op").bind("op", opId)
                .mapTo(String.class).list();
        List<String> cmds = h.createQuery("SELECT state FROM commands WHERE operation_id = :op").bind("op", opId).mapTo(String.class).list();
        String state;
        if (items.contains(Operation.Item.NOT_ATTEMPTED) || cmds.contains("expired")) {
            state = Operation.TIMED_OUT;
        } else {
            long failed = items.stream().filter(Operation.Item.FAILED::equals).count() + (items.isEmpty() ? cmds.stream().filter("failed"::equals).count() : 0);
            long total = items.isEmpty() ? cmds.size() : items.size();
            state = failed == 0 ? Operation.SUCCEEDED : failed == total ? Operation.FAILED : Operation.PARTIALLY_SUCCEEDED;
        }
        h.createUpdate("UPDATE operations SET state = :s, completed_at = :t WHERE id = :id AND state IN ('queued', 'in_progress')")
                .bind("s", state).bind("t", clock.millis()).bind("id", opId).execute();
    }

    private static Map<String, Object> baselinePayload(Baseline b, boolean restart) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("baselineId", b.id());
        p.put("kbId", b.kbId());
        p.put("version", b.version());
        p.put("image", b.image());
        p.put("jars", b.jars());
        p.put("descriptor", b.descriptor());
        p.put("restart", restart);
        return p;
    }

    /** Why a baseline or restart update cannot be sent to a node (it has no signed descriptor); null when it can. */
    private String unsignedRelease(Handle h, MissingUpdate m) {
        if ("baseline".equals(m.kind())) {
            Baseline b = catalog.baseline(h, m.baselineId());
            return b.descriptor() != null ? null : "baseline " + b.version() + " of " + b.image() + " was published before baselines"
                    + " were signed, so nodes do not install it; a publisher attaches its signed descriptor with 'hotpatch baseline sign"
                    + " --attach'";
        }
        if (!"hotpatch".equals(m.kind())) {
            Update u = catalog.update(h, m.kbId());
            return u.descriptor() != null ? null : "update " + u.kbId() + " was published before restart updates were signed, so"
                    + " nodes do not install it; publish it again, signed, under a new KB id";
        }
        return null;
    }

    private static boolean kbExists(Handle h, String kb) {
        return h.createQuery("SELECT (SELECT COUNT(*) FROM updates WHERE kb_id = :k) + (SELECT COUNT(*) FROM baselines WHERE kb_id = :k OR id = :k)")
                .bind("k", kb).mapTo(Integer.class).one() > 0;
    }

    private static String reboot(String r) {
        if (r == null || r.isBlank()) {
            return "IfRequired";
        }
        for (String ok : List.of("IfRequired", "Never", "Always")) {
            if (ok.equalsIgnoreCase(r.trim())) {
                return ok;
            }
        }
        throw new ServerException.BadRequest("invalid-reboot", "reboot setting '" + r + "' is not known", "use IfRequired, Never or Always");
    }

    private static Duration window(Integer minutes) {
        if (minutes == null) {
            return DEFAULT_DURATION;
        }
        if (minutes < 1 || minutes > 24 * 60) {
            throw new ServerException.BadRequest("invalid-duration", "maximum duration " + minutes + " min is out of range",
                    "use 1 to 1440 minutes");
        }
        return Duration.ofMinutes(minutes);
    }

    private static String describe(String what, String message) {
        return message == null || message.isBlank() ? what : what + ": " + message;
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    private static Instant instant(Object millis) {
        return millis == null ? null : Instant.ofEpochMilli(((Number) millis).longValue());
    }
}
