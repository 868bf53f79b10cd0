package dev.hotpatch.cli.fleet;

import dev.hotpatch.node.server.ServerTransport;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * Which server an operator command talks to and with which token: {@code --server}/{@code --token}
 * (or {@code --token-file}), else {@code HOTPATCH_SERVER}/{@code HOTPATCH_TOKEN}, else the local
 * server's defaults: {@code http://127.0.0.1:8080} and the admin token a server writes on first
 * start into its default data folder ({@code ~/.hotpatch/server/admin.token}), used only when it
 * is readable and the server is on this host, so a local secret is never sent elsewhere. Mixed
 * into every command that calls the server.
 */
public final class Connection {
    static final String DEFAULT_SERVER = "http://127.0.0.1:8080";

    @Option(names = "--server", paramLabel = "URL",
            description = "The Hotpatch server (default: $HOTPATCH_SERVER, else " + DEFAULT_SERVER + ").")
    String server;

    @Option(names = "--token", paramLabel = "T", description = "API token (default: $HOTPATCH_TOKEN, else the admin token of a server"
            + " on this host in its default data folder, ~/.hotpatch/server/admin.token, when readable).")
    String token;

    @Option(names = "--token-file", paramLabel = "FILE", description = "Read the API token from this file (keeps it out of 'ps').")
    Path tokenFile;

    @Option(names = "--tls-ca", paramLabel = "FILE", description = "Verify an https:// server against the certificates in FILE (PEM: the"
            + " server's own, or its CA's; default: $HOTPATCH_TLS_CA, else the system's CAs).")
    Path tlsCa;

    @Option(names = "--insecure", description = "Allow plain http:// to a server on another host (the token travels unprotected).")
    boolean insecure;

    /** Where and as whom to call, and where the token came from (for messages). */
    public record Resolved(URI server, String token, String tokenSource) {
    }

    /** A client for the resolved server and token. @throws IllegalArgumentException (a usage error) when there is no usable URL or token */
    public ApiClient client() {
        Map<String, String> env = System.getenv();
        Resolved r = resolve(env, Path.of(System.getProperty("user.home")));
        ServerTransport.check(r.server(), insecure, "--server");
        String ca = env.get("HOTPATCH_TLS_CA");
        Path caFile = tlsCa != null ? tlsCa : ca == null || ca.isBlank() ? null : Path.of(ca);
        return new ApiClient(r.server(), r.token(), ServerTransport.sslContext(caFile));
    }

    /** The server URL alone (for messages and the console link). */
    public URI serverUrl() {
        return serverUri(server, System.getenv());
    }

    Resolved resolve(Map<String, String> env, Path home) {
        URI url = serverUri(server, env);
        if (token != null) {
            return new Resolved(url, secret(token, "--token"), "--token");
        }
        if (tokenFile != null) {
            return new Resolved(url, read(tokenFile, "--token-file " + tokenFile), "--token-file " + tokenFile);
        }
        String fromEnv = env.get("HOTPATCH_TOKEN");
        if (fromEnv != null && !fromEnv.isBlank()) {
            return new Resolved(url, secret(fromEnv, "HOTPATCH_TOKEN"), "HOTPATCH_TOKEN");
        }
        Path admin = home.resolve(".hotpatch").resolve("server").resolve("admin.token");
        if (isLocal(url) && Files.isReadable(admin)) {
            return new Resolved(url, read(admin, admin.toString()), admin.toString());
        }
        throw new IllegalArgumentException("no API token: pass --token T or --token-file FILE, or set HOTPATCH_TOKEN"
                + (isLocal(url) ? " (on the server's host, a server started with its default data folder writes its admin token to "
                + admin + "; none is readable there)" : " (the local admin token file is only used for a server on this host)"));
    }

    static URI serverUri(String option, Map<String, String> env) {
        String raw = option;
        String from = "--server";
        if (raw == null) {
            raw = env.get("HOTPATCH_SERVER");
            from = "HOTPATCH_SERVER";
        }
        if (raw == null || raw.isBlank()) {
            raw = DEFAULT_SERVER;
            from = "the default server";
        }
        URI u;
        try {
            u = new URI(raw.trim());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(from + " '" + raw + "' is not a URL; write e.g. http://127.0.0.1:8080");
        }
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https")) || u.getHost() == null) {
            throw new IllegalArgumentException(from + " '" + raw + "' is not an http:// or https:// URL; write e.g. http://127.0.0.1:8080");
        }
        if (u.getRawQuery() != null || u.getRawFragment() != null || (u.getPath() != null && !u.getPath().isEmpty() && !u.getPath().equals("/"))) {
            throw new IllegalArgumentException(from + " '" + raw + "' must be the server's root URL (scheme, host and port only),"
                    + " e.g. http://127.0.0.1:8080");
        }
        return URI.create(scheme + "://" + u.getRawAuthority());
    }

    private static boolean isLocal(URI url) {
        String host = url.getHost();
        if (host.equalsIgnoreCase("localhost")) {
            return true;
        }
        try {
            return InetAddress.getByName(host.startsWith("[") ? host.substring(1, host.length() - 1) : host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static String read(Path file, String what) {
        try {
            return secret(Files.readString(file, StandardCharsets.UTF_8), what);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the token from " + what + ": " + e.getMessage());
        }
    }

    private static String secret(String raw, String what) {
        String t = raw.strip();
        if (t.isEmpty() || t.chars().anyMatch(c -> c <= ' ' || c > '~')) {
            throw new IllegalArgumentException("the token from " + what + " is " + (t.isEmpty() ? "empty" : "not one printable word")
                    + "; API tokens look like hpt_…");
        }
        return t;
    }
}
