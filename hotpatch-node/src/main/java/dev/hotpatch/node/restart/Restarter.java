package dev.hotpatch.node.restart;

import dev.hotpatch.node.NodeException;
import dev.hotpatch.node.config.MachineConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/**
 * How the node restarts a machine's JVM: one implementation per way the machine is run. The
 * restart returns once a new process is on its way; {@link Comeback} then waits for the JVM to be
 * back.
 */
public sealed interface Restarter permits Restarter.Supervised, Restarter.Command, Restarter.Unavailable {
    /**
     * Restarts the machine's JVM.
     *
     * @return the new process id when known (supervised), else empty
     * @throws NodeException when the restart could not be done, with the reason
     */
    OptionalLong restart();

    /** What this restart does, for messages. */
    String describe();

    /** The restarter for machine {@code m}: supervised, its restart command, or none. */
    static Restarter forMachine(MachineConfig m, Supervisor supervisor) {
        if (m.supervised()) {
            return new Supervised(m.name(), supervisor);
        }
        if (!m.restartCommand().isEmpty()) {
            return new Command(m);
        }
        return new Unavailable(m.name());
    }

    /** The node runs the JVM itself: stop it, start it again. */
    record Supervised(String machine, Supervisor supervisor) implements Restarter {
        @Override
        public OptionalLong restart() {
            return OptionalLong.of(supervisor.restart(machine));
        }

        @Override
        public String describe() {
            return "the node's supervised launch command";
        }
    }

    /** Something else runs the JVM (systemd, a container runtime): run the configured restart command. */
    record Command(MachineConfig machine) implements Restarter {
        private static final int MAX_OUTPUT = 4096;

        @Override
        public OptionalLong restart() {
            List<String> cmd = machine.restartCommand();
            try {
                Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                Thread reader = new Thread(() -> drain(p.getInputStream(), out), "hotpatch-restart-output");
                reader.setDaemon(true);
                reader.start();
                if (!p.waitFor(machine.restartTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                    p.destroyForcibly();
                    throw new NodeException("the restart command of machine " + machine.name() + " ('" + String.join(" ", cmd)
                            + "') did not finish within " + machine.restartTimeout().toSeconds() + " s; it was killed");
                }
                reader.join(1000);
                if (p.exitValue() != 0) {
                    String text;
                    synchronized (out) {
                        text = out.toString(StandardCharsets.UTF_8).strip();
                    }
                    throw new NodeException("the restart command of machine " + machine.name() + " ('" + String.join(" ", cmd)
                            + "') exited with code " + p.exitValue() + (text.isEmpty() ? "" : ": " + text));
                }
                return OptionalLong.empty();
            } catch (IOException e) {
                throw new NodeException("cannot run the restart command of machine " + machine.name() + " ('" + String.join(" ", cmd)
                        + "'): " + e.getMessage() + "; check machine." + machine.name() + ".restartCommand", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new NodeException("interrupted while restarting machine " + machine.name(), e);
            }
        }

        @Override
        public String describe() {
            return "restart command '" + String.join(" ", machine.restartCommand()) + "'";
        }

        private static void drain(InputStream in, ByteArrayOutputStream out) {
            byte[] buf = new byte[1024];
            try (in) {
                for (int n; (n = in.read(buf)) > 0; ) {
                    synchronized (out) {
                        if (out.size() < MAX_OUTPUT) {
                            out.write(buf, 0, Math.min(n, MAX_OUTPUT - out.size()));
                        }
                    }
                }
            } catch (IOException e) {
                // The command ended; what it wrote so far is all there is.
            }
        }
    }

    /** The config gives no way to restart the machine. */
    record Unavailable(String machine) implements Restarter {
        @Override
        public OptionalLong restart() {
            throw new NodeException("machine " + machine + " cannot be restarted: the node config gives it neither a restartCommand"
                    + " nor a launch command; add machine." + machine + ".restartCommand (e.g. systemctl restart APP) or machine."
                    + machine + ".launch");
        }

        @Override
        public String describe() {
            return "no restart configured";
        }
    }
}
