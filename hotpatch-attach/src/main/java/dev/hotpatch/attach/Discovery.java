package dev.hotpatch.attach;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;

/**
 * The ways of finding local JVM process ids. The performance-data folders show JVMs that publish
 * performance data (the ones the attach API lists); the process table also sees those that do not (attach disabled,
 * {@code -XX:-UsePerfData}), so that they show up as NotSupported instead of not at all.
 */
enum Discovery {
    /**
     * JVMs that publish performance data: a file named by the pid in a {@code hsperfdata_USER}
     * folder of the temp folder, which is where the attach API looks too. Read as a folder listing,
     * without opening each JVM's data as {@code VirtualMachine.list()} does (seconds on a busy host).
     */
    PERF_DATA {
        @Override
        Set<Long> pids() {
            Set<Long> pids = new TreeSet<>();
            try (DirectoryStream<Path> users = Files.newDirectoryStream(TMP, "hsperfdata_*")) {
                for (Path user : users) {
                    try (DirectoryStream<Path> files = Files.newDirectoryStream(user)) {
                        for (Path f : files) {
                            long pid = pidOf(f.getFileName().toString());
                            if (pid > 0 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                                pids.add(pid);
                            }
                        }
                    } catch (IOException e) {
                        // Another user's folder we may not list: its JVMs are not ours to manage (root lists all).
                    }
                }
            } catch (IOException e) {
                // No temp folder to read: the process table still finds JVMs.
            }
            return pids;
        }

        @Override
        boolean has(long pid) {
            try (DirectoryStream<Path> users = Files.newDirectoryStream(TMP, "hsperfdata_*")) {
                for (Path user : users) {
                    if (Files.exists(user.resolve(Long.toString(pid)))) {
                        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
                    }
                }
            } catch (IOException e) {
                return false;
            }
            return false;
        }
    },
    PROCESS_TABLE {
        @Override
        boolean has(long pid) {
            return ProcessHandle.of(pid).flatMap(h -> h.info().command()).map(Discovery::isJava).orElse(false);
        }

        @Override
        Set<Long> pids() {
            Set<Long> pids = new TreeSet<>();
            ProcessHandle.allProcesses().forEach(h -> {
                if (isJava(h.info().command().orElse(""))) {
                    pids.add(h.pid());
                }
            });
            return pids;
        }
    };

    abstract Set<Long> pids();

    /** Whether this discovery finds {@code pid}; by default by listing all. */
    boolean has(long pid) {
        return pids().contains(pid);
    }

    private static final Path TMP = Path.of("/tmp");

    private static long pidOf(String name) {
        if (name.isEmpty() || name.length() > 18) {
            return -1;
        }
        for (int i = 0; i < name.length(); i++) {
            if (!Character.isDigit(name.charAt(i))) {
                return -1;
            }
        }
        return Long.parseLong(name);
    }

    /** Every JVM process id any discovery finds, without this process. */
    static Set<Long> all() {
        Set<Long> pids = new TreeSet<>();
        for (Discovery d : values()) {
            pids.addAll(d.pids());
        }
        pids.remove(ProcessHandle.current().pid());
        return pids;
    }

    private static boolean isJava(String command) {
        return command.endsWith("/java") || command.endsWith("/javaw") || command.equals("java");
    }

    /** Whether {@code pid} is a JVM that some discovery finds. */
    static boolean finds(long pid) {
        for (Discovery d : values()) {
            if (d.has(pid)) {
                return true;
            }
        }
        return false;
    }
}
