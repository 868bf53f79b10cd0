package dev.hotpatch.node.discovery;

import dev.hotpatch.attach.JvmInfo;
import dev.hotpatch.node.NodeException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * The local JVMs as attach lists them, taken so that a JVM that does not answer delays nobody for
 * long. Listing attaches to every JVM, and one that is stopped holds a listing up to attach's own
 * limit; so callers share the listing in progress, and when it takes longer than a short wait and
 * an earlier one exists, they get the earlier one (without the processes that have ended since)
 * while the new one finishes in the background. Each listing says when it began: what it shows is at
 * least that recent, so a caller can prefer a single JVM it looked at afresh since (after the node
 * loaded the agent into it, say) over an older listing. Thread-safe.
 */
final class JvmListing {
    private final Supplier<List<JvmInfo>> source;
    private final Duration wait;
    private final Duration firstWait;
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "hotpatch-jvm-listing");
        t.setDaemon(true);
        return t;
    });
    private volatile Listed latest;
    private CompletableFuture<Listed> inFlight;

    /** One listing of the JVMs, and when it began: every entry is at least that recent. */
    record Listed(List<JvmInfo> jvms, Instant begun) {
    }

    /**
     * @param source    takes one listing
     * @param wait      how long a caller waits for a fresh listing when an earlier one exists
     * @param firstWait how long a caller waits when none exists yet
     */
    JvmListing(Supplier<List<JvmInfo>> source, Duration wait, Duration firstWait) {
        this.source = source;
        this.wait = wait;
        this.firstWait = firstWait;
    }

    /** The JVMs now, or as lately listed when a fresh listing is slow. */
    Listed get() {
        CompletableFuture<Listed> f;
        synchronized (this) {
            if (inFlight == null || inFlight.isDone()) {
                inFlight = CompletableFuture.supplyAsync(() -> {
                    Instant begun = Instant.now();
                    return new Listed(source.get(), begun);
                }, pool);
                inFlight.thenAccept(s -> latest = s);
            }
            f = inFlight;
        }
        Listed before = latest;
        try {
            Listed s = f.get((before == null ? firstWait : wait).toNanos(), TimeUnit.NANOSECONDS);
            latest = s;
            return s;
        } catch (TimeoutException e) {
            if (before == null) {
                throw new NodeException("listing the local JVMs took longer than " + firstWait.toSeconds() + " s (a JVM that is stopped or"
                        + " hung holds the listing until attach gives up on it); the next round tries again");
            }
            return new Listed(before.jvms().stream().filter(j -> ProcessHandle.of(j.pid()).map(ProcessHandle::isAlive).orElse(false))
                    .toList(), before.begun());
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException r) {
                throw r;
            }
            throw new NodeException("listing the local JVMs failed: " + c, c);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NodeException("interrupted while listing the local JVMs", e);
        }
    }
}
