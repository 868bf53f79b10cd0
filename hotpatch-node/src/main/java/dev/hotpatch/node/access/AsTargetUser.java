package dev.hotpatch.node.access;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.attach.AttachException;
import dev.hotpatch.attach.JvmInfo;
import dev.hotpatch.attach.NoSuchJvmException;
import dev.hotpatch.attach.NotSupportedException;
import dev.hotpatch.node.NodeException;
import dev.hotpatch.node.internal.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * {@link TargetAccess} for a node running as root: every operation on a JVM of another user runs
 * as that JVM's effective uid and gid, in a child process of the node's own Java started with
 * {@code setpriv --reuid --regid --clear-groups --no-new-privs} ({@link Helper}), with an empty
 * environment but for its handover folder. So the JDK's attach handshake, the agent jar that is
 * loaded, and the agent's replies are all handled with exactly the target's rights: a hostile JVM
 * gains nothing from a root node, and root never runs code of the target's. Packages are handed
 * over by {@link Handover}. JVMs that run as root themselves are reached in process. A JVM's system
 * properties are read once per process (pid and start time), since a helper costs a JVM start.
 * Thread-safe.
 */
final class AsTargetUser implements TargetAccess {
    private static final Duration HELPER_TIMEOUT = Duration.ofMinutes(5);
    private static final int MAX_OUTPUT = 16 << 20;

    private final SameUser same;
    private final Handover handover;
    private final Map<String, Properties> properties = new ConcurrentHashMap<>();
    /**
     * How long one user's listing is reused while that user's Java processes stay the same (a
     * restarted JVM is a new process, so it is seen at once): each listing costs a helper.
     */
    private static final Duration LISTING_TTL = Duration.ofSeconds(10);
    private final Map<Long, Listing> listings = new ConcurrentHashMap<>();
    /**
     * Counts the changes this node begins and ends (apply, uninstall): a listing that overlapped one
     * may show the JVM as it was before (no agent yet) and is not kept for reuse.
     */
    private final java.util.concurrent.atomic.AtomicLong changes = new java.util.concurrent.atomic.AtomicLong();

    AsTargetUser(SameUser same, Path handoverRoot) {
        this.same = same;
        this.handover = new Handover(handoverRoot == null ? DEFAULT_HANDOVER : handoverRoot);
        // A configured folder is checked (and created) at start, so a mistake shows before any JVM is touched;
        // the default one only when it exists, so a root node that manages only root's JVMs creates nothing.
        if (handoverRoot != null || java.nio.file.Files.exists(DEFAULT_HANDOVER)) {
            handover.check();
        }
    }

    /** Where packages and the agent jar are handed over when the config sets no {@code node.handover}. */
    static final Path DEFAULT_HANDOVER = Path.of("/var/lib/hotpatch-node/handover");

    /**
     * Lists per user: root's own JVMs in process (one by one, so that root never attaches to
     * another user's), every other user's by a helper running as that user. Users are those of the
     * processes whose executable is a {@code java}.
     */
    @Override
    public List<JvmInfo> listJvms() {
        long self = ProcessHandle.current().pid();
        java.util.Map<Long, List<Long>> byUid = new java.util.TreeMap<>();
        // Each user as read from its first process: a process may exit before its user's turn comes.
        java.util.Map<Long, TargetUser> users = new java.util.HashMap<>();
        ProcessHandle.allProcesses().filter(p -> p.pid() != self)
                .filter(p -> p.info().command().map(c -> Path.of(c).getFileName().toString().startsWith("java")).orElse(false))
                .forEach(p -> {
                    try {
                        TargetUser u = TargetUser.of(p.pid());
                        users.putIfAbsent(u.uid(), u);
                        byUid.computeIfAbsent(u.uid(), k -> new ArrayList<>()).add(p.pid());
                    } catch (RuntimeException gone) {
                        // Exited meanwhile.
                    }
                });
        List<JvmInfo> out = new ArrayList<>();
        for (java.util.Map.Entry<Long, List<Long>> e : byUid.entrySet()) {
            if (e.getKey() == 0) {
                e.getValue().forEach(pid -> same.findJvm(pid).ifPresent(out::add));
                continue;
            }
            TargetUser user = users.get(e.getKey());
            List<Long> pids = List.copyOf(e.getValue());
            Listing last = listings.get(user.uid());
            if (last != null && last.pids.equals(pids) && System.nanoTime() - last.at < LISTING_TTL.toNanos()) {
                out.addAll(last.jvms);
                continue;
            }
            try {
                long changesBefore = changes.get();
                List<JvmInfo> found = jvms(run(user, pids.get(0), "list", "0"));
                if (changes.get() == changesBefore) {
                    listings.put(user.uid(), new Listing(System.nanoTime(), pids, found));
                }
                out.addAll(found);
            } catch (RuntimeException x) {
                System.getLogger("dev.hotpatch.node").log(System.Logger.Level.WARNING, "cannot list the JVMs of " + user + ": " + x.getMessage());
            }
        }
        out.sort(java.util.Comparator.comparingLong(JvmInfo::pid));
        return List.copyOf(out);
    }

