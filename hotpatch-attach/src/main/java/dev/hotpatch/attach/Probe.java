package dev.hotpatch.attach;

import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * What one look at a local JVM found: the OS facts, and when attach worked its system properties
 * and JVM arguments; when attach did not work, why, and whether that was because it did not answer
 * in time (stopped or hung: not evaluated, rather than not supported). The input to
 * {@link Eligibility}. Immutable.
 */
record Probe(OsProcess process, String attachFailure, Properties system, String jvmArgs, boolean unanswered) {
    static final String AGENT_VERSION = "hotpatch.agent.version";
    static final String AGENT_MODE = "hotpatch.agent.mode";
    static final String AGENT_SOCKET = "hotpatch.agent.socket";
    static final String AGENT_MACHINE = "hotpatch.agent.machine";
    static final String AGENT_INSTALLED = "hotpatch.agent.installed";
    /** The machine name a JVM may be given on its command line before any agent names it. */
    static final String MACHINE_PROPERTY = "hotpatch.machine";

    Probe(OsProcess process, String attachFailure, Properties system, String jvmArgs) {
        this(process, attachFailure, system, jvmArgs, false);
    }

    /** Looks at an attached JVM (and leaves it attached). */
    static Probe of(Target target) {
        Properties system = target.systemProperties();
        String args = system.getProperty(AGENT_SOCKET) != null ? ""
                : target.agentProperties().getProperty("sun.jvm.args", "");
        return new Probe(target.process(), null, system, args);
    }

    /**
     * Looks at an attached JVM's system properties only, without its JVM arguments: for a caller
     * about to load the agent, which learns that dynamic loading is off from the load's refusal
     * ({@link Target#loadAgent}) instead of from one more request to a JVM that answers it cold.
     */
    static Probe systemOnly(Target target) {
        return new Probe(target.process(), null, target.systemProperties(), "");
    }

    /** A JVM that could not be attached to, for {@code reason}. */
    static Probe unreachable(OsProcess process, String reason) {
        return unreachable(process, reason, false);
    }

    /** A JVM that is stopped or did not answer in time, for {@code reason}: not evaluated. */
    static Probe pending(OsProcess process, String reason) {
        return unreachable(process, reason, true);
    }

    private static Probe unreachable(OsProcess process, String reason, boolean unanswered) {
        Properties fromRelease = new Properties();
        process.release().ifPresent(r -> {
            fromRelease.setProperty("java.version", r.getProperty("JAVA_VERSION", ""));
            fromRelease.setProperty("java.vendor", r.getProperty("IMPLEMENTOR", ""));
        });
        return new Probe(process, reason, fromRelease, "", unanswered);
    }

    boolean attached() {
        return attachFailure == null;
    }

    String javaVersion() {
        return system.getProperty("java.version", "");
    }

    /** The feature release (8, 11, 17, 25), or 0 when unknown. */
    int javaFeature() {
        String spec = system.getProperty("java.specification.version", javaVersion());
        if (spec.startsWith("1.")) {
            spec = spec.substring(2);
        }
        int end = 0;
        while (end < spec.length() && Character.isDigit(spec.charAt(end))) {
            end++;
        }
        return end == 0 ? 0 : Integer.parseInt(spec.substring(0, Math.min(end, 4)));
    }

    boolean agentPresent() {
        return !system.getProperty(AGENT_VERSION, "").isEmpty() || !system.getProperty(AGENT_SOCKET, "").isEmpty();
    }

    String socket() {
        return system.getProperty(AGENT_SOCKET, "");
    }

    String mode() {
        return agentPresent() ? system.getProperty(AGENT_MODE, "") : "";
    }

    String machineName() {
        String name = system.getProperty(AGENT_MACHINE, "");
        return name.isEmpty() ? system.getProperty(MACHINE_PROPERTY, "") : name;
    }

    List<String> installedIds() {
        List<String> ids = new ArrayList<>();
        for (String id : system.getProperty(AGENT_INSTALLED, "").split(",")) {
            if (!id.isBlank()) {
                ids.add(id.trim());
            }
        }
        return ids;
    }

    /** Whether the JVM arguments switch dynamic agent loading off (the last occurrence wins). */
    boolean dynamicLoadingDisabled() {
        boolean disabled = false;
        for (String arg : jvmArgs.split("\\s+")) {
            if (arg.equals("-XX:-EnableDynamicAgentLoading")) {
                disabled = true;
            } else if (arg.equals("-XX:+EnableDynamicAgentLoading")) {
                disabled = false;
            }
        }
        return disabled;
    }

    String displayName() {
        String command = system.getProperty("sun.java.command", "").trim();
        String main = command.isEmpty() ? process.mainName() : command.split("\\s+", 2)[0];
        if (main.endsWith(".jar")) {
            main = OsProcess.fileName(main);
        }
        return main.isEmpty() ? Long.toString(process.pid()) : main;
    }

    JvmInfo toInfo() {
        Eligibility.Verdict v = Eligibility.judge(this);
        return new JvmInfo(process.pid(), displayName(), javaVersion(), system.getProperty("java.vendor", ""),
                machineName(), agentPresent(), mode(), v.status(), v.reason(), installedIds());
    }
}
