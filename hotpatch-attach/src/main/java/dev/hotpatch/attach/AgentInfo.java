package dev.hotpatch.attach;

import dev.hotpatch.format.channel.Message;

/**
 * The agent's answer to a ping.
 *
 * @param version     agent version
 * @param mode        {@code enrolled} or {@code attached}
 * @param machine     machine name the agent was given; may be empty
 * @param javaVersion the target's {@code java.version}
 */
public record AgentInfo(String version, String mode, String machine, String javaVersion) {
    static AgentInfo from(Message m) {
        return new AgentInfo(m.get("version", ""), m.get("mode", ""), m.get("machine", ""), m.get("javaVersion", ""));
    }
}
