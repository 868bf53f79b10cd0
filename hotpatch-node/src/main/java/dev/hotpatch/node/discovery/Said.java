package dev.hotpatch.node.discovery;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What discovery has already told the operator. A node looks at its host every round; a name clash
 * or an unmanaged JVM stays the same for hours, and repeating it at every check-in buries the log.
 * Each warning and notice is logged when it first appears, and again only after it went away and
 * came back (a restarted JVM has a new pid, so its line is new). Not thread-safe: one node round
 * at a time calls it.
 */
public final class Said {
    private static final System.Logger LOG = System.getLogger("dev.hotpatch.node");

    private Set<String> warned = Set.of();
    private Set<String> noticed = Set.of();

    /** Logs the warnings and notices of this round that the previous round did not have. */
    public void report(List<String> warnings, List<String> notices) {
        warned = logNew(warnings, warned, System.Logger.Level.WARNING);
        noticed = logNew(notices, noticed, System.Logger.Level.INFO);
    }

    private static Set<String> logNew(List<String> now, Set<String> before, System.Logger.Level level) {
        for (String line : now) {
            if (!before.contains(line)) {
                LOG.log(level, line);
            }
        }
        return new HashSet<>(now);
    }
}