    @Override
    public Optional<JvmInfo> findJvm(long pid) {
        TargetUser user;
        try {
            user = TargetUser.of(pid);
        } catch (NoSuchJvmException gone) {
            return Optional.empty();
        }
        if (user.isRoot()) {
            return same.findJvm(pid);
        }
        return jvms(run(user, pid, "find", Long.toString(pid))).stream().findFirst();
    }

    /** One user's JVMs as a helper listed them, for the same set of processes, a moment ago. */
    private record Listing(long at, List<Long> pids, List<JvmInfo> jvms) {
    }

    private static List<JvmInfo> jvms(JsonNode doc) {
        List<JvmInfo> out = new ArrayList<>();
        for (JsonNode j : doc.get("jvms")) {
            out.add(read(j, JvmInfo.class));
        }
        return out;
    }

    @Override
    public Properties systemProperties(long pid) {
        TargetUser user = TargetUser.of(pid);
        if (user.isRoot()) {
            return same.systemProperties(pid);
        }
        String key = pid + "@" + ProcessHandle.of(pid).flatMap(h -> h.info().startInstant()).map(Instant::toString).orElse("?");
        Properties cached = properties.get(key);
        if (cached != null) {
            return cached;
        }
        JsonNode r = run(user, pid, "properties", Long.toString(pid));
        Properties p = new Properties();
        r.get("properties").properties().forEach(e -> p.setProperty(e.getKey(), e.getValue().asText()));
        properties.keySet().removeIf(k -> k.startsWith(pid + "@"));
        properties.put(key, p);
        return p;
    }

    @Override
    public Inspection inspect(long pid) {
        TargetUser user = TargetUser.of(pid);
        return user.isRoot() ? same.inspect(pid) : read(run(user, pid, "inspect", Long.toString(pid)), Inspection.class);
    }

    @Override
    public Applied apply(long pid, String agentName, Path pkg, Path trust, String actor) {
        TargetUser user = TargetUser.of(pid);
        if (user.isRoot()) {
            return same.apply(pid, agentName, pkg, trust, actor);
        }
        Path copy = handover.handOver(pkg);
        changing(user);
        try {
            return read(run(user, pid, "apply", Long.toString(pid), agentName, copy.toString(), trust == null ? "-" : trust.toString(),
                    actor), Applied.class);
        } finally {
            handover.withdraw(copy);
            changing(user);
        }
    }

    @Override
    public Uninstalled uninstall(long pid, String kbId, String actor) {
        TargetUser user = TargetUser.of(pid);
        if (user.isRoot()) {
            return same.uninstall(pid, kbId, actor);
        }
        changing(user);
        try {
            return read(run(user, pid, "uninstall", Long.toString(pid), kbId == null ? "-" : kbId, actor), Uninstalled.class);
        } finally {
            changing(user);
        }
    }

    /**
     * Before and after a change to one of {@code user}'s JVMs: that user's listing is taken afresh
     * next time, and a listing running meanwhile is not kept (it may show the JVM before the change).
     */
    private void changing(TargetUser user) {
        changes.incrementAndGet();
        listings.remove(user.uid());
    }

