package acme;

import acme.bench.Op0;
import acme.bench.Op1;
import acme.bench.Op2;
import acme.bench.Op3;
import acme.bench.Op4;
import acme.bench.Op5;
import acme.bench.Op6;
import acme.bench.Op7;
import acme.bench.Op8;
import acme.bench.Op9;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * The fees sample application: a long-running process that answers one-line commands on standard
 * input with one line on standard output, so that tests, demos and benchmarks can watch a hotpatch
 * change its answers while it runs.
 *
 * <p>Commands: {@code fee <cents>}, {@code iso <cents>} (the same fee computed by a second copy
 * of {@link Fees} in an isolated class loader), {@code late <cents>} (first use of
 * {@link LateFees}), {@code busy <millis>} (CPU-bound loop for benchmarks) and {@code quit}.
 * Single-threaded: commands run one at a time on the main thread.
 */
public final class FeesApp {
    /**
     * The class loader holding the second copy of {@link Fees}; kept for the life of the process so
     * that the copy stays loaded and a hotpatch has two loaders to cover.
     */
    private static ClassLoader isolatedLoader;
    private static Method isolatedFee;
    /** Where {@code busy} leaves its result, so the JIT cannot drop the loop as dead code. */
    private static volatile long busySink;
    /** The commands that take a number; {@code quit} is handled by the read loop. */
    private static final Set<String> COMMANDS = Set.of("fee", "iso", "late", "busy");

    private FeesApp() {
    }

    /** Prints {@code ready pid=<pid>}, then answers commands until {@code quit} or end of input. */
    public static void main(String[] args) throws IOException {
        System.out.println("ready pid=" + ProcessHandle.current().pid());
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            String command = line.trim();
            if (command.equals("quit")) {
                System.out.println("bye");
                System.exit(0);
            }
            if (!command.isEmpty()) {
                System.out.println(answer(command));
            }
        }
    }

    /** One answer line for one command line. */
    private static String answer(String line) {
        String[] words = line.split("\\s+", 2);
        String command = words[0];
        if (!COMMANDS.contains(command)) {
            return "error unknown command";
        }
        String argument = words.length > 1 ? words[1] : "";
        long n;
        try {
            n = Long.parseLong(argument);
        } catch (NumberFormatException e) {
            return "error " + command + " needs a whole number, got '" + argument + "'";
        }
        switch (command) {
            case "fee":
                return "fee " + n + " = " + Fees.fee(n);
            case "iso":
                return "iso " + n + " = " + isolatedFee(n);
            case "late":
                return "late " + n + " = " + lateFee(n);
            default:
                return "busy ops=" + busy(n);
        }
    }

    /** The fee from the copy of {@link Fees} that the application class loader never sees. */
    private static synchronized long isolatedFee(long cents) {
        try {
            if (isolatedFee == null) {
                URL ownCode = FeesApp.class.getProtectionDomain().getCodeSource().getLocation();
                // Parent is the platform loader, not the application loader, so acme.Fees is
                // defined a second time instead of being delegated to the copy already loaded.
                isolatedLoader = new URLClassLoader("fees-isolated", new URL[] {ownCode},
                        ClassLoader.getPlatformClassLoader());
                isolatedFee = Class.forName("acme.Fees", true, isolatedLoader).getMethod("fee", long.class);
            }
            return (Long) isolatedFee.invoke(null, cents);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot call acme.Fees.fee in the isolated loader: " + e, e);
        }
    }

    /**
     * The late fee; a method of its own so that {@link LateFees} is loaded only when the first
     * {@code late} command runs, which lets tests cover classes that load after a hotpatch.
     */
    private static long lateFee(long cents) {
        return LateFees.fee(cents);
    }

    /** Computes fees through the ten benchmark stages for {@code millis} and returns how many. */
    private static long busy(long millis) {
        long end = System.nanoTime() + millis * 1_000_000L;
        long ops = 0;
        long sink = 0;
        do {
            // Read the clock once per batch: nanoTime costs about as much as one operation.
            for (int i = 0; i < 1024; i++) {
                long x = Fees.fee(ops + i);
                x = Op9.step(Op8.step(Op7.step(Op6.step(Op5.step(Op4.step(Op3.step(Op2.step(Op1.step(Op0.step(x))))))))));
                sink += x;
            }
            ops += 1024;
        } while (System.nanoTime() < end);
        busySink = sink;
        return ops;
    }
}
