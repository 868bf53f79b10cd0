package dev.hotpatch.node.config;

/** How a machine receives updates, as Azure's VM guest patch modes. */
public enum PatchMode {
    /** The server's rollouts patch it automatically, in its maintenance window, availability-first. */
    AUTOMATIC_BY_PLATFORM("AutomaticByPlatform"),
    /** The node's local policy patches it (standalone mode). */
    AUTOMATIC_BY_OS("AutomaticByOS"),
    /** Only operators patch it, on demand (install now). */
    MANUAL("Manual"),
    /** The image's default applies. */
    IMAGE_DEFAULT("ImageDefault");

    private final String label;

    PatchMode(String label) {
        this.label = label;
    }

    /** The name in config files and reports, e.g. {@code AutomaticByPlatform}. */
    public String label() {
        return label;
    }

    /** Parses a label case-insensitively; the error lists the accepted values. */
    public static PatchMode parse(String text) {
        for (PatchMode m : values()) {
            if (m.label.equalsIgnoreCase(text.trim()) || m.name().equalsIgnoreCase(text.trim().replace('-', '_'))) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown patch mode '" + text + "': use one of AutomaticByPlatform, AutomaticByOS, Manual, ImageDefault");
    }

    @Override
    public String toString() {
        return label;
    }
}
