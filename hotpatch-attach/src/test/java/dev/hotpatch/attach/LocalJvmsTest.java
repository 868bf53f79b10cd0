package dev.hotpatch.attach;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalJvmsTest {
    @TempDir
    static Path classes;

    @BeforeAll
    static void compile() throws Exception {
        ChildJvm.compileSleeper(classes);
    }

    @Test
    void list_showsAttachableJava17JvmAsEnabled() throws Exception {
        try (ChildJvm child = ChildJvm.start(ChildJvm.java17(), classes, "-Dhotpatch.machine=shop-1")) {
            JvmInfo info = find(LocalJvms.list(), child.pid());

            assertThat(info.status()).isEqualTo(HotpatchStatus.ENABLED);
            assertThat(info.displayName()).isEqualTo("Sleeper");
            assertThat(info.javaVersion()).startsWith("17");
            assertThat(info.vendor()).isNotEmpty();
            assertThat(info.machineName()).isEqualTo("shop-1");
            assertThat(info.agentPresent()).isFalse();
            assertThat(info.mode()).isEmpty();
            assertThat(info.installedIds()).isEmpty();
            assertThat(info.reason()).isEmpty();
            assertThat(child.isAlive()).isTrue();
        }
    }

    @Test
    void list_showsJvmWithAttachDisabledAsNotSupportedWithReason() throws Exception {
        try (ChildJvm child = ChildJvm.start(ChildJvm.java17(), classes, "-XX:+DisableAttachMechanism")) {
            JvmInfo info = find(LocalJvms.list(), child.pid());

            assertThat(info.status()).isEqualTo(HotpatchStatus.NOT_SUPPORTED);
            assertThat(info.reason()).contains("DisableAttachMechanism");
            assertThat(info.displayName()).isEqualTo("Sleeper");
            assertThat(info.javaVersion()).startsWith("17");
            assertThat(child.isAlive()).isTrue();
        }
    }

    @Test
    void list_notesJep451WarningForJava25() throws Exception {
        Path java25 = ChildJvm.java25();
        assumeTrue(java25 != null, "Java 25 is not installed");
        try (ChildJvm child = ChildJvm.start(java25, classes, "-XX:+EnableDynamicAgentLoading")) {
            JvmInfo info = find(LocalJvms.list(), child.pid());

            assertThat(info.status()).isEqualTo(HotpatchStatus.ENABLED);
            assertThat(info.javaVersion()).startsWith("25");
            assertThat(info.reason()).contains("JEP 451");
        }
    }

    @Test
    void find_reportsDynamicLoadingDisabledAsNotSupported() throws Exception {
        Path java25 = ChildJvm.java25();
        assumeTrue(java25 != null, "Java 25 is not installed");
        try (ChildJvm child = ChildJvm.start(java25, classes, "-XX:-EnableDynamicAgentLoading")) {
            JvmInfo info = LocalJvms.find(child.pid()).orElseThrow();

            assertThat(info.status()).isEqualTo(HotpatchStatus.NOT_SUPPORTED);
            assertThat(info.reason()).startsWith("dynamic agent loading is disabled").contains("-javaagent");
            assertThatThrownBy(() -> AgentClient.connect(child.pid()))
                    .isInstanceOf(NotSupportedException.class)
                    .hasMessageContaining("dynamic agent loading is disabled");
        }
    }

    @Test
    void list_neverShowsThisProcess() {
        assertThat(LocalJvms.list()).extracting(JvmInfo::pid).doesNotContain(ProcessHandle.current().pid());
        assertThat(LocalJvms.find(ProcessHandle.current().pid())).isEmpty();
    }

    @Test
    void find_isEmptyForProcessThatIsNotJava() throws Exception {
        Process sleep = new ProcessBuilder("sleep", "60").start();
        try {
            assertThat(LocalJvms.find(sleep.pid())).isEmpty();
        } finally {
            sleep.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void connect_refusesProcessThatIsNotJavaWithoutSignallingIt() throws Exception {
        Process sleep = new ProcessBuilder("sleep", "60").start();
        try {
            assertThatThrownBy(() -> AgentClient.connect(sleep.pid()))
                    .isInstanceOf(NoSuchJvmException.class)
                    .hasMessageContaining("not a Java virtual machine");
            assertThat(sleep.isAlive()).isTrue();
        } finally {
            sleep.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void connect_refusesPidWithoutProcess() {
        long gone = ProcessHandle.allProcesses().mapToLong(ProcessHandle::pid).max().orElse(1) + 100_000;
        assertThatThrownBy(() -> AgentClient.connect(gone))
                .isInstanceOf(NoSuchJvmException.class)
                .hasMessageContaining("no process " + gone);
    }

    @Test
    void connect_refusesJvmWithAttachDisabled() throws Exception {
        try (ChildJvm child = ChildJvm.start(ChildJvm.java17(), classes, "-XX:+DisableAttachMechanism")) {
            assertThatThrownBy(() -> AgentClient.connect(child.pid()))
                    .isInstanceOf(NotSupportedException.class)
                    .hasMessageContaining("DisableAttachMechanism");
        }
    }

    @Test
    void connectIfPresent_neverLoadsTheAgent() throws Exception {
        try (ChildJvm child = ChildJvm.start(ChildJvm.java17(), classes)) {
            Optional<AgentClient> client = AgentClient.connectIfPresent(child.pid());

            assertThat(client).isEmpty();
            assertThat(LocalJvms.find(child.pid()).orElseThrow().agentPresent()).isFalse();
        }
    }

    private static JvmInfo find(List<JvmInfo> jvms, long pid) {
        return jvms.stream().filter(j -> j.pid() == pid).findFirst()
                .orElseThrow(() -> new AssertionError("pid " + pid + " not listed in " + jvms));
    }
}
