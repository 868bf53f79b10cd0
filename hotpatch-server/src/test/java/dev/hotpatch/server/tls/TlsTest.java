package dev.hotpatch.server.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hotpatch.server.testing.TestServer;
import dev.hotpatch.testkit.SelfSignedTls;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code hotpatch server --tls-cert --tls-key} serves the API over HTTPS only, with a certificate clients can pin. */
class TlsTest {
    @TempDir
    static Path dir;
    static SelfSignedTls tls;

    @BeforeAll
    static void certificate() {
        tls = SelfSignedTls.create(dir.resolve("tls"), "hotpatch-test-server");
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void server_servesHttpsOnly_withTheGivenCertificate(String store) throws Exception {
        try (TestServer s = new TestServer(store, null, null, tls)) {
            assertThat(s.server.url()).startsWith("https://127.0.0.1:");
            assertThat(s.startupOutput).contains("listening on https://");
            TestServer.Response health = s.get("/healthz", null);
            assertThat(health.status()).isEqualTo(200);
            TestServer.Response token = s.post("/api/v1/enrollment-tokens", s.adminToken, Map.of());
            assertThat(token.status()).as(token.body()).isEqualTo(201);

            HttpClient systemCas = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
            assertThatThrownBy(() -> systemCas.send(HttpRequest.newBuilder(URI.create(s.url("/healthz"))).build(),
                    HttpResponse.BodyHandlers.ofString())).as("a self-signed certificate is not trusted without pinning")
                    .isInstanceOf(SSLHandshakeException.class);

            URI plain = URI.create("http://127.0.0.1:" + s.server.port() + "/api/v1/whoami");
            int status;
            try {
                status = systemCas.send(HttpRequest.newBuilder(plain).header("Authorization", "Bearer " + s.adminToken).build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode();
            } catch (java.io.IOException e) {
                status = -1;
            }
            assertThat(status).as("no plain HTTP API on the port").isNotEqualTo(200);
        }
    }

    @Test
    void load_refusesAKeyThatIsNotTheCertificates_andSaysWhatToGive() throws Exception {
        SelfSignedTls other = SelfSignedTls.create(dir.resolve("other"), "someone-else");
        assertThatThrownBy(() -> ServerTls.load(tls.cert(), other.key())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is not the private key of the certificate").hasMessageContaining("CN=hotpatch-test-server");
        Path encrypted = Files.writeString(dir.resolve("enc.pem"), "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n");
        assertThatThrownBy(() -> ServerTls.load(tls.cert(), encrypted)).hasMessageContaining("is encrypted").hasMessageContaining("openssl pkcs8");
        assertThatThrownBy(() -> ServerTls.load(tls.key(), tls.key())).hasMessageContaining("--tls-cert");
        assertThatThrownBy(() -> ServerTls.load(tls.cert(), dir.resolve("missing.pem"))).hasMessageContaining("cannot be read");
    }
}
