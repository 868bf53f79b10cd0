package dev.hotpatch.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hotpatch.attach.AgentJar;
import dev.hotpatch.format.Sha256;
import dev.hotpatch.format.SigningKey;
import dev.hotpatch.node.command.Action;
import dev.hotpatch.node.command.Artifact;
import dev.hotpatch.node.command.CommandResult;
import dev.hotpatch.node.command.Status;
import dev.hotpatch.node.inventory.MachineInventory;
import dev.hotpatch.testkit.Jdks;
import dev.hotpatch.testkit.TargetJvm;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A node running as root manages a JVM of another user the way a system service does: it acts on
 * the JVM as that JVM's own uid and gid (a helper of its own Java under setpriv), hands packages
 * and the agent jar over where that user can read them and nobody else can change them, and never
 * leaves them in root's private folders. The target runs as {@value #USER}, created here if
 * missing. The test must run as root: elsewhere it fails, it does not skip.
 */
class RootNodeTest {
    static final String USER = "hptarget";

    private Path base;
    private Path appJar;
    private Path trust;
    private SigningKey key;
    private long uid;

    @BeforeEach
    void setUp() throws Exception {
        assertThat(run("id", "-u").strip()).as("RootNodeTest needs root (it starts a JVM as another user and a root node)").isEqualTo("0");
        if (!run("getent", "passwd", USER).contains(USER)) {
            run("useradd", "--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", USER);
        }
        uid = Long.parseLong(run("id", "-u", USER).strip());
        base = Files.createTempDirectory("hotpatch-root-node-");
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
        appJar = TestApp.jar(Files.createDirectories(base.resolve("app")).resolve("fees.jar"), "1.0", 10, -1);
        key = SigningKey.generate(base.resolve("key"), "CN=Root Node Test");
        trust = Files.createDirectories(base.resolve("trust"));
        Files.copy(base.resolve("key").resolve(SigningKey.CERTIFICATE), trust.resolve("publisher.crt"));
        for (Path p : List.of(base.resolve("app"), trust)) {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        Files.setPosixFilePermissions(trust.resolve("publisher.crt"), PosixFilePermissions.fromString("rw-r--r--"));
        Files.setPosixFilePermissions(appJar, PosixFilePermissions.fromString("rw-r--r--"));
    }

    @AfterEach
    void tearDown() throws IOException {
        if (base != null) {
            try (Stream<Path> s = Files.walk(base)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    static Stream<Arguments> modes() {
        List<Arguments> out = new ArrayList<>();
        for (Path java : Jdks.all()) {
            out.add(Arguments.of(java, "attached"));
            out.add(Arguments.of(java, "enrolled"));
        }
        return out.stream();
    }

    @ParameterizedTest
    @MethodSource("modes")
    void rootNode_installsAndUninstallsAsTheJvmsOwnUser_handingFilesOverSafely(Path java, String mode) throws Exception {
        String name = TestApp.machineName("root");
        Path state = Files.createDirectories(base.resolve("state"));
        chown(state, USER);
        Files.setPosixFilePermissions(state, PosixFilePermissions.fromString("rwx------"));
        List<String> jvmArgs = new ArrayList<>(List.of("-Dhotpatch.machine=" + name, "-Dhotpatch.state=" + state));
        if (mode.equals("enrolled")) {
            Path agentDir = Files.createDirectories(base.resolve("agent"));
            Files.setPosixFilePermissions(agentDir, PosixFilePermissions.fromString("rwxr-xr-x"));
            Path agent = Files.copy(AgentJar.path(), agentDir.resolve("hotpatch-agent.jar"));
            Files.setPosixFilePermissions(agent, PosixFilePermissions.fromString("rw-r--r--"));
            jvmArgs.add("-javaagent:" + agent + "=name=" + name + ",trust=" + trust + ",state=" + state);
        }
        Path handover = base.resolve("handover");
        Path config = Files.writeString(base.resolve("node.properties"), "node.manage = configured\n"
                + "node.trust = " + trust + "\n"
                + "node.handover = " + handover + "\n"
                + "machine." + name + ".timeZone = UTC\n");
        Path pkg = TestApp.hotpatch(base.resolve("KB-ROOT-1.hotpatch"), "KB-ROOT-1", appJar, 20, key, Files.createDirectories(base.resolve("w")));
        try (TargetJvm app = TargetJvm.builder(java).runAs(USER).classpath(appJar).jvmArgs(jvmArgs).mainClass(TestApp.MAIN).start();
             Node node = Node.fromOptions(NodeOptions.standalone(Files.createDirectories(base.resolve("catalog"))).withConfig(config)
                     .withDataDir(base.resolve("node-data")))) {
            app.await(l -> l.startsWith("fees 1.0 started"), Duration.ofSeconds(30));
            assertThat(owner(Path.of("/proc", Long.toString(app.pid())))).as("the target runs as " + USER).isEqualTo(uid);

            MachineInventory before = seen(node, name);
            assertThat(before.jars()).extracting(MachineInventory.Hash::sha256).as("class path read as " + USER).contains(Sha256.hex(appJar));

            CommandResult installed = node.run(name, new Action.InstallHotpatch("KB-ROOT-1",
                    new Artifact(pkg.getFileName().toString(), Sha256.hex(pkg), pkg.toUri())), "test");
            assertThat(installed.status()).as(installed.message()).isEqualTo(Status.SUCCEEDED);
            assertThat(app.request("fee", "fee=")).isEqualTo("fee=5");

            Path mine = handover.resolve("u" + uid);
            assertThat(owner(mine)).isEqualTo(uid);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(mine))).isEqualTo("rwx------");
            assertThat(owner(handover)).isZero();
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(handover))).isEqualTo("rwxr-xr-x");
            Path packages = handover.resolve("packages");
            assertThat(owner(packages)).isZero();
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(packages))).isEqualTo("rwx--x--x");
            try (Stream<Path> left = Files.list(packages)) {
                assertThat(left).as("the handed-over copy is withdrawn after the apply").isEmpty();
            }
            if (mode.equals("attached")) {
                try (Stream<Path> jars = Files.walk(mine.resolve("cache"))) {
                    List<Path> agents = jars.filter(p -> p.getFileName().toString().startsWith("agent-")).toList();
                    assertThat(agents).as("the agent jar, extracted by the helper running as " + USER).hasSize(1);
                    assertThat(owner(agents.get(0))).isEqualTo(uid);
                    assertThat(owner(agents.get(0).getParent())).isEqualTo(uid);
                    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(agents.get(0).getParent()))).isEqualTo("rwx------");
                }
            }

            MachineInventory after = seen(node, name);
            assertThat(after.hotpatches()).as("the agent as reported: " + after.agent() + "; problems: " + after.problems())
                    .extracting(MachineInventory.Hotpatch::id).containsExactly("KB-ROOT-1");

            CommandResult removed = node.run(name, new Action.UninstallHotpatch("KB-ROOT-1"), "test");
            assertThat(removed.status()).as(removed.message()).isEqualTo(Status.SUCCEEDED);
            assertThat(app.request("fee", "fee=")).isEqualTo("fee=10");
        }
    }

    @Test
    void rootNode_refusesAHandoverFolderOthersCouldChange_beforeTouchingAnyJvm() throws Exception {
        Path handover = Files.createDirectories(base.resolve("open").resolve("handover"));
        Files.setPosixFilePermissions(base.resolve("open"), PosixFilePermissions.fromString("rwxrwxrwx"));
        Path config = Files.writeString(base.resolve("node.properties"), "node.manage = configured\nnode.trust = " + trust + "\n"
                + "node.handover = " + handover + "\n");
        NodeOptions options = NodeOptions.standalone(Files.createDirectories(base.resolve("catalog"))).withConfig(config)
                .withDataDir(base.resolve("node-data"));
        assertThatThrownBy(() -> Node.fromOptions(options)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("node.handover").hasMessageContaining("is not safe").hasMessageContaining(base.resolve("open").toString())
                .hasMessageContaining("rwxrwxrwx");
    }

    private static long owner(Path p) throws IOException {
        return ((Number) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS)).longValue();
    }

    private static void chown(Path p, String user) throws IOException, InterruptedException {
        run("chown", user + ":" + user, p.toString());
    }

    private static String run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", cmd) + " did not finish");
        }
        if (p.exitValue() != 0 && !cmd[0].equals("getent")) {
            throw new IOException(String.join(" ", cmd) + " failed: " + out);
        }
        return out;
    }

    /**
     * The machine as the node's inventory shows it, once it does: a root node reads a JVM's name
     * through a helper JVM run as that JVM's user, which on a loaded machine can miss one look's
     * deadline; the next look finds it.
     */
    private static MachineInventory seen(Node node, String name) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            java.util.Optional<MachineInventory> m = node.inventory().stream().filter(x -> x.name().equals(name)).findFirst();
            if (m.isPresent() || System.nanoTime() > deadline) {
                return m.orElseThrow(() -> new AssertionError("the node did not see machine " + name + " within 60 s; its last look: "
                        + node.look()));
            }
            Thread.sleep(250);
        }
    }
}
