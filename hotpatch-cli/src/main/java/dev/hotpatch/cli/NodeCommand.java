package dev.hotpatch.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hotpatch.node.Node;
import dev.hotpatch.node.NodeOptions;
import dev.hotpatch.node.config.Durations;
import dev.hotpatch.node.inventory.MachineInventory;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code hotpatch node}: the node daemon in the foreground. */
@Command(name = "node", description = {
        "Run the node daemon: report this host's named JVMs and run the server's commands.",
        "Server mode (pull only: the node calls the server, never the reverse): --server URL --token T, where T is a " +
                "one-time enrollment token ('hotpatch token enroll'); the credential it gets is kept in the data folder, so " +
                "later runs need no token. Standalone mode: --standalone --catalog DIR installs the signed packages in DIR by " +
                "the config's local policy.",
        "A JVM is a machine when it has a stable name: -Dhotpatch.machine=NAME, the agent's name= option, or the config " +
                "file (see hotpatch-node/README.md). In server mode commands also arrive at once over a long-poll the node " +
                "keeps open; it still checks in at its interval. Runs until Ctrl-C or SIGTERM; --once runs one round and exits."})
final class NodeCommand extends HotpatchCommand {
    @Option(names = "--server", paramLabel = "URL", description = "The Hotpatch server, e.g. http://127.0.0.1:8080.")
    String server;

    @Option(names = "--token", paramLabel = "T", description = "One-time enrollment token (needed until the node has enrolled).")
    String token;

    @Option(names = "--token-file", paramLabel = "FILE", description = "Read the enrollment token from this file.")
    Path tokenFile;

    @Option(names = "--standalone", description = "Run without a server, by the config's local policy.")
    boolean standalone;

    @Option(names = "--catalog", paramLabel = "DIR", description = "Standalone: the folder of signed .hotpatch packages.")
    Path catalog;

    @Option(names = "--config", paramLabel = "FILE", description = "The node config file (machines, trust, policy; see hotpatch-node/README.md).")
    Path config;

    @Option(names = "--data", paramLabel = "DIR", description = "The node's private data folder (default ~/.hotpatch/node).")
    Path data;

    @Option(names = "--interval", paramLabel = "DURATION", description = "Time between check-ins or standalone rounds, e.g. 30s"
            + " (default: the server's choice; 30s standalone).")
    String interval;

    @Option(names = "--once", description = "Run one round (check in and run the commands, or apply the policy once), then exit.")
    boolean once;

    @Option(names = "--tls-ca", paramLabel = "FILE", description = "Verify an https:// server against the certificates in FILE (PEM:"
            + " the server's own, or its CA's) instead of the system's CAs.")
    Path tlsCa;

    @Option(names = "--insecure", description = "Allow plain http:// to a server on another host (credential and code travel unprotected).")
    boolean insecure;

    @Override
    public Integer call() {
        NodeOptions o;
        if (standalone) {
            if (server != null || token != null || tokenFile != null) {
                throw usage("--standalone runs without a server: leave out --server, --token and --token-file");
            }
            if (catalog == null) {
                throw usage("--standalone needs --catalog DIR, the folder of signed .hotpatch packages");
            }
            o = NodeOptions.standalone(existingFolder(catalog, "--catalog"));
        } else {
            if (server == null) {
                throw usage("give the server with --server URL (e.g. http://127.0.0.1:8080), or run --standalone --catalog DIR");
            }
            try {
                o = NodeOptions.server(new URI(server.strip()), token());
            } catch (URISyntaxException e) {
                throw usage("--server '" + server + "' is not a URL; write e.g. http://127.0.0.1:8080");
            }
        }
        if (config != null) {
            o = o.withConfig(existingFile(config, "--config"));
        }
        if (tlsCa != null) {
            o = o.withTlsCa(existingFile(tlsCa, "--tls-ca"));
        }
        o = o.withInsecure(insecure);
        if (data != null) {
            o = o.withDataDir(data.toAbsolutePath().normalize());
        }
        if (interval != null) {
            try {
                o = o.withInterval(Durations.parse(interval));
            } catch (IllegalArgumentException e) {
                throw usage("--interval: " + e.getMessage());
            }
        }
        Node node = Node.fromOptions(o);
        try {
            return once ? runOnce(node, o) : runForever(node, o);
        } finally {
            node.close();
        }
    }

    private int runOnce(Node node, NodeOptions o) {
        node.runOnce();
        List<MachineInventory> machines = node.inventory();
        if (json()) {
            ObjectNode doc = Json.status("ok").put("node", node.hostname()).put("dataDir", node.dataDir().toString())
                    .put("mode", o.standalone() ? "standalone" : "server");
            ArrayNode a = doc.putArray("machines");
            machines.forEach(m -> a.add(m.name()));
            printJson(doc);
        } else {
            out().println("Node " + node.hostname() + ": one round done (" + (o.standalone() ? "standalone, catalog " + o.catalog()
                    : "server " + o.server()) + "); machines: " + (machines.isEmpty() ? "none"
                    : String.join(", ", machines.stream().map(MachineInventory::name).toList())) + ".");
            out().flush();
        }
        return ExitPolicy.OK;
    }

    private int runForever(Node node, NodeOptions o) {
        if (json()) {
            printJson(Json.status("ok").put("node", node.hostname()).put("dataDir", node.dataDir().toString())
                    .put("mode", o.standalone() ? "standalone" : "server")
                    .put("server", o.server() == null ? null : o.server().toString())
                    .put("catalog", o.catalog() == null ? null : o.catalog().toString()));
        } else {
            Duration every = o.interval();
            out().println("Hotpatch node " + node.hostname() + " running " + (o.standalone() ? "standalone on the packages in " + o.catalog()
                    : "for " + o.server()) + "; data folder " + node.dataDir() + "; every "
                    + (every == null ? (o.standalone() ? "30s" : "check-in interval the server sets") : Durations.format(every))
                    + ". Stop with Ctrl-C.");
            out().flush();
        }
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        Thread worker = new Thread(() -> {
            try {
                node.runForever();
            } catch (RuntimeException e) {
                failure.set(e);
            }
        }, "hotpatch-node");
        worker.start();
        Foreground.hold("hotpatch-node", () -> {
            node.close();
            err().println("hotpatch node: stopped");
            err().flush();
        }, worker);
        if (failure.get() != null) {
            throw failure.get();
        }
        return ExitPolicy.OK;
    }

    private String token() {
        if (token != null && tokenFile != null) {
            throw usage("give --token or --token-file, not both");
        }
        if (tokenFile != null) {
            try {
                return Files.readString(existingFile(tokenFile, "--token-file"), StandardCharsets.UTF_8).strip();
            } catch (IOException e) {
                throw usage("--token-file " + tokenFile + ": " + e.getMessage());
            }
        }
        return token == null ? null : token.strip();
    }
}
