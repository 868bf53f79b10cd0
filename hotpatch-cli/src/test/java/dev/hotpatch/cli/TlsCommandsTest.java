package dev.hotpatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpatch.testkit.SelfSignedTls;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hotpatch server --tls-cert --tls-key} serves HTTPS; operator commands and the node verify
 * it (pinned with --tls-ca here, since the certificate is self-signed), and refuse plain http:// to
 * another host unless told --insecure.
 */
class TlsCommandsTest {
    @TempDir
    static Path tmp;
    static SelfSignedTls tls;
    static CliServer server;

    @BeforeAll
    static void start() {
        tls = SelfSignedTls.create(tmp.resolve("tls"), "hotpatch-cli-test");
        server = CliServer.start(tmp.resolve("server"), "--tls-cert", tls.cert().toString(), "--tls-key", tls.key().toString());
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void operatorCommands_verifyTheServerCertificate() {
        assertThat(server.url).startsWith("https://127.0.0.1:");
        CliRun pinned = server.cli("token", "list", "--tls-ca", tls.cert().toString());
        assertThat(pinned.exit()).as(pinned.toString()).isZero();

        CliRun unpinned = server.cli("token", "list");
        assertThat(unpinned.exit()).as(unpinned.toString()).isEqualTo(1);
        assertThat(unpinned.err()).contains("TLS handshake").contains("--tls-ca FILE");
    }

    @Test
    void node_enrollsOverHttps_withThePinnedCertificate_andExplainsAnUntrustedOne() throws Exception {
        String token = server.json("token", "enroll", "--name", "tls-node", "--tls-ca", tls.cert().toString()).path("token").path("token")
                .asText();
        Path config = Files.writeString(tmp.resolve("node.properties"), "node.manage = configured\n");
        CliRun untrusted = CliRun.of("node", "--server", server.url, "--token", token, "--config", config.toString(), "--data",
                tmp.resolve("node-untrusted").toString(), "--once");
        assertThat(untrusted.exit()).as(untrusted.toString()).isNotZero();
        assertThat(untrusted.err()).contains("TLS handshake").contains("--tls-ca");

        CliRun node = CliRun.of("node", "--server", server.url, "--token", token, "--tls-ca", tls.cert().toString(), "--config",
                config.toString(), "--data", tmp.resolve("node").toString(), "--once");
        assertThat(node.exit()).as(node.toString()).isZero();
        assertThat(tmp.resolve("node/credential.json")).isRegularFile();
        assertThat(server.cli("machines", "--tls-ca", tls.cert().toString()).exit()).isZero();
    }

    @Test
    void plainHttpToAnotherHost_isRefusedUnlessInsecure() {
        CliRun cli = CliRun.of("machines", "--server", "http://192.0.2.10:8080", "--token", "hpt_x");
        assertThat(cli.exit()).as(cli.toString()).isEqualTo(2);
        assertThat(cli.err()).contains("plain http:// to another host").contains("--insecure").contains("https://");

        CliRun node = CliRun.of("node", "--server", "http://192.0.2.10:8080", "--token", "hpe_x", "--data", tmp.resolve("n2").toString(),
                "--once");
        assertThat(node.exit()).as(node.toString()).isEqualTo(2);
        assertThat(node.err()).contains("plain http:// to another host").contains("--insecure");

        CliRun local = CliRun.of("machines", "--server", "http://127.0.0.1:1", "--token", "hpt_x");
        assertThat(local.err()).as("loopback http is fine: it fails only because nothing listens").doesNotContain("--insecure");
    }
}
