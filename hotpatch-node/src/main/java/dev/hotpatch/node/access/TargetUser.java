package dev.hotpatch.node.access;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The effective uid and gid of a process, from {@code /proc/PID/status} (numeric: a uid without a
 * passwd entry, as in containers, works too). Immutable.
 */
record TargetUser(long uid, long gid) {
    /** This process. */
    static TargetUser self() {
        return of(ProcessHandle.current().pid());
    }

    /** Process {@code pid}; root when it cannot be read (no such process, or not Linux), which callers treat as "no switch". */
    static TargetUser of(long pid) {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"));
            long uid = -1;
            long gid = -1;
            for (String l : lines) {
                if (l.startsWith("Uid:")) {
                    uid = Long.parseLong(l.substring(4).trim().split("\\s+")[1]);
                } else if (l.startsWith("Gid:")) {
                    gid = Long.parseLong(l.substring(4).trim().split("\\s+")[1]);
                }
            }
            if (uid < 0 || gid < 0) {
                throw new IllegalStateException("/proc/" + pid + "/status has no Uid or Gid line");
            }
            return new TargetUser(uid, gid);
        } catch (IOException | RuntimeException e) {
            throw new dev.hotpatch.attach.NoSuchJvmException(pid, "cannot read the owner of process " + pid + " (" + e.getMessage() + ")");
        }
    }

    boolean isRoot() {
        return uid == 0;
    }

    @Override
    public String toString() {
        return "uid " + uid + ", gid " + gid;
    }
}
