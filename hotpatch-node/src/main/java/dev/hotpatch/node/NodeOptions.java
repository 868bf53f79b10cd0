package dev.hotpatch.node;

import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

/**
 * How to run a node, as {@code hotpatch node} takes it from its command line. Two modes:
 * <ul>
 * <li>server: {@code server} (and {@code token} for the first run, to enroll), see {@link #server};</li>
 * <li>standalone: {@code standalone} with {@code catalog}, see {@link #standalone}.</li>
 * </ul>
 * {@link Node#fromOptions} checks the combination and reports mistakes as {@link ConfigException}.
 * Immutable.
 *
 * @param server     the control plane's base URL, e.g. {@code http://127.0.0.1:8080}; null in standalone mode
 * @param token      one-time enrollment token; needed only until the node holds a credential
 * @param config     the node config file; null: no machine settings, defaults everywhere
 * @param dataDir    the node's private data folder; null: {@code ~/.hotpatch/node}
 * @param interval   time between check-ins (or standalone cycles); null: the server's choice (30 s standalone)
 * @param standalone run without a server, by the config's local policy
 * @param catalog    folder of signed {@code .hotpatch} packages (standalone)
 * @param clock      the clock maintenance windows are evaluated with; null: the system clock
 * @param tlsCa      certificates (PEM) the server's TLS certificate is verified against; null: the system's CAs
 * @param insecure   allow plain {@code http://} to a server on another host
 */
public record NodeOptions(URI server, String token, Path config, Path dataDir, Duration interval, boolean standalone, Path catalog,
                          Clock clock, Path tlsCa, boolean insecure) {
    /** Options for server mode. */
    public static NodeOptions server(URI server, String token) {
        return new NodeOptions(server, token, null, null, null, false, null, null, null, false);
    }

    /** Options for standalone mode over the packages in {@code catalog}. */
    public static NodeOptions standalone(Path catalog) {
        return new NodeOptions(null, null, null, null, null, true, catalog, null, null, false);
    }

    public NodeOptions withConfig(Path file) {
        return new NodeOptions(server, token, file, dataDir, interval, standalone, catalog, clock, tlsCa, insecure);
    }

    public NodeOptions withDataDir(Path dir) {
        return new NodeOptions(server, token, config, dir, interval, standalone, catalog, clock, tlsCa, insecure);
    }

    public NodeOptions withInterval(Duration d) {
        return new NodeOptions(server, token, config, dataDir, d, standalone, catalog, clock, tlsCa, insecure);
    }

    public NodeOptions withClock(Clock c) {
        return new NodeOptions(server, token, config, dataDir, interval, standalone, catalog, c, tlsCa, insecure);
    }

    /** Verify the server's certificate against exactly the certificates in {@code caFile} (a private CA, or the server's own). */
    public NodeOptions withTlsCa(Path caFile) {
        return new NodeOptions(server, token, config, dataDir, interval, standalone, catalog, clock, caFile, insecure);
    }

    /** Allow (or not) plain {@code http://} to a server on another host. */
    public NodeOptions withInsecure(boolean allow) {
        return new NodeOptions(server, token, config, dataDir, interval, standalone, catalog, clock, tlsCa, allow);
    }

    /** The data folder to use: the given one, else {@code ~/.hotpatch/node}. */
    public Path dataDirOrDefault() {
        return dataDir != null ? dataDir.toAbsolutePath() : Path.of(System.getProperty("user.home"), ".hotpatch", "node");
    }

    /** The clock to use. */
    public Clock clockOrDefault() {
        return clock != null ? clock : Clock.systemUTC();
    }

    @Override
    public String toString() {
        return "NodeOptions[" + (standalone ? "standalone, catalog " + catalog : "server " + server + (token == null ? "" : ", token ***"))
                + (config == null ? "" : ", config " + config) + ", data " + dataDirOrDefault()
                + (interval == null ? "" : ", interval " + interval) + "]";
    }
}