    /** Runs {@link Helper} as {@code user}; returns its result document, or throws what it reported. */
    private JsonNode run(TargetUser user, long pid, String... args) {
        Path home = handover.folderOf(user);
        List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid=" + user.uid(), "--regid=" + user.gid(), "--clear-groups",
                "--no-new-privs", "--inh-caps=-all", "--",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx64m", "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC", "-cp", classPath(), Helper.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(home.toFile());
        Map<String, String> env = pb.environment();
        env.clear();
        env.put("PATH", "/usr/bin:/bin");
        env.put("HOME", home.toString());
        env.put("XDG_CACHE_HOME", home.resolve("cache").toString());
        env.put("LANG", "C.UTF-8");
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new NodeException("cannot start the helper as " + user + " for JVM " + pid + " (" + e.getMessage()
                    + "); a node running as root needs setpriv (util-linux) to act as each JVM's user", e);
        }
        CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> drain(p.getInputStream()));
        CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> drain(p.getErrorStream()));
        try {
            if (!p.waitFor(HELPER_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AttachException("JVM " + pid + " did not answer the helper acting as " + user + " within "
                        + HELPER_TIMEOUT.toMinutes() + " min; the helper was stopped");
            }
            String stdout = new String(out.get(30, TimeUnit.SECONDS), StandardCharsets.UTF_8).strip();
            String stderr = new String(err.get(30, TimeUnit.SECONDS), StandardCharsets.UTF_8).strip();
            JsonNode doc;
            try {
                doc = stdout.isEmpty() ? null : Json.MAPPER.readTree(stdout.substring(stdout.lastIndexOf('\n') + 1));
            } catch (IOException e) {
                doc = null;
            }
            if (doc == null) {
                throw new NodeException("the helper acting as " + user + " for JVM " + pid + " failed (exit " + p.exitValue() + "): "
                        + (stderr.isEmpty() ? stdout : stderr.lines().limit(5).reduce((x, y) -> x + " / " + y).orElse(""))
                        + "; the node's own jar and Java must be readable and runnable by that user");
            }
            JsonNode e = doc.get("error");
            if (e != null) {
                String kind = e.path("kind").asText();
                String message = e.path("message").asText();
                switch (kind) {
                    case "not-supported" -> throw new NotSupportedException(pid, message);
                    case "no-such-jvm" -> throw new NoSuchJvmException(pid, message);
                    case "attach" -> throw new AttachException(message + " (acting as " + user + ")");
                    default -> throw new NodeException("acting as " + user + " on JVM " + pid + ": " + message);
                }
            }
            return doc;
        } catch (InterruptedException ie) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new NodeException("interrupted while acting as " + user + " on JVM " + pid, ie);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException x) {
            p.destroyForcibly();
            throw new NodeException("cannot read the helper's answer for JVM " + pid + ": " + x.getMessage(), x);
        }
    }

    private static <T> T read(JsonNode doc, Class<T> type) {
        try {
            return Json.MAPPER.treeToValue(doc, type);
        } catch (IOException e) {
            throw new NodeException("the helper's answer cannot be read as " + type.getSimpleName() + ": " + e.getMessage(), e);
        }
    }

    /** The code the helper needs (this module, attach, format): one jar in a packaged node, a few folders in a build. */
    private static String classPath() {
        Set<String> entries = new LinkedHashSet<>();
        for (Class<?> c : List.of(Helper.class, dev.hotpatch.attach.AgentClient.class, dev.hotpatch.format.Sha256.class)) {
            try {
                entries.add(Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
            } catch (java.net.URISyntaxException | RuntimeException e) {
                throw new NodeException("cannot locate the node's own code (" + c.getName() + ") to run the helper: " + e.getMessage());
            }
        }
        return String.join(java.io.File.pathSeparator, entries);
    }

    private static byte[] drain(InputStream in) {
        try (in) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            for (int n; (n = in.read(buf)) > 0; ) {
                if (b.size() < MAX_OUTPUT) {
                    b.write(buf, 0, n);
                }
            }
            return b.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
