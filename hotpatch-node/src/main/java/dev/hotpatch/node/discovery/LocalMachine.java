package dev.hotpatch.node.discovery;

import dev.hotpatch.attach.JvmInfo;
import dev.hotpatch.node.config.MachineConfig;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * One machine as discovery found it: a running JVM with its stable name, what the node's config
 * says about it, and where its code comes from. Immutable.
 *
 * @param name       the stable machine name
 * @param source     where the name came from
 * @param jvm        what attach found (version, vendor, agent, hotpatch status)
 * @param runtime    the runtime's name and version ({@code java.runtime.name}, {@code java.runtime.version}); empty when unreadable
 * @param config     the config file's settings for it (unconfigured when the file does not name it)
 * @param classPath  the JVM's class path entries, absolute (relative ones resolved against its working folder); empty when unreadable
 * @param workingDir the JVM's working folder ({@code user.dir}); null when unreadable
 * @param startedAt  when the process started; null when the OS does not say
 * @param problem    why the class path could not be read; empty when it was
 * @param unanswered why the JVM did not answer the last look (it is stopped or hung), so that the rest is what
 *                   the node saw of this same process before; empty when it answered
 */
public record LocalMachine(String name, NameSource source, JvmInfo jvm, String runtime, MachineConfig config, List<Path> classPath,
                           Path workingDir, Instant startedAt, String problem, String unanswered) {
    public LocalMachine {
        classPath = List.copyOf(classPath);
        unanswered = unanswered == null ? "" : unanswered;
    }

    /** Whether the JVM answered the last look. */
    public boolean answering() {
        return unanswered.isEmpty();
    }

    /** This machine, seen again in the same process, which did not answer for {@code why}. */
    public LocalMachine notAnswering(String why) {
        return new LocalMachine(name, source, jvm, runtime, config, classPath, workingDir, startedAt, problem, why);
    }

    /** Where a machine's name came from, in the order discovery tries them. */
    public enum NameSource {
        /** The node launched this JVM as the configured machine (a supervised launch command). */
        SUPERVISED,
        /** The hotpatch agent's {@code name=} option. */
        AGENT,
        /** The JVM's {@code -Dhotpatch.machine=NAME} system property. */
        PROPERTY,
        /** The config file's {@code machine.NAME.match}, matched against the main class or jar. */
        CONFIG
    }

    /** The process id. */
    public long pid() {
        return jvm.pid();
    }
}
