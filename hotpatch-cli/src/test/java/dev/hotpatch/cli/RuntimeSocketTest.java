package dev.hotpatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.testkit.JarMaker;
import dev.hotpatch.testkit.Jdks;
import dev.hotpatch.testkit.TargetJvm;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Enrolled JVMs reached through the socket in their user's runtime folder, without the JDK attach
 * handshake: apply, list and uninstall over it on Java 17 and 25; the fall back to attach when
 * there is no usable socket; a stale socket of a dead JVM; a runtime folder opened to others; and
 * another OS user ({@code hptarget}) kept out.
 */
class RuntimeSocketTest {
    /** Connects to a socket as whoever runs it, sends a ping frame and says what happened. */
    private static final String KNOCK = "public class Knock {\n"
            + "  public static void main(String[] a) throws Exception {\n"
            + "    try (java.nio.channels.SocketChannel c = java.nio.channels.SocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {\n"
            + "      c.connect(java.net.UnixDomainSocketAddress.of(a[0]));\n"
            + "      byte[] body = \"op=ping\\n\".getBytes();\n"
            + "      c.write(java.nio.ByteBuffer.allocate(4 + body.length).putInt(body.length).put(body).flip());\n"
            + "      java.nio.ByteBuffer in = java.nio.ByteBuffer.allocate(4096);\n"
            + "      int n = c.read(in);\n"
            + "      System.out.println(n <= 0 ? \"knock: closed without a reply\" : \"knock: answered \" + new String(in.array(), 4, n - 4));\n"
            + "    } catch (java.io.IOException e) {\n"
            + "      System.out.println(\"knock: \" + e);\n"
            + "    }\n"
            + "    System.out.println(\"knock: done\");\n"
            + "  }\n"
            + "}\n";

    @TempDir
    static Path tmp;
    static Path keys;
    static Path v1;
    static Path fix;
    /** World-readable scratch folder for what the other user must read (its program) or reach (a link). */
    static Path shared;

