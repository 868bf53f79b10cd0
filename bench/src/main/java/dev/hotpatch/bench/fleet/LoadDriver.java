package dev.hotpatch.bench.fleet;

import dev.hotpatch.bench.Sample;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.DoubleSupplier;

/**
 * Closed-loop load: {@code threads} client threads, each sending its own requests one after the
 * other (thread {@code t} cycles through {@code requests.get(t)}) over the shared keep-alive
 * client, first for a settling period that is not recorded, then for the measured window. A
 * request counts in the window when it completes inside it. Any answer other than 200 is an
 * error, and the first one is kept for the report. The CPU time {@code cpu} reports (this JVM's,
 * plus the database's when it runs apart) is read as the window opens and closes. Not
 * thread-safe; one run at a time.
 */
final class LoadDriver {
    private final ApiClient api;
    private final DoubleSupplier cpu;

    LoadDriver(ApiClient api, DoubleSupplier cpu) {
        this.api = api;
        this.cpu = cpu;
    }

    /** What one measured window gave. */
    record Result(long requests, long errors, double seconds, Sample latencyMs, String firstError, double cpuSeconds) {
        double perSecond() {
            return requests / seconds;
        }

        /** CPU time per request in the window, in ms: server, client and database together. */
        double cpuMsPerRequest() {
            return 1000 * cpuSeconds / requests;
        }
    }

    Result run(List<HttpRequest[]> requests, Duration settle, Duration window) throws InterruptedException {
        int threads = requests.size();
        long start = System.nanoTime() + 20_000_000L;
        long measureFrom = start + settle.toNanos();
        long measureTo = measureFrom + window.toNanos();
        long[][] latencies = new long[threads][];
        int[] counts = new int[threads];
        long[] errors = new long[threads];
        AtomicReference<String> firstError = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(threads);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int me = t;
            HttpRequest[] mine = requests.get(t);
            Thread w = new Thread(() -> {
                long[] lat = new long[1 << 14];
                int n = 0;
                int next = 0;
                try {
                    while (System.nanoTime() < start) {
                        Thread.onSpinWait();
                    }
                    long now = System.nanoTime();
                    // Bounded by time: every send has the client's 120 s timeout, and the loop ends at measureTo.
                    while (now < measureTo) {
                        HttpRequest r = mine[next];
                        next = next + 1 == mine.length ? 0 : next + 1;
                        long t0 = System.nanoTime();
                        int status;
                        String failure = null;
                        try {
                            ApiClient.Response resp = api.send(r);
                            status = resp.status();
                            if (status != 200) {
                                failure = r.uri().getPath() + ": HTTP " + status + " " + resp.text();
                            }
                        } catch (RuntimeException e) {
                            failure = r.uri().getPath() + ": " + e.getMessage();
                        }
                        now = System.nanoTime();
                        if (now >= measureFrom && now <= measureTo) {
                            if (failure != null) {
                                errors[me]++;
                                firstError.compareAndSet(null, failure);
                            } else {
                                if (n == lat.length) {
                                    lat = Arrays.copyOf(lat, n * 2);
                                }
                                lat[n++] = now - t0;
                            }
                        } else if (failure != null) {
                            firstError.compareAndSet(null, failure);
                        }
                    }
                } finally {
                    latencies[me] = lat;
                    counts[me] = n;
                    done.countDown();
                }
            }, "load-" + t);
            w.setDaemon(true);
            workers.add(w);
            w.start();
        }
        sleepUntil(measureFrom);
        double cpuFrom = cpu.getAsDouble();
        sleepUntil(measureTo);
        double cpuTo = cpu.getAsDouble();
        if (!done.await(300, java.util.concurrent.TimeUnit.SECONDS)) {
            workers.forEach(Thread::interrupt);
            throw new IllegalStateException("load threads did not finish 300 s after the window closed");
        }
        Sample lat = new Sample("");
        long total = 0;
        long errs = 0;
        for (int t = 0; t < threads; t++) {
            lat.addAll(latencies[t], counts[t], 1e-6);
            total += counts[t];
            errs += errors[t];
        }
        return new Result(total, errs, window.toNanos() / 1e9, lat, firstError.get(), cpuTo - cpuFrom);
    }

    private static void sleepUntil(long nanoTime) throws InterruptedException {
        for (long left = nanoTime - System.nanoTime(); left > 0; left = nanoTime - System.nanoTime()) {
            Thread.sleep(left / 1_000_000, (int) (left % 1_000_000));
        }
    }
}
