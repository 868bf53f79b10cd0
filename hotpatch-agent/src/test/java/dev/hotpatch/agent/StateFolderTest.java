package dev.hotpatch.agent;

import static dev.hotpatch.agent.AgentHarness.FEES_V2;
import static dev.hotpatch.agent.AgentHarness.LATE_V2;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpatch.format.OwnerOnly;
import dev.hotpatch.format.channel.Message;
import dev.hotpatch.testkit.TargetJvm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * An enrolled agent's state folder (issue 10 items 8 and 14): a fix that would vanish at the next
 * restart is not installed, an uninstall that would come back is not answered ok, and the files
 * are owner-only.
 */
class StateFolderTest {
    @TempDir
    static Path dir;
    static AgentHarness h;
    static Path fix;

    @TempDir
    Path tmp;

    @BeforeAll
    static void setUp() throws IOException {
        h = new AgentHarness(dir);
        fix = h.pkg("KB2026-0001", FEES_V2, LATE_V2);
    }

    /** Tests that make files of another user with chown: root only; failing, not skipping, keeps the coverage honest. */
    static void requireRoot() {
        if (OwnerOnly.myUid() != 0) {
            throw new AssertionError("this test makes a folder of another user with chown, which needs root;"
                    + " run the agent module's tests as root (CI does)");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.hotpatch.agent.AgentHarness#jdks")
    void enrolledJvm_withAStateFolderOfAnotherUser_refusesToApply(Path java) throws IOException {
        requireRoot();
        Path state = Files.createDirectory(tmp.resolve("state"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.setAttribute(state, "unix:uid", 4242);
        try (TargetJvm app = h.start(java, state, h.enrolled())) {
            assertThat(app.output()).anyMatch(l -> l.startsWith("[hotpatch] the state folder " + state + " is unusable"));

            Message r = h.apply(app, fix);

            assertThat(r.get("status")).as(r.toString()).isEqualTo("refused");
            assertThat(r.get("message")).contains("state folder " + state, "belongs to uid 4242", "would vanish at the next restart",
                    "nothing was changed");
            assertThat(app.request("fee 1030", "fee=")).isEqualTo("fee=25");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.hotpatch.agent.AgentHarness#jdks")
    void enrolledJvm_withAStateFolderThatIsALink_refusesToApply(Path java) throws IOException {
        Path real = Files.createDirectory(tmp.resolve("real"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path state = Files.createSymbolicLink(tmp.resolve("state"), real);
        try (TargetJvm app = h.start(java, state, h.enrolled())) {
            Message r = h.apply(app, fix);

            assertThat(r.get("status")).as(r.toString()).isEqualTo("refused");
            assertThat(r.get("message")).contains("state folder " + state, "is a symbolic link", "nothing was changed");
            assertThat(app.request("fee 1030", "fee=")).isEqualTo("fee=25");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.hotpatch.agent.AgentHarness#jdks")
    void apply_thatCannotBePersisted_isRolledBack(Path java) throws IOException {
        Path state = tmp.resolve("state");
        try (TargetJvm app = h.start(java, state, h.enrolled())) {
            app.request("fee 1", "fee=");
            // Opened to others after the agent started: the write must not go there.
            Files.setPosixFilePermissions(state, PosixFilePermissions.fromString("rwxrwxrwx"));

            Message r = h.apply(app, fix);

            assertThat(r.get("status")).as(r.toString()).isEqualTo("failed");
            assertThat(r.get("message")).contains("could not be persisted", "writable by other users", "rolled back");
            assertThat(app.request("fee 1030", "fee=")).isEqualTo("fee=25");
            assertThat(h.send(app, "op", "list").get("installed.count")).isEqualTo("0");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.hotpatch.agent.AgentHarness#jdks")
    void uninstall_thatCannotBePersisted_isRolledBack_andAnswersFailed(Path java) throws IOException {
        Path state = tmp.resolve("state");
        try (TargetJvm app = h.start(java, state, h.enrolled())) {
            assertThat(h.apply(app, fix).get("status")).isEqualTo("ok");
            Files.setPosixFilePermissions(state, PosixFilePermissions.fromString("rwxrwxrwx"));

            Message r = h.send(app, "op", "uninstall");

            assertThat(r.get("status")).as(r.toString()).isEqualTo("failed");
            assertThat(r.get("message")).contains("could not record the uninstall of KB2026-0001", "still installed");
            assertThat(app.request("fee 1030", "fee=")).isEqualTo("fee=26");

            Files.setPosixFilePermissions(state, PosixFilePermissions.fromString("rwx------"));
            assertThat(h.send(app, "op", "uninstall").get("status")).isEqualTo("ok");
            assertThat(app.request("fee 1030", "fee=")).isEqualTo("fee=25");
        }
        try (TargetJvm restarted = h.start(java, state, h.enrolled())) {
            assertThat(restarted.request("fee 1030", "fee=")).as("the uninstall was persisted").isEqualTo("fee=25");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.hotpatch.agent.AgentHarness#jdks")
    void apply_ofAReadOnlyPackageFile_persistsAnOwnerOnlyCopy(Path java) throws IOException {
        // As a root node hands packages over: root-owned, r--r--r--. Copying that mode into the state made a file its
        // owner could not flush (so a JVM of another user failed every persisted apply) and that others could read.
        Path handedOver = Files.copy(fix, tmp.resolve("handed-over.hotpatch"));
        Files.setPosixFilePermissions(handedOver, PosixFilePermissions.fromString("r--r--r--"));
        Path state = tmp.resolve("state");
        try (TargetJvm app = h.start(java, state, h.enrolled())) {
            Message r = h.apply(app, handedOver);

            assertThat(r.get("status")).as(r.toString()).isEqualTo("ok");
            assertThat(r.get("persisted")).isEqualTo("true");
        }
        Path stored = state.resolve("packages/KB2026-0001.hotpatch");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(stored))).isEqualTo("rw-------");
        assertThat(Files.readAllBytes(stored)).isEqualTo(Files.readAllBytes(fix));
        try (TargetJvm restarted = h.start(java, state, h.enrolled())) {
            assertThat(restarted.request("fee 1030", "fee=")).as("re-applied from the stored copy").isEqualTo("fee=26");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.hotpatch.agent.AgentHarness#jdks")
    void stateFiles_areOwnerOnly_andNoTemporaryFileIsLeft(Path java) throws IOException {
        Path state = tmp.resolve("state");
        try (TargetJvm app = h.start(java, state, h.enrolled())) {
            assertThat(h.apply(app, fix).get("status")).isEqualTo("ok");
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(state))).isEqualTo("rwx------");
        for (Path f : new Path[] {state.resolve("installed.properties"), state.resolve("run.properties"),
                state.resolve("packages/KB2026-0001.hotpatch")}) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).as(f.toString()).isEqualTo("rw-------");
        }
        try (Stream<Path> files = Files.walk(state)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
        }
        assertThat(Files.readString(state.resolve("run.properties"))).as("the stop was clean").contains("clean=true");
        assertThat(Files.exists(state.resolve("trust"))).as("no signer is remembered in the state").isFalse();
    }
}
