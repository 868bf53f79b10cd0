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
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
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

    @ParameterizedTest
    @MethodSource("dev.hotpatch.agent.AgentHarness#jdks")
    void enrolledAgent_appliesAPackageSignedWithAnRsaKey_refusesItTampered_andRestoresItAtRestart(Path java) throws IOException {
        // keygen --key-type rsa: the same signed-JAR format with an RSA-3072 signature (.RSA instead of .EC).
        Path rsaDir = dir.resolve("rsa-key");
        SigningKey rsa = Files.exists(rsaDir.resolve("signing.p12")) ? SigningKey.load(rsaDir)
                : SigningKey.generate(rsaDir, "CN=RSA Publisher", SigningKey.Type.RSA);
        assertThat(rsa.keyDescription()).isEqualTo("RSA-3072");
        Path fixByRsa = h.pkg("KB2026-0777", FEES_V2, LATE_V2, List.of(), rsa);
        Path tampered = LivePatchingTest.tamper(fixByRsa, dir.resolve("tampered-rsa-" + state.getFileName() + ".hotpatch"));
        String agent = "-javaagent:" + h.agentJar + "=name=shop,trust=" + rsaDir;
        try (TargetJvm app = h.start(java, state, agent)) {
            Message bad = AgentHarness.send(h.socket(app), Message.of("op", "apply", "package", tampered.toString()));
            assertThat(bad.get("status")).as(bad.toString()).isEqualTo("refused");
            assertThat(bad.get("message")).contains("modified after signing");
            assertThat(app.request("fee 1030", "fee=")).isEqualTo("fee=25");

            Message r = AgentHarness.send(h.socket(app), Message.of("op", "apply", "package", fixByRsa.toString()));
            assertThat(r.get("status")).as(r.toString()).isEqualTo("ok");
            assertThat(app.request("fee 1030", "fee=")).isEqualTo("fee=26");
        }
        try (TargetJvm app = h.start(java, state, agent)) {
            assertThat(app.request("fee 1030", "fee=")).as("re-applied at start").isEqualTo("fee=26");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.hotpatch.agent.AgentHarness#jdks")
    void attachedAgent_keepsTheTrustFolderOfItsFirstApplyForItsLifetime(Path java) {
        try (TargetJvm app = h.start(java, state)) {
            assertThat(h.apply(app, fix).get("status")).isEqualTo("ok");

            Message r = AgentHarness.send(h.socket(app), Message.of("op", "apply", "package", fixByOther.toString(),
                    "trust", otherDir.toString()));

            assertThat(r.get("status")).as(r.toString()).isEqualTo("refused");
            assertThat(r.get("message")).contains(h.keyDir.toString(), otherDir.toString(), "first apply");
            assertThat(h.send(app, "op", "list").fields()).containsEntry("installed.count", "1").containsEntry("installed.0.id", "KB2026-0001");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.hotpatch.agent.AgentHarness#jdks")
    void restart_reportsAHotpatchWhoseSignerLeftTheTrustFolderAsRevoked_andRunsTheOldCode(Path java) throws IOException {
        Path trust = trustFolderWith(h.keyDir.resolve(SigningKey.CERTIFICATE));
        String agent = "-javaagent:" + h.agentJar + "=name=shop,trust=" + trust;
        try (TargetJvm app = h.start(java, state, agent)) {
            Message r = AgentHarness.send(h.socket(app), Message.of("op", "apply", "package", fix.toString()));
            assertThat(r.get("status")).as(r.toString()).isEqualTo("ok");
        }
        // The operator removes the publisher; another one stays trusted.
        Files.delete(trust.resolve("publisher.crt"));
        copyCert(otherDir.resolve(SigningKey.CERTIFICATE), trust.resolve("other.crt"));

        try (TargetJvm app = h.start(java, state, agent)) {
            assertThat(app.request("fee 1030", "fee=")).as("not re-applied").isEqualTo("fee=25");
            Message list = h.send(app, "op", "list");
            assertThat(list.fields()).containsEntry("installed.count", "1").containsEntry("installed.0.id", "KB2026-0001")
                    .containsEntry("installed.0.state", "revoked").containsEntry("installed.0.active", "false");
            assertThat(list.get("installed.0.stateReason")).contains("CN=Agent Test Publisher", "SHA-256",
                    "no longer in the trust folder " + trust);

            Message removed = h.send(app, "op", "uninstall", "id", "KB2026-0001");
            assertThat(removed.get("status")).as(removed.toString()).isEqualTo("ok");
            assertThat(removed.get("message")).contains("revoked");
            assertThat(h.send(app, "op", "list").get("installed.count")).isEqualTo("0");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.hotpatch.agent.AgentHarness#jdks")
    void restart_reportsATamperedPersistedPackage_andDoesNotApplyIt(Path java) throws IOException {
        String agent = h.enrolled();
        try (TargetJvm app = h.start(java, state, agent)) {
            assertThat(h.apply(app, fix).get("status")).isEqualTo("ok");
        }
        Path stored = state.resolve("packages/KB2026-0001.hotpatch");
        Path tampered = LivePatchingTest.tamper(stored, dir.resolve("tampered-" + state.getFileName() + ".hotpatch"));
        Files.copy(tampered, stored, StandardCopyOption.REPLACE_EXISTING);

        try (TargetJvm app = h.start(java, state, agent)) {
            assertThat(app.request("fee 1030", "fee=")).isEqualTo("fee=25");
            Message list = h.send(app, "op", "list");
            assertThat(list.get("installed.count")).isEqualTo("0");
            assertThat(list.get("problems")).contains("KB2026-0001 not restored", "modified after signing");
            assertThat(app.output()).anyMatch(l -> l.startsWith("[hotpatch] persisted hotpatch KB2026-0001 is unrestored"));
        }
    }

    @ParameterizedTest
    @MethodSource("dev.hotpatch.agent.AgentHarness#jdks")
    void apply_refusesWhenTheTrustFolderIsWritableByOthers(Path java) throws IOException {
        Path trust = trustFolderWith(h.keyDir.resolve(SigningKey.CERTIFICATE));
        Files.setPosixFilePermissions(trust, PosixFilePermissions.fromString("rwxrwxrwx"));
        try (TargetJvm app = h.start(java, state, "-javaagent:" + h.agentJar + "=trust=" + trust)) {
            Message r = AgentHarness.send(h.socket(app), Message.of("op", "apply", "package", fix.toString()));

            assertThat(r.get("status")).as(r.toString()).isEqualTo("refused");
            assertThat(r.get("message")).contains("trust folder " + trust, "writable by other users");
            assertThat(app.request("fee 1030", "fee=")).isEqualTo("fee=25");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.hotpatch.agent.AgentHarness#jdks")
    void apply_refusesATrustFolderOwnedByAnotherUser(Path java) throws IOException {
        StateFolderTest.requireRoot();
        Path trust = trustFolderWith(h.keyDir.resolve(SigningKey.CERTIFICATE));
        Files.setAttribute(trust, "unix:uid", 4242);
        try (TargetJvm app = h.start(java, state, "-javaagent:" + h.agentJar + "=trust=" + trust)) {
            Message r = AgentHarness.send(h.socket(app), Message.of("op", "apply", "package", fix.toString()));

            assertThat(r.get("status")).as(r.toString()).isEqualTo("refused");
            assertThat(r.get("message")).contains("trust folder " + trust, "belongs to uid 4242");
            assertThat(app.request("fee 1030", "fee=")).isEqualTo("fee=25");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.hotpatch.agent.AgentHarness#jdks")
    void cachedTrustFolder_isCheckedAgain_afterItsCertificateIsOpenedToOthers_orRemoved(Path java) throws Exception {
        Path trust = trustFolderWith(h.keyDir.resolve(SigningKey.CERTIFICATE));
        Path fixB = h.pkg("KB2026-0002", FEES_V2, LATE_V2);
        // Old enough that the agent keeps the parsed folder (a stamp younger than ~2 s is never trusted).
        Thread.sleep(2_500);
        try (TargetJvm app = h.start(java, state, "-javaagent:" + h.agentJar + "=trust=" + trust)) {
            assertThat(AgentHarness.send(h.socket(app), Message.of("op", "apply", "package", fix.toString())).get("status")).isEqualTo("ok");
            assertThat(AgentHarness.send(h.socket(app), Message.of("op", "uninstall")).get("status")).isEqualTo("ok");

            Files.setPosixFilePermissions(trust.resolve("publisher.crt"), PosixFilePermissions.fromString("rw-rw-rw-"));
            Message opened = AgentHarness.send(h.socket(app), Message.of("op", "apply", "package", fixB.toString()));

            assertThat(opened.get("status")).as(opened.toString()).isEqualTo("refused");
            assertThat(opened.get("message")).contains("writable by other users");

            // The folders above count by owner and mode (not by their times): opened to others, they are refused.
            Files.setPosixFilePermissions(trust.resolve("publisher.crt"), PosixFilePermissions.fromString("rw-r--r--"));
            java.util.Set<java.nio.file.attribute.PosixFilePermission> above = Files.getPosixFilePermissions(trust.getParent());
            Files.setPosixFilePermissions(trust.getParent(), PosixFilePermissions.fromString("rwxrwxrwx"));
            Message parentOpened;
            try {
                parentOpened = AgentHarness.send(h.socket(app), Message.of("op", "apply", "package", fixB.toString()));
            } finally {
                Files.setPosixFilePermissions(trust.getParent(), above);
            }
            assertThat(parentOpened.get("status")).as(parentOpened.toString()).isEqualTo("refused");
            assertThat(parentOpened.get("message")).contains("lies inside " + trust.getParent()).contains("other users can write to");

            Files.delete(trust.resolve("publisher.crt"));
            Files.writeString(trust.resolve("readme.txt"), "no certificate here");
            Message removed = AgentHarness.send(h.socket(app), Message.of("op", "apply", "package", fixB.toString()));

            assertThat(removed.get("status")).as(removed.toString()).isEqualTo("refused");
            assertThat(removed.get("message")).contains("holds no certificate");
            assertThat(app.request("fee 1030", "fee=")).isEqualTo("fee=25");
        }
    }

    private static Path trustFolderWith(Path cert) throws IOException {
        Path trust = Files.createTempDirectory(dir, "trust-");
        Files.setPosixFilePermissions(trust, PosixFilePermissions.fromString("rwxr-xr-x"));
        copyCert(cert, trust.resolve("publisher.crt"));
        return trust;
    }

    private static void copyCert(Path from, Path to) throws IOException {
        Files.copy(from, to);
        Files.setPosixFilePermissions(to, PosixFilePermissions.fromString("rw-r--r--"));
    }
}
