package dev.hotpatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.cli.ShopApp.Shop;
import dev.hotpatch.testkit.Jdks;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hotpatch that breaks real JVMs' health URLs, rolled out through the CLI against real
 * components ({@code hotpatch server} in this JVM, a real node probing each shop's own
 * {@code /health}, real shop JVMs on Java 17 and 25): the rollout halts after its first wave,
 * the hotpatch is uninstalled live on the failing machines only (same JVMs, old code, healthy
 * again), {@code rollout show} says why, the next wave is never started; the operator cancels it
 * and rolls out the fixed hotpatch, which every machine takes. On SQLite (crash quarantine, beside
 * it, runs on PostgreSQL; the server's own rollout tests cover both stores).
 */
class HealthGatedRolloutTest {
    private static final Duration BOUND = Duration.ofSeconds(180);

    @TempDir
    Path tmp;

    @Test
    void brokenHealthUrl_haltsAfterTheFirstWave_rollsBackLiveOnTheFailingMachinesOnly_thenTheFixedHotpatchGoesEverywhere() {
        try (CliServer server = CliServer.start(tmp.resolve("server"), "--check-in-interval", "1s")) {
            ShopApp.Builds builds = ShopApp.compile(tmp.resolve("builds"));
            Path keys = ShopApp.publish(server, builds, tmp);
            // Wave 1 (zone 1): three groups side by side, one machine each; two sell in yen, which the broken fix fails on.
            // Wave 2 (zone 2): one machine.
            Path java17 = Jdks.java17();
            Path java25 = Jdks.java25();
            Map<String, Shop> shops = new LinkedHashMap<>();
            StringBuilder config = new StringBuilder("node.healthInterval = 300ms\n");
            try {
                start(shops, config, java17, builds, "yen17", "JPY", "1", "tokyo-a");
                start(shops, config, java25, builds, "yen25", "JPY", "1", "tokyo-b");
                start(shops, config, java17, builds, "eur17", "EUR", "1", "paris-a");
                start(shops, config, java25, builds, "eur25", "EUR", "2", "paris-b");
                List<String> names = new ArrayList<>(shops.keySet());
                Shop yen17 = shops.get(names.get(0));
                Shop yen25 = shops.get(names.get(1));
                Shop eur17 = shops.get(names.get(2));
                Shop eur25 = shops.get(names.get(3));
                Map<String, Long> pids = new LinkedHashMap<>();
                shops.forEach((n, s) -> pids.put(n, s.pid()));
                try (TestNode node = TestNode.start(server, tmp.resolve("node"), nodeConfig(tmp.resolve("node"), keys, names, config))) {
                    names.forEach(server::awaitAssessed);
                    assertThat(server.json("policy", "set", "--fleet", "--window", "always", "--soak-minutes", "0").toString())
                            .contains("\"soakMinutes\":0");

                    JsonNode started = server.json("rollout", "start", "--update", ShopApp.BROKEN).path("rollout");
                    String id = started.path("id").asText();
                    assertThat(started.path("machineCount").asInt()).isEqualTo(4);
                    assertThat(started.path("waveCount").asInt()).as(started.toString()).isEqualTo(2);

                    JsonNode halted = await(server, id, r -> r.path("state").asText().equals("halted"), "halted");
                    assertThat(halted.path("haltReason").asText()).contains("health");
                    Map<String, JsonNode> ms = settled(server, id);
                    assertThat(ms.get(yen17.name()).path("state").asText()).as(ms.toString()).isEqualTo("rolled_back");
                    assertThat(ms.get(yen25.name()).path("state").asText()).isEqualTo("rolled_back");
                    assertThat(ms.get(yen17.name()).path("reason").asText()).contains("health").contains("uninstalled " + ShopApp.BROKEN + " live");
                    assertThat(ms.get(eur17.name()).path("state").asText()).as("judged on its own health").isEqualTo("healthy");
                    assertThat(ms.get(eur25.name()).path("state").asText()).as("the next wave never starts").isEqualTo("pending");
                    assertThat(ms.get(eur25.name()).path("wave").asInt()).isEqualTo(2);

                    for (Shop s : List.of(yen17, yen25)) {
                        assertThat(s.jvm().isAlive()).isTrue();
                        assertThat(s.pid()).as("rolled back live, not restarted").isEqualTo(pids.get(s.name()));
                        assertThat(s.fee()).as("the old code runs again").isEqualTo("fee 100 = 2");
                        assertThat(s.health()).as("healthy again").isEqualTo(200);
                        CliRun history = server.cli("history", "--machine", s.name());
                        assertThat(history.out()).containsPattern("health-gate +" + ShopApp.BROKEN + " +failed +rollout:" + id)
                                .containsPattern("uninstall +" + ShopApp.BROKEN + " +succeeded +rollout:" + id)
                                .containsPattern("install +" + ShopApp.BROKEN + " +succeeded +rollout:" + id);
                    }
                    assertThat(eur17.fee()).as("kept where it was healthy").isEqualTo("fee 100 = 3");
                    assertThat(eur25.fee()).as("never touched").isEqualTo("fee 100 = 2");
                    assertThat(server.cli("history", "--machine", eur25.name()).out()).doesNotContain(ShopApp.BROKEN);

                    CliRun show = server.cli("rollout", "show", id, "--machines");
                    assertThat(show.exit()).as(show.toString()).isZero();
                    assertThat(show.out()).contains("State: halted").contains("health").contains("rolled back").contains(yen25.name());

                    // The publisher ships a fix; the operator cancels the halted rollout and rolls the fix out to every machine.
                    ShopApp.publishHotpatch(server, keys, builds.v10(), builds.fixed(), ShopApp.FIXED, "Round shop fees half-up, yen too",
                            ShopApp.BROKEN, tmp);
                    CliRun cancel = server.cli("rollout", "cancel", id, "--note", ShopApp.FIXED + " replaces it");
                    assertThat(cancel.exit()).as(cancel.toString()).isZero();
                    JsonNode canceled = server.json("rollout", "show", id).path("rollout");
                    assertThat(canceled.path("state").asText()).isEqualTo("canceled");
                    assertThat(settled(server, id).get(eur25.name()).path("state").asText()).isEqualTo("canceled");
                    assertThat(server.cli("rollout", "resume", id).exit()).as("a canceled rollout is not halted").isEqualTo(3);

                    String fixId = server.json("rollout", "start", "--update", ShopApp.FIXED).path("rollout").path("id").asText();
                    JsonNode done = await(server, fixId, r -> !r.path("state").asText().equals("running"), "finished");
                    assertThat(done.path("state").asText()).as(done.toString()).isEqualTo("completed");
                    assertThat(done.path("machines").path("healthy").asInt()).isEqualTo(4);
                    for (Shop s : shops.values()) {
                        assertThat(s.fee()).isEqualTo("fee 100 = 3");
                        assertThat(s.health()).isEqualTo(200);
                        assertThat(s.pid()).as("never restarted").isEqualTo(pids.get(s.name()));
                    }
                }
            } finally {
                shops.values().forEach(Shop::close);
            }
        }
    }

    private void start(Map<String, Shop> shops, StringBuilder config, Path java, ShopApp.Builds builds, String prefix, String currency,
                       String zone, String group) {
        String name = FeesApp.name(prefix);
        Shop s = ShopApp.start(java, builds.v10(), name, currency, tmp);
        shops.put(name, s);
        config.append("machine.").append(name).append(".zone = ").append(zone).append('\n')
                .append("machine.").append(name).append(".group = ").append(group).append('\n')
                .append("machine.").append(name).append(".healthUrl = ").append(s.healthUrl()).append('\n')
                .append("machine.").append(name).append(".healthTimeout = 5s\n");
    }

    static Path nodeConfig(Path dir, Path keys, List<String> names, CharSequence more) {
        Path file = TestNode.config(dir, keys, names);
        try {
            return Files.writeString(file, more, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The rollout once {@code done} holds, polled through {@code rollout show --json}; fails after a generous bound. */
    static JsonNode await(CliServer server, String id, Predicate<JsonNode> done, String what) {
        long deadline = System.nanoTime() + BOUND.toNanos();
        JsonNode r = null;
        while (System.nanoTime() < deadline) {
            r = server.json("rollout", "show", id).path("rollout");
            if (done.test(r)) {
                return r;
            }
            CliServer.sleep(500);
        }
        throw new AssertionError("rollout " + id + " not " + what + " after " + BOUND.toSeconds() + " s: " + r);
    }

    /** The rollout's machines by name, once none is being installed, soaked or rolled back. */
    static Map<String, JsonNode> settled(CliServer server, String id) {
        long deadline = System.nanoTime() + BOUND.toNanos();
        Map<String, JsonNode> out = new LinkedHashMap<>();
        while (System.nanoTime() < deadline) {
            out.clear();
            boolean busy = false;
            for (JsonNode m : server.json("rollout", "show", id, "--machines").path("machines").path("items")) {
                out.put(m.path("machine").asText(), m);
                busy |= List.of("installing", "soaking", "rolling_back").contains(m.path("state").asText());
            }
            if (!busy) {
                return out;
            }
            CliServer.sleep(500);
        }
        throw new AssertionError("machines of rollout " + id + " still in flight after " + BOUND.toSeconds() + " s: " + out);
    }
}
