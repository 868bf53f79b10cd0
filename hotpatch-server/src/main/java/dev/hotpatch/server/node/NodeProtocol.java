package dev.hotpatch.server.node;

import dev.hotpatch.server.ServerException;
import dev.hotpatch.server.assessment.Assessor;
import dev.hotpatch.server.auth.Principal;
import dev.hotpatch.server.auth.Tokens;
import dev.hotpatch.server.install.Commands;
import dev.hotpatch.server.install.Operations;
import dev.hotpatch.server.machine.Binding;
import dev.hotpatch.server.machine.MachineDigest;
import dev.hotpatch.server.machine.MachineReport;
import dev.hotpatch.server.machine.Machines;
import dev.hotpatch.server.machine.Signals;
import dev.hotpatch.server.store.Database;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The server side of the node protocol: enrollment and check-in. A check-in records every
 * machine's report, assesses machines that are new or whose code changed, queues the periodic
 * assessment of machines that are due, expires overdue operations, and claims the commands the
 * node should run, all in one transaction. Thread-safe.
 *
 * <p>A node may report a machine by its digest (the steady state of a fleet): when the digest is
 * the one stored with the machine's report, only its health is compared and, if it moved,
 * written; the report is neither parsed, validated, stored nor re-assessed. When the digest is not
 * the stored one, the answer asks for the full report ({@code sendFull}). Digests live in the
 * database, so replicas share them and a restart forgets nothing; a report stored without one
 * (an older node's, a command result's) makes the next digest differ, which is safe.
 */
public final class NodeProtocol {
    private static final int MAX_MACHINES = 10_000;

    private final Database db;
    private final Clock clock;
    private final Tokens tokens;
    private final Machines machines;
    private final Assessor assessor;
    private final Operations operations;
    private final Commands commands;
    private final Duration checkInInterval;
    private final Duration assessmentInterval;
    private final Binding binding;
    private final CommandWaits waits;

    public NodeProtocol(Database db, Clock clock, Tokens tokens, Machines machines, Assessor assessor, Operations operations,
                        Commands commands, Duration checkInInterval, Duration assessmentInterval, Binding binding) {
        this.db = db;
        this.clock = clock;
        this.tokens = tokens;
        this.machines = machines;
        this.assessor = assessor;
        this.operations = operations;
        this.commands = commands;
        this.checkInInterval = checkInInterval;
        this.assessmentInterval = assessmentInterval;
        this.binding = binding;
        this.waits = new CommandWaits(this, CommandWaits.MAX_WAITING, CommandWaits.POLL);
        commands.onEnqueued(waits::signal);
    }

    /** The nodes waiting on the long-poll for their commands (contract C2). */
    public CommandWaits waits() {
        return waits;
    }

    /** Answers the waiting nodes (with no commands) and takes no more waits: the server is stopping. */
    public void close() {
        waits.close();
    }

    /**
     * Claims the commands deliverable now to the node's machines, as a check-in would but without a
     * report: for the long-poll. Commands delivered too often without a result fail their operations.
     */
    CheckIn.Response claim(String nodeId) {
        return db.tx(h -> {
            Instant now = clock.instant();
            Commands.Claimed claimed = commands.claim(h, nodeId, now);
            if (!claimed.givenUp().isEmpty()) {
                operations.expireOverdue(h, claimed.givenUp());
            }
            return new CheckIn.Response(nodeId, now, (int) checkInInterval.toSeconds(), claimed.commands(), List.of());
        });
    }

    /** The long-poll's answer when nothing came: no commands. */
    CheckIn.Response nothing(String nodeId) {
        return new CheckIn.Response(nodeId, clock.instant(), (int) checkInInterval.toSeconds(), List.of(), List.of());
    }

    /** Which of {@code nodeIds} have commands a claim would hand out now. */
    java.util.Set<String> deliverable(java.util.Collection<String> nodeIds) {
        return db.read(h -> commands.deliverable(h, nodeIds, clock.instant()));
    }

    public CheckIn.EnrollResponse enroll(Principal enrollment, CheckIn.EnrollRequest req) {
        Tokens.Enrolled e = tokens.enroll(enrollment, req == null ? null : req.hostname(), req == null ? null : req.nodeVersion());
        return new CheckIn.EnrollResponse(e.nodeId(), e.credential(), (int) checkInInterval.toSeconds());
    }

