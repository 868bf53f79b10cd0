package dev.hotpatch.node.config;

import dev.hotpatch.format.Classification;
import java.util.EnumSet;
import java.util.Set;

/**
 * The local policy of standalone mode: whether the node installs packages from its catalog folder
 * by itself, which classifications it installs, and when (each machine's own window, in the
 * machine's time zone, overrides this one). Immutable.
 *
 * @param enabled         false: the node only reports and logs, it installs nothing
 * @param classifications classifications installed automatically
 * @param window          when installing is allowed
 */
public record Policy(boolean enabled, Set<Classification> classifications, MaintenanceWindow window) {
    /** Installs Critical and Security hotpatches at any time. */
    public static final Policy DEFAULT = new Policy(true, EnumSet.of(Classification.CRITICAL, Classification.SECURITY),
            MaintenanceWindow.ALWAYS);

    public Policy {
        classifications = classifications.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(classifications));
    }
}
