package dev.hotpatch.bench;

import java.lang.instrument.ClassDefinition;
import java.lang.instrument.Instrumentation;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The bare-JDK baseline for applying a patch: a java.lang.instrument agent that does nothing but
 * read the given class files and hand them to one {@link Instrumentation#redefineClasses} call,
 * with no verification, no hashing, no bookkeeping and no channel. JDK only; it runs inside the
 * target JVM from the jar {@link BareTools} writes.
 *
 * <p>Arguments: {@code KEY|DIR|NAME,NAME,...} with internal class names whose class files lie under
 * {@code DIR}. The classes are looked up in the system class loader. The agent publishes
 * {@code TOTAL_NANOS,REDEFINE_NANOS} as the system property {@code bench.bare.KEY}, which the
 * benchmark reads back through the attach API: the whole agentmain, and the redefineClasses call
 * alone. Every load runs agentmain afresh; the JVM loads the class once. As {@code -javaagent} it
 * does nothing at all.
 */
public final class BareAgent {
    /** Prefix of the system properties this agent publishes its timings under. */
    public static final String PROPERTY_PREFIX = "bench.bare.";

    private BareAgent() {
    }

    /**
     * Called by the JVM for {@code -javaagent}: does nothing, so that a JVM started with it shows
     * what any java.lang.instrument agent costs at start-up, before the agent's own work.
     */
    public static void premain(String args, Instrumentation inst) {
        // Deliberately empty: the baseline for the hotpatch agent's start-up.
    }

    /** Called by the JVM on each {@code loadAgent}. */
    public static void agentmain(String args, Instrumentation inst) throws Exception {
        long start = System.nanoTime();
        String[] parts = args.split("\\|", 3);
        String key = parts[0];
        Path dir = Path.of(parts[1]);
        String[] names = parts[2].split(",");
        ClassLoader app = ClassLoader.getSystemClassLoader();
        ClassDefinition[] defs = new ClassDefinition[names.length];
        for (int i = 0; i < names.length; i++) {
            Class<?> k = Class.forName(names[i].replace('/', '.'), false, app);
            defs[i] = new ClassDefinition(k, Files.readAllBytes(dir.resolve(names[i] + ".class")));
        }
        long redefine = System.nanoTime();
        inst.redefineClasses(defs);
        long end = System.nanoTime();
        System.setProperty(PROPERTY_PREFIX + key, (end - start) + "," + (end - redefine));
    }
}
