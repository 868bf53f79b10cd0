package dev.hotpatch.format;

/** Whether installing an update needs a JVM restart; hotpatches are always {@link #NEVER_REBOOTS}. */
public enum RebootBehavior {
    NEVER_REBOOTS("NeverReboots"),
    CAN_REQUEST_REBOOT("CanRequestReboot"),
    ALWAYS_REQUIRES_REBOOT("AlwaysRequiresReboot");

    private final String label;

    RebootBehavior(String label) {
        this.label = label;
    }

    /** The name shown to operators and written in packages, e.g. {@code NeverReboots}. */
    public String label() {
        return label;
    }

    /** Parses a label case-insensitively; the error lists the accepted values. */
    public static RebootBehavior parse(String text) {
        if (text != null) {
            for (RebootBehavior r : values()) {
                if (r.label.equalsIgnoreCase(text.trim()) || r.name().equalsIgnoreCase(text.trim())) {
                    return r;
                }
            }
        }
        throw new IllegalArgumentException("unknown reboot behavior '" + text
                + "': use one of NeverReboots, CanRequestReboot, AlwaysRequiresReboot");
    }

    @Override
    public String toString() {
        return label;
    }
}
