package dev.hotpatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpatch.testkit.JarMaker;
import dev.hotpatch.testkit.TargetJvm;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A tiny shop whose health URL runs the code hotpatches change, for the health-gate tests: a real
 * JVM that serves {@code GET /health} with the JDK's {@code com.sun.net.httpserver} (200 when
 * {@code shop.Checkout.healthy()} says so, else 503) and answers {@code fee N} on standard input.
 * Three builds of {@code shop.Checkout}, differing in method bodies only:
 * <ul>
 * <li>1.0 (the baseline): {@code fee(100)} is 2 (truncates), always healthy;
 * <li>{@link #BROKEN}: fee rounded half-up (3), but its self-test fails on machines started with
 * {@code -Dshop.currency=JPY}, so their health URL answers 503 while it is live;
 * <li>{@link #FIXED}: fee rounded half-up, healthy everywhere; supersedes {@link #BROKEN}.
 * </ul>
 * {@link #publish} puts image {@value #IMAGE}, signed baseline 1.0 and the broken hotpatch on a
 * server through the CLI, as an operator would.
 */
final class ShopApp {
    static final String IMAGE = "acme/shop/1.x";
    static final String BROKEN = "KB2026-0201";
    static final String FIXED = "KB2026-0202";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private static final String APP = "package shop;\n"
            + "public final class App {\n"
            + "  public static void main(String[] a) throws Exception {\n"
            + "    com.sun.net.httpserver.HttpServer s = com.sun.net.httpserver.HttpServer.create(\n"
            + "        new java.net.InetSocketAddress(\"127.0.0.1\", 0), 0);\n"
            + "    s.createContext(\"/health\", ex -> { boolean ok = Checkout.healthy(); byte[] b = (ok ? \"ok\" : \"self-test failed\").getBytes();\n"
            + "      ex.sendResponseHeaders(ok ? 200 : 503, b.length); ex.getResponseBody().write(b); ex.close(); });\n"
            + "    s.start();\n"
            + "    System.out.println(\"ready pid=\" + ProcessHandle.current().pid() + \" health=http://127.0.0.1:\" + s.getAddress().getPort() + \"/health\");\n"
            + "    java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(System.in));\n"
            + "    for (String l; (l = in.readLine()) != null; ) {\n"
            + "      if (l.startsWith(\"fee \")) { long n = Long.parseLong(l.substring(4).trim()); System.out.println(\"fee \" + n + \" = \" + Checkout.fee(n)); }\n"
            + "    }\n"
            + "    Thread.sleep(Long.MAX_VALUE);\n"
            + "  }\n"
            + "}\n";

    private static final String CHECKOUT = "package shop;\n"
            + "public final class Checkout {\n"
            + "  private Checkout() { }\n"
            + "  public static long fee(long cents) { return %s; }\n"
            + "  public static boolean healthy() { return %s; }\n"
            + "}\n";

    private ShopApp() {
    }

    /** The three builds, compiled into {@code dir}. */
    record Builds(Path v10, Path broken, Path fixed) {
    }

    static Builds compile(Path dir) {
        String truncating = "cents * 25 / 1000";
        String halfUp = "Math.floorDiv(cents * 25 + 500, 1000)";
        return new Builds(jar(dir.resolve("shop-1.0.jar"), truncating, "true"),
                jar(dir.resolve("shop-broken.jar"), halfUp, "!\"JPY\".equals(System.getProperty(\"shop.currency\", \"EUR\"))"),
                jar(dir.resolve("shop-fixed.jar"), halfUp, "fee(100) == 3"));
    }

    private static Path jar(Path out, String fee, String healthy) {
        return JarMaker.compile(out, Map.of("shop.App", APP, "shop.Checkout", CHECKOUT.formatted(fee, healthy)), List.of(), 11);
    }

    /** Publishes the image, baseline 1.0 and {@link #BROKEN} on {@code server}; returns the publisher key folder (also the nodes' trust folder). */
    static Path publish(CliServer server, Builds builds, Path dir) {
        Path keys = dir.resolve("shop-keys");
        assertThat(CliRun.of("keygen", "--out", keys.toString()).exit()).isZero();
        try {
            Files.copy(keys.resolve("signer.crt"), server.trustDir().resolve("shop-publisher.crt"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        CliRun image = server.cli("image", "add", IMAGE);
        assertThat(image.exit()).as(image.toString()).isZero();
        CliRun baseline = server.cli("baseline", "publish", "--image", IMAGE, "--version", "1.0", "--released-on", "2026-01-05",
                "--key", keys.toString(), builds.v10().toString());
        assertThat(baseline.exit()).as(baseline.toString()).isZero();
        publishHotpatch(server, keys, builds.v10(), builds.broken(), BROKEN, "Round shop fees half-up", null, dir);
        return keys;
    }

    /** Builds hotpatch {@code id} (1.0 → {@code patched}), signed with {@code keys}, and publishes it. */
    static void publishHotpatch(CliServer server, Path keys, Path v10, Path patched, String id, String title, String supersedes, Path dir) {
        Path pkg = dir.resolve(id + ".hotpatch");
        List<String> args = new ArrayList<>(List.of("build", "--baseline", v10.toString(), "--patched", patched.toString(), "--id", id,
                "--title", title, "--classification", "Security", "--image", IMAGE, "--baseline-id", "1.0", "--key", keys.toString(),
                "--out", pkg.toString()));
        if (supersedes != null) {
            args.addAll(List.of("--supersedes", supersedes));
        }
        CliRun build = CliRun.of(args.toArray(String[]::new));
        assertThat(build.exit()).as(build.toString()).isZero();
        // The fix of a broken hotpatch cannot wait for next month's release.
        CliRun update = supersedes == null ? server.cli("update", "publish", pkg.toString())
                : server.cli("update", "publish", pkg.toString(), "--override");
        assertThat(update.exit()).as(update.toString()).isZero();
    }

    /** A running shop JVM and the health URL it serves. */
    record Shop(String name, TargetJvm jvm, String healthUrl) implements AutoCloseable {
        long pid() {
            return jvm.pid();
        }

        String fee() {
            return jvm.request("fee 100", "fee 100");
        }

        /** The HTTP status of the shop's own health URL, asked by the test. */
        int health() {
            try {
                return HTTP.send(HttpRequest.newBuilder(URI.create(healthUrl)).timeout(Duration.ofSeconds(10)).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }

        @Override
        public void close() {
            jvm.close();
        }
    }

    /** Starts build {@code jar} on {@code java} as machine {@code name} selling in {@code currency}; waits until it serves. */
    static Shop start(Path java, Path jar, String name, String currency, Path dir, String... jvmArgs) {
        List<String> args = new ArrayList<>(List.of("-Dhotpatch.machine=" + name, "-Dhotpatch.state=" + dir.resolve(name).resolve("agent-state"),
                "-Dshop.currency=" + currency));
        args.addAll(List.of(jvmArgs));
        TargetJvm t = TargetJvm.builder(java).classpath(jar).mainClass("shop.App").jvmArgs(args).start();
        String ready = t.await(l -> l.startsWith("ready pid="), TargetJvm.REQUEST_TIMEOUT);
        return new Shop(name, t, ready.substring(ready.indexOf("health=") + "health=".length()).trim());
    }
}
