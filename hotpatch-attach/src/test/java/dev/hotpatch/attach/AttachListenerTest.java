package dev.hotpatch.attach;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.tools.attach.VirtualMachine;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Starting HotSpot's attach listener without the JDK's sleeps, against real JVMs: the socket is
 * there when {@link AttachListener#start} returns, nothing is left behind, and a JVM that will not
 * start a listener is never sent SIGQUIT (it would print a thread dump into the application's output).
 */
class AttachListenerTest {
    private static final String THREAD_DUMP = "Full thread dump";

    @TempDir
    static Path classes;

    @BeforeAll
    static void compile() throws Exception {
        ChildJvm.compileSleeper(classes);
    }

    @Test
    void nativeSignal_startsTheListenerOfAFreshJava17Jvm() throws Exception {
        // This module's tests run with the package opened, as hotpatch.jar's manifest opens it.
        AttachListener.Signaller signaller = AttachListener.Signaller.find().orElseThrow();
        assertThat(signaller).isInstanceOf(AttachListener.Native.class);
        startsAndAttaches(ChildJvm.java17(), signaller);
    }

    @Test
    void killCommand_startsTheListenerOfAFreshJava25Jvm() throws Exception {
        startsAndAttaches(ChildJvm.java25(), new AttachListener.Command("/bin/kill"));
    }

    @Test
    void nativeSignal_startsTheListenerOfAFreshJava25Jvm() throws Exception {
        startsAndAttaches(ChildJvm.java25(), AttachListener.Signaller.find().orElseThrow());
    }

    @Test
    void killCommand_startsTheListenerOfAFreshJava17Jvm() throws Exception {
        startsAndAttaches(ChildJvm.java17(), new AttachListener.Command("/bin/kill"));
    }

    private static void startsAndAttaches(Path java, AttachListener.Signaller signaller) throws Exception {
        ChildJvm child = ChildJvm.start(java, classes);
        try (child) {
            long pid = child.pid();
            Path socket = Path.of("/proc", Long.toString(pid), "root", "tmp", ".java_pid" + pid);
            assertThat(socket).doesNotExist();

            assertThat(AttachListener.start(OsProcess.of(pid).orElseThrow(), signaller)).isTrue();

            assertThat(socket).exists();
            assertThat(Path.of("/proc", Long.toString(pid), "cwd", ".attach_pid" + pid)).doesNotExist();
            assertThat(Path.of("/tmp", ".attach_pid" + pid)).doesNotExist();
            VirtualMachine vm = VirtualMachine.attach(Long.toString(pid));
            try {
                assertThat(vm.getSystemProperties().getProperty("java.version")).isNotEmpty();
            } finally {
                vm.detach();
            }
            assertThat(child.isAlive()).isTrue();
        }
        assertThat(child.output()).noneMatch(line -> line.contains(THREAD_DUMP));
    }

    @Test
    void attach_connectsToAFreshJvmDirectly_onJava17And25() throws Exception {
        for (Path java : List.of(ChildJvm.java17(), ChildJvm.java25())) {
            try (ChildJvm child = ChildJvm.start(java, classes)) {
                VirtualMachine vm = AttachListener.attach(OsProcess.of(child.pid()).orElseThrow());
                try {
                    // The direct connection (this module's tests run with the package open) is the JDK's own class.
                    assertThat(vm.getClass().getName()).isEqualTo("sun.tools.attach.VirtualMachineImpl");
                    assertThat(vm.id()).isEqualTo(Long.toString(child.pid()));
                    assertThat(vm.getSystemProperties().getProperty("java.home")).isEqualTo(java.getParent().getParent().toString());
                } finally {
                    vm.detach();
                }
            }
        }
    }

    @Test
    void attach_toAJvmWithAttachDisabled_givesTheJdksRefusal() throws Exception {
        try (ChildJvm child = ChildJvm.start(ChildJvm.java17(), classes, "-XX:+DisableAttachMechanism")) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> AttachListener.attach(OsProcess.of(child.pid()).orElseThrow()))
                    .isInstanceOf(com.sun.tools.attach.AttachNotSupportedException.class)
                    .hasMessageContaining("does not support the attach mechanism");
        }
    }

    @Test
    void aRunningListener_isNotSignalledAgain() throws Exception {
        try (ChildJvm child = ChildJvm.start(ChildJvm.java17(), classes)) {
            OsProcess process = OsProcess.of(child.pid()).orElseThrow();
            CountingSignaller counting = new CountingSignaller();
            assertThat(AttachListener.start(process, counting)).isTrue();
            assertThat(counting.sent.get()).isEqualTo(1);

            assertThat(AttachListener.start(process, counting)).isTrue();

            assertThat(counting.sent.get()).isEqualTo(1);
        }
    }

    @Test
    void aJvmWithAttachDisabled_isLeftToTheJdkAndNeverSignalled() throws Exception {
        CountingSignaller counting = new CountingSignaller();
        ChildJvm child = ChildJvm.start(ChildJvm.java17(), classes, "-XX:+DisableAttachMechanism");
        try (child) {
            assertThat(AttachListener.start(OsProcess.of(child.pid()).orElseThrow(), counting)).isFalse();

            assertThat(counting.sent.get()).isZero();
            assertThat(Path.of("/proc", Long.toString(child.pid()), "cwd", ".attach_pid" + child.pid())).doesNotExist();
        }
        // Its whole output, read to its exit: a SIGQUIT would have printed a thread dump into it.
        assertThat(child.output()).noneMatch(line -> line.contains(THREAD_DUMP));
    }

    @Test
    void aJvmWithoutPerformanceData_isLeftToTheJdk() throws Exception {
        try (ChildJvm child = ChildJvm.start(ChildJvm.java17(), classes, "-XX:-UsePerfData")) {
            CountingSignaller counting = new CountingSignaller();

            assertThat(AttachListener.start(OsProcess.of(child.pid()).orElseThrow(), counting)).isFalse();

            assertThat(counting.sent.get()).isZero();
        }
    }

    @Test
    void aSignalThatCannotBeSent_leavesNoTriggerFileBehind() throws Exception {
        try (ChildJvm child = ChildJvm.start(ChildJvm.java17(), classes)) {
            long pid = child.pid();

            assertThat(AttachListener.start(OsProcess.of(pid).orElseThrow(), new AttachListener.Command("/bin/false"))).isFalse();

            assertThat(Path.of("/proc", Long.toString(pid), "cwd", ".attach_pid" + pid)).doesNotExist();
            assertThat(Path.of("/proc", Long.toString(pid), "root", "tmp", ".java_pid" + pid)).doesNotExist();
        }
    }

    @Test
    void training_runsTheHandshakesCodeAndLeavesNoFolderBehind() throws Exception {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        List<Path> before = leftovers(tmp);

        ChannelWarmup.attachHandshakeOnce();

        assertThat(leftovers(tmp)).isEqualTo(before);
    }

    private static List<Path> leftovers(Path tmp) throws Exception {
        try (java.util.stream.Stream<Path> s = Files.list(tmp)) {
            return s.filter(p -> p.getFileName().toString().startsWith("hotpatch-attach-")).sorted().toList();
        }
    }

    @Test
    void perfData_ofARealJvm_saysWhetherItAcceptsAttach() throws Exception {
        try (ChildJvm open = ChildJvm.start(ChildJvm.java17(), classes);
             ChildJvm closed = ChildJvm.start(ChildJvm.java25(), classes, "-XX:+DisableAttachMechanism")) {
            assertThat(PerfData.attachable(perfFile(open.pid()))).contains(true);
            assertThat(PerfData.attachable(perfFile(closed.pid()))).contains(false);
            assertThat(PerfData.string(perfFile(open.pid()), "java.property.java.vm.name")).hasValueSatisfying(
                    name -> assertThat(name).contains("VM"));
        }
    }

    @Test
    void perfData_malformedOrMissing_isUnknown(@TempDir Path dir) throws Exception {
        assertThat(PerfData.attachable(dir.resolve("absent"))).isEmpty();
        for (ByteOrder order : List.of(ByteOrder.BIG_ENDIAN, ByteOrder.LITTLE_ENDIAN)) {
            ByteBuffer good = buffer(order, "sun.rt.jvmCapabilities", "1000000000000000000000000000000000000000000000000000000000000000");
            assertThat(PerfData.find(good.duplicate(), "sun.rt.jvmCapabilities")).contains(
                    "1000000000000000000000000000000000000000000000000000000000000000");
            assertThat(PerfData.find(good.duplicate(), "sun.rt.jvmCapabilitie")).isEmpty();

            ByteBuffer badMagic = copy(good);
            badMagic.put(0, (byte) 0);
            assertThat(PerfData.find(badMagic, "sun.rt.jvmCapabilities")).isEmpty();

            ByteBuffer notReady = copy(good);
            notReady.put(7, (byte) 0);
            assertThat(PerfData.find(notReady, "sun.rt.jvmCapabilities")).isEmpty();

            ByteBuffer tooLong = copy(good);
            tooLong.order(order).putInt(32, 1 << 20);
            assertThat(PerfData.find(tooLong, "sun.rt.jvmCapabilities")).isEmpty();

            ByteBuffer negativeOffset = copy(good);
            negativeOffset.order(order).putInt(24, -4);
            assertThat(PerfData.find(negativeOffset, "sun.rt.jvmCapabilities")).isEmpty();

            ByteBuffer truncated = copy(good);
            truncated.limit(40);
            assertThat(PerfData.find(truncated, "sun.rt.jvmCapabilities")).isEmpty();

            Path file = dir.resolve("data-" + order);
            byte[] bytes = new byte[good.limit()];
            good.duplicate().get(bytes);
            Files.write(file, bytes);
            assertThat(PerfData.attachable(file)).contains(true);
        }
    }

    /** A one-entry performance-data buffer holding string counter {@code name}. */
    private static ByteBuffer buffer(ByteOrder order, String name, String value) {
        byte[] n = (name + "\0").getBytes(StandardCharsets.US_ASCII);
        byte[] v = (value + "\0").getBytes(StandardCharsets.US_ASCII);
        int entry = 20 + n.length + v.length;
        ByteBuffer b = ByteBuffer.allocate(32 + entry);
        b.order(ByteOrder.BIG_ENDIAN).putInt(0, 0xcafec0c0);
        b.put(4, (byte) (order == ByteOrder.BIG_ENDIAN ? 0 : 1));
        b.put(5, (byte) 2);
        b.put(7, (byte) 1);
        b.order(order);
        b.putInt(24, 32);
        b.putInt(28, 1);
        b.putInt(32, entry);
        b.putInt(36, 20);
        b.putInt(40, v.length);
        b.put(44, (byte) 'B');
        b.putInt(48, 20 + n.length);
        b.put(52, n);
        b.put(52 + n.length, v);
        return b;
    }

    private static ByteBuffer copy(ByteBuffer b) {
        ByteBuffer c = ByteBuffer.allocate(b.limit());
        c.put(b.duplicate());
        c.flip();
        return c;
    }

    private static Path perfFile(long pid) {
        return Path.of("/tmp", "hsperfdata_" + System.getProperty("user.name"), Long.toString(pid));
    }

    /** Counts the signals instead of sending them, then sends them for real (with kill(1)). */
    private static final class CountingSignaller extends AttachListener.Signaller {
        final AtomicInteger sent = new AtomicInteger();
        private final AttachListener.Command real = new AttachListener.Command("/bin/kill");

        @Override
        boolean quit(long pid) {
            sent.incrementAndGet();
            return real.quit(pid);
        }
    }
}
