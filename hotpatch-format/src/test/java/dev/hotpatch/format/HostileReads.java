package dev.hotpatch.format;

import static org.assertj.core.api.Assertions.fail;

import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Runs a read of hostile input with a deadline and allows exactly two outcomes: a result, or a
 * {@link PackageException}. Any other throwable, or running past the deadline, fails the test.
 */
final class HostileReads {
    private static final long DEADLINE_SECONDS = 30;
    private static final ExecutorService READER = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "hostile-read");
        t.setDaemon(true);
        return t;
    });

    private HostileReads() {
    }

    /** The package if {@code read} accepted the file, empty if it refused it with a {@link PackageException}. */
    static Optional<HotpatchPackage> acceptedOrRefused(Path file, Supplier<HotpatchPackage> read) {
        Future<HotpatchPackage> f = READER.submit(read::get);
        try {
            return Optional.of(f.get(DEADLINE_SECONDS, TimeUnit.SECONDS));
        } catch (ExecutionException e) {
            if (e.getCause() instanceof PackageException) {
                return Optional.empty();
            }
            throw new AssertionError("reading " + file + " threw " + e.getCause() + " instead of PackageException", e.getCause());
        } catch (TimeoutException e) {
            f.cancel(true);
            return fail("reading " + file + " did not finish within " + DEADLINE_SECONDS + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail("interrupted");
        }
    }
}
