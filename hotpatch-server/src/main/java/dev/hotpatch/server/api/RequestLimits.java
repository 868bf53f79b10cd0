package dev.hotpatch.server.api;

import dev.hotpatch.server.ServerException;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Bounds what request bodies may cost the server's memory. Uploads (packages, jars, descriptors)
 * never count: they are spooled to disk as they arrive. JSON bodies are read into memory, so each
 * route has a cap ({@value #NODE_BODY_MIB} MiB for the node protocol, whose check-ins carry class
 * hashes; {@value #JSON_BODY_KIB} KiB for everything else), checked against {@code Content-Length}
 * before a byte is read and again while reading, and all JSON bodies in flight together share one
 * budget: a request that would overdraw it waits a little, then gets 503 with {@code Retry-After}
 * instead of running the heap out. A body costs {@value #COST_FACTOR} times its size (the bytes
 * and the objects parsed from them); one without a {@code Content-Length} is charged
 * {@link #STEP} at a time as it is read ({@link #charge}). Thread-safe.
 */
final class RequestLimits {
    static final int NODE_BODY_MIB = 16;
    static final int JSON_BODY_KIB = 1024;
    /** Largest check-in or command result (about 110,000 class hashes at the 143 bytes each measured on real JVMs). */
    static final long NODE_BODY = (long) NODE_BODY_MIB << 20;
    /** Largest other JSON body: operator requests are small. */
    static final long JSON_BODY = (long) JSON_BODY_KIB << 10;
    static final int COST_FACTOR = 6;
    private static final String CAP = "hotpatch.bodyCap";
    private static final String CHARGE = "hotpatch.bodyCharge";
    private static final String LIMITS = "hotpatch.bodyLimits";
    /** How much more body a request without a length is charged for at a time. */
    static final long STEP = 1L << 20;
    private static final long WAIT_MILLIS = 10_000;

    private final Semaphore budget;
    private final int budgetKib;

    /** @param budgetBytes what all JSON bodies in flight may cost together */
    RequestLimits(long budgetBytes) {
        this.budgetKib = (int) Math.max(1, Math.min(Integer.MAX_VALUE, budgetBytes >> 10));
        this.budget = new Semaphore(budgetKib, true);
    }

    /** The default budget: a third of the heap, at least enough for one largest check-in. */
    static long defaultBudget() {
        return Math.max(NODE_BODY * COST_FACTOR, Runtime.getRuntime().maxMemory() / 3);
    }

    /** The JSON body cap of the request being handled (set by {@link #guard}); the smaller cap when unknown. */
    static long cap(Context ctx) {
        Long cap = ctx.attribute(CAP);
        return cap == null ? JSON_BODY : cap;
    }

    /** {@code r}'s handler, wrapped: for a route with a JSON body, the body cap and the shared budget apply. */
    Handler guard(Route r) {
        if (!"json".equals(r.bodyKind())) {
            return r.handler();
        }
        long cap = r.path().startsWith("/api/v1/node/") ? NODE_BODY : JSON_BODY;
        Handler inner = r.handler();
        return ctx -> {
            long length = ctx.req().getContentLengthLong();
            if (length > cap) {
                throw tooLarge(ctx, length, cap);
            }
            // A body without a length (chunked, e.g. through a proxy) is charged as it is read, a step at a
            // time: charging its cap up front made each one hold 96 MiB, so three such check-ins at once held
            // a 1 GiB server's whole budget and every other one waited or got 503.
            long allowance = length < 0 ? Math.min(cap, STEP) : length;
            int kib = kibFor(allowance);
            if (!budget.tryAcquire(kib, WAIT_MILLIS, TimeUnit.MILLISECONDS)) {
                // Read (and drop) the body first, a buffer at a time, so that the client gets the answer instead of a
                // connection reset in the middle of its upload; it is within the cap, so this is bounded.
                try (java.io.InputStream in = ctx.req().getInputStream()) {
                    byte[] sink = new byte[64 * 1024];
                    long read = 0;
                    for (int n; read <= cap && (n = in.read(sink)) > 0; ) {
                        read += n;
                    }
                } catch (java.io.IOException ignored) {
                    // The client went away; there is nobody to answer.
                }
                ctx.header("Retry-After", "5");
                throw new ServerException.Unavailable("the server is busy reading other large request bodies",
                        "retry in a few seconds (nodes retry at their next check-in)");
            }
            Charge charge = new Charge(allowance, kib);
            try {
                ctx.attribute(CAP, cap);
                ctx.attribute(CHARGE, charge);
                ctx.attribute(LIMITS, this);
                inner.handle(ctx);
            } finally {
                budget.release(charge.kib);
            }
        };
    }

    private int kibFor(long bodyBytes) {
        return (int) Math.min(budgetKib, Math.max(1, (bodyBytes * COST_FACTOR) >> 10));
    }

    /**
     * Makes sure the request being handled may hold {@code bytes} of body: a body without a length
     * is charged more of the shared budget as it grows, waiting for it like the first charge.
     *
     * @throws ServerException.Unavailable when the budget stays exhausted (the connection is closed:
     *         the rest of the body is not read)
     */
    static void charge(Context ctx, long bytes) {
        Charge c = ctx.attribute(CHARGE);
        RequestLimits limits = ctx.attribute(LIMITS);
        if (c == null || limits == null || bytes <= c.allowance) {
            return;
        }
        long next = Math.min(cap(ctx), Math.max(bytes, c.allowance + STEP));
        int more = limits.kibFor(next) - c.kib;
        if (more > 0) {
            boolean got;
            try {
                got = limits.budget.tryAcquire(more, WAIT_MILLIS, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                got = false;
            }
            if (!got) {
                ctx.header("Retry-After", "5");
                ctx.header("Connection", "close");
                throw new ServerException.Unavailable("the server is busy reading other large request bodies",
                        "retry in a few seconds (nodes retry at their next check-in)");
            }
            c.kib += more;
        }
        c.allowance = next;
    }

    /** What the request being handled has been charged: the body bytes it may hold, and their cost in KiB of budget. */
    private static final class Charge {
        long allowance;
        int kib;

        Charge(long allowance, int kib) {
            this.allowance = allowance;
            this.kib = kib;
        }
    }

    static ServerException.TooLarge tooLarge(Context ctx, long length, long cap) {
        // The rest of the body is not read: the connection cannot carry another request.
        ctx.header("Connection", "close");
        boolean node = ctx.path().startsWith("/api/v1/node/");
        return new ServerException.TooLarge((node ? "the node's report" : "the request body") + " is " + (length >= 0 ? mib(length) + " MiB"
                : "larger than that") + "; " + ctx.method().name() + " " + ctx.path() + " accepts at most " + mib(cap) + " MiB",
                node ? "report fewer class hashes (node config: node.classes = directories, or none), or spread the machines over more nodes"
                        : "send a smaller body; files go to the upload routes");
    }

    private static String mib(long bytes) {
        return bytes >= (1 << 20) ? Long.toString(bytes >> 20) : String.format(java.util.Locale.ROOT, "%.2f", bytes / 1048576.0);
    }
}
