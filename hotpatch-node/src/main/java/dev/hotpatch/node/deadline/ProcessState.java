package dev.hotpatch.node.deadline;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Why a process may not be answering, as the kernel sees it: the state letter of
 * {@code /proc/PID/stat}. Used to word timeouts ("it is stopped", not only "it did not answer").
 * Stateless.
 */
public final class ProcessState {
    private ProcessState() {
    }

    /** A short clause saying what state process {@code pid} is in, e.g. {@code it is stopped (SIGSTOP or a debugger)}. */
    public static String describe(long pid) {
        if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) == Boolean.FALSE) {
            return "it has exited";
        }
        return switch (letter(pid)) {
            case 'T' -> "it is stopped (SIGSTOP or SIGTSTP; 'kill -CONT " + pid + "' resumes it)";
            case 't' -> "it is stopped by a debugger";
            case 'D' -> "it is blocked in uninterruptible I/O";
            case 'Z', 'X' -> "it has exited";
            case '?' -> "it is busy, hung or overloaded";
            default -> "it runs but is busy, hung or overloaded";
        };
    }

    /**
     * Returns once process {@code pid} is not stopped (resumed, or gone); checks its state every
     * 50 ms. For calls that must reach a JVM whenever it runs again, on threads that may be left waiting.
     *
     * @throws InterruptedException when the waiting thread is interrupted
     */
    static void awaitNotStopped(long pid) throws InterruptedException {
        while (true) {
            char c = letter(pid);
            if (c != 'T' && c != 't') {
                return;
            }
            Thread.sleep(50);
        }
    }

    /** The state letter, or '?' when it cannot be read (not Linux, or the process is gone). */
    private static char letter(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.US_ASCII);
            int close = stat.lastIndexOf(')');
            if (close < 0 || close + 2 >= stat.length()) {
                return '?';
            }
            return stat.charAt(close + 2);
        } catch (IOException | RuntimeException e) {
            return '?';
        }
    }
}
