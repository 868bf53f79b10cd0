package dev.hotpatch.bench;

/**
 * One whole-process benchmark: measures a hotpatch operation and its bare-JDK baseline in the
 * same run and adds the figures to the report. Implementations hold no state between runs.
 */
interface Benchmark {
    /** Short name used on the command line, e.g. {@code warm-apply}. */
    String name();

    /** One line saying what is measured against what. */
    String description();

    void run(Workspace ws, Settings settings, Report report) throws Exception;
}
