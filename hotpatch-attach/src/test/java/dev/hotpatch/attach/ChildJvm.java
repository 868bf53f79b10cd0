package dev.hotpatch.attach;

import dev.hotpatch.testkit.Processes;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/** A real JVM started as a child process, running a class that prints "ready" and sleeps; closing stops it (SIGTERM, then SIGKILL). */
final class ChildJvm implements AutoCloseable {
    private static final String SLEEPER = "public class Sleeper {\n"
            + "  public static void main(String[] a) throws Exception {\n"
            + "    System.out.println(\"ready\");\n"
            + "    System.out.flush();\n"
            + "    Thread.sleep(600_000);\n"
            + "  }\n"
            + "}\n";

    private final Process process;
    private final List<String> output = new ArrayList<>();

    private ChildJvm(Process process) {
        this.process = process;
    }

    /** Compiles the sleeper into {@code dir} (once) for Java 11+. */
    static Path compileSleeper(Path dir) throws IOException {
        if (Files.exists(dir.resolve("Sleeper.class"))) {
            return dir;
        }
        Path src = dir.resolve("Sleeper.java");
        Files.writeString(src, SLEEPER);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        int rc = javac.run(null, null, null, "--release", "11", "-d", dir.toString(), src.toString());
        if (rc != 0) {
            throw new IllegalStateException("javac failed for " + src);
        }
        return dir;
    }

    /** Starts {@code java} with {@code jvmArgs} running the sleeper, and waits until it says ready. */
    static ChildJvm start(Path java, Path classes, String... jvmArgs) throws Exception {
        return startAs(List.of(), java, classes, jvmArgs);
    }

    /**
     * Like {@link #start}, with {@code prefix} before the java command, e.g.
     * {@code setpriv --reuid nobody ...} to run it as another user (setpriv execs, so the pid is the JVM's).
     */
    static ChildJvm startAs(List<String> prefix, Path java, Path classes, String... jvmArgs) throws Exception {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.add(java.toString());
        cmd.addAll(List.of(jvmArgs));
        cmd.add("-cp");
        cmd.add(classes.toString());
        cmd.add("Sleeper");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        ChildJvm child = new ChildJvm(p);
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<Void> ready = new CompletableFuture<>();
        Thread pump = new Thread(() -> {
            try {
                for (String line; (line = r.readLine()) != null; ) {
                    synchronized (child.output) {
                        child.output.add(line);
                    }
                    if (line.equals("ready")) {
                        ready.complete(null);
                    }
                }
                ready.completeExceptionally(new IllegalStateException("child exited: " + child.output()));
            } catch (IOException e) {
                ready.completeExceptionally(new UncheckedIOException(e));
            }
        }, "child-output");
        pump.setDaemon(true);
        pump.start();
        try {
            ready.get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            child.close();
            throw e;
        }
        return child;
    }

    static Path java17() {
        return Path.of(System.getProperty("java.home"), "bin", "java");
    }

    /** The Java 25 executable; the test fails (CI) or is reported skipped with the reason when it is not installed. */
    static Path java25() {
        return dev.hotpatch.testkit.Jdks.java25();
    }

    /** Sends {@code signal} (e.g. {@code STOP}, {@code CONT}) to the child with the kill command. */
    void signal(String signal) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid())).redirectErrorStream(true).start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IllegalStateException("kill -" + signal + " " + pid() + " failed: " + new String(kill.getInputStream().readAllBytes()));
        }
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    List<String> output() {
        synchronized (output) {
            return List.copyOf(output);
        }
    }

    /** Stops the child the way the testkit stops every test JVM, so that it removes its attach socket: see {@link Processes#stop}. */
    @Override
    public void close() {
        Processes.stop(process, Processes.GRACE);
    }
}
