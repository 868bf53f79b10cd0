package dev.hotpatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The catalog the fleet tests share, published through the CLI as an operator would: a fresh
 * publisher key trusted by the server, image {@code acme/fees/1.x}, baseline 1.0 (January, a
 * planned-baseline month) and hotpatch {@value #KB} built from fees-app 1.0 → 1.0.1 (February).
 */
final class FeesCatalog {
    static final String IMAGE = "acme/fees/1.x";
    static final String KB = "KB2026-0101";

    private FeesCatalog() {
    }

    /** Publishes the catalog on {@code server}; returns the publisher key folder (also the nodes' trust folder). */
    static Path publish(CliServer server, Path dir) {
        return publish(server.url, server.tokenFile(), server.trustDir(), dir);
    }

    /** Publishes the catalog on the server at {@code url} (admin token in {@code tokenFile}, trusting certificates in {@code trustDir}). */
    static Path publish(String url, Path tokenFile, Path trustDir, Path dir) {
        Path keys = dir.resolve("keys");
        assertThat(CliRun.of("keygen", "--out", keys.toString()).exit()).isZero();
        try {
            Files.copy(keys.resolve("signer.crt"), trustDir.resolve("test-publisher.crt"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        java.util.function.Function<String[], CliRun> cli = args -> CliRun.of(CliServer.with(args, "--server", url, "--token-file",
                tokenFile.toString()));
        CliRun image = cli.apply(new String[] {"image", "add", IMAGE});
        assertThat(image.exit()).as(image.toString()).isZero();
        assertThat(image.out()).contains("Added image acme/fees/1.x").contains("hotpatch supported");

        CliRun baseline = cli.apply(new String[] {"baseline", "publish", "--image", IMAGE, "--version", "1.0", "--released-on", "2026-01-05",
                "--key", keys.toString(), FeesApp.V1.toString()});
        assertThat(baseline.exit()).as(baseline.toString()).isZero();
        assertThat(baseline.out()).contains("Published baseline 1.0 of acme/fees/1.x").contains("fees-app-1.0.jar")
                .contains("signed by CN=");

        Path pkg = dir.resolve(KB + ".hotpatch");
        CliRun build = CliRun.of("build", "--baseline", FeesApp.V1.toString(), "--patched", FeesApp.V101.toString(), "--id", KB,
                "--title", "Round card fees half-up", "--classification", "Security", "--image", IMAGE, "--baseline-id", "1.0",
                "--published", "2026-02-10T09:00:00Z", "--key", keys.toString(), "--out", pkg.toString());
        assertThat(build.exit()).as(build.toString()).isZero();

        CliRun update = cli.apply(new String[] {"update", "publish", pkg.toString()});
        assertThat(update.exit()).as(update.toString()).isZero();
        assertThat(update.out()).contains("Published " + KB + " (hotpatch, Security, NeverReboots) for acme/fees/1.x baseline 1.0");
        return keys;
    }
}
