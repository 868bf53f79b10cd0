package dev.hotpatch.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node started with a token the server refuses stops at once with a message that says which
 * refusal it was (unknown, used, expired), instead of logging it at every check-in forever.
 */
class NodeEnrollmentRefusalTest {
    private static final Duration BOUND = Duration.ofSeconds(90); // bounds a hang only: a node that runs forever fails here

    @TempDir
    static Path dir;
    static CliServer server;

    @BeforeAll
    static void startServer() {
        server = CliServer.start(dir.resolve("server"));
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    private static CliRun node(String token, String data) {
        return assertTimeoutPreemptively(BOUND, () -> CliRun.of("node", "--server", server.url, "--token", token, "--data",
                dir.resolve(data).toString(), "--interval", "1s"));
    }

    @Test
    void node_withBogusToken_exitsNonZeroSayingTheServerDidNotIssueIt() {
        CliRun r = node("hpe_notatokenthisserverissued", "bogus");
        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).contains("refused the enrollment token").contains("not one this server issued")
                .contains("hotpatch token enroll").doesNotContain("POST /api").doesNotContain("\tat ");
    }

    @Test
    void node_withUsedToken_exitsNonZeroSayingItWasUsed() {
        String token = server.enrollmentToken();
        CliRun first = assertTimeoutPreemptively(BOUND, () -> CliRun.of("node", "--server", server.url, "--token", token, "--data",
                dir.resolve("first").toString(), "--once"));
        assertThat(first.exit()).as(first.toString()).isZero();
        CliRun second = node(token, "second");
        assertThat(second.exit()).as(second.toString()).isEqualTo(1);
        assertThat(second.err()).contains("already used").doesNotContain("\tat ");
    }

    @Test
    void node_withExpiredToken_exitsNonZeroSayingItExpired() throws Exception {
        String token = server.enrollmentToken();
        // Let the token's time pass in the server's own database (its clock is the real one).
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + server.data.resolve("hotpatch.db"));
             Statement st = c.createStatement()) {
            st.executeUpdate("UPDATE enrollment_tokens SET expires_at = 1000 WHERE used_at IS NULL");
        }
        CliRun r = node(token, "expired");
        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).contains("expired at 1970-01-01T00:00:01Z").doesNotContain("\tat ");
    }
}
