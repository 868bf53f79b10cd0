package dev.hotpatch.node.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.hotpatch.node.NodeException;
import dev.hotpatch.node.NodeRefusedException;
import dev.hotpatch.node.command.Action;
import dev.hotpatch.node.command.Artifact;
import dev.hotpatch.node.command.Command;
import dev.hotpatch.node.command.CommandResult;
import dev.hotpatch.node.command.Downloads;
import dev.hotpatch.node.command.Status;
import dev.hotpatch.node.internal.Json;
import dev.hotpatch.node.inventory.MachineInventory;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The node's side of the node protocol over HTTP ({@code docs/api.md}, "Node protocol"): enroll
 * with a one-time token, check in (inventory up, commands down), post command results, and
 * download the files commands name. The node's credential is sent only to the server's own
 * origin: a download URL pointing elsewhere is refused. Thread-safe.
 */
public final class ServerClient implements Downloads {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    /** How much longer than the wait itself a long-poll request may take before the node gives up on it. */
    private static final Duration WAIT_MARGIN = Duration.ofSeconds(15);
    private static final long MAX_DOWNLOAD = 512L << 20;

    private final URI base;
    private final HttpClient http;
    private volatile String credential;
    private final ReportDigests digests = new ReportDigests();

    /**
     * The server's answer to a check-in: the commands, and the interval it asks for.
     *
     * @param sendFull machines the server asked to have in full: check in again at once
     */
    public record CheckIn(String nodeId, List<Command> commands, List<CommandResult> unknown, Duration interval, List<String> sendFull) {
    }

    /** What enrollment returned. */
    public record Enrollment(String nodeId, String credential, Duration interval) {
    }

    public ServerClient(URI server) {
        this(server, ServerTransport.sslContext(null));
    }