    public CheckIn.Response checkIn(Principal node, CheckIn.Request req) {
        List<MachineReport> reports = req == null || req.machines() == null ? List.of() : req.machines();
        List<MachineDigest> unchanged = req == null || req.unchanged() == null ? List.of() : req.unchanged();
        Map<String, String> digests = req == null || req.digests() == null ? Map.of() : req.digests();
        if (reports.size() + unchanged.size() > MAX_MACHINES) {
            throw new ServerException.BadRequest("too-many-machines", "a check-in may report at most " + MAX_MACHINES + " machines",
                    "split the node's machines over several nodes");
        }
        Set<String> names = new HashSet<>();
        List<Machines.Prepared> prepared = new ArrayList<>(reports.size());
        for (MachineReport r : reports) {
            r.validate();
            if (!names.add(r.name())) {
                throw duplicate(r.name());
            }
            String digest = digests.get(r.name());
            if (digest != null) {
                MachineDigest.validateFor(r.name(), digest);
            }
            // Serialised here, outside the transaction: on SQLite every check-in's transaction holds the one write lock.
            prepared.add(machines.prepare(r));
        }
        for (MachineDigest d : unchanged) {
            if (d == null) {
                throw new ServerException.BadRequest("invalid-report", "the check-in's 'unchanged' list has an empty entry",
                        "send {\"name\", \"digest\", \"health\"} per machine");
            }
            d.validate();
            if (!names.add(d.name())) {
                throw duplicate(d.name());
            }
        }
        for (String name : digests.keySet()) {
            if (reports.stream().noneMatch(r -> r.name().equals(name))) {
                throw new ServerException.BadRequest("invalid-digest", "the check-in has a digest for machine '" + name
                        + "' but no full report of it", "send a digest only with the machine's full report in 'machines'");
            }
        }
        return db.tx(h -> {
            Instant now = clock.instant();
            Map<String, Machines.Known> known = machines.known(h, node.id());
            // Before the node's last-seen time moves: a machine going absent keeps the node's previous check-in as its last sighting.
            machines.markAbsent(h, node.id(), names, known);
            String version = req != null && req.nodeVersion() != null && !req.nodeVersion().isBlank() ? req.nodeVersion() : null;
            String hostname = req != null && req.hostname() != null && !req.hostname().isBlank() ? req.hostname() : null;
            h.createUpdate("UPDATE nodes SET last_seen_at = :t, version = COALESCE(:v, version), hostname = COALESCE(:host, hostname)"
                            + " WHERE id = :id")
                    .bind("t", now.toEpochMilli()).bind("v", version).bind("host", hostname).bind("id", node.id()).execute();
            List<CheckIn.Refused> refused = new ArrayList<>();
            Set<String> present = new HashSet<>();
            Set<String> assessed = new HashSet<>();
            for (Machines.Prepared p : prepared) {
                String name = p.report().name();
                if (!known.containsKey(name)) {
                    Optional<String> notOurs = binding.refusal(h, node.id(), node.name(), name);
                    if (notOurs.isPresent()) {
                        refused.add(new CheckIn.Refused(name, notOurs.get()));
                        continue;
                    }
                }
                Machines.Recorded rec = machines.record(h, node.id(), p, digests.get(name), now);
                present.add(name);
                if (rec.codeChanged()) {
                    assessor.assess(h, rec.machineId());
                    assessed.add(name);
                }
            }
            List<String> sendFull = new ArrayList<>();
            for (MachineDigest d : unchanged) {
                Machines.Known k = known.get(d.name());
                if (k == null || !k.signals() || !d.digest().equals(k.reportDigest())) {
                    // Unknown here, or another report is stored: the node sends this one in full (its presence stays as it was).
                    sendFull.add(d.name());
                    continue;
                }
                if (!k.present()) {
                    machines.markPresent(h, node.id(), k.id(), now);
                }
                present.add(d.name());
                if (!Signals.sameHealth(k.health(), d.health())) {
                    Signals.storeHealth(h, k.id(), d.health());
                }
            }
            long due = now.minus(assessmentInterval).toEpochMilli();
            for (Machines.Known k : known.values()) {
                boolean presentNow = present.contains(k.name()) || (names.contains(k.name()) && k.present());
                if (presentNow && !assessed.contains(k.name()) && (k.assessedAt() == null || k.assessedAt() < due)) {
                    operations.scheduleAssessment(h, k.id(), now);
                }
            }
            operations.expireOverdue(h, List.of());
            Commands.Claimed claimed = commands.claim(h, node.id(), now);
            if (!claimed.givenUp().isEmpty()) {
                operations.expireOverdue(h, claimed.givenUp());
            }
            return new CheckIn.Response(node.id(), now, (int) checkInInterval.toSeconds(), claimed.commands(), refused, sendFull, true);
        });
    }

    private static ServerException duplicate(String name) {
        return new ServerException.BadRequest("duplicate-machine", "machine '" + name + "' is reported twice",
                "give each JVM its own name (-Dhotpatch.machine=NAME)");
    }

    /** How often nodes are asked to check in: the most a queued command waits for a node that polls. */
    public Duration checkInInterval() {
        return checkInInterval;
    }
}
