package dev.hotpatch.attach;

import com.sun.tools.attach.AttachNotSupportedException;
import com.sun.tools.attach.VirtualMachine;
import com.sun.tools.attach.spi.AttachProvider;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Starts HotSpot's attach listener in a target JVM and returns as soon as its socket exists, so
 * that {@code VirtualMachine.attach} then connects at once.
 *
 * <p>Why: when the listener is not running yet (a JVM nobody attached to before), the JDK's attach
 * starts it with the same handshake as here (an {@code .attach_pid<pid>} file, then SIGQUIT) but
 * then sleeps 100 ms before it first looks for the socket, 200 ms before the second look, and so
 * on; the listener is up about a millisecond after the signal. Here the socket's folder is watched
 * (inotify, through a {@link WatchService}) instead, so the wait ends when the socket appears.
 *
 * <p>The handshake is the JDK's own, step for step: the attach file in the target's working folder,
 * else its temp folder; SIGQUIT sent again at half the timeout; the file removed afterwards. A JVM
 * whose performance data does not say that it accepts attach (attach disabled, no performance
 * data, another format) is left to the JDK, which refuses or handles it as before: a SIGQUIT to a
 * JVM that will not start its listener would only print a thread dump into its output. The caller
 * has already checked that the target handles SIGQUIT ({@link OsProcess#acceptsAttachSignal()}).
 * Thread-safe; its only state is the JDK constructor it looks up once.
 */
final class AttachListener {
    /** The JDK's default for {@code sun.tools.attach.attachTimeout}. */
    private static final long DEFAULT_TIMEOUT_MS = 10_000;

    private AttachListener() {
    }

    /**
     * Attaches to {@code process}: starts its listener ({@link #start}) and connects. When the
     * listener runs and {@code sun.tools.attach} is open to us, the JDK's connection is made
     * directly, without {@code VirtualMachine.attach}'s second check of the performance data
     * (the JDK's jvmstat reader, ~20 ms of class loading in a fresh tool): a running listener, or
     * the performance data read by {@link #start}, already says that the JVM accepts attach.
     * Otherwise the JDK's own attach runs, with its handshake, checks and refusals.
     */
    static VirtualMachine attach(OsProcess process) throws IOException, AttachNotSupportedException, InterruptedException {
        String id = Long.toString(process.pid());
        if (start(process)) {
            Optional<VirtualMachine> direct = Direct.connect(id);
            if (direct.isPresent()) {
                return direct.get();
            }
        }
        return VirtualMachine.attach(id);
    }

    /**
     * Makes sure the attach listener of {@code process} runs. Returns true when its socket exists;
     * false when this could not start it and the JDK's attach should run its own handshake (which
     * also gives the refusal of a JVM that does not accept attach).
     *
     * @throws AttachNotSupportedException the JVM did not start its listener in the JDK's attach
     *                                     timeout (the JDK's own wording, which {@link Target} explains)
     * @throws InterruptedException        the caller's deadline passed meanwhile
     */
    static boolean start(OsProcess process) throws AttachNotSupportedException, InterruptedException {
        Optional<Signaller> signaller = Signaller.find();
        return signaller.isPresent() && start(process, signaller.get());
    }

    /** As {@link #start(OsProcess)}, signalling with {@code signaller}. */
    static boolean start(OsProcess process, Signaller signaller) throws AttachNotSupportedException, InterruptedException {
        long pid = process.pid();
        long nsPid = namespacePid(pid);
        Path proc = Path.of("/proc", Long.toString(pid));
        Path procTmp = proc.resolve("root/tmp");
        // As the JDK: the target's own /tmp through /proc when we may write there, else ours.
        Path tmp = Files.isWritable(procTmp) ? procTmp : Path.of("/tmp");
        Path socket = tmp.resolve(".java_pid" + nsPid);
        if (Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
            return true;
        }
        if (!perfDataSaysAttachable(tmp, process.user(), nsPid)) {
            return false;
        }
        Path trigger = null;
        try (WatchService watch = tmp.getFileSystem().newWatchService()) {
            tmp.register(watch, StandardWatchEventKinds.ENTRY_CREATE);
            trigger = createTrigger(proc, tmp, nsPid);
            if (trigger == null || !signaller.quit(pid)) {
                return false;
            }
            long timeout = Long.getLong("sun.tools.attach.attachTimeout", DEFAULT_TIMEOUT_MS);
            long start = System.nanoTime();
            boolean resent = false;
            while (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
                long spent = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                if (spent > timeout) {
                    throw new AttachNotSupportedException("Unable to open socket file " + socket + ": target process " + pid
                            + " doesn't respond within " + spent + "ms or HotSpot VM not loaded");
                }
                if (!resent && spent > timeout / 2) {
                    // As the JDK: one more signal, in case the first came while the JVM could not take it.
                    resent = true;
                    signaller.quit(pid);
                }
                // Woken by any file created or renamed into the folder (HotSpot binds the socket under a
                // temporary name and renames it); the bound only covers an event lost to an overflow.
                WatchKey key = watch.poll(Math.min(100, timeout / 2 + 1), TimeUnit.MILLISECONDS);
                if (key != null) {
                    key.pollEvents();
                    key.reset();
                }
            }
            return true;
        } catch (IOException | RuntimeException e) {
            // Cannot watch or create the trigger here: the JDK's own handshake runs instead.
            return false;
        } finally {
            if (trigger != null) {
                try {
                    Files.deleteIfExists(trigger);
                } catch (IOException e) {
                    // As the JDK: a leftover trigger file only makes a later SIGQUIT start the listener.
                }
            }
        }
    }

    /**
     * Exercises the handshake's own code (performance-data reading, the folder watch, the JDK's
     * attach provider) on a private temporary folder, for the CLI's class-data-sharing training
     * run. Sends no signal and talks to no JVM.
     */
    static void train() throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("hotpatch-attach-");
        Path file = dir.resolve(".java_pid0");
        try (WatchService watch = dir.getFileSystem().newWatchService()) {
            dir.register(watch, StandardWatchEventKinds.ENTRY_CREATE);
            Files.createFile(file);
            WatchKey key = watch.poll(1, TimeUnit.SECONDS);
            if (key != null) {
                key.pollEvents();
                key.reset();
            }
            PerfData.attachable(file);
            namespacePid(ProcessHandle.current().pid());
            Signaller.find();
            Direct.provider();
            try {
                // Loaded, not initialised: the class the direct connection constructs.
                Class.forName("sun.tools.attach.VirtualMachineImpl", false, VirtualMachine.class.getClassLoader());
            } catch (ClassNotFoundException | LinkageError e) {
                // Another JDK: nothing to load ahead.
            }
        } finally {
            Files.deleteIfExists(file);
            Files.deleteIfExists(dir);
        }
    }

    /** The attach file in the target's working folder, else in its temp folder; null when neither can be made. */
    private static Path createTrigger(Path proc, Path tmp, long nsPid) {
        String name = ".attach_pid" + nsPid;
        for (Path p : new Path[] {proc.resolve("cwd").resolve(name), tmp.resolve(name)}) {
            try {
                Files.createFile(p);
                return p;
            } catch (java.nio.file.FileAlreadyExistsException e) {
                // Another tool is attaching right now: its file serves us too, and it removes it.
                return null;
            } catch (IOException | RuntimeException e) {
                // Not writable here (another user's working folder): the temp folder is tried.
            }
        }
        return null;
    }

    /**
     * Whether the JVM's performance data says it accepts attach. Its folder is named by the JVM's
     * user as the JVM sees it, which inside a container may not be the name we see: other folders
     * are looked at when the expected one has no file for the pid.
     */
    private static boolean perfDataSaysAttachable(Path tmp, String user, long nsPid) {
        String file = Long.toString(nsPid);
        Path expected = tmp.resolve("hsperfdata_" + user).resolve(file);
        if (Files.isRegularFile(expected)) {
            return PerfData.attachable(expected).orElse(false);
        }
        try (DirectoryStream<Path> folders = Files.newDirectoryStream(tmp, "hsperfdata_*")) {
            for (Path folder : folders) {
                Path f = folder.resolve(file);
                if (Files.isRegularFile(f)) {
                    return PerfData.attachable(f).orElse(false);
                }
            }
        } catch (IOException | RuntimeException e) {
            return false;
        }
        return false;
    }

    /** The pid the JVM sees itself as (the last NSpid entry), which names its attach files; {@code pid} when the same or unknown. */
    static long namespacePid(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"), StandardCharsets.UTF_8)) {
                if (line.startsWith("NSpid:")) {
                    String[] ids = line.substring("NSpid:".length()).trim().split("\\s+");
                    return Long.parseLong(ids[ids.length - 1]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // No status to read: the JDK falls back to the pid as well.
        }
        return pid;
    }

    /** The JDK's own connection to a running attach listener, made without {@code VirtualMachine.attach}'s checks. */
    private static final class Direct {
        /** Connects to the running listener of JVM {@code id}; empty when the JDK's internals are not open to us. */
        static Optional<VirtualMachine> connect(String id) throws IOException, AttachNotSupportedException {
            Optional<AttachProvider> provider = provider();
            Constructor<?> c = constructor();
            if (provider.isEmpty() || c == null) {
                return Optional.empty();
            }
            try {
                return Optional.of((VirtualMachine) c.newInstance(provider.get(), id));
            } catch (InvocationTargetException e) {
                Throwable cause = e.getCause();
                if (cause instanceof IOException) {
                    throw (IOException) cause;
                }
                if (cause instanceof AttachNotSupportedException) {
                    throw (AttachNotSupportedException) cause;
                }
                if (cause instanceof RuntimeException) {
                    throw (RuntimeException) cause;
                }
                throw new IOException("attaching to JVM " + id + " failed: " + cause, cause);
            } catch (ReflectiveOperationException | IllegalArgumentException e) {
                return Optional.empty();
            }
        }

        /** The JDK's HotSpot attach provider (the one {@code VirtualMachine.attach} would pick), or empty. */
        static Optional<AttachProvider> provider() {
            for (AttachProvider p : AttachProvider.providers()) {
                if ("sun".equals(p.name()) && "socket".equals(p.type())) {
                    return Optional.of(p);
                }
            }
            return Optional.empty();
        }

        private static Constructor<?> constructor() {
            return Internals.CONNECT;
        }
    }

    /**
     * The JDK attach's internals this class uses when {@code jdk.attach/sun.tools.attach} is open
     * to it (the jar's {@code Add-Opens}): {@code VirtualMachineImpl}'s constructor and its
     * {@code sendQuitTo}. Looked up once; null where the package is closed or the JDK differs.
     */
    private static final class Internals {
        static final Constructor<?> CONNECT;
        static final Method SEND_QUIT;

        static {
            Constructor<?> connect = null;
            Method sendQuit = null;
            try {
                if (VirtualMachine.class.getModule().isOpen("sun.tools.attach", AttachListener.class.getModule())) {
                    Class<?> impl = Class.forName("sun.tools.attach.VirtualMachineImpl", true, VirtualMachine.class.getClassLoader());
                    connect = accessible(impl.getDeclaredConstructor(AttachProvider.class, String.class));
                    sendQuit = accessible(impl.getDeclaredMethod("sendQuitTo", int.class));
                }
            } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
                // Another JDK's internals: VirtualMachine.attach and kill(1) instead.
            }
            CONNECT = connect;
            SEND_QUIT = sendQuit;
        }

        private static <T extends java.lang.reflect.AccessibleObject> T accessible(T member) {
            member.setAccessible(true);
            return member;
        }
    }

    /** Sends SIGQUIT to a process: through the JDK's own native method when it is open to us, else with kill(1). */
    abstract static class Signaller {
        /** Sends SIGQUIT to {@code pid}; false when it could not be sent. */
        abstract boolean quit(long pid);

        /** The cheapest way this process has to send SIGQUIT, or empty when it has none. */
        static Optional<Signaller> find() {
            // The launcher's jar manifest opens the package (Add-Opens), so the CLI needs no process.
            if (Internals.SEND_QUIT != null) {
                return Optional.of(new Native(Internals.SEND_QUIT));
            }
            for (String kill : new String[] {"/bin/kill", "/usr/bin/kill"}) {
                if (Files.isExecutable(Path.of(kill))) {
                    return Optional.of(new Command(kill));
                }
            }
            return Optional.empty();
        }
    }

    /** {@code sun.tools.attach.VirtualMachineImpl.sendQuitTo}, the JDK attach's own {@code kill(pid, SIGQUIT)}. */
    static final class Native extends Signaller {
        private final Method sendQuitTo;

        Native(Method sendQuitTo) {
            this.sendQuitTo = sendQuitTo;
        }

        @Override
        boolean quit(long pid) {
            try {
                sendQuitTo.invoke(null, (int) pid);
                return true;
            } catch (IllegalAccessException | InvocationTargetException | RuntimeException e) {
                return false;
            }
        }
    }

    /** {@code kill -QUIT pid} as a child process. */
    static final class Command extends Signaller {
        private final String kill;

        Command(String kill) {
            this.kill = kill;
        }

        @Override
        boolean quit(long pid) {
            try {
                Process p = new ProcessBuilder(kill, "-QUIT", Long.toString(pid)).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                return p.waitFor(5, TimeUnit.SECONDS) && p.exitValue() == 0;
            } catch (IOException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }
}
