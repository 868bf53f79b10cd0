package dev.hotpatch.node.restart;

import dev.hotpatch.node.NodeException;
import dev.hotpatch.node.config.MachineConfig;
import dev.hotpatch.node.discovery.LocalMachine;
import dev.hotpatch.node.discovery.MachineDiscovery;
import dev.hotpatch.node.health.HealthCheck;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * Waits for a restarted machine to be back: a new JVM process carrying the machine's name, whose
 * class path can be read, that is still running after the machine's settle time and, when the
 * config gives a health check, passes it (a health URL answers HTTP 2xx, a health command exits 0),
 * all within the machine's restart timeout.
 * A supervised process that exits while starting fails the wait at once, with its exit code and
 * the end of its log. Stateless apart from its collaborators; thread-safe.
 */
public final class Comeback {
    /** Between looks for the new process: a look at a supervised pid is cheap, one at every JVM on the host is not. */
    private static final Duration POLL = Duration.ofMillis(250);
    private static final Duration POLL_ALL = Duration.ofSeconds(1);

    private final MachineDiscovery discovery;
    private final Supervisor supervisor;

    public Comeback(MachineDiscovery discovery, Supervisor supervisor) {
        this.discovery = discovery;
        this.supervisor = supervisor;
    }

    /**
     * Waits for machine {@code m} to run again in a process other than {@code oldPid} (0: none)
     * that started no earlier than about {@code since}.
     *
     * @param pidHint the new process, when the restart knows it
     * @return the machine as it runs now
     * @throws NodeException when it is not back in time, saying what was seen
     */
    public LocalMachine await(MachineConfig m, long oldPid, Instant since, OptionalLong pidHint) {
        long deadline = System.nanoTime() + m.restartTimeout().toNanos();
        String lastSeen = "no JVM named " + m.name() + " appeared";
        while (System.nanoTime() - deadline < 0) {
            failIfExited(m);
            Optional<LocalMachine> found = candidate(m, oldPid, since, pidHint);
            if (found.isPresent()) {
                LocalMachine lm = found.get();
                if (!lm.problem().isEmpty()) {
                    lastSeen = "JVM " + lm.pid() + " is there but " + lm.problem();
                } else {
                    sleep(m.settle());
                    failIfExited(m);
                    if (!ProcessHandle.of(lm.pid()).map(ProcessHandle::isAlive).orElse(false)) {
                        throw new NodeException("machine " + m.name() + " started (pid " + lm.pid() + ") but exited within "
                                + m.settle().toMillis() + " ms" + logTail(m));
                    }
                    Optional<HealthCheck> check = HealthCheck.of(m);
                    if (check.isEmpty()) {
                        return lm;
                    }
                    HealthCheck.Probe probe = check.get().probe(m.name(), lm.pid());
                    if (probe.passing()) {
                        return lm;
                    }
                    lastSeen = "JVM " + lm.pid() + " runs but fails its health check: " + probe.detail();
                }
            }
            sleep(supervisor.supervises(m.name()) ? POLL : POLL_ALL);
        }
        throw new NodeException("machine " + m.name() + " was not back within " + m.restartTimeout().toSeconds() + " s of the restart: "
                + lastSeen + logTail(m));
    }

    private Optional<LocalMachine> candidate(MachineConfig m, long oldPid, Instant since, OptionalLong pidHint) {
        if (supervisor.supervises(m.name())) {
            OptionalLong pid = supervisor.pid(m.name());
            if (pid.isEmpty()) {
                return Optional.empty();
            }
            List<Long> pids = new ArrayList<>();
            pids.add(pid.getAsLong());
            ProcessHandle.of(pid.getAsLong()).ifPresent(h -> h.descendants().forEach(d -> pids.add(d.pid())));
            for (long p : pids) {
                Optional<LocalMachine> lm = discovery.at(p).filter(x -> x.name().equals(m.name()));
                if (lm.isPresent()) {
                    return lm;
                }
            }
            return Optional.empty();
        }
        Instant notBefore = since.minusSeconds(2);
        return discovery.discover().machine(m.name())
                .filter(lm -> lm.pid() != oldPid)
                .filter(lm -> lm.startedAt() == null || !lm.startedAt().isBefore(notBefore));
    }

    private void failIfExited(MachineConfig m) {
        if (supervisor.supervises(m.name()) && supervisor.exited(m.name())) {
            OptionalInt code = supervisor.exitCode(m.name());
            throw new NodeException("machine " + m.name() + " exited while starting" + (code.isPresent() ? " with code " + code.getAsInt() : "")
                    + logTail(m));
        }
    }

    private String logTail(MachineConfig m) {
        if (!supervisor.supervises(m.name())) {
            return "";
        }
        Path log = supervisor.log(m.name());
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            List<String> tail = lines.subList(Math.max(0, lines.size() - 5), lines.size());
            return tail.isEmpty() ? "" : "; last lines of " + log + ": " + String.join(" | ", tail);
        } catch (IOException | java.io.UncheckedIOException e) {
            return "; see " + log;
        }
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NodeException("interrupted while waiting for a machine to restart", e);
        }
    }
}
