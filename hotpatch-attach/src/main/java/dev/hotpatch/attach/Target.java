package dev.hotpatch.attach;

import com.sun.tools.attach.AgentInitializationException;
import com.sun.tools.attach.AgentLoadException;
import com.sun.tools.attach.AttachNotSupportedException;
import com.sun.tools.attach.VirtualMachine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;

/**
 * A JVM this process is attached to through the JDK attach API; closing detaches. Every step that
 * talks to the target (attach, reading properties, loading the agent) has a deadline, so a stopped
 * or hung JVM ends in a {@link TimedOutException} instead of a caller that waits forever. Translates
 * the attach API's exceptions into {@link NotSupportedException} (the JVM refuses attach) and
 * {@link AttachException} (attach broke), each with the reason in operator terms. Not thread-safe.
 */
final class Target implements AutoCloseable {
    private final OsProcess process;
    private final VirtualMachine vm;
    private final Duration timeout;

    private Target(OsProcess process, VirtualMachine vm, Duration timeout) {
        this.process = process;
        this.vm = vm;
        this.timeout = timeout;
    }

    /**
     * Attaches to {@code process} after checking, without touching it, that attach can work: this
     * user may attach to it, it handles the attach signal, and it is not stopped.
     *
     * @param timeout the deadline of this and every later step
     */
    static Target attach(OsProcess process, OsProcess self, Duration timeout) {
        long pid = process.pid();
        if (!process.attachableBy(self)) {
            throw new NotSupportedException(pid, "it runs as user '" + process.user() + "' and hotpatch runs as '"
                    + self.user() + "'; run hotpatch as '" + process.user() + "' or root");
        }
        removeStaleAttachSocket(process, self);
        if (!process.acceptsAttachSignal()) {
            throw new NotSupportedException(pid, "it does not accept attach requests (started with -Xrs, or still starting up)");
        }
        try {
            // Not VirtualMachine.attach alone: it sleeps at least 100 ms on a JVM nobody attached to yet.
            VirtualMachine vm = Deadline.within(timeout, pid, "the attach request", () -> AttachListener.attach(process));
            return new Target(process, vm, timeout);
        } catch (AttachException e) {
            throw e;
        } catch (AttachNotSupportedException e) {
            throw new NotSupportedException(pid, explain(e));
        } catch (IOException e) {
            if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                throw new NotSupportedException(pid, explain(e));
            }
            throw new NoSuchJvmException(pid, "JVM " + pid + " exited while attaching");
        } catch (Exception e) {
            throw new AttachException("attaching to JVM " + pid + " failed: " + e, e);
        }
    }

    /**
     * Removes an attach socket an earlier process with the same pid left behind (see
     * {@link OsProcess#staleAttachSocket()}), so the JDK asks the JVM for a fresh one instead of
     * failing with "Connection refused"; when this user may not remove it, says who can.
     */
    private static void removeStaleAttachSocket(OsProcess process, OsProcess self) {
        Optional<Path> stale = process.staleAttachSocket();
        if (stale.isEmpty()) {
            return;
        }
        Path socket = stale.get();
        String shown = "/tmp/" + socket.getFileName();
        try {
            Files.deleteIfExists(socket);
        } catch (IOException | SecurityException e) {
            long owner = OsProcess.uidOf(socket);
            throw new NotSupportedException(process.pid(), "a stale attach socket " + shown + " (owned by uid " + owner
                    + ", not by the JVM's user '" + process.user() + "') left by an earlier process with the same pid blocks "
                    + "attach, and this user may not remove it (" + e.getMessage() + "); remove it as root or uid " + owner
                    + " (sudo rm " + shown + ") and try again");
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
            return Deadline.within(timeout, process.pid(), "a request for its system properties", vm::getSystemProperties);
        } catch (AttachException e) {
            throw e;
        } catch (Exception e) {
            throw new AttachException("cannot read the system properties of JVM " + process.pid() + ": " + e.getMessage(), e);
        }
    }

    Properties agentProperties() {
        try {
            return Deadline.within(timeout, process.pid(), "a request for its agent properties", vm::getAgentProperties);
        } catch (AttachException e) {
            throw e;
        } catch (Exception e) {
            throw new AttachException("cannot read the agent properties of JVM " + process.pid() + ": " + e.getMessage(), e);
        }
    }

    /** Loads a java agent jar into the target; {@code javaFeature} shapes the error when loading is refused. */
    void loadAgent(String jar, String options, int javaFeature) {
        long pid = process.pid();
        try {
            Deadline.within(timeout, pid, "the request to load the agent", () -> {
                vm.loadAgent(jar, options);
                return null;
            });
        } catch (AttachException e) {
            throw e;
        } catch (AgentLoadException e) {
            if (javaFeature >= 21 || dynamicLoadingDisabled()) {
                throw new NotSupportedException(pid, Eligibility.DYNAMIC_LOADING_DISABLED_REASON + " (" + e.getMessage() + ")");
            }
            throw new AttachException("JVM " + pid + " could not load the agent " + jar + ": " + e.getMessage(), e);
        } catch (AgentInitializationException e) {
            throw new AttachException("the agent failed to start in JVM " + pid + " (agentmain returned error "
                    + e.returnValue() + "); see the JVM's standard error for the cause", e);
        } catch (Exception e) {
            throw new AttachException("loading the agent into JVM " + pid + " failed: " + e.getMessage(), e);
        }
    }

    /** Whether the JVM's arguments switch dynamic agent loading off; false when they cannot be read. */
    private boolean dynamicLoadingDisabled() {
        try {
            return new Probe(process, null, new Properties(), agentProperties().getProperty("sun.jvm.args", "")).dynamicLoadingDisabled();
        } catch (RuntimeException e) {
            return false;
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
