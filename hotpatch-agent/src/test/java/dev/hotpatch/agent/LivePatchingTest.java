package dev.hotpatch.agent;

import static dev.hotpatch.agent.AgentHarness.FEES_V1;
import static dev.hotpatch.agent.AgentHarness.FEES_V2;
import static dev.hotpatch.agent.AgentHarness.FEES_V3;
import static dev.hotpatch.agent.AgentHarness.LATE_V1;
import static dev.hotpatch.agent.AgentHarness.LATE_V2;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpatch.format.ClassPatch;
import dev.hotpatch.format.Classification;
import dev.hotpatch.format.PackageManifest;
import dev.hotpatch.format.PackageWriter;
import dev.hotpatch.format.Sha256;
import dev.hotpatch.format.SigningKey;
import dev.hotpatch.format.channel.Message;
import dev.hotpatch.testkit.JarMaker;
import dev.hotpatch.testkit.TargetJvm;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The agent in real target JVMs (Java 17 and 25), driven over its real channel. */
class LivePatchingTest {
    @TempDir
    static Path dir;
    static AgentHarness h;
    static Path fix;

    @TempDir
    Path state;

    @BeforeAll
    static void setUp() throws IOException {
        h = new AgentHarness(dir);
        fix = h.pkg("KB2026-0001", FEES_V2, LATE_V2);
    }

    @ParameterizedTest
    @MethodSource("dev.hotpatch.agent.AgentHarness#jdks")
    void apply_changesRunningCodeWithoutRestart(Path java) {
        try (TargetJvm app = h.start(java, state)) {
            assertThat(app.request("fee 1030", "fee=")).isEqualTo("fee=25");
            Message r = h.apply(app, fix);
            assertThat(r.get("status")).as(r.toString()).isEqualTo("ok");
            assertThat(r.get("classes.count")).isEqualTo("2");
            assertThat(r.fields()).containsEntry("classes.0.name", "acme/Fees").containsEntry("classes.0.loaders", "1")
                    .containsEntry("classes.1.name", "acme/Late").containsEntry("classes.1.pending", "true");
            assertThat(app.request("fee 1030", "fee=")).isEqualTo("fee=26");
            assertThat(app.isAlive()).isTrue();
        }
    }

