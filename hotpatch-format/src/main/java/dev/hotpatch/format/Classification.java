package dev.hotpatch.format;


/** The kind of an update, as in Windows Update; only {@link #CRITICAL} and {@link #SECURITY} may ship as hotpatches. */
public enum Classification {
    CRITICAL("Critical"),
    SECURITY("Security"),
    UPDATES("Updates"),
    DEFINITION("Definition");

    private final String label;

    Classification(String label) {
        this.label = label;
    }

    /** The name shown to operators and written in packages, e.g. {@code Security}. */
    public String label() {
        return label;
    }

    /** Whether updates of this classification may be delivered live, without a restart. */
    public boolean hotpatchable() {
        return this == CRITICAL || this == SECURITY;
    }

    /** Parses a label case-insensitively; the error lists the accepted values. */
    public static Classification parse(String text) {
        if (text != null) {
            for (Classification c : values()) {
                if (c.label.equalsIgnoreCase(text.trim()) || c.name().equalsIgnoreCase(text.trim())) {
                    return c;
                }
            }
        }
        throw new IllegalArgumentException("unknown classification '" + text
                + "': use one of Critical, Security, Updates, Definition");
    }

    @Override
    public String toString() {
        return label;
    }

}