    /** A client that verifies an {@code https://} server's certificate with {@code tls} ({@link ServerTransport#sslContext}). */
    public ServerClient(URI server, javax.net.ssl.SSLContext tls) {
        String s = server.toString();
        this.base = URI.create(s.endsWith("/") ? s : s + "/");
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).followRedirects(HttpClient.Redirect.NEVER)
                .sslContext(tls).build();
    }

    /** The server's base URL. */
    public URI base() {
        return base;
    }

    /** Uses {@code c} as the node credential from now on. */
    public void useCredential(String c) {
        this.credential = c;
    }

    /** Enrolls with the one-time enrollment {@code token}. */
    public Enrollment enroll(String token, String hostname, String version) {
        Protocol.EnrollResponse r = send("POST", "api/v1/node/enroll", token, new Protocol.EnrollRequest(hostname, version),
                Protocol.EnrollResponse.class, "enrolling with the server");
        if (r.credential() == null || r.credential().isBlank()) {
            throw new NodeException("the server at " + base + " enrolled this node but returned no credential");
        }
        return new Enrollment(r.nodeId(), r.credential(), Duration.ofSeconds(Math.max(1, r.checkInIntervalSeconds())));
    }

    /**
     * Reports every machine and receives the commands to run. A machine whose report the server
     * holds already is sent as its digest and health ({@link ReportDigests}).
     */
    public CheckIn checkIn(String hostname, String version, List<MachineInventory> machines) {
        ReportDigests.Outgoing out = digests.split(machines);
        Protocol.CheckInResponse r = send("POST", "api/v1/node/check-in", requireCredential(),
                new Protocol.CheckInRequest(hostname, version, out.full(), out.digests(), out.unchanged()), Protocol.CheckInResponse.class,
                "checking in");
        digests.accepted(out, r);
        return checkIn(r);
    }

    /**
     * Waits up to {@code timeout} for commands for this node's machines (the long-poll route,
     * contract C2); returns them as soon as the server has some, or none at the timeout.
     *
     * @throws RouteMissingException      when the server has no such route (it is older than this node)
     * @throws ServerUnavailableException when the server cannot be reached or fails
     */
    public CheckIn waitForCommands(Duration timeout) {
        long seconds = Math.max(1, timeout.toSeconds());
        Protocol.CheckInResponse r = send("GET", "api/v1/node/commands/wait?timeoutSeconds=" + seconds, requireCredential(), null,
                Protocol.CheckInResponse.class, "waiting for commands", Duration.ofSeconds(seconds).plus(WAIT_MARGIN));
        return checkIn(r == null ? new Protocol.CheckInResponse(null, null, 0, List.of(), List.of(), List.of(), null) : r);
    }

    /** Whether the node holds a credential for this server (it has enrolled). */
    public boolean hasCredential() {
        return credential != null;
    }

    private CheckIn checkIn(Protocol.CheckInResponse r) {
        for (Protocol.Refused refused : r.refused()) {
            System.getLogger("dev.hotpatch.node").log(System.Logger.Level.WARNING, "the server refused this node's report of machine "
                    + refused.machine() + ": " + refused.reason());
        }
        List<Command> commands = new ArrayList<>();
        List<CommandResult> unknown = new ArrayList<>();
        for (Protocol.WireCommand w : r.commands()) {
            try {
                commands.add(toCommand(w));
            } catch (IllegalArgumentException | ClassCastException | NullPointerException e) {
                unknown.add(new CommandResult(w.id(), w.machine(), w.type(), Status.REFUSED, "this node cannot run command " + w.id() + " of type '"
                        + w.type() + "': " + e.getMessage() + "; upgrade the node", w.issuedAt(), w.issuedAt(), Map.of(), null));
            }
        }
        return new CheckIn(r.nodeId(), commands, unknown, Duration.ofSeconds(Math.max(1, r.checkInIntervalSeconds())), r.sendFull());
    }

    /** Posts a command's result; true when the server had it already (a repeat). */
    public boolean postResult(CommandResult r) {
        Map<String, Object> details = new LinkedHashMap<>(r.details());
        String status = r.status().label();
        if (r.status() == Status.NOT_APPLICABLE) {
            status = Status.REFUSED.label();
            details.put("notApplicable", true);
        }
        Protocol.Ack ack;
        try {
            ack = postResult(r, status, details);
        } catch (InvalidStatusException e) {
            if (r.status() != Status.TIMED_OUT) {
                throw e;
            }
            // A server older than this node knows no timed_out: it gets a failure that says so.
            details.put("timedOut", true);
            ack = postResult(r, Status.FAILED.label(), details);
        }
        return ack != null && ack.duplicate();
    }

    private Protocol.Ack postResult(CommandResult r, String status, Map<String, Object> details) {
        return send("POST", "api/v1/node/commands/" + r.commandId() + "/result", requireCredential(),
                new Protocol.ResultBody(status, r.message(), r.startedAt(), r.finishedAt(), details, r.report()), Protocol.Ack.class,
                "posting the result of command " + r.commandId());
    }

    /** The server refused a result's status as unknown (HTTP 400 {@code invalid-status}). */
    private static final class InvalidStatusException extends NodeException {
        private static final long serialVersionUID = 1L;

        InvalidStatusException(String message) {
            super(message);
        }
    }

    @Override
    public void fetch(URI source, Path target) throws IOException {
        URI u = base.resolve(source);
        if (!Objects.equals(u.getScheme(), base.getScheme()) || !Objects.equals(u.getHost(), base.getHost()) || u.getPort() != base.getPort()) {
            throw new IOException("refusing to download " + u + ": it is not on the server " + base + ", and the node sends its credential only there");
        }
        HttpRequest req = HttpRequest.newBuilder(u).timeout(Duration.ofMinutes(10)).header("Authorization", "Bearer " + requireCredential())
                .GET().build();
        try {
            HttpResponse<InputStream> resp = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = resp.body()) {
                if (resp.statusCode() != 200) {
                    throw new IOException("the server answered HTTP " + resp.statusCode() + " for " + u + ": " + errorText(in.readAllBytes()));
                }
                long n = Files.copy(new BoundedInput(in, MAX_DOWNLOAD), target, StandardCopyOption.REPLACE_EXISTING);
                if (n == 0) {
                    throw new IOException("the server sent an empty file for " + u);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while downloading " + u, e);
        }
    }

    // ---- commands ----------------------------------------------------------------------------

    private Command toCommand(Protocol.WireCommand w) {
        Map<String, Object> p = w.payload();
        Action action = switch (String.valueOf(w.type())) {
            case Action.ASSESS -> new Action.Assess();
            case Action.INSTALL_HOTPATCH -> new Action.InstallHotpatch(string(p, "kbId"), artifact(map(p, "package")));
            case Action.UNINSTALL_HOTPATCH -> new Action.UninstallHotpatch(string(p, "kbId"));
            case Action.RESTART -> new Action.Restart(string(p, "reason"));
            case Action.INSTALL_BASELINE -> {
                List<Artifact> jars = new ArrayList<>();
                Object list = p.get("jars");
                if (!(list instanceof List<?> l) || l.isEmpty()) {
                    throw new IllegalArgumentException("its payload has no jars");
                }
                for (Object o : l) {
                    jars.add(artifact(castMap(o)));
                }
                yield new Action.InstallBaseline(string(p, "baselineId"), string(p, "kbId"), string(p, "version"), jars,
                        Boolean.TRUE.equals(p.get("restart")), Boolean.TRUE.equals(p.get("rollback")), descriptor(p));
            }
            case Action.INSTALL_UPDATE -> new Action.InstallBaseline(null, string(p, "kbId"), null,
                    p.get("artifact") == null ? List.of() : List.of(artifact(map(p, "artifact"))), Boolean.TRUE.equals(p.get("restart")),
                    false, descriptor(p));
            default -> throw new IllegalArgumentException("unknown command type");
        };
        if (w.id() == null || w.machine() == null) {
            throw new IllegalArgumentException("it has no id or machine");
        }
        return new Command(w.id(), w.machine(), action, "server" + (w.operationId() == null ? "" : " operation " + w.operationId()),
                w.issuedAt());
    }

    private Artifact artifact(Map<String, Object> a) {
        String url = string(a, "downloadUrl");
        String sha = string(a, "sha256");
        if (url == null || sha == null) {
            throw new IllegalArgumentException("a file in its payload has no downloadUrl or sha256");
        }
        return new Artifact(string(a, "fileName"), sha, base.resolve(url.startsWith("/") ? url.substring(1) : url));
    }

    /** The signed release descriptor a baseline or update command names; null when it names none (the executor refuses it). */
    private Artifact descriptor(Map<String, Object> p) {
        Object d = p.get("descriptor");
        if (d == null) {
            return null;
        }
        Map<String, Object> m = castMap(d);
        String url = string(m, "downloadUrl");
        String sha = string(m, "sha256");
        if (url == null || sha == null) {
            throw new IllegalArgumentException("its descriptor has no downloadUrl or sha256");
        }
        return new Artifact("release.descriptor", sha, base.resolve(url.startsWith("/") ? url.substring(1) : url));
    }

    private static Map<String, Object> map(Map<String, Object> p, String key) {
        Object o = p.get(key);
        if (o == null) {
            throw new IllegalArgumentException("its payload has no '" + key + "'");
        }
        return castMap(o);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castMap(Object o) {
        if (!(o instanceof Map<?, ?>)) {
            throw new IllegalArgumentException("expected an object in its payload, got " + o);
        }
        return (Map<String, Object>) o;
    }

    private static String string(Map<String, Object> p, String key) {
        Object o = p.get(key);
        return o == null ? null : o.toString();
    }

    // ---- HTTP --------------------------------------------------------------------------------

    private String requireCredential() {
        String c = credential;
        if (c == null) {
            throw new NodeException("the node has no credential for " + base + " yet; enroll with --token");
        }
        return c;
    }

    private <T> T send(String method, String path, String bearer, Object body, Class<T> type, String what) {
        return send(method, path, bearer, body, type, what, TIMEOUT);
    }

    private <T> T send(String method, String path, String bearer, Object body, Class<T> type, String what, Duration timeout) {
        URI u = base.resolve(path);
        HttpRequest req;
        try {
            req = HttpRequest.newBuilder(u).timeout(timeout).header("Authorization", "Bearer " + bearer)
                    .header("Content-Type", "application/json").header("Accept", "application/json")
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofByteArray(Json.MAPPER.writeValueAsBytes(body))).build();
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the request body for " + u, e);
        }
        HttpResponse<byte[]> resp;
        try {
            resp = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            String tls = ServerTransport.explain(e, base);
            if (tls != null) {
                throw new ServerUnavailableException(tls + " (while " + what + ")", e);
            }
            throw new ServerUnavailableException("the server " + base + " could not be reached while " + what + ": " + reason(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NodeException("interrupted while " + what, e);
        }
        int code = resp.statusCode();
        if (code / 100 != 2) {
            String text = errorText(resp.body());
            if (code == 401 || code == 403) {
                throw new NodeRefusedException(path.endsWith("enroll")
                        ? "the server " + base + " refused the enrollment token: " + text + ". Start the node again with a new"
                                + " token: --token hpe_… (an operator creates one with 'hotpatch token enroll')"
                        : "the server " + base + " refused this node's credential while " + what + " (HTTP " + code + "): " + text
                                + ". The node was probably revoked: delete credential.json in the node's data folder and start it"
                                + " again with a new --token");
            }
            if (code >= 500 || code == 429) {
                throw new ServerUnavailableException("the server " + base + " failed while " + what + " (HTTP " + code + "): " + text, null);
            }
            String error = errorCode(resp.body());
            if (code == 404 && "no-route".equals(error)) {
                throw new RouteMissingException("the server " + base + " has no route " + method + " /" + path.replaceFirst("\\?.*", "")
                        + " (it is older than this node) while " + what + ": " + text);
            }
            if (code == 400 && "invalid-status".equals(error)) {
                throw new InvalidStatusException("the server " + base + " rejected the request while " + what + " (HTTP 400): " + text);
            }
            throw new NodeException("the server " + base + " rejected the request while " + what + " (HTTP " + code + "): " + text);
        }
        try {
            return resp.body().length == 0 ? null : Json.MAPPER.readValue(resp.body(), type);
        } catch (IOException e) {
            throw new NodeException("the server " + base + " sent an answer this node cannot read while " + what + ": " + e.getMessage(), e);
        }
    }

    /** One readable phrase for a failed connection: what people see in the log at every retry. */
    static String reason(IOException e) {
        if (e instanceof java.net.ConnectException) {
            return "connection refused (is the server running, and is the URL's host and port right?)";
        }
        if (e instanceof java.net.http.HttpConnectTimeoutException || e instanceof java.net.http.HttpTimeoutException) {
            return "no answer in time (" + e.getMessage() + ")";
        }
        if (e instanceof java.net.UnknownHostException || e.getCause() instanceof java.net.UnknownHostException) {
            return "unknown host (check the URL)";
        }
        if (e instanceof javax.net.ssl.SSLException) {
            return "TLS failed: " + e.getMessage();
        }
        String m = e.getMessage();
        return (m == null || m.isBlank()) ? e.getClass().getSimpleName() : m;
    }

    private static String errorCode(byte[] body) {
        try {
            return Json.MAPPER.readValue(body, Protocol.ApiError.class).error();
        } catch (IOException e) {
            return null;
        }
    }

    private static String errorText(byte[] body) {
        try {
            Protocol.ApiError e = Json.MAPPER.readValue(body, Protocol.ApiError.class);
            if (e.message() != null) {
                return e.message() + (e.hint() == null ? "" : " (" + e.hint() + ")");
            }
        } catch (IOException ignored) {
            // Not the server's JSON error shape; show the text.
        }
        String s = new String(body, StandardCharsets.UTF_8).strip();
        return s.length() > 300 ? s.substring(0, 300) + "…" : s;
    }

    /** Caps a download so a broken or hostile server cannot fill the disk. */
    private static final class BoundedInput extends java.io.FilterInputStream {
        private final long limit;
        private long read;

        BoundedInput(InputStream in, long limit) {
            super(in);
            this.limit = limit;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count(1);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count(n);
            }
            return n;
        }

        private void count(long n) throws IOException {
            read += n;
            if (read > limit) {
                throw new IOException("the download is larger than " + (limit >> 20) + " MiB");
            }
        }
    }
}
