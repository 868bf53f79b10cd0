package dev.hotpatch.attach;

import dev.hotpatch.format.channel.Message;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A connection to the hotpatch agent in one local JVM: the way to install, list and remove
 * hotpatches in it.
 *
 * <p>{@link #connect} first looks for the agent's socket in the JVM user's runtime folder
 * ({@link RuntimeSockets}): an enrolled JVM, or one the agent was attached to before, is then
 * reached without attaching at all. Otherwise it attaches to the JVM, reads the agent's channel from its system properties,
 * and loads the agent first when it is absent (never into an enrolled JVM, which has it already).
 * Each request then opens the agent's Unix-domain socket, sends one message and reads one reply;
 * only the JVM's own user (or root) can connect to that socket. Before talking, the client checks
 * that the socket lies in a folder owned by the JVM's user and closed to everyone else, so that no
 * other local user can pose as the agent.
 *
 * <p>Every step that talks to the target has a deadline (attach, reading its properties, loading
 * the agent, connecting to its socket, waiting for a reply): a stopped or hung JVM ends in a
 * {@link TimedOutException} that says which step, never in a caller that waits forever. By default
 * attach steps wait up to 30 s, queries 15 s and changes 120 s; {@link #connect(long, String, Path,
 * Duration)} sets one deadline for every step. Thread-safe: requests share no state.
 */
public final class AgentClient implements AutoCloseable {
    private static final Duration ATTACH_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration QUERY_TIMEOUT = Duration.ofSeconds(15);
    private static final Duration CHANGE_TIMEOUT = Duration.ofSeconds(120);
    private static final Pattern MACHINE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final Set<PosixFilePermission> OWNER_ONLY = EnumSet.of(PosixFilePermission.OWNER_READ,
            PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE);

    private final long pid;
    private final Path socket;
    private final String mode;
    private final boolean loadedNow;
    private final String javaVersion;
    private final OsProcess process;
    /** One deadline for every step, or null for the defaults. */
    private final Duration timeout;
    /** The user the agent's process must run as (checked per connection), or null when only the folder was checked. */
    private final UserPrincipal peer;

    private AgentClient(OsProcess process, Path socket, String mode, boolean loadedNow, String javaVersion, Duration timeout) {
        this(process, socket, mode, loadedNow, javaVersion, timeout, null);
    }

    private AgentClient(OsProcess process, Path socket, String mode, boolean loadedNow, String javaVersion, Duration timeout,
                        UserPrincipal peer) {
        this.peer = peer;
        this.pid = process.pid();
        this.process = process;
        this.socket = socket;
        this.mode = mode;
        this.loadedNow = loadedNow;
        this.javaVersion = javaVersion;
        this.timeout = timeout;
    }

    /** Connects to the agent in JVM {@code pid}, loading it when absent. */
    public static AgentClient connect(long pid) {
        return connect(pid, "");
    }

    /**
     * Connects to the agent in JVM {@code pid}, loading it when absent with machine name
     * {@code machineName} (empty: none).
     *
     * @throws NoSuchJvmException    no such JVM
     * @throws NotSupportedException the JVM cannot host the agent, with the reason
     * @throws AttachException       attach or loading the agent failed ({@link TimedOutException}: the JVM did not answer)
     */
    public static AgentClient connect(long pid, String machineName) {
        return connect(pid, machineName, null, null);
    }

    /**
     * Connects to the agent in JVM {@code pid}, loading it when absent with machine name
     * {@code machineName} (empty: none) and trust folder {@code trust} (null: none; the agent then
     * fixes the folder of the first successful apply). An agent that is already there keeps its own
     * trust folder and refuses requests that name another.
     *
     * @param timeout the deadline of every step that talks to the JVM; null for the defaults
     */
    public static AgentClient connect(long pid, String machineName, Path trust, Duration timeout) {
        return connect(pid, machineName, trust, timeout, () -> { });
    }

