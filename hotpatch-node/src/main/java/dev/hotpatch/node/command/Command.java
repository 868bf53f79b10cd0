package dev.hotpatch.node.command;

import java.time.Instant;

/**
 * One piece of work for one machine, from the server (or the standalone policy). Commands are
 * delivered at least once: the node runs a repeat of a command it finished as a no-op, returning
 * the first result.
 *
 * @param id       unique id; the journal is keyed by it
 * @param machine  the machine's name
 * @param action   what to do
 * @param actor    who asked, recorded by the agent and in history
 * @param issuedAt when it was issued
 */
public record Command(String id, String machine, Action action, String actor, Instant issuedAt) {
}
