package dev.hotpatch.attach;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
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
    void connect_toAJava17WithDynamicLoadingOff_isRefusedAsNotSupported_byTheLoadItself() throws Exception {
        // connect reads no JVM arguments before loading the agent: the JVM's refusal to load it is
        // what tells, and on Java 17 (no JEP 451 default) the arguments are read only then, to say why.
        try (ChildJvm child = ChildJvm.start(ChildJvm.java17(), classes,
                "-XX:-EnableDynamicAgentLoading")) {
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

    @Test
    void list_reportsAStoppedJvmAsNotEvaluated_andStillListsTheOthers() throws Exception {
        try (ChildJvm stopped = ChildJvm.start(ChildJvm.java17(), classes); ChildJvm running = ChildJvm.start(ChildJvm.java17(), classes)) {
            stopped.signal("STOP");
            try {
                List<JvmInfo> jvms = LocalJvms.list(Duration.ofSeconds(30));

                JvmInfo info = find(jvms, stopped.pid());
                assertThat(info.status()).isEqualTo(HotpatchStatus.PENDING_EVALUATION);
                assertThat(info.reason()).contains("stopped", "kill -CONT " + stopped.pid());
                assertThat(find(jvms, running.pid()).status()).isEqualTo(HotpatchStatus.ENABLED);
            } finally {
                stopped.signal("CONT");
            }
        }
    }

    @Test
    void connect_toAStoppedJvm_endsTimedOut_andSaysHowToResumeIt() throws Exception {
        try (ChildJvm child = ChildJvm.start(ChildJvm.java17(), classes)) {
            // Attached once before, as a tool would have: its attach socket exists and the kernel would queue a connection.
            assertThat(LocalJvms.find(child.pid())).isPresent();
            child.signal("STOP");
            try {
                assertThatThrownBy(() -> AgentClient.connect(child.pid(), "", null, Duration.ofSeconds(30)))
                        .isInstanceOf(TimedOutException.class)
                        .hasMessageContaining("timed out: JVM " + child.pid() + " is stopped")
                        .hasMessageContaining("kill -CONT " + child.pid());
            } finally {
                child.signal("CONT");
            }
            assertThat(LocalJvms.find(child.pid()).orElseThrow().status()).isEqualTo(HotpatchStatus.ENABLED);
        }
    }

    @Test
    void connect_asRootToAnotherUsersJvm_namesTheRealCause() throws Exception {
        // Issue 10 item 12b: it said "Agent JAR not found" because the jar sits in root's private cache.
        asNobody(child -> assertRefusedForTheAgentJar(child));
    }

    @Test
    void connect_pastAStaleAttachSocketOfAnEarlierProcess_removesIt() throws Exception {
        // CI once saw "attach failed: Connection refused": a root JVM that had the same pid earlier left
        // /tmp/.java_pid<pid>, and the JVM running as 'nobody' could not remove it from the sticky /tmp.
        asNobody(child -> {
            Path stale = Path.of("/tmp/.java_pid" + child.pid());
            try (var server = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
                server.bind(java.net.UnixDomainSocketAddress.of(stale));
            }
            // Owner-only, as HotSpot makes it, so the JDK's own check passes and the connect is refused.
            java.nio.file.Files.setPosixFilePermissions(stale, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            try {
                assertThat(stale).exists();
                assertRefusedForTheAgentJar(child);
            } finally {
                java.nio.file.Files.deleteIfExists(stale);
            }
        });
    }

    /** What root sees attaching to a 'nobody' JVM: attach works, but that user cannot read root's agent jar. */
    private static void assertRefusedForTheAgentJar(ChildJvm child) {
        assertThatThrownBy(() -> AgentClient.connect(child.pid()))
                .isInstanceOf(NotSupportedException.class)
                .hasMessageContaining("runs as user 'nobody'")
                .hasMessageContaining("cannot read the agent jar " + AgentJar.path())
                .hasMessageContaining("sudo -u nobody");
        assertThat(child.isAlive()).isTrue();
        assertThat(child.output()).noneMatch(l -> l.contains("hotpatch"));
    }

    private interface ChildCheck {
        void run(ChildJvm child) throws Exception;
    }

    /** Runs {@code check} against a sleeper JVM started as user 'nobody'; needs root. */
    private static void asNobody(ChildCheck check) throws Exception {
        if (dev.hotpatch.format.OwnerOnly.myUid() != 0) {
            throw new AssertionError("this test starts a JVM as user 'nobody' with setpriv, which needs root; run it as root (CI does)");
        }
        Path shared = java.nio.file.Files.createTempDirectory("hotpatch-sleeper-");
        try {
            java.nio.file.Files.setPosixFilePermissions(shared, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            ChildJvm.compileSleeper(shared);
            for (Path f : List.of(shared.resolve("Sleeper.class"), shared.resolve("Sleeper.java"))) {
                java.nio.file.Files.setPosixFilePermissions(f, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            }
            try (ChildJvm child = ChildJvm.startAs(List.of("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"),
                    ChildJvm.java17(), shared)) {
                check.run(child);
            }
        } finally {
            try (var files = java.nio.file.Files.walk(shared)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static JvmInfo find(List<JvmInfo> jvms, long pid) {
        return jvms.stream().filter(j -> j.pid() == pid).findFirst()
                .orElseThrow(() -> new AssertionError("pid " + pid + " not listed in " + jvms));
    }
}