    /**
     * Like {@link #connect(long, String, Path, Duration)}; {@code beforeLoading} runs just before the
     * agent would be loaded into the JVM, and may throw to stop there with nothing changed (a
     * caller's own checks can so run while attach is under way).
     */
    public static AgentClient connect(long pid, String machineName, Path trust, Duration timeout, Runnable beforeLoading) {
        if (!machineName.isEmpty() && !MACHINE_NAME.matcher(machineName).matches()) {
            throw new IllegalArgumentException("invalid machine name '" + machineName
                    + "': use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
        return open(pid, true, machineName, trust, timeout, beforeLoading).orElseThrow();
    }

    /**
     * The agent in JVM {@code pid} when it can be reached through the socket in its user's runtime
     * folder, without attaching; empty otherwise (no agent, an agent without such a socket, or a
     * JVM this user may not manage). Never attaches, never loads the agent.
     *
     * @throws TimedOutException when the JVM is stopped or its agent does not answer in time
     */
    public static Optional<AgentClient> connectDirect(long pid, Duration timeout) {
        OsProcess self = OsProcess.self();
        if (pid == self.pid()) {
            return Optional.empty();
        }
        Optional<OsProcess> process = OsProcess.of(pid);
        return process.isEmpty() ? Optional.empty() : viaRuntimeFolder(process.get(), self, timeout);
    }

    /** Connects to the agent in JVM {@code pid} if it runs there; never loads it. */
    public static Optional<AgentClient> connectIfPresent(long pid) {
        return connectIfPresent(pid, null);
    }

    /** Connects to the agent in JVM {@code pid} if it runs there, with one deadline for every step (null: the defaults); never loads it. */
    public static Optional<AgentClient> connectIfPresent(long pid, Duration timeout) {
        return open(pid, false, "", null, timeout, () -> { });
    }

    private static Optional<AgentClient> open(long pid, boolean load, String machineName, Path trust, Duration timeout,
                                              Runnable beforeLoading) {
        OsProcess self = OsProcess.self();
        if (pid == self.pid()) {
            throw new NoSuchJvmException(pid, "process " + pid + " is this hotpatch process itself");
        }
        OsProcess process = OsProcess.of(pid).orElseThrow(() ->
                new NoSuchJvmException(pid, "no process " + pid + " is running; 'hotpatch ps' lists the local JVMs"));
        Optional<AgentClient> direct = viaRuntimeFolder(process, self, timeout);
        if (direct.isPresent()) {
            return direct;
        }
        if (!Discovery.finds(pid)) {
            throw new NoSuchJvmException(pid, "process " + pid + " (" + OsProcess.fileName(process.command())
                    + ") is not a Java virtual machine; 'hotpatch ps' lists the local JVMs");
        }
        try (Target target = Target.attach(process, self, timeout == null ? ATTACH_TIMEOUT : timeout)) {
            // System properties only: a JVM whose arguments switch dynamic loading off refuses the
            // load itself, and Target.loadAgent says why.
            Probe probe = load ? Probe.systemOnly(target) : Probe.of(target);
            Eligibility.Verdict verdict = Eligibility.judge(probe);
            if (verdict.status() != HotpatchStatus.ENABLED) {
                throw new NotSupportedException(pid, verdict.reason());
            }
            if (probe.agentPresent()) {
                return Optional.of(new AgentClient(process, checkedSocket(probe.socket(), process), probe.mode(), false,
                        probe.javaVersion(), timeout));
            }
            if (!load) {
                return Optional.empty();
            }
            beforeLoading.run();
            Path jar = AgentJar.path();
            requireReadable(process, self, jar, "the agent jar",
                    "hotpatch keeps the agent in its own user's private cache. Run hotpatch as that user (e.g. sudo -u "
                            + process.user() + " hotpatch ...), or enroll the JVM with -javaagent:<a copy that user can read>"
                            + " (see 'hotpatch agent-path')");
            target.loadAgent(jar.toString(), loadOptions(machineName, trust), probe.javaFeature());
            Probe after = Probe.of(target);
            if (after.socket().isEmpty()) {
                throw new AttachException("the agent loaded into JVM " + pid + " but opened no channel ("
                        + Probe.AGENT_SOCKET + " is not set); see the JVM's standard error");
            }
            return Optional.of(new AgentClient(process, checkedSocket(after.socket(), process), after.mode(), true,
                    after.javaVersion(), timeout));
        }
    }

    /**
     * The agent reached through the socket in its user's runtime folder, without attaching: the
     * socket must pass {@link RuntimeSockets}' checks and answer a ping from a process of the JVM's
     * user. Empty when there is no such socket or it does not answer (a stale socket of a JVM that
     * died): the caller attaches then, which checks everything again.
     *
     * @throws TimedOutException when the JVM is stopped or the agent does not answer in time
     */
    private static Optional<AgentClient> viaRuntimeFolder(OsProcess process, OsProcess self, Duration timeout) {
        if (!process.attachableBy(self)) {
            return Optional.empty();
        }
        Optional<Path> found = RuntimeSockets.find(process, self).socket();
        if (found.isEmpty()) {
            return Optional.empty();
        }
        Path socket = found.get();
        long pid = process.pid();
        if (OsProcess.isStopped(pid)) {
            throw TimedOutException.stopped(pid);
        }
        Duration t = timeout == null ? QUERY_TIMEOUT : timeout;
        try {
            UserPrincipal owner = Files.getOwner(socket.getParent(), LinkOption.NOFOLLOW_LINKS);
            Message reply = Channel.exchange(socket, Message.of("op", "ping"), t, owner, () -> OsProcess.isStopped(pid));
            if (!"ok".equals(reply.get("status"))) {
                return Optional.empty();
            }
            return Optional.of(new AgentClient(process, socket, reply.get("mode", ""), false, reply.get("javaVersion", ""),
                    timeout, owner));
        } catch (java.net.SocketTimeoutException e) {
            throw timedOut(e, pid, "a ping to its agent over " + socket, t);
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The agent options for a fresh load: its name, and the trust folder it keeps for its lifetime. */
    private static String loadOptions(String machineName, Path trust) {
        List<String> options = new java.util.ArrayList<>();
        if (!machineName.isEmpty()) {
            options.add("name=" + machineName);
        }
        if (trust != null) {
            String t = trust.toAbsolutePath().normalize().toString();
            // The option string is comma-separated key=value: such a path is pinned by the first apply instead.
            if (t.indexOf(',') < 0 && t.indexOf('=') < 0) {
                options.add("trust=" + t);
            }
        }
        return String.join(",", options);
    }

    /**
     * Refuses, naming the real cause, when the target JVM's user could not read {@code file}: the
     * agent runs as that user, so a file only the caller (e.g. root) can read looks missing to it.
     */
    private static void requireReadable(OsProcess process, OsProcess self, Path file, String what, String fix) {
        if (process.uid() == self.uid()) {
            return;
        }
        process.cannotRead(file).ifPresent(why -> {
            throw new NotSupportedException(process.pid(), "it runs as user '" + process.user() + "' (uid " + process.uid()
                    + "), which cannot read " + what + " " + file + ": " + why + ". " + fix);
        });
    }

    /**
     * Resolves the socket path the target announced (through {@code /proc/PID/root} when the target
     * lives in another mount namespace) and refuses it unless its folder belongs to the target's
     * user and is closed to group and others.
     */
    static Path checkedSocket(String announced, OsProcess process) {
        long pid = process.pid();
        Path path = Path.of(announced);
        if (!path.isAbsolute()) {
            throw new AttachException("the agent in JVM " + pid + " announced a relative socket path '" + announced + "'");
        }
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            Path viaRoot = Path.of("/proc", Long.toString(pid), "root").resolve(announced.substring(1));
            if (Files.exists(viaRoot, LinkOption.NOFOLLOW_LINKS)) {
                path = viaRoot;
            } else {
                throw new AttachException("the agent socket " + announced + " of JVM " + pid + " does not exist");
            }
        }
        Path dir = path.getParent();
        try {
            PosixFileAttributes attrs = Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            long owner = OsProcess.uidOf(dir);
            boolean ownerOk = owner < 0 || process.uid() < 0 || owner == process.uid();
            if (!attrs.isDirectory() || !ownerOk || !OWNER_ONLY.containsAll(attrs.permissions())) {
                throw new NotSupportedException(pid, "its agent socket folder " + dir + " is not private to the JVM's user"
                        + " (owner " + attrs.owner().getName() + ", mode " + java.nio.file.attribute.PosixFilePermissions.toString(attrs.permissions())
                        + "); refusing to talk to a channel another user could have put there");
            }
        } catch (UnsupportedOperationException e) {
            // No POSIX attributes: the platform's own access control protects the folder.
        } catch (IOException e) {
            throw new AttachException("cannot check the agent socket folder " + dir + " of JVM " + pid + ": " + e.getMessage(), e);
        }
        return path;
    }

    /** The JVM's process id. */
    public long pid() {
        return pid;
    }

    /** The agent's socket. */
    public Path socket() {
        return socket;
    }

    /** {@code enrolled} or {@code attached}. */
    public String mode() {
        return mode;
    }

    /**
     * How this client reached the agent: {@code socket} when through the socket in the user's
     * runtime folder (no attach), {@code attach} when through the JDK attach mechanism.
     */
    public String reachedBy() {
        return peer != null ? "socket" : "attach";
    }

    /** Whether {@link #connect} loaded the agent just now (dynamic attach; on JDK 21+ the JVM printed a JEP 451 warning). */
    public boolean loadedNow() {
        return loadedNow;
    }

    /** The target's {@code java.version}. */
    public String javaVersion() {
        return javaVersion;
    }

    /** Asks the agent who it is. */
    public AgentInfo ping() {
        return AgentInfo.from(requireOk(send(Message.of("op", "ping"), QUERY_TIMEOUT), "ping"));
    }

    /**
     * Asks the agent to install the package at {@code pkg}, verified against the certificates in
     * {@code trustDir} ({@code null}: the agent's own trust folder). Both paths are sent absolute;
     * the target's user must be able to read them. The agent verifies the package itself and
     * applies it all or nothing.
     */
    public ApplyResult apply(Path pkg, Path trustDir, String actor) {
        return apply(pkg, trustDir, actor, false);
    }

    /**
     * Like {@link #apply(Path, Path, String)}; with {@code allowPending} the agent installs a package
     * even when none of its classes is in the JVM yet (they are patched if they load later), which
     * it otherwise refuses as a package for a library the JVM does not contain.
     */
    public ApplyResult apply(Path pkg, Path trustDir, String actor, boolean allowPending) {
        OsProcess self = OsProcess.self();
        requireReadable(process, self, pkg, "the package", "Put it where that user can read it (the agent reads it as the JVM's user)");
        if (trustDir != null) {
            requireReadable(process, self, trustDir, "the trust folder", "Use a trust folder that user can read");
        }
        Message request = Message.of("op", "apply", "package", pkg.toAbsolutePath().normalize().toString())
                .put("trust", trustDir == null ? null : trustDir.toAbsolutePath().normalize().toString())
                .put("actor", actor).put("allowPending", allowPending ? "true" : null);
        return ApplyResult.from(send(request, CHANGE_TIMEOUT));
    }

    /** Asks the agent to remove hotpatch {@code id}, or the latest one when {@code id} is {@code null}. */
    public UninstallResult uninstall(String id, String actor) {
        return UninstallResult.from(send(Message.of("op", "uninstall").put("id", id).put("actor", actor), CHANGE_TIMEOUT));
    }

    /**
     * Clears the quarantine of hotpatch {@code id}: the agent applies its stored package again, live,
     * with every check of a first apply, and a new probation starts.
     */
    public ApplyResult clearQuarantine(String id, String actor, boolean allowPending) {
        return ApplyResult.from(send(Message.of("op", "clear", "id", id).put("actor", actor)
                .put("allowPending", allowPending ? "true" : null), CHANGE_TIMEOUT));
    }

    /** The hotpatches of the JVM: live ones in installation order, then quarantined and revoked ones. */
    public List<InstalledHotpatch> list() {
        return report().hotpatches();
    }

    /** The agent's whole report: hotpatches, a pending restart, problems. */
    public AgentReport report() {
        return AgentReport.from(requireOk(send(Message.of("op", "list"), QUERY_TIMEOUT), "list"));
    }

    private Message send(Message request, Duration defaultTimeout) {
        Duration t = timeout == null ? defaultTimeout : timeout;
        if (OsProcess.isStopped(pid)) {
            throw TimedOutException.stopped(pid);
        }
        String what = "the request '" + request.get("op", "") + "' to its agent";
        try {
            return Channel.exchange(socket, request, t, peer, () -> OsProcess.isStopped(pid));
        } catch (java.net.SocketTimeoutException e) {
            throw timedOut(e, pid, what, t);
        } catch (IOException e) {
            throw new AttachException("could not talk to the agent in JVM " + pid + " over " + socket + ": " + e.getMessage(), e);
        }
    }

    /**
     * What an exchange that timed out means: the JVM stopped after the check before sending (so the
     * request may have reached it, not "nothing was sent"), or it did not answer in time.
     */
    private static TimedOutException timedOut(java.net.SocketTimeoutException e, long pid, String what, Duration t) {
        return e instanceof Channel.PeerStoppedException || OsProcess.isStopped(pid) ? TimedOutException.stoppedDuring(pid, what)
                : TimedOutException.after(pid, what, t);
    }

    private Message requireOk(Message reply, String op) {
        if (!"ok".equals(reply.get("status"))) {
            throw new AttachException("the agent in JVM " + pid + " answered '" + op + "' with status '"
                    + reply.get("status", "") + "': " + reply.get("message", ""));
        }
        return reply;
    }

    /** Nothing to release today (every request has its own connection); kept so callers scope the client. */
    @Override
    public void close() {
    }

    @Override
    public String toString() {
        return "AgentClient[pid " + pid + ", " + mode + ", " + socket + "]";
    }
}