    @ParameterizedTest
    @MethodSource("dev.hotpatch.agent.AgentHarness#jdks")
    void apply_patchesClassesThatLoadLater(Path java) {
        try (TargetJvm app = h.start(java, state)) {
            assertThat(h.apply(app, fix).get("status")).isEqualTo("ok");
            assertThat(app.request("late 1030", "late=")).isEqualTo("late=21");
            Message list = h.send(app, "op", "list");
            assertThat(list.fields()).containsEntry("installed.0.classes.1.name", "acme/Late")
                    .containsEntry("installed.0.classes.1.loaders", "1");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.hotpatch.agent.AgentHarness#jdks")
    void apply_patchesTheClassInEveryClassLoader(Path java) {
        try (TargetJvm app = h.start(java, state)) {
            assertThat(app.request("fee 1030", "fee=")).isEqualTo("fee=25");
            assertThat(app.request("iso 1030", "iso=")).isEqualTo("iso=25");
            Message r = h.apply(app, fix);
            assertThat(r.fields()).as(r.toString()).containsEntry("classes.0.loaders", "2");
            assertThat(app.request("fee 1030", "fee=")).isEqualTo("fee=26");
            assertThat(app.request("iso 1030", "iso=")).isEqualTo("iso=26");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.hotpatch.agent.AgentHarness#jdks")
    void uninstall_restoresThePreviousCodeLive(Path java) {
        try (TargetJvm app = h.start(java, state)) {
            h.apply(app, fix);
            assertThat(app.request("late 1030", "late=")).isEqualTo("late=21");
            Message r = h.send(app, "op", "uninstall", "actor", "test");
            assertThat(r.get("status")).as(r.toString()).isEqualTo("ok");
            assertThat(r.get("id")).isEqualTo("KB2026-0001");
            assertThat(app.request("fee 1030", "fee=")).isEqualTo("fee=25");
            assertThat(app.request("late 1030", "late=")).isEqualTo("late=20");
            assertThat(h.send(app, "op", "list").get("installed.count")).isEqualTo("0");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.hotpatch.agent.AgentHarness#jdks")
    void apply_isANoopWhenTheSamePackageIsInstalled(Path java) {
        try (TargetJvm app = h.start(java, state)) {
            assertThat(h.apply(app, fix).get("status")).isEqualTo("ok");
            Message again = h.apply(app, fix);
            assertThat(again.get("status")).isEqualTo("noop");
            assertThat(again.get("message")).contains("already installed");
            assertThat(h.send(app, "op", "list").get("installed.count")).isEqualTo("1");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.hotpatch.agent.AgentHarness#jdks")
    void concurrentApplies_areSerialised(Path java) throws Exception {
        try (TargetJvm app = h.start(java, state)) {
            Path socket = h.socket(app);
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<Message>> replies = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    replies.add(pool.submit(() -> AgentHarness.send(socket, Message.of("op", "apply", "package", fix.toString(),
                            "trust", h.keyDir.toString()))));
                }
                List<String> statuses = new ArrayList<>();
                for (Future<Message> f : replies) {
                    statuses.add(f.get().get("status"));
                }
                assertThat(statuses).containsOnlyOnce("ok").containsOnly("ok", "noop");
            } finally {
                pool.shutdownNow();
            }
            assertThat(app.request("fee 1030", "fee=")).isEqualTo("fee=26");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.hotpatch.agent.AgentHarness#jdks")
    void enrolledJvm_keepsItsHotpatchesAcrossARestart(Path java) {
        String agent = "-javaagent:" + h.agentJar + "=name=shop,trust=" + h.keyDir;
        try (TargetJvm app = h.start(java, state, agent)) {
            Message r = AgentHarness.send(h.socket(app), Message.of("op", "apply", "package", fix.toString(), "actor", "test"));
            assertThat(r.get("status")).as(r.toString()).isEqualTo("ok");
            assertThat(app.request("fee 1030", "fee=")).isEqualTo("fee=26");
        }
        try (TargetJvm restarted = h.start(java, state, agent)) {
            assertThat(restarted.request("fee 1030", "fee=")).isEqualTo("fee=26");
            assertThat(restarted.request("late 1030", "late=")).isEqualTo("late=21");
            Message list = h.send(restarted, "op", "list");
            assertThat(list.fields()).containsEntry("installed.0.id", "KB2026-0001").containsEntry("installed.0.installedBy", "test")
                    .containsEntry("installed.0.persisted", "true");
            assertThat(restarted.output()).noneMatch(l -> l.contains("WARNING: A Java agent has been loaded dynamically"));
        }
    }

    @ParameterizedTest
    @MethodSource("dev.hotpatch.agent.AgentHarness#jdks")
    void attachedAgent_neverBringsAHotpatchIntoAnotherJvmWithTheSameMainClass(Path java) {
        // Issue 10 item 9: state was kept per main class, so the next attach to *another* JVM re-applied it.
        try (TargetJvm first = h.start(java, state)) {
            Message r = h.apply(first, fix);
            assertThat(r.get("status")).as(r.toString()).isEqualTo("ok");
            assertThat(r.get("message")).contains("live in this JVM only");
            assertThat(h.send(first, "op", "list").fields()).containsEntry("installed.0.persisted", "false")
                    .containsEntry("mode", "attached");
        }
        try (TargetJvm other = h.start(java, state)) {
            assertThat(other.request("fee 1030", "fee=")).isEqualTo("fee=25");
            Message ping = h.send(other, "op", "ping");
            assertThat(ping.get("mode")).isEqualTo("attached");
            assertThat(other.request("fee 1030", "fee=")).as("nothing re-applied by the attach").isEqualTo("fee=25");
            assertThat(h.send(other, "op", "list").get("installed.count")).isEqualTo("0");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.hotpatch.agent.AgentHarness#jdks")
    void twoEnrolledJvmsWithOneStateFolder_theSecondRefusesToApply(Path java) {
        String agent = "-javaagent:" + h.agentJar + "=trust=" + h.keyDir;
        try (TargetJvm first = h.start(java, state, agent); TargetJvm second = h.start(java, state, agent)) {
            assertThat(h.apply(first, fix).get("status")).isEqualTo("ok");
            Message r = h.apply(second, fix);
            assertThat(r.get("status")).as("a fix that would vanish at restart is not installed").isEqualTo("refused");
            assertThat(r.get("message")).contains("another running JVM", "-Dhotpatch.machine", "nothing was changed");
            assertThat(second.request("fee 1030", "fee=")).isEqualTo("fee=25");
            assertThat(h.send(first, "op", "list").get("installed.0.persisted")).isEqualTo("true");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.hotpatch.agent.AgentHarness#jdks")
    void supersedingHotpatch_replacesTheInstalledOneAndUninstallGoesBack(Path java) throws IOException {
        Path next = h.pkg("KB2026-0002", FEES_V3, LATE_V2, List.of("KB2026-0001"), h.key);
        try (TargetJvm app = h.start(java, state)) {
            h.apply(app, fix);
            assertThat(app.request("fee 1030", "fee=")).isEqualTo("fee=26");
            Message r = h.apply(app, next);
            assertThat(r.get("status")).as(r.toString()).isEqualTo("ok");
            assertThat(app.request("fee 1030", "fee=")).isEqualTo("fee=1026");
            assertThat(h.send(app, "op", "list").fields()).containsEntry("installed.0.active", "false")
                    .containsEntry("installed.1.active", "true");
            Message refused = h.send(app, "op", "uninstall", "id", "KB2026-0001");
            assertThat(refused.get("status")).isEqualTo("refused");
            assertThat(refused.get("message")).contains("superseded by KB2026-0002");
            assertThat(h.send(app, "op", "uninstall").get("status")).isEqualTo("ok");
            assertThat(app.request("fee 1030", "fee=")).isEqualTo("fee=26");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.hotpatch.agent.AgentHarness#jdks")
    void apply_refusesAPackageThatDoesNotSupersedeTheInstalledPatch(Path java) throws IOException {
        Path rival = h.pkg("KB2026-0009", FEES_V3, LATE_V1, List.of(), h.key);
        try (TargetJvm app = h.start(java, state)) {
            h.apply(app, fix);
            Message r = h.apply(app, rival);
            assertThat(r.get("status")).isEqualTo("refused");
            assertThat(r.get("message")).contains("acme/Fees is already patched by KB2026-0001", "--supersedes KB2026-0001");
            assertThat(app.request("fee 1030", "fee=")).isEqualTo("fee=26");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.hotpatch.agent.AgentHarness#jdks")
    void apply_refusesTamperedUnsignedAndUntrustedPackagesAndChangesNothing(Path java) throws IOException {
        Path tampered = tamper(fix, dir.resolve("tampered.hotpatch"));
        Path unsigned = dir.resolve("unsigned.hotpatch");
        PackageWriter.writeUnsigned(dev.hotpatch.format.HotpatchPackage.read(fix, false).manifest(), unsigned);
        SigningKey stranger = existingOrNew(dir.resolve("stranger"));
        Path untrusted = h.pkg("KB2026-0007", FEES_V2, LATE_V2, List.of(), stranger);
        try (TargetJvm app = h.start(java, state)) {
            assertThat(refusal(app, tampered)).contains("modified after signing");
            assertThat(refusal(app, unsigned)).contains("not signed");
            assertThat(refusal(app, untrusted)).contains("not a trusted publisher");
            assertThat(app.request("fee 1030", "fee=")).isEqualTo("fee=25");
            assertThat(h.send(app, "op", "list").get("installed.count")).isEqualTo("0");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.hotpatch.agent.AgentHarness#jdks")
    void apply_refusesWhenTheRunningBytesAreNotTheBaseline(Path java) throws IOException {
        // A package built against a different build of Fees (c / 41): the running bytes do not match.
        Map<String, byte[]> other = AgentHarness.classes(JarMaker.compile(dir.resolve("other.jar"),
                AgentHarness.sources(AgentHarness.fees("return c / 41;"), LATE_V1), List.of(), 11));
        Map<String, byte[]> v2 = AgentHarness.classes(JarMaker.compile(dir.resolve("v2.jar"),
                AgentHarness.sources(FEES_V2, LATE_V1), List.of(), 11));
        Path wrong = dir.resolve("wrong-" + Math.abs(java.hashCode()) + ".hotpatch");
        PackageWriter.write(PackageManifest.builder().id("KB2026-0003").title("wrong baseline").classification(Classification.SECURITY)
                .published(Instant.now()).addClass(ClassPatch.replace("acme/Fees", Sha256.hex(other.get("acme/Fees")), v2.get("acme/Fees")))
                .build(), h.key, wrong);
        try (TargetJvm app = h.start(java, state)) {
            assertThat(refusal(app, wrong)).as("Fees not loaded yet: checked on the class path")
                    .contains("acme/Fees on this JVM's class path does not match the baseline");
            app.request("fee 1", "fee=");
            String why = refusal(app, wrong);
            assertThat(why).contains("acme/Fees", "does not match the baseline", "nothing was changed");
            assertThat(app.request("fee 1030", "fee=")).isEqualTo("fee=25");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.hotpatch.agent.AgentHarness#jdks")
    void apply_reportsTheJvmsRefusalAndChangesNothing(Path java) throws IOException {
        // Bypasses the builder: a new method cannot be redefined, and Late's valid change must not land either.
        String addsMethod = "package acme; public class Fees { public static long fee(long c) { return round(c); }"
                + " static long round(long c) { return (c + 20) / 40; } }";
        Path bad = h.pkg("KB2026-0004-" + Math.abs(java.hashCode()), addsMethod, LATE_V2, List.of(), h.key);
        try (TargetJvm app = h.start(java, state)) {
            app.request("fee 1", "fee=");
            app.request("late 1", "late=");
            String why = refusal(app, bad);
            assertThat(why).contains("the JVM refused to redefine", "acme.Fees");
            assertThat(app.request("fee 1030", "fee=")).isEqualTo("fee=25");
            assertThat(app.request("late 1030", "late=")).isEqualTo("late=20");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.hotpatch.agent.AgentHarness#jdks")
    void apply_refusesAPackageForALibraryThisJvmDoesNotContain_unlessPendingIsAllowed(Path java) throws IOException {
        // Issue 10 item 10: it used to answer "Installed ... pending: patched when it loads".
        Map<String, byte[]> lib1 = AgentHarness.classes(JarMaker.compile(dir.resolve("widget-1.jar"),
                Map.of("lib.Widget", "package lib; public class Widget { public static int size() { return 1; } }"), List.of(), 11));
        Map<String, byte[]> lib2 = AgentHarness.classes(JarMaker.compile(dir.resolve("widget-2.jar"),
                Map.of("lib.Widget", "package lib; public class Widget { public static int size() { return 2; } }"), List.of(), 11));
        Path foreign = dir.resolve("widget-fix-" + Math.abs(java.hashCode()) + ".hotpatch");
        PackageWriter.write(PackageManifest.builder().id("KB2026-0042").title("Widget fix").classification(Classification.SECURITY)
                .published(Instant.now()).baseline("sha256:0123456789abcdef")
                .addClass(ClassPatch.replace("lib/Widget", Sha256.hex(lib1.get("lib/Widget")), lib2.get("lib/Widget"))).build(),
                h.key, foreign);
        try (TargetJvm app = h.start(java, state)) {
            String why = refusal(app, foreign);
            assertThat(why).contains("none of the classes of KB2026-0042 (lib.Widget) is loaded in this JVM or on its class path",
                    "does not match the baseline (sha256:0123456789abcdef)", "--allow-pending");
            assertThat(h.send(app, "op", "list").get("installed.count")).isEqualTo("0");

            Message r = h.send(app, "op", "apply", "package", foreign.toString(), "trust", h.keyDir.toString(), "allowPending", "true");

            assertThat(r.get("status")).as(r.toString()).isEqualTo("ok");
            assertThat(r.fields()).containsEntry("classes.0.name", "lib/Widget").containsEntry("classes.0.pending", "true");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.hotpatch.agent.AgentHarness#jdks")
    void list_reportsTheHashOfTheBytesEachLoadedCopyRuns(Path java) throws IOException {
        // Issue 10 item 11: "verified" compared the package with itself; now each copy's bytes in use are reported.
        String patched = Sha256.hex(dev.hotpatch.format.HotpatchPackage.read(fix, false).manifest().classes().get(0).bytes());
        String baseline = dev.hotpatch.format.HotpatchPackage.read(fix, false).manifest().classes().get(0).baselineSha256();
        try (TargetJvm app = h.start(java, state)) {
            app.request("fee 1", "fee=");
            assertThat(h.apply(app, fix).get("status")).isEqualTo("ok");
            app.request("iso 1", "iso=");

            Message list = h.send(app, "op", "list");

            assertThat(list.fields()).containsEntry("installed.0.classes.0.name", "acme/Fees")
                    .containsEntry("installed.0.classes.0.copies.count", "2").containsEntry("installed.0.classes.0.loaders", "2")
                    .containsEntry("installed.0.classes.0.copies.0.sha256", patched)
                    .containsEntry("installed.0.classes.0.copies.1.sha256", patched);
            assertThat(list.get("installed.0.classes.0.copies.0.loader")).isNotEqualTo(list.get("installed.0.classes.0.copies.1.loader"));

            assertThat(h.send(app, "op", "uninstall").get("status")).isEqualTo("ok");
        }
        try (TargetJvm app = h.start(java, state)) {
            app.request("fee 1", "fee=");
            assertThat(h.apply(app, fix).get("status")).isEqualTo("ok");
            assertThat(h.send(app, "op", "uninstall").get("status")).isEqualTo("ok");
            assertThat(h.apply(app, fix).get("status")).isEqualTo("ok");
            Message list = h.send(app, "op", "list");
            assertThat(list.fields()).as("the bytes redefined last").containsEntry("installed.0.classes.0.copies.0.sha256", patched);
            assertThat(patched).isNotEqualTo(baseline);
        }
    }

    @ParameterizedTest
    @MethodSource("dev.hotpatch.agent.AgentHarness#jdks")
    void apply_ofAPackageWithOnlyItsJarSignature_checksAPrivateCopy_andLeavesNone(Path java, @TempDir Path tmp) throws IOException {
        // Packages built before manifest signatures carry only the JAR signature, which the JDK
        // checks on files only: the agent writes the bytes it read to its private folder for that.
        Path jarOnly = withoutManifestSignature(fix, dir.resolve("jar-only-unchanged.hotpatch"), false);
        Path jarOnlyTampered = withoutManifestSignature(fix, dir.resolve("jar-only-tampered.hotpatch"), true);
        try (java.util.zip.ZipFile z = new java.util.zip.ZipFile(jarOnly.toFile())) {
            assertThat(z.getComment()).as("no manifest signature").isNull();
        }
        try (TargetJvm app = h.start(java, state, "-Djava.io.tmpdir=" + tmp)) {
            assertThat(refusal(app, jarOnlyTampered)).contains("modified after signing");

            Message r = h.apply(app, jarOnly);

            assertThat(r.get("status")).as(r.toString()).isEqualTo("ok");
            assertThat(app.request("fee 1030", "fee=")).isEqualTo("fee=26");
            try (java.util.stream.Stream<Path> left = Files.walk(tmp)) {
                assertThat(left.filter(p -> p.getFileName().toString().startsWith("pkg-"))).as("staged copies left").isEmpty();
            }
        }
    }

    @ParameterizedTest
    @MethodSource("dev.hotpatch.agent.AgentHarness#jdks")
    @org.junit.jupiter.api.Timeout(value = 60, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
    void channel_answersOthersWhileClientsHoldConnectionsWithoutSendingARequest(Path java) throws IOException {
        // Each connection has a thread of its own: clients that connect and say nothing (a hung tool)
        // hold only theirs, and the agent goes on accepting and answering.
        try (TargetJvm app = h.start(java, state)) {
            Path socket = h.socket(app);
            List<SocketChannel> silent = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    silent.add(SocketChannel.open(UnixDomainSocketAddress.of(socket)));
                    assertThat(AgentHarness.send(socket, Message.of("op", "list")).get("status")).isEqualTo("ok");
                }
                Message r = h.apply(app, fix);
                assertThat(r.get("status")).as(r.toString()).isEqualTo("ok");
                for (int i = 0; i < 20; i++) {
                    assertThat(AgentHarness.send(socket, Message.of("op", "ping")).get("status")).isEqualTo("ok");
                }
            } finally {
                for (SocketChannel c : silent) {
                    c.close();
                }
            }
            assertThat(AgentHarness.send(socket, Message.of("op", "list")).get("installed.count")).isEqualTo("1");
        }
    }

    private String refusal(TargetJvm app, Path pkg) {
        Message r = h.apply(app, pkg);
        assertThat(r.get("status")).as(r.toString()).isEqualTo("refused");
        return r.get("message");
    }

    private static SigningKey existingOrNew(Path d) {
        return Files.exists(d.resolve("signing.p12")) ? SigningKey.load(d) : SigningKey.generate(d, "CN=Stranger");
    }

    /** Copies a package, changing one byte of a class entry but keeping the signature files and the manifest signature. */
    static Path tamper(Path in, Path out) throws IOException {
        String comment;
        try (java.util.zip.ZipFile z = new java.util.zip.ZipFile(in.toFile())) {
            comment = z.getComment();
        }
        return copy(in, out, comment, true);
    }

    /** Copies a package without its manifest signature (as packages were built before it), changing a class byte when {@code change}. */
    static Path withoutManifestSignature(Path in, Path out, boolean change) throws IOException {
        return copy(in, out, null, change);
    }

    private static Path copy(Path in, Path out, String comment, boolean change) throws IOException {
        try (ZipInputStream zin = new ZipInputStream(Files.newInputStream(in));
             ZipOutputStream zout = new ZipOutputStream(Files.newOutputStream(out))) {
            if (comment != null) {
                zout.setComment(comment);
            }
            for (ZipEntry e; (e = zin.getNextEntry()) != null; ) {
                byte[] data = zin.readAllBytes();
                if (change && e.getName().endsWith(".class")) {
                    data[data.length / 2] ^= 0x01;
                }
                zout.putNextEntry(new ZipEntry(e.getName()));
                zout.write(data);
                zout.closeEntry();
            }
        }
        return out;
    }

}
