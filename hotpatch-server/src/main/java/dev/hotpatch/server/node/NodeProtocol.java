package dev.hotpatch.server.node;

import dev.hotpatch.server.ServerException;
import dev.hotpatch.server.assessment.Assessor;
import dev.hotpatch.server.auth.Principal;
import dev.hotpatch.server.auth.Tokens;
import dev.hotpatch.server.install.Commands;
import dev.hotpatch.server.install.Operations;
import dev.hotpatch.server.machine.Binding;
import dev.hotpatch.server.machine.MachineReport;
import dev.hotpatch.server.machine.Machines;
import dev.hotpatch.server.store.Database;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The server side of the node protocol: enrollment and check-in. A check-in records every
 * machine's report, assesses machines that are new or whose code changed, queues the periodic
 * assessment of machines that are due, expires overdue operations, and claims the commands the
 * node should run, all in one transaction. Thread-safe.
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
        if (reports.size() > MAX_MACHINES) {
            throw new ServerException.BadRequest("too-many-machines", "a check-in may report at most " + MAX_MACHINES + " machines",
                    "split the node's machines over several nodes");
        }
        Set<String> names = new HashSet<>();
        List<Machines.Prepared> prepared = new ArrayList<>(reports.size());
        for (MachineReport r : reports) {
            r.validate();
            if (!names.add(r.name())) {
                throw new ServerException.BadRequest("duplicate-machine", "machine '" + r.name() + "' is reported twice",
                        "give each JVM its own name (-Dhotpatch.machine=NAME)");
            }
            // Serialised here, outside the transaction: on SQLite every check-in's transaction holds the one write lock.
            prepared.add(machines.prepare(r));
        }
        return db.tx(h -> {
            Instant now = clock.instant();
            h.createUpdate("UPDATE nodes SET last_seen_at = :t WHERE id = :id").bind("t", now.toEpochMilli()).bind("id", node.id()).execute();
            if (req != null && req.nodeVersion() != null && !req.nodeVersion().isBlank()) {
                h.createUpdate("UPDATE nodes SET version = :v WHERE id = :id").bind("v", req.nodeVersion()).bind("id", node.id()).execute();
            }
            if (req != null && req.hostname() != null && !req.hostname().isBlank()) {
                h.createUpdate("UPDATE nodes SET hostname = :v WHERE id = :id").bind("v", req.hostname()).bind("id", node.id()).execute();
            }
            List<CheckIn.Refused> refused = new ArrayList<>();
            for (Machines.Prepared p : prepared) {
                Optional<String> notOurs = binding.refusal(h, node.id(), node.name(), p.report().name());
                if (notOurs.isPresent()) {
                    refused.add(new CheckIn.Refused(p.report().name(), notOurs.get()));
                    continue;
                }
                Machines.Recorded rec = machines.record(h, node.id(), p, now);
                if (rec.codeChanged()) {
                    assessor.assess(h, rec.machineId());
                }
            }
            machines.markAbsent(h, node.id(), names);
            long due = now.minus(assessmentInterval).toEpochMilli();
            for (String id : h.createQuery("SELECT id FROM machines WHERE node_id = :n AND present = TRUE AND (assessed_at IS NULL OR assessed_at < :d)")
                    .bind("n", node.id()).bind("d", due).mapTo(String.class).list()) {
                operations.scheduleAssessment(h, id, now);
            }
            operations.expireOverdue(h, List.of());
            Commands.Claimed claimed = commands.claim(h, node.id(), now);
            if (!claimed.givenUp().isEmpty()) {
                operations.expireOverdue(h, claimed.givenUp());
            }
            return new CheckIn.Response(node.id(), now, (int) checkInInterval.toSeconds(), claimed.commands(), refused);
        });
    }

    /** How often nodes are asked to check in: the most a queued command waits for a node that polls. */
    public Duration checkInInterval() {
        return checkInInterval;
    }
}
