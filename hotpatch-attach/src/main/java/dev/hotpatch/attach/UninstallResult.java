package dev.hotpatch.attach;

import dev.hotpatch.format.channel.Message;

/**
 * The agent's answer to an uninstall request.
 *
 * @param outcome ok, refused (e.g. nothing installed, unknown id) or failed
 * @param message the agent's explanation
 * @param id      the hotpatch removed (or asked for)
 */
public record UninstallResult(Outcome outcome, String message, String id) {
    static UninstallResult from(Message m) {
        return new UninstallResult(Outcome.of(m), m.get("message", ""), m.get("id", ""));
    }
}
