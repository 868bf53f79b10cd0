package dev.hotpatch.node.health;

import dev.hotpatch.node.config.MachineConfig;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * How the node checks that a machine's application is healthy: one implementation per kind of
 * check the config can give. A probe never takes longer than the check's timeout (a probe that
 * does not finish in time fails) and never throws. Implementations are thread-safe.
 */
public sealed interface HealthCheck permits HealthCheck.Http, HealthCheck.Command {

    /**
     * One probe's outcome.
     *
     * @param passing whether the application answered healthy
     * @param detail  one line: what was seen, e.g. {@code HTTP 503 from http://127.0.0.1:8081/health}
     */
    record Probe(boolean passing, String detail) {
    }

    /** Probes the application of machine {@code machine}, running as process {@code pid}. */
    Probe probe(String machine, long pid);

    /** The check, for messages: the URL or the command. */
    String describe();

    /** The machine's health check from its config: its URL, or its command; empty when it has none. */
    static Optional<HealthCheck> of(MachineConfig m) {
        if (m.healthUrl() != null) {
            return Optional.of(new Http(m.healthUrl(), m.healthTimeout()));
        }
        if (!m.healthCommand().isEmpty()) {
            return Optional.of(new Command(m.healthCommand(), m.healthTimeout()));
        }
        return Optional.empty();
    }

    /** An HTTP GET of a URL: a 2xx answer within the timeout is healthy. */
    record Http(URI url, Duration timeout) implements HealthCheck {
        private static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

        @Override
        public Probe probe(String machine, long pid) {
            HttpRequest req = HttpRequest.newBuilder(url).timeout(timeout).GET().header("User-Agent", "hotpatch-node health check").build();
            CompletableFuture<HttpResponse<Void>> f = HTTP.sendAsync(req, HttpResponse.BodyHandlers.discarding());
            try {
                int code = f.get(timeout.toMillis(), TimeUnit.MILLISECONDS).statusCode();
                return new Probe(code / 100 == 2, "HTTP " + code + " from " + url);
            } catch (TimeoutException e) {
                f.cancel(true);
                return new Probe(false, "no answer from " + url + " within " + millis(timeout));
            } catch (ExecutionException e) {
                Throwable c = e.getCause();
                if (c instanceof java.net.http.HttpTimeoutException) {
                    return new Probe(false, "no answer from " + url + " within " + millis(timeout));
                }
                return new Probe(false, "cannot reach " + url + ": " + (c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                f.cancel(true);
                return new Probe(false, "the probe of " + url + " was interrupted");
            }
        }

        @Override
        public String describe() {
            return url.toString();
        }
    }

    /**
     * A command run without a shell, with {@code HOTPATCH_MACHINE} and {@code HOTPATCH_PID} in its
     * environment: exit code 0 within the timeout is healthy. A command still running at the
     * timeout is killed and counts as failed.
     */
    record Command(List<String> command, Duration timeout) implements HealthCheck {
        private static final int MAX_OUTPUT = 2048;

        public Command {
            command = List.copyOf(command);
        }

        @Override
        public Probe probe(String machine, long pid) {
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            pb.environment().put("HOTPATCH_MACHINE", machine);
            pb.environment().put("HOTPATCH_PID", Long.toString(pid));
            Process p;
            try {
                p = pb.start();
            } catch (IOException e) {
                return new Probe(false, "cannot run '" + describe() + "': " + e.getMessage());
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Thread reader = new Thread(() -> drain(p.getInputStream(), out), "hotpatch-health-output");
            reader.setDaemon(true);
            reader.start();
            try {
                if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                    return new Probe(false, "'" + describe() + "' did not finish within " + millis(timeout) + " and was killed");
                }
                reader.join(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
                return new Probe(false, "the probe '" + describe() + "' was interrupted");
            }
            String text;
            synchronized (out) {
                text = out.toString(StandardCharsets.UTF_8).strip();
            }
            String firstLine = text.isEmpty() ? "" : text.lines().findFirst().orElse("");
            int code = p.exitValue();
            return new Probe(code == 0, "exit code " + code + " from '" + describe() + "'" + (firstLine.isEmpty() ? "" : ": " + firstLine));
        }

        @Override
        public String describe() {
            return String.join(" ", command);
        }

        private static void drain(InputStream in, ByteArrayOutputStream out) {
            byte[] buf = new byte[512];
            try (in) {
                for (int n; (n = in.read(buf)) > 0; ) {
                    synchronized (out) {
                        if (out.size() < MAX_OUTPUT) {
                            out.write(buf, 0, Math.min(n, MAX_OUTPUT - out.size()));
                        }
                    }
                }
            } catch (IOException e) {
                // The command ended or was killed; what it wrote so far is all there is.
            }
        }
    }

    private static String millis(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }
}
