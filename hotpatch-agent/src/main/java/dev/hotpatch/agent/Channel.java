package dev.hotpatch.agent;

import dev.hotpatch.format.channel.Message;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.ProtocolFamily;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The agent's end of the private channel to the {@code hotpatch} tools: a Unix-domain socket in a
 * fresh owner-only folder, so only the JVM's own user (and root) can connect, and no file another
 * user can write is ever read. The socket's path is published as the system property
 * {@code hotpatch.agent.socket}, which tools read through the (also uid-checked) attach mechanism.
 *
 * <p>Tools that know the user's runtime folder connect to {@code <folder>/<pid>.sock} without
 * attaching at all (see {@link RuntimeFolder}); the folder is owner-only, and each connection's peer
 * is checked by uid where the JDK reports it ({@link PeerCheck}).
 *
 * <p>One daemon thread accepts; each connection is served on its own short-lived daemon thread:
 * one request, one reply. Unix-domain sockets need Java 16; the agent is compiled for Java 11, so it
 * reaches that API reflectively and, on older runtimes, runs without a channel.
 */
final class Channel {
    private Channel() {
    }

    /**
     * Opens the socket and starts accepting; on Java &lt; 16 logs that no channel is available. The
     * socket goes to the user's well-known runtime folder ({@link RuntimeFolder}) when that folder
     * is usable, so tools find it by pid without attaching; otherwise into the private staging folder,
     * where tools find it through the attach mechanism as before.
     */
    static void start(Engine engine) throws IOException {
        if (Runtime.version().feature() < 16) {
            System.err.println("[hotpatch] Java " + Runtime.version().feature()
                    + " has no Unix-domain sockets: the agent runs (persisted patches are active) but tools cannot reach it");
            return;
        }
        Path base = Paths.get(System.getProperty("java.io.tmpdir", "/tmp"));
        Path dir;
        try {
            dir = Files.createTempDirectory(base, "hotpatch-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (UnsupportedOperationException e) {
            throw new IOException("cannot create an owner-only folder for the agent socket on this file system", e);
        }
        Path socket = null;
        ServerSocketChannel server = null;
        try {
            socket = RuntimeFolder.socketOf(ProcessHandle.current().pid());
            server = RuntimeFolder.claim(socket, new RuntimeFolder.Opener() {
                @Override
                public ServerSocketChannel open(Path s) throws IOException {
                    return Channel.open(s);
                }
            });
        } catch (IOException | RuntimeException e) {
            System.err.println("[hotpatch] no socket in the runtime folder (" + e.getMessage() + "); tools reach this JVM"
                    + " through attach instead");
        }
        if (server == null) {
            socket = dir.resolve("agent.sock");
            server = open(socket);
        }
        PeerCheck peers = PeerCheck.forOwnerOf(dir);
        engine.stagingDir(dir);
        ServerSocketChannel listening = server;
        Path bound = socket;
        Runtime.getRuntime().addShutdownHook(new Thread(new Runnable() {
            @Override
            public void run() {
                cleanUp(listening, bound, dir);
            }
        }, "hotpatch-agent-cleanup"));
        System.setProperty("hotpatch.agent.socket", socket.toString());
        acceptNext(listening, engine, peers);
        if (!socket.getParent().equals(dir)) {
            Thread sweeper = new Thread(new Runnable() {
                @Override
                public void run() {
                    RuntimeFolder.sweep(bound.getParent(), bound);
                }
            }, "hotpatch-agent-sweep");
            sweeper.setDaemon(true);
            sweeper.start();
        }
    }

    static ServerSocketChannel open(Path socket) throws IOException {
        try {
            ProtocolFamily unix = StandardProtocolFamily.valueOf("UNIX");
            ServerSocketChannel server = (ServerSocketChannel) ServerSocketChannel.class
                    .getMethod("open", ProtocolFamily.class).invoke(null, unix);
            Method of = Class.forName("java.net.UnixDomainSocketAddress").getMethod("of", Path.class);
            server.bind((SocketAddress) of.invoke(null, socket));
            return server;
        } catch (InvocationTargetException e) {
            Throwable c = e.getCause();
            throw c instanceof IOException ? (IOException) c : new IOException("cannot open agent socket " + socket + ": " + c, c);
        } catch (ReflectiveOperationException | IllegalArgumentException e) {
            throw new IOException("this Java runtime has no Unix-domain socket support: " + e, e);
        }
    }

    /**
     * The agent's channel threads. One of them at a time waits for the next connection; the one
     * that gets a connection first hands the waiting on to another ({@link #acceptNext}) and then
     * serves its connection itself. So each connection has a thread of its own (a client that
     * connects and sends nothing holds only that one), and a request is served by the thread that
     * accepted it, with no hand-over between threads on its way: starting a thread took 0.2–0.7 ms
     * on a 2-core VM and waking another one 0.1–0.2 ms, most of a request's round trip. Threads
     * that finished wait for reuse for a minute, so an idle JVM keeps only the one that accepts.
     */
    private static final ThreadPoolExecutor THREADS = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 60, TimeUnit.SECONDS,
            new SynchronousQueue<Runnable>(), new ThreadFactory() {
                @Override
                public Thread newThread(Runnable r) {
                    Thread t = new Thread(r, "hotpatch-agent-channel");
                    t.setDaemon(true);
                    return t;
                }
            });

