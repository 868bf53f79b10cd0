package dev.hotpatch.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Ends the processes a test started, the one way every test helper does it.
 *
 * <p>{@link #stop} is for cleanup: SIGTERM first, so that a JVM runs its shutdown and removes its
 * attach socket {@code /tmp/.java_pid<pid>}, and SIGKILL only for what is still running after a
 * short grace. {@link #kill} is for tests whose point is a crash: SIGKILL at once. Either way, once
 * a JVM is gone, an attach socket it left behind is removed when this test process owns it, so
 * that test runs do not litter {@code /tmp} (a JVM killed with SIGKILL cannot remove its own).
 *
 * <p>Both act on the process and every process under it, deepest first: under a launcher (say
 * {@code unshare} or {@code sh -c}) the JVM is a descendant, and a launcher that changes
 * credentials leaves it no parent-death signal. That is also what a service manager does when it
 * stops or kills a service (its whole control group).
 */
public final class Processes {
    /** The grace {@link #stop} normally gives a process between SIGTERM and SIGKILL. */
    public static final Duration GRACE = Duration.ofSeconds(5);

    /** How long a process may take to disappear after SIGKILL before it counts as unkillable. */
    private static final Duration AFTER_KILL = Duration.ofSeconds(20);
    private static final Path TMP = Path.of("/tmp");

    private Processes() {
    }

    /**
     * Stops {@code process} and its descendants: SIGTERM, up to {@code grace} for them to exit, then
     * SIGKILL for those still running. Does nothing to a process that has already exited.
     *
     * @return true if every process exited within the grace, false if some needed SIGKILL
     * @throws IllegalStateException if some process is still there 20 s
     *     after SIGKILL (a process stuck in the kernel), naming it
     */
    public static boolean stop(Process process, Duration grace) {
        return stop(Objects.requireNonNull(process, "process").toHandle(), grace);
    }

    /** Like {@link #stop(Process, Duration)}, for a process this test did not start itself (say one a node launched). */
    public static boolean stop(ProcessHandle process, Duration grace) {
        Objects.requireNonNull(process, "process");
        if (Objects.requireNonNull(grace, "grace").isNegative()) {
            throw new IllegalArgumentException("grace must be zero or more, not " + grace);
        }
        List<ProcessHandle> tree = tree(List.of(process));
        List<AttachSocket> sockets = AttachSocket.of(tree);
        tree.forEach(ProcessHandle::destroy);
        List<ProcessHandle> left = awaitExit(tree, grace);
        boolean clean = left.isEmpty();
        if (!clean) {
            left.forEach(ProcessHandle::destroyForcibly);
            left = awaitExit(left, AFTER_KILL);
        }
        sockets.forEach(AttachSocket::removeIfStale);
        requireGone(left);
        return clean;
    }

    /**
     * Kills the processes and their descendants the way a crash, the OOM killer or {@code kill -9}
     * would (SIGKILL: no shutdown hook runs), all before waiting for any, and waits until they are gone.
     *
     * @throws IllegalStateException if some process is still there 20 s
     *     after SIGKILL, naming it
     */
    public static void kill(Process... processes) {
        List<ProcessHandle> roots = Arrays.stream(processes).map(p -> Objects.requireNonNull(p, "process").toHandle()).toList();
        List<ProcessHandle> tree = tree(roots);
        List<AttachSocket> sockets = AttachSocket.of(tree);
        tree.forEach(ProcessHandle::destroyForcibly);
        List<ProcessHandle> left = awaitExit(tree, AFTER_KILL);
        sockets.forEach(AttachSocket::removeIfStale);
        requireGone(left);
    }

    /** The roots and their descendants as they are now, each root after its descendants, deepest first. */
    private static List<ProcessHandle> tree(List<ProcessHandle> roots) {
        List<ProcessHandle> all = new ArrayList<>();
        for (ProcessHandle root : roots) {
            List<ProcessHandle> under = new ArrayList<>(root.descendants().toList());
            Collections.reverse(under);
            all.addAll(under);
            all.add(root);
        }
        return all;
    }

    /** Waits until every process has exited or {@code timeout} has passed; returns those still running. */
    private static List<ProcessHandle> awaitExit(List<ProcessHandle> processes, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<ProcessHandle> left = new ArrayList<>();
        for (ProcessHandle p : processes) {
            try {
                p.onExit().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                left.add(p);
            } catch (InterruptedException e) {
                // No more waiting: kill what is left, so nothing outlives the test, and keep the interrupt.
                Thread.currentThread().interrupt();
                processes.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
                return processes.stream().filter(ProcessHandle::isAlive).toList();
            } catch (ExecutionException e) {
                throw new IllegalStateException("cannot wait for process " + p.pid(), e);
            }
        }
        return left;
    }

    private static void requireGone(List<ProcessHandle> left) {
        List<ProcessHandle> alive = left.stream().filter(ProcessHandle::isAlive).toList();
        if (!alive.isEmpty() && !Thread.currentThread().isInterrupted()) {
            throw new IllegalStateException("process(es) " + alive.stream().map(p -> p.pid() + " " + p.info().commandLine().orElse(""))
                    .toList() + " still running " + AFTER_KILL.toSeconds() + " s after SIGKILL; look for them with ps -o pid,stat,wchan");
        }
    }

    /**
     * A JVM's attach socket {@code /tmp/.java_pid<pid>}, or where it would be, noted while the JVM
     * still runs. Removed after the JVM is gone only if this test process owns it and it is not
     * another file that appeared there since: its pid is not running again and the file is the one
     * seen before (or none was there, and the dying JVM made it).
     */
    private record AttachSocket(ProcessHandle process, Path path, Object fileKey) {
        static List<AttachSocket> of(List<ProcessHandle> processes) {
            return processes.stream().map(p -> {
                Path path = TMP.resolve(".java_pid" + p.pid());
                return new AttachSocket(p, path, fileKey(path));
            }).toList();
        }

        void removeIfStale() {
            if (process.isAlive() || ProcessHandle.of(process.pid()).isPresent()) {
                return;
            }
            try {
                BasicFileAttributes now = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                boolean same = fileKey == null || fileKey.equals(now.fileKey());
                if (same && now.isOther() && owner(path) == ourUid()) {
                    Files.deleteIfExists(path);
                }
            } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
                // Best effort: no socket, or not ours to read or remove; the product copes with a stale one.
            }
        }

        private static Object fileKey(Path path) {
            try {
                return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
            } catch (IOException | UnsupportedOperationException e) {
                return null;
            }
        }

        private static long owner(Path path) throws IOException {
            return ((Number) Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS)).longValue();
        }

        private static long ourUid() {
            return new com.sun.security.auth.module.UnixSystem().getUid();
        }
    }
}
