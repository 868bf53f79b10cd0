package dev.hotpatch.agent;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A stamp of everything the trust folder's checks and contents depend on: the folder as given and
 * as resolved, and every entry in it (followed when a link), each with inode, device, owner, mode,
 * size, modification and status-change times; and every folder above it with inode, device, owner
 * and mode. Two equal stamps mean that the checks would see the same thing; any write, rename,
 * chmod or chown in the folder changes a change time, and a folder above replaced, chmod-ed or
 * chown-ed changes its inode, mode or owner.
 * Stateless.
 */
final class TrustStamp {
    /** A stamp younger than this could miss a change made in the same file-system clock tick. */
    private static final long SETTLE_NANOS = 2_000_000_000L;
    private static final String ATTRS = "unix:ino,dev,uid,mode,size,lastModifiedTime,ctime";
    private static final String ANCESTOR_ATTRS = "unix:ino,dev,uid,mode";
    /** The file-type bits of {@code st_mode}, and the type of a symbolic link. */
    private static final int S_IFMT = 0170000;
    private static final int S_IFLNK = 0120000;

    private TrustStamp() {
    }

    /** The stamp of trust folder {@code dir}, or null when it cannot be taken (then nothing is cached). */
    static List<Object> of(Path dir) {
        try {
            List<Object> out = new ArrayList<>();
            out.add(attrs(dir, LinkOption.NOFOLLOW_LINKS));
            Path real = dir.toRealPath();
            out.add(real.toString());
            out.add(attrs(real, LinkOption.NOFOLLOW_LINKS));
            // The folders above count by identity, owner and mode only: those are what the checks look
            // at, and their times change whenever a sibling is created (/tmp, /etc), which would
            // make every apply re-read the folder.
            for (Path up = real.getParent(); up != null; up = up.getParent()) {
                out.add(Files.readAttributes(up, ANCESTOR_ATTRS, LinkOption.NOFOLLOW_LINKS));
            }
            Map<String, Object> entries = new TreeMap<>();
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(real)) {
                for (Path f : ds) {
                    List<Object> e = new ArrayList<>();
                    Map<String, Object> own = attrs(f, LinkOption.NOFOLLOW_LINKS);
                    e.add(own);
                    if ((((Integer) own.get("mode")) & S_IFMT) == S_IFLNK) {
                        e.add(f.toRealPath().toString());
                        e.add(attrs(f));
                    }
                    entries.put(f.getFileName().toString(), e);
                }
            }
            out.add(entries);
            return out;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * Whether {@code stamp} is old enough to be trusted: its newest time is at least a couple of
     * seconds in the past, so that a change in the same clock tick would not go unseen.
     */
    static boolean settled(List<Object> stamp) {
        long newest = newest(stamp, Long.MIN_VALUE);
        return newest != Long.MIN_VALUE && System.currentTimeMillis() * 1_000_000L - newest >= SETTLE_NANOS;
    }

    @SuppressWarnings("unchecked")
    private static long newest(Object o, long max) {
        if (o instanceof FileTime) {
            return Math.max(max, ((FileTime) o).to(java.util.concurrent.TimeUnit.NANOSECONDS));
        }
        if (o instanceof Map) {
            for (Object v : ((Map<String, Object>) o).values()) {
                max = newest(v, max);
            }
        } else if (o instanceof List) {
            for (Object v : (List<Object>) o) {
                max = newest(v, max);
            }
        }
        return max;
    }

    private static Map<String, Object> attrs(Path p, LinkOption... options) throws IOException {
        return Files.readAttributes(p, ATTRS, options);
    }
}