    /** Starts a channel thread that waits for the next connection. */
    private static void acceptNext(ServerSocketChannel server, Engine engine, PeerCheck peers) {
        THREADS.execute(new Runnable() {
            @Override
            public void run() {
                accept(server, engine, peers);
            }
        });
    }

    /** Waits for connections; serves the first one after handing the waiting on, or all of them when it cannot. */
    private static void accept(ServerSocketChannel server, Engine engine, PeerCheck peers) {
        while (server.isOpen()) {
            SocketChannel client;
            try {
                client = server.accept();
            } catch (IOException e) {
                if (server.isOpen()) {
                    System.err.println("[hotpatch] agent channel accept failed: " + e);
                }
                return;
            }
            boolean handedOn;
            try {
                acceptNext(server, engine, peers);
                handedOn = true;
            } catch (RuntimeException | OutOfMemoryError e) {
                // No thread to take over (the JVM cannot start one now): serve, then go on waiting here.
                handedOn = false;
            }
            String refused = peers.refusal(client);
            if (refused != null) {
                System.err.println("[hotpatch] agent channel: refused a connection: " + refused);
                try {
                    client.close();
                } catch (IOException ignored) {
                    // Nothing was said on it.
                }
            } else {
                serve(client, engine);
            }
            if (handedOn) {
                return;
            }
        }
    }

    private static void serve(SocketChannel client, Engine engine) {
        try (SocketChannel c = client; InputStream in = Channels.newInputStream(c); OutputStream out = Channels.newOutputStream(c)) {
            Message reply;
            try {
                reply = dispatch(Message.readFrom(in), engine);
            } catch (Refusal e) {
                reply = Message.of("status", "refused", "message", e.getMessage());
            } catch (RuntimeException | IOException | LinkageError e) {
                reply = Message.of("status", "failed", "message", "agent error: " + e);
            }
            reply.writeTo(out);
        } catch (IOException e) {
            System.err.println("[hotpatch] agent channel: could not answer a request: " + e);
        }
    }

    private static Message dispatch(Message request, Engine engine) {
        String op = request.get("op", "");
        switch (op) {
            case "ping":
                return engine.ping();
            case "list":
                return engine.list();
            case "apply": {
                String pkg = request.get("package");
                if (pkg == null) {
                    throw new Refusal("apply needs the field 'package' (absolute path of a .hotpatch file)");
                }
                String trust = request.get("trust");
                return engine.apply(Paths.get(pkg), trust == null || trust.isEmpty() ? null : Paths.get(trust), request.get("actor"),
                        "true".equals(request.get("allowPending")));
            }
            case "uninstall":
                return engine.uninstall(request.get("id"), request.get("actor"));
            case "clear": {
                String id = request.get("id");
                if (id == null || id.isEmpty()) {
                    throw new Refusal("clear needs the field 'id' (the quarantined hotpatch)");
                }
                return engine.clear(id, request.get("actor"), "true".equals(request.get("allowPending")));
            }
            default:
                throw new Refusal("unknown operation '" + op + "' (ping, list, apply, uninstall, clear)");
        }
    }

    private static void cleanUp(ServerSocketChannel server, Path socket, Path dir) {
        try {
            server.close();
            Files.deleteIfExists(socket);
            try (java.util.stream.Stream<Path> s = Files.list(dir)) {
                s.forEach(p -> p.toFile().delete());
            }
            Files.deleteIfExists(dir);
        } catch (IOException ignored) {
            // Best effort at exit; the folder is owner-only and in the temp folder.
        }
    }
}
