package dev.hotpatch.node.command;

import dev.hotpatch.format.Sha256;
import dev.hotpatch.node.NodeException;
import dev.hotpatch.node.config.NodeConfig;
import dev.hotpatch.node.discovery.LocalMachine;
import dev.hotpatch.node.internal.PrivateFiles;
import dev.hotpatch.node.inventory.InventoryCollector;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The swap job: replaces a machine's application jars with staged ones and puts them back, one
 * atomic rename per jar (a jar already in place is skipped, so a swap can be repeated after a
 * crash); checks which new jars a JVM really runs; prunes old backups. Thread-safe for different
 * machines.
 */
final class JarSwap {
    private static final System.Logger LOG = JobContext.LOG;
    private static final int BACKUPS_KEPT = 3;

    private final NodeConfig config;
    private final Path dataDir;
    private final InventoryCollector inventory;

    JarSwap(JobContext ctx) {
        this.config = ctx.config;
        this.dataDir = ctx.dataDir;
        this.inventory = ctx.inventory;
    }

    /** Replaces each target with its new jar, atomically per jar; a jar already replaced is skipped. */
    void swapAll(List<Journal.Swap> swaps, String machine) {
        for (Journal.Swap s : swaps) {
            replace(s.target(), s.staged(), s.newSha(), machine);
        }
    }

    /** Puts back what each swap replaced, newest first, so a file swapped twice ends as it was before the first. */
    void restoreAll(List<Journal.Swap> swaps, String machine) {
        for (int i = swaps.size() - 1; i >= 0; i--) {
            Journal.Swap s = swaps.get(i);
            if (s.backup() != null) {
                replace(s.target(), s.backup(), s.oldSha(), machine);
            }
        }
    }

    /**
     * Puts {@code source}'s content at {@code target} unless it is there already: a copy next to the
     * target, flushed, with the target's permissions, renamed over it. The running JVM keeps the
     * file it opened; the next start opens the new one.
     */
    private static void replace(Path target, Path source, String sha, String machine) {
        try {
            if (sha.equals(shaOrNull(target))) {
                return;
            }
            if (!sha.equals(Sha256.hex(source))) {
                throw new NodeException("the copy " + source + " no longer has SHA-256 " + sha + "; it was changed on disk");
            }
            Path dir = target.toAbsolutePath().getParent();
            Path tmp = PrivateFiles.createTemp(dir, "." + target.getFileName() + ".hotpatch-");
            try {
                Files.copy(source, tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
                    ch.force(true);
                }
                if (Files.exists(target)) {
                    try {
                        Files.setPosixFilePermissions(tmp, Files.getPosixFilePermissions(target));
                    } catch (UnsupportedOperationException x) {
                        // No POSIX permissions here; the platform's defaults apply.
                    }
                }
                PrivateFiles.move(tmp, target);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException x) {
            throw new NodeException("cannot replace " + target + " of machine " + machine + ": " + x.getMessage(), x);
        }
    }

    /** The new jars' file names that are not on {@code m}'s class path with their new hash. */
    List<String> missingJars(LocalMachine m, List<Journal.Swap> swaps) {
        InventoryCollector.Collected c = inventory.collect(m);
        List<String> missing = new ArrayList<>();
        MachineLedger.expected(swaps).forEach((target, sha) -> {
            if (!c.jarFiles().containsValue(sha)) {
                missing.add(target.getFileName() + " with SHA-256 " + sha.substring(0, 12) + "…");
            }
        });
        return missing;
    }

    void pruneBackups(String machine) {
        Path dir = dataDir.resolve("artifacts").resolve(machine);
        try (var files = Files.list(dir)) {
            List<Path> all = new ArrayList<>(files.filter(Files::isRegularFile).toList());
            all.sort((x, y) -> {
                try {
                    return Files.getLastModifiedTime(y).compareTo(Files.getLastModifiedTime(x));
                } catch (IOException ex) {
                    return 0;
                }
            });
            for (Path p : all.subList(Math.min(all.size(), BACKUPS_KEPT * Math.max(1, config.machine(machine).jars().size())), all.size())) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot prune old jar backups in " + dir + ": " + e.getMessage());
        }
    }

    static List<Map<String, Object>> jarDetails(List<Journal.Swap> swaps) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Journal.Swap s : swaps) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("path", s.target().toString());
            j.put("oldSha256", s.oldSha());
            j.put("newSha256", s.newSha());
            out.add(j);
        }
        return out;
    }

    private static String shaOrNull(Path p) {
        return JobContext.shaOrNull(p);
    }
}