    @BeforeAll
    static void packages() throws IOException {
        keys = tmp.resolve("keys");
        assertThat(CliRun.of("keygen", "--out", keys.toString()).exit()).isZero();
        v1 = jar("v1", "c / 100");
        fix = build("KB2026-0301", v1, jar("v2", "Math.max(0, c) / 50"));
        shared = Files.createTempDirectory("hotpatch-socket-test-");
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @AfterAll
    static void cleanUp() throws IOException {
        try (Stream<Path> s = Files.walk(shared)) {
            s.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
        }
    }

    static List<Path> javas() {
        return Jdks.all();
    }

    @ParameterizedTest
    @MethodSource("javas")
    void applyListUninstall_onEnrolledJvm_goOverTheRuntimeSocket_withoutAttaching(Path java) throws IOException {
        Path runtime = privateFolder("xdg-a-" + Jdks.featureVersion(java));
        try (TargetJvm target = enrolled(java, runtime, "shop-a", null)) {
            String pid = Long.toString(target.pid());
            Path socket = runtime.resolve("hotpatch").resolve(pid + ".sock");
            assertThat(socket).exists();
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(runtime.resolve("hotpatch")))).isEqualTo("rwx------");

            JsonNode apply = CliRun.of("apply", "--pid", pid, fix.toString(), "--trust", keys.toString(), "--json").json();
            assertThat(apply.get("status").asText()).as(apply.toString()).isEqualTo("ok");
            assertThat(apply.get("reachedBy").asText()).isEqualTo("socket");
            assertThat(apply.get("mode").asText()).isEqualTo("enrolled");
            assertThat(target.request("fee 1000", "fee 1000")).isEqualTo("fee 1000 = 20");

            JsonNode list = CliRun.of("list", "--pid", pid, "--json").json();
            assertThat(list.get("reachedBy").asText()).isEqualTo("socket");
            assertThat(list.at("/installed/0/hotFixId").asText()).isEqualTo("KB2026-0301");

            JsonNode uninstall = CliRun.of("uninstall", "--pid", pid, "--json").json();
            assertThat(uninstall.get("status").asText()).as(uninstall.toString()).isEqualTo("ok");
            assertThat(uninstall.get("reachedBy").asText()).isEqualTo("socket");
            assertThat(target.request("fee 1000", "fee 1000")).isEqualTo("fee 1000 = 10");

            // HotSpot creates this file when a tool attaches; none did.
            assertThat(Path.of("/tmp/.java_pid" + pid)).doesNotExist();
            target.stop(Duration.ofSeconds(20));
            assertThat(socket).as("removed when the JVM stops").doesNotExist();
        }
    }

    @ParameterizedTest
    @MethodSource("javas")
    void apply_fallsBackToAttach_whenTheAgentHasNoRuntimeFolder(Path java) throws IOException {
        // A home whose .hotpatch is a file: the agent cannot make its runtime folder and keeps its socket private.
        Path home = privateFolder("home-b-" + Jdks.featureVersion(java));
        Files.writeString(home.resolve(".hotpatch"), "not a folder");
        try (TargetJvm target = enrolled(java, null, "shop-b", home)) {
            String pid = Long.toString(target.pid());
            assertThat(target.output()).anyMatch(l -> l.contains("no socket in the runtime folder"));

            JsonNode apply = CliRun.of("apply", "--pid", pid, fix.toString(), "--trust", keys.toString(), "--json").json();

            assertThat(apply.get("status").asText()).as(apply.toString()).isEqualTo("ok");
            assertThat(apply.get("reachedBy").asText()).isEqualTo("attach");
            assertThat(target.request("fee 1000", "fee 1000")).isEqualTo("fee 1000 = 20");
        }
    }

    @ParameterizedTest
    @MethodSource("javas")
    void staleSocketOfADeadJvm_isIgnored_andTakenOverByTheAgentAttachedLater(Path java) throws IOException {
        Path runtime = privateFolder("xdg-c-" + Jdks.featureVersion(java));
        try (TargetJvm target = TargetJvm.builder(java).classpath(v1).mainClass("shop.App").env("XDG_RUNTIME_DIR", runtime.toString())
                .jvmArgs("-Dhotpatch.state=" + tmp.resolve("state-c-" + Jdks.featureVersion(java))).start()) {
            target.await("ready"::equals, TargetJvm.REQUEST_TIMEOUT);
            String pid = Long.toString(target.pid());
            // What a JVM killed with this pid leaves behind: the socket file, nobody listening.
            Path folder = Files.createDirectory(runtime.resolve("hotpatch"), PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rwx------")));
            Path stale = folder.resolve(pid + ".sock");
            try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
                dead.bind(UnixDomainSocketAddress.of(stale));
            }
            assertThat(stale).exists();

            JsonNode apply = CliRun.of("apply", "--pid", pid, fix.toString(), "--trust", keys.toString(), "--json").json();

            assertThat(apply.get("status").asText()).as(apply.toString()).isEqualTo("ok");
            assertThat(apply.get("reachedBy").asText()).isEqualTo("attach");
            assertThat(apply.get("agentLoadedNow").asBoolean()).isTrue();
            assertThat(target.request("fee 1000", "fee 1000")).isEqualTo("fee 1000 = 20");
            JsonNode list = CliRun.of("list", "--pid", pid, "--json").json();
            assertThat(list.get("reachedBy").asText()).as("the attached agent replaced the stale socket").isEqualTo("socket");
            assertThat(list.at("/installed/0/hotFixId").asText()).isEqualTo("KB2026-0301");
        }
    }

    @Test
    void runtimeFolderOpenedToOthers_isRefused_andNothingChanges() throws IOException {
        Path java = Jdks.java17();
        Path runtime = privateFolder("xdg-d");
        try (TargetJvm target = enrolled(java, runtime, "shop-d", null)) {
            String pid = Long.toString(target.pid());
            Files.setPosixFilePermissions(runtime.resolve("hotpatch"), PosixFilePermissions.fromString("rwxr-xr-x"));

            CliRun apply = CliRun.of("apply", "--pid", pid, fix.toString(), "--trust", keys.toString(), "--json");

            assertThat(apply.exit()).as(apply.toString()).isEqualTo(3);
            assertThat(apply.json().get("message").asText()).contains("not private");
            assertThat(target.request("fee 1000", "fee 1000")).isEqualTo("fee 1000 = 10");
        }
    }

    @Test
    void anotherUser_cannotTalkToTheAgent_evenThroughALinkToItsSocket() throws Exception {
        assertThat(new ProcessBuilder("id", "hptarget").start().waitFor())
                .as("this test needs the OS user 'hptarget' (useradd --system hptarget)").isZero();
        Path java = Jdks.java17();
        Path runtime = privateFolder("xdg-e");
        Path knock = JarMaker.compile(shared.resolve("knock.jar"), Map.of("Knock", KNOCK), List.of(), 17);
        Files.setPosixFilePermissions(knock, PosixFilePermissions.fromString("rw-r--r--"));
        try (TargetJvm target = enrolled(java, runtime, "shop-e", null)) {
            Path socket = runtime.resolve("hotpatch").resolve(target.pid() + ".sock");

            // Through its folder: the kernel refuses (the folder is rwx------).
            assertThat(knockAs(java, knock, socket)).anyMatch(l -> l.contains("Permission denied"));

            // Through a hard link in an open folder, with the socket opened to all: the agent refuses by peer uid.
            Path link = shared.resolve("link.sock");
            Files.createLink(link, socket);
            Files.setPosixFilePermissions(link, PosixFilePermissions.fromString("rwxrwxrwx"));
            List<String> out = knockAs(java, knock, link);
            // Closed unanswered: seen by the client as end of stream, a reset (request unread), or a broken
            // pipe (closed before the client finished writing), depending on who gets there first.
            assertThat(out).as("the agent closes the connection unanswered")
                    .anyMatch(l -> l.equals("knock: closed without a reply") || l.contains("Connection reset") || l.contains("Broken pipe"))
                    .noneMatch(l -> l.contains("answered"));
            target.await(l -> l.contains("refused a connection") && l.contains("hptarget"), TargetJvm.REQUEST_TIMEOUT);

            // The JVM's own user (root here) still gets in.
            assertThat(CliRun.of("list", "--pid", Long.toString(target.pid()), "--json").json().get("reachedBy").asText())
                    .isEqualTo("socket");
        }
    }

    private static List<String> knockAs(Path java, Path jar, Path socket) {
        try (TargetJvm knock = TargetJvm.builder(java).classpath(jar).mainClass("Knock").args(socket.toString())
                .runAs("hptarget").start()) {
            knock.await("knock: done"::equals, TargetJvm.REQUEST_TIMEOUT);
            return knock.output();
        }
    }

    private static TargetJvm enrolled(Path java, Path runtime, String name, Path home) {
        Path agent = Path.of(CliRun.of("agent-path").out().trim());
        TargetJvm.Builder b = TargetJvm.builder(java).classpath(v1).mainClass("shop.App").dynamicAgentLoading(false)
                .jvmArgs("-javaagent:" + agent + "=name=" + name + ",trust=" + keys + ",state=" + tmp.resolve("state-" + name + "-"
                        + Jdks.featureVersion(java)));
        if (runtime != null) {
            b.env("XDG_RUNTIME_DIR", runtime.toString());
        }
        if (home != null) {
            b.jvmArgs("-Duser.home=" + home).env("HOME", home.toString());
        }
        TargetJvm t = b.start();
        t.await("ready"::equals, TargetJvm.REQUEST_TIMEOUT);
        return t;
    }

    private static Path privateFolder(String name) throws IOException {
        return Files.createDirectory(tmp.resolve(name), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }

    private static Path jar(String name, String feeExpression) {
        return FeeShop.jar(tmp, name, feeExpression);
    }

    private static Path build(String id, Path baseline, Path patched) {
        return FeeShop.build(tmp, keys, id, baseline, patched);
    }
}
