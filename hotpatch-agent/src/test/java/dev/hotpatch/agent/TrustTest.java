package dev.hotpatch.agent;

import static dev.hotpatch.agent.AgentHarness.FEES_V2;
import static dev.hotpatch.agent.AgentHarness.LATE_V2;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpatch.format.SigningKey;
import dev.hotpatch.format.channel.Message;
import dev.hotpatch.testkit.TargetJvm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Whose packages the agent accepts (issue 10 item 3): trust comes from the enrolment, not from the
 * request; a request naming another folder is refused; what was accepted once is checked again
 * against the current trust at every start.
 */
class TrustTest {
    @TempDir
    static Path dir;
    static AgentHarness h;
    static SigningKey other;
    static Path otherDir;
    static Path fix;
    static Path fixByOther;

    @TempDir
    Path state;

    @BeforeAll
    static void setUp() throws IOException {
        h = new AgentHarness(dir);
        otherDir = dir.resolve("other-key");
        other = SigningKey.generate(otherDir, "CN=Other Publisher");
        fix = h.pkg("KB2026-0001", FEES_V2, LATE_V2);
        fixByOther = h.pkg("KB2026-0666", FEES_V2, LATE_V2, List.of(), other);
    }

    @ParameterizedTest
    @MethodSource("dev.hotpatch.agent.AgentHarness#jdks")
    void enrolledAgent_refusesARequestNamingAnotherTrustFolder_andRunsNoCodeSignedByItsKey(Path java) {
        // The reproduction: started with trust=A, given a package signed by B and "--trust B".
        try (TargetJvm app = h.start(java, state, "-javaagent:" + h.agentJar + "=name=shop,trust=" + h.keyDir)) {
            Message r = AgentHarness.send(h.socket(app), Message.of("op", "apply", "package", fixByOther.toString(),
                    "trust", otherDir.toString(), "actor", "attacker"));

            assertThat(r.get("status")).as(r.toString()).isEqualTo("refused");
            assertThat(r.get("message")).contains(h.keyDir.toString(), otherDir.toString(), "enrol");
            assertThat(app.request("fee 1030", "fee=")).isEqualTo("fee=25");
            assertThat(h.send(app, "op", "list").get("installed.count")).isEqualTo("0");
        }
    }
}
