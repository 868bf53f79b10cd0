package dev.hotpatch.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * A real child JVM that a test drives through its standard input and output: the target that
 * agents attach to and hotpatches are applied to.
 *
 * <p>Standard output and standard error are merged and read line by line by a daemon thread.
 * Every line is kept for {@link #output()}; {@link #await} consumes lines in order, so each call
 * sees only lines that earlier calls have not consumed. Closing destroys the process.
 *
 * <p>Thread-safe, though a test normally drives one target from one thread.
 */
public final class TargetJvm implements AutoCloseable {
    /** How long {@link #request} waits for its answer; generous because CI machines are shared. */
    public static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(20);

    private static final Duration GRACE = Processes.GRACE;
    /** Queued by the reader when the output ends; compared by identity, never equal to a real line. */
    private static final String END = new String("<end of output>");

    private final Process process;
    private final List<String> command;
    private final List<String> lines = new ArrayList<>();
    private final BlockingQueue<String> unread = new LinkedBlockingQueue<>();
    private final Writer stdin;
    private boolean ended;

    private TargetJvm(Process process, List<String> command) {
        this.process = process;
        this.command = command;
        this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        Thread reader = new Thread(this::readOutput, "target-jvm-output-" + process.pid());
        reader.setDaemon(true);
        reader.start();
    }

    /** A builder for a target JVM run by the {@code java} executable given, e.g. {@link Jdks#java25()}. */
    public static Builder builder(Path java) {
        return new Builder(java);
    }

    /** The operating-system process id of the target. */
    public long pid() {
        return process.pid();
    }

    /** Writes {@code line} and a line break to the target's standard input. */
    public void send(String line) {
        try {
            synchronized (stdin) {
                stdin.write(line);
                stdin.write('\n');
                stdin.flush();
            }
        } catch (IOException e) {
            throw new AssertionError("cannot send '" + line + "' to " + describe() + ": " + e.getMessage()
                    + outputSoFar(), e);
        }
    }

    /**
     * The first output line, not consumed by an earlier call, that {@code match} accepts; lines
     * before it are consumed too.
     *
     * @throws AssertionError if no such line comes within {@code timeout} or before the output
     *     ends, with the whole output so far
     */
    public String await(Predicate<String> match, Duration timeout) {
        return await(match, "a matching line", timeout);
    }

    /**
     * Sends {@code command} and waits up to {@link #REQUEST_TIMEOUT} for the first new line
     * starting with {@code responsePrefix}, which it returns.
     *
     * @throws AssertionError if no such line comes, with the whole output so far
     */
    public String request(String command, String responsePrefix) {
        send(command);
        return await(line -> line.startsWith(responsePrefix),
                "a line starting with '" + responsePrefix + "' in answer to '" + command + "'", REQUEST_TIMEOUT);
    }

    /** Every line the target has written so far, standard output and error merged, in order. */
    public List<String> output() {
        synchronized (lines) {
            return List.copyOf(lines);
        }
    }

    /** Whether the target process is still running. */
    public boolean isAlive() {
        return process.isAlive();
    }

    /**
     * Waits for the target to exit by itself and returns its exit code.
     *
     * @throws AssertionError if it is still running after {@code timeout}, with its output
     */
    public int waitForExit(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError(describe() + " did not exit within " + timeout + outputSoFar());
            }
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for " + describe() + " to exit", e);
        }
    }

    /**
     * Kills the target the way a crash or the OOM killer would (SIGKILL on Unix): no shutdown hook
     * runs. Waits until it is gone, and removes the attach socket it could not remove itself.
     */
    public void kill() {
        try {
            Processes.kill(process);
        } catch (IllegalStateException e) {
            throw new AssertionError(describe() + " did not die after SIGKILL: " + e.getMessage() + outputSoFar(), e);
        }
    }

    /**
     * Stops the target normally (SIGTERM on Unix: shutdown hooks run) and waits until it is gone.
     *
     * @throws AssertionError if it is still running after {@code timeout}
     */
    public void stop(Duration timeout) {
        terminate();
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError(describe() + " did not stop within " + timeout + " after SIGTERM" + outputSoFar());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while stopping " + describe(), e);
        }
    }

    /**
     * Ends the target and whatever runs under it (the JVM under a launcher, what the target started):
     * a normal termination request, then a forcible kill of what still runs after 5 s. See {@link Processes#stop}.
     */
    @Override
    public void close() {
        Processes.stop(process, GRACE);
    }

    /**
     * Signals the target and every process under it, deepest first: see {@link Processes} for why
     * the whole tree.
     */
    private void terminate() {
        List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
        java.util.Collections.reverse(tree);
        tree.forEach(ProcessHandle::destroy);
        process.destroy();
    }

    @Override
    public String toString() {
        return describe();
    }

    private String await(Predicate<String> match, String wanted, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (true) {
                String line;
                synchronized (unread) {
                    if (ended) {
                        break;
                    }
                    long left = deadline - System.nanoTime();
                    line = left > 0 ? unread.poll(left, TimeUnit.NANOSECONDS) : unread.poll();
                    if (line == null) {
                        break;
                    }
                    if (line == END) {
                        ended = true;
                        break;
                    }
                }
                if (match.test(line)) {
                    return line;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for " + wanted + " from " + describe(), e);
        }
        String why = ended ? "its output ended" : "within " + timeout;
        throw new AssertionError("no " + wanted + " from " + describe() + ": " + why + outputSoFar());
    }

    private void readOutput() {
        try (BufferedReader in = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                synchronized (lines) {
                    lines.add(line);
                }
                unread.add(line);
            }
        } catch (IOException e) {
            // The stream closes under us when close() kills the process; the output simply ends.
        } finally {
            unread.add(END);
        }
    }

    private String describe() {
        String state = process.isAlive() ? "running" : "exited with " + process.exitValue();
        return "target JVM pid " + process.pid() + " (" + state + ")";
    }

    private String outputSoFar() {
        List<String> out = output();
        return "\ncommand: " + String.join(" ", command) + "\noutput so far (" + out.size() + " lines):\n"
                + out.stream().map(l -> "  | " + l).collect(Collectors.joining("\n"));
    }

    /** The command line and environment of a target JVM; {@link #start()} launches it. Not thread-safe. */
    public static final class Builder {
        private final Path java;
        private final List<Path> classpath = new ArrayList<>();
        private final List<String> jvmArgs = new ArrayList<>();
        private final List<String> args = new ArrayList<>();
        private final Map<String, String> env = new LinkedHashMap<>();
        private String mainClass;
        private Path directory;
        private boolean dynamicAgentLoading = true;
        private String user;
        private final List<String> launcher = new ArrayList<>();

        private Builder(Path java) {
            this.java = Objects.requireNonNull(java, "java");
        }

        /** Appends entries (jars or directories) to the class path. */
        public Builder classpath(Path... entries) {
            return classpath(Arrays.asList(entries));
        }

        /** Appends entries (jars or directories) to the class path. */
        public Builder classpath(Collection<Path> entries) {
            classpath.addAll(entries);
            return this;
        }

        /** The class whose {@code main} runs. Required. */
        public Builder mainClass(String name) {
            this.mainClass = Objects.requireNonNull(name, "mainClass");
            return this;
        }

        /** Appends JVM options, placed after the defaults so that they can override them. */
        public Builder jvmArgs(String... options) {
            return jvmArgs(Arrays.asList(options));
        }

        /** Appends JVM options, placed after the defaults so that they can override them. */
        public Builder jvmArgs(Collection<String> options) {
            jvmArgs.addAll(options);
            return this;
        }

        /** Appends program arguments, passed to {@code main}. */
        public Builder args(String... arguments) {
            args.addAll(Arrays.asList(arguments));
            return this;
        }

        /** Sets an environment variable of the target, on top of the test JVM's environment. */
        public Builder env(String name, String value) {
            env.put(name, value);
            return this;
        }

        /** Sets environment variables of the target, on top of the test JVM's environment. */
        public Builder env(Map<String, String> variables) {
            env.putAll(variables);
            return this;
        }

        /** The target's working directory; the test JVM's by default. */
        public Builder directory(Path dir) {
            this.directory = dir;
            return this;
        }

        /**
         * Whether to pass {@code -XX:+EnableDynamicAgentLoading} on JDK 21+ (default true), which
         * silences the JEP 451 warning when an agent attaches; false to test that warning.
         */
        public Builder dynamicAgentLoading(boolean enabled) {
            this.dynamicAgentLoading = enabled;
            return this;
        }

        /**
         * Runs the target as {@code user} (its uid and primary group, no supplementary groups) through
         * {@code setpriv}; the test must run as root. The class path and Java must be readable by that user.
         */
        public Builder runAs(String user) {
            this.user = Objects.requireNonNull(user, "user");
            return this;
        }

        /**
         * Runs the target through {@code prefix} (e.g. {@code unshare … sh -c '… exec "$0" "$@"'}): the
         * JVM's command line follows it. {@link #pid()} is then the launcher's process.
         */
        public Builder launcher(String... prefix) {
            launcher.addAll(Arrays.asList(prefix));
            return this;
        }

        /**
         * Starts the target; the calling test is skipped if the {@code java} executable is not
         * installed.
         */
        public TargetJvm start() {
            if (mainClass == null) {
                throw new IllegalStateException("mainClass is required to start a target JVM");
            }
            Jdks.assumeInstalled(java, "Java", "Java 17 is the default JDK; Java 25 is looked for where -D"
                    + Jdks.JAVA25_PROPERTY + " points, else in /usr/lib/jvm/temurin-25-jdk-amd64");
            List<String> cmd = new ArrayList<>(launcher);
            if (user != null) {
                // setpriv execs java: the process keeps its pid.
                cmd.addAll(List.of("setpriv", "--reuid=" + user, "--regid=" + user, "--clear-groups", "--"));
            }
            cmd.add(java.toString());
            if (dynamicAgentLoading && Jdks.featureVersion(java) >= 21) {
                cmd.add("-XX:+EnableDynamicAgentLoading");
            }
            // Stated rather than left to the default so that a test setting -Xshare:off overrides it visibly.
            cmd.add("-Xshare:auto");
            cmd.addAll(jvmArgs);
            if (!classpath.isEmpty()) {
                cmd.add("-cp");
                cmd.add(classpath.stream().map(Path::toString)
                        .collect(Collectors.joining(System.getProperty("path.separator"))));
            }
            cmd.add(mainClass);
            cmd.addAll(args);
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            pb.environment().putAll(env);
            if (directory != null) {
                pb.directory(directory.toFile());
            }
            try {
                return new TargetJvm(pb.start(), List.copyOf(cmd));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start " + String.join(" ", cmd), e);
            }
        }
    }
}
