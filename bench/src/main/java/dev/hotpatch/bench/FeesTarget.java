package dev.hotpatch.bench;

import dev.hotpatch.testkit.TargetJvm;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts fees-app 1.0 as a target JVM, with or without the hotpatch agent, and loads the classes
 * the benchmark patch replaces. The agent's state always goes to a fresh folder under the
 * workspace, never to the user's {@code ~/.hotpatch}.
 */
final class FeesTarget {
    /** How the hotpatch agent gets into the target. */
    enum Mode {
        /** No agent at start; a tool may attach it later. */
        PLAIN,
        /** {@code -javaagent:} at start, trusting the workspace key. */
        ENROLLED
    }

    private FeesTarget() {
    }

    static TargetJvm start(Workspace ws, Path java, Mode mode, Path jar, String... extraJvmArgs) {
        return start(ws, java, mode, jar, 0, extraJvmArgs);
    }

    /**
     * As {@link #start(Workspace, Path, Mode, Path, String...)}, first loading {@code ballastClasses}
     * of the JDK's classes ({@link Ballast}) when more than 0, so that the target is the size of a real service.
     */
    static TargetJvm start(Workspace ws, Path java, Mode mode, Path jar, int ballastClasses, String... extraJvmArgs) {
        Path state = ws.fresh("state-");
        List<String> args = new ArrayList<>();
        if (mode == Mode.ENROLLED) {
            args.add("-javaagent:" + ws.agentJar + "=name=bench,state=" + state + ",trust=" + ws.keyDir);
        } else {
            args.add("-Dhotpatch.state=" + state);
            args.add("-Dhotpatch.machine=bench");
        }
        args.addAll(List.of(extraJvmArgs));
        TargetJvm.Builder b = TargetJvm.builder(java).classpath(jar).jvmArgs(args);
        if (ballastClasses > 0) {
            b.classpath(ws.ballastJar).mainClass(Ballast.class.getName()).args(Integer.toString(ballastClasses), "acme.FeesApp");
        } else {
            b.mainClass("acme.FeesApp");
        }
        TargetJvm t = b.start();
        t.await(line -> line.startsWith("ready"), Duration.ofSeconds(60));
        return t;
    }

    /** Starts fees-app 1.0 and runs each command once, so that every patched class is loaded. */
    static TargetJvm startPrimed(Workspace ws, Path java, Mode mode) {
        return startPrimed(ws, java, mode, 0);
    }

    /** As {@link #startPrimed(Workspace, Path, Mode)}, in a target grown by {@code ballastClasses} JDK classes first. */
    static TargetJvm startPrimed(Workspace ws, Path java, Mode mode, int ballastClasses, String... extraJvmArgs) {
        TargetJvm t = start(ws, java, mode, ws.feesBaseline, ballastClasses, extraJvmArgs);
        t.request("busy 200", "busy ops=");
        t.request("fee 100", "fee ");
        t.request("late 100", "late ");
        return t;
    }
}
