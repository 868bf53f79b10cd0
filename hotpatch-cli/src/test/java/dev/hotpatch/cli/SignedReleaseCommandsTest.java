package dev.hotpatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpatch.format.CertificateFingerprint;
import dev.hotpatch.format.SigningKey;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Baselines and restart updates are signed by the publisher with the CLI, and the server refuses what a stranger signed. */
class SignedReleaseCommandsTest {
    static final String IMAGE = "acme/signed/1.x";

    @TempDir
    static Path tmp;
    static CliServer server;
    static Path keys;
    static Path stranger;

    @BeforeAll
    static void start() throws Exception {
        server = CliServer.start(tmp.resolve("server"));
        keys = tmp.resolve("keys");
        stranger = tmp.resolve("stranger");
        assertThat(CliRun.of("keygen", "--out", keys.toString()).exit()).isZero();
        assertThat(CliRun.of("keygen", "--out", stranger.toString()).exit()).isZero();
        Files.copy(keys.resolve("signer.crt"), server.trustDir().resolve("publisher.crt"));
        assertThat(server.cli("image", "add", IMAGE).exit()).isZero();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void baselinePublish_needsAKeyOrADescriptor_andRefusesAStrangersSignatureNamingItsFingerprint() {
        CliRun neither = server.cli("baseline", "publish", "--image", IMAGE, "--version", "1.0", "--released-on", "2026-01-05",
                FeesApp.V1.toString());
        assertThat(neither.exit()).as(neither.toString()).isEqualTo(2);
        assertThat(neither.err()).contains("baselines are signed").contains("--key DIR").contains("--descriptor FILE");

        CliRun strangers = server.cli("baseline", "publish", "--image", IMAGE, "--version", "1.0", "--released-on", "2026-01-05",
                "--key", stranger.toString(), FeesApp.V1.toString());
        assertThat(strangers.exit()).as(strangers.toString()).isEqualTo(3);
        assertThat(strangers.err()).contains("untrusted-release")
                .contains(CertificateFingerprint.of(SigningKey.load(stranger).certificate()));
        assertThat(server.cli("baseline", "list", "--image", IMAGE).out()).contains("no baseline yet");
    }

    @Test
    void baselineSign_writesADescriptorThatPublishAccepts_andUpdatesAreSignedToo() throws Exception {
        Path descriptor = tmp.resolve("fees-1.0.release");
        CliRun sign = CliRun.of("baseline", "sign", "--image", IMAGE, "--version", "1.0", "--key", keys.toString(), "--out",
                descriptor.toString(), FeesApp.V1.toString());
        assertThat(sign.exit()).as(sign.toString()).isZero();
        assertThat(sign.out()).contains("Signed baseline 1.0 of " + IMAGE + " (1 jar)").contains("SHA-256 ");
        assertThat(descriptor).isRegularFile();

        CliRun wrongJar = server.cli("baseline", "publish", "--image", IMAGE, "--version", "1.0", "--released-on", "2026-01-05",
                "--descriptor", descriptor.toString(), FeesApp.V101.toString());
        assertThat(wrongJar.exit()).as(wrongJar.toString()).isEqualTo(3);
        assertThat(wrongJar.err()).contains("release-mismatch").contains("not one the publisher signed");

        CliRun publish = server.cli("baseline", "publish", "--image", IMAGE, "--version", "1.0", "--released-on", "2026-01-05",
                "--descriptor", descriptor.toString(), FeesApp.V1.toString());
        assertThat(publish.exit()).as(publish.toString()).isZero();
        CliRun list = server.cli("baseline", "list", "--image", IMAGE);
        assertThat(list.out()).contains("SIGNED BY").contains("CN=");

        Path artifact = Files.writeString(tmp.resolve("driver.jar"), "driver bytes");
        CliRun unsignedUpdate = server.cli("update", "publish", "--kb", "KB2026-0100", "--title", "Driver", "--classification", "Critical",
                "--image", IMAGE, "--artifact", artifact.toString());
        assertThat(unsignedUpdate.exit()).isEqualTo(2);
        CliRun update = server.cli("update", "publish", "--kb", "KB2026-0100", "--title", "Driver", "--classification", "Critical",
                "--image", IMAGE, "--reboot-behavior", "AlwaysRequiresReboot", "--artifact", artifact.toString(), "--key", keys.toString(),
                "--json");
        assertThat(update.exit()).as(update.toString()).isZero();
        assertThat(update.json().at("/update/descriptor/signer").asText()).startsWith("CN=");
    }
}
