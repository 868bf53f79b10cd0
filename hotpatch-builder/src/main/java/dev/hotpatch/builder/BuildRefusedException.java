package dev.hotpatch.builder;

/**
 * A build was refused: the fix changes classes in ways HotSpot cannot redefine, its
 * classification may not ship as a hotpatch, or nothing changed. Carries the full
 * {@link DiffReport} so callers can show or serialise every reason.
 */
public final class BuildRefusedException extends BuilderException {
    private static final long serialVersionUID = 1L;

    private final transient DiffReport report;

    BuildRefusedException(DiffReport report, String message) {
        super(message);
        this.report = report;
    }

    /** The analysis that led to the refusal. */
    public DiffReport report() {
        return report;
    }
}
