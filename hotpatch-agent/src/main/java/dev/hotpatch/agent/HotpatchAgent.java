package dev.hotpatch.agent;

import java.lang.instrument.Instrumentation;

/**
 * Entry point of the hotpatch agent inside a target JVM, loaded either at start-up with
 * {@code -javaagent:hotpatch-agent.jar[=name=N,trust=DIR,state=DIR]} ("enrolled", recommended) or
 * attached at run time by the {@code hotpatch} tool.
 *
 * <p>This class is a trampoline: it records the {@link Instrumentation}, returns at once when the
 * agent is already running (a second load hands over to the first), and leaves the work to
 * {@link Engine} and the {@link Channel} threads. In enrolled mode it re-applies persisted hotpatches
 * before {@code main} runs, so classes are patched as they load.
 */
public final class HotpatchAgent {
    private static Engine engine;

    private HotpatchAgent() {
    }

    /** Called by the JVM for {@code -javaagent}. */
    public static void premain(String args, Instrumentation inst) {
        start(args, inst, Mode.ENROLLED);
    }

    /** Called by the JVM when a tool loads the agent into a running process. */
    public static void agentmain(String args, Instrumentation inst) {
        start(args, inst, Mode.ATTACHED);
    }

    // No lambdas or method references on the start and apply paths of this module: in a JVM that has
    // run none yet, the first one bootstraps the JDK's lambda machinery, ~8 ms cold, and each further
    // one ~1 ms: time a tool waits for when it attaches. Anonymous classes cost a class load each.
    private static synchronized void start(String args, Instrumentation inst, Mode mode) {
        if (engine != null) {
            return;
        }
        try {
            AgentOptions options = AgentOptions.parse(args);
            if (mode == Mode.ATTACHED) {
                // A tool loaded the agent to apply a package at once: the first-use work of that
                // apply (the trust folder, the JDK's certificate, zip and signature code) starts now
                // on another core, beside the agent's own start and the tool's connection.
                Thread warm = new Thread(new Runnable() {
                    @Override
                    public void run() {
                        Warmup.beforeFirstApply(options.trust);
                    }
                }, "hotpatch-agent-warmup");
                warm.setDaemon(true);
                warm.start();
            }
            Engine e = new Engine(inst, options, mode);
            e.restore();
            Channel.start(e);
            engine = e;
            if (mode == Mode.ENROLLED) {
                // Off the application's start and off any later apply's path: first-use costs of verification.
                Thread warm = new Thread(new Runnable() {
                    @Override
                    public void run() {
                        e.warm();
                    }
                }, "hotpatch-agent-warmup");
                warm.setDaemon(true);
                warm.setPriority(Thread.MIN_PRIORITY);
                warm.start();
            }
        } catch (RuntimeException | java.io.IOException e) {
            // Never take the application down: report and stay inert.
            System.err.println("[hotpatch] agent failed to start, no patches are active: " + e);
        }
    }

    /** How the agent came into the JVM. */
    enum Mode {
        ENROLLED("enrolled"), ATTACHED("attached");

        final String label;

        Mode(String label) {
            this.label = label;
        }
    }
}
