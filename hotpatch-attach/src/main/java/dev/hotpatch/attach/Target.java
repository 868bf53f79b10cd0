package dev.hotpatch.attach;

import com.sun.tools.attach.AgentInitializationException;
import com.sun.tools.attach.AgentLoadException;
import com.sun.tools.attach.AttachNotSupportedException;
import com.sun.tools.attach.VirtualMachine;
import java.io.IOException;
import java.util.Locale;
import java.util.Properties;

/**
 * A JVM this process is attached to through the JDK attach API; closing detaches. Translates the
 * attach API's exceptions into {@link NotSupportedException} (the JVM refuses attach) and
 * {@link AttachException} (attach broke), each with the reason in operator terms. Not thread-safe.
 */
final class Target implements AutoCloseable {
    private final OsProcess process;
    private final VirtualMachine vm;

    private Target(OsProcess process, VirtualMachine vm) {
        this.process = process;
        this.vm = vm;
    }

    /**
     * Attaches to {@code process} after checking, without touching it, that attach can work: this
     * user may attach to it, and it handles the attach signal.
     */
    static Target attach(OsProcess process, OsProcess self) {
        long pid = process.pid();
        if (!process.attachableBy(self)) {
            throw new NotSupportedException(pid, "it runs as user '" + process.user() + "' and hotpatch runs as '"
                    + self.user() + "'; run hotpatch as '" + process.user() + "' or root");
        }
        if (!process.acceptsAttachSignal()) {
            throw new NotSupportedException(pid, "it does not accept attach requests (started with -Xrs, or still starting up)");
        }
        try {
            return new Target(process, VirtualMachine.attach(Long.toString(pid)));
        } catch (AttachNotSupportedException e) {
            throw new NotSupportedException(pid, explain(e));
        } catch (IOException e) {
            if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                throw new NotSupportedException(pid, explain(e));
            }
            throw new NoSuchJvmException(pid, "JVM " + pid + " exited while attaching");
        }
    }

    private static String explain(Exception e) {
        String m = String.valueOf(e.getMessage());
        String lower = m.toLowerCase(Locale.ROOT);
        if (lower.contains("does not support the attach mechanism")) {
            return "attach is disabled in it (-XX:+DisableAttachMechanism); restart it without that flag to manage it";
        }
        if (lower.contains("doesn't respond") || lower.contains("timed out") || lower.contains("timeout")) {
            return "it did not answer the attach request (busy, suspended, or not a HotSpot JVM): " + m;
        }
        if (lower.contains("permission denied") || lower.contains("not owned") || lower.contains("owned by")
                || lower.contains("not secure")) {
            return "attach was not permitted (" + m + "); run hotpatch as the JVM's user";
        }
        return "attach failed: " + m;
    }

    OsProcess process() {
        return process;
    }

    Properties systemProperties() {
        try {
            return vm.getSystemProperties();
        } catch (IOException e) {
            throw new AttachException("cannot read the system properties of JVM " + process.pid() + ": " + e.getMessage(), e);
        }
    }

    Properties agentProperties() {
        try {
            return vm.getAgentProperties();
        } catch (IOException e) {
            throw new AttachException("cannot read the agent properties of JVM " + process.pid() + ": " + e.getMessage(), e);
        }
    }

    /** Loads a java agent jar into the target; {@code javaFeature} shapes the error when loading is refused. */
    void loadAgent(String jar, String options, int javaFeature) {
        long pid = process.pid();
        try {
            vm.loadAgent(jar, options);
        } catch (AgentLoadException e) {
            if (javaFeature >= 21) {
                throw new NotSupportedException(pid, Eligibility.DYNAMIC_LOADING_DISABLED_REASON + " (" + e.getMessage() + ")");
            }
            throw new AttachException("JVM " + pid + " could not load the agent " + jar + ": " + e.getMessage(), e);
        } catch (AgentInitializationException e) {
            throw new AttachException("the agent failed to start in JVM " + pid + " (agentmain returned error "
                    + e.returnValue() + "); see the JVM's standard error for the cause", e);
        } catch (IOException e) {
            throw new AttachException("loading the agent into JVM " + pid + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            vm.detach();
        } catch (IOException e) {
            // The target went away or closed the attach connection first; either way we are detached.
        }
    }
}
