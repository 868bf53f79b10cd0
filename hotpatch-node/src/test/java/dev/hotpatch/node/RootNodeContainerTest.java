package dev.hotpatch.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpatch.attach.AgentJar;
import dev.hotpatch.format.Sha256;
import dev.hotpatch.format.SigningKey;
import dev.hotpatch.node.command.Action;
import dev.hotpatch.node.command.Artifact;
import dev.hotpatch.node.command.CommandResult;
import dev.hotpatch.node.command.Status;
import dev.hotpatch.testkit.Jdks;
import dev.hotpatch.testkit.TargetJvm;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A root node and a JVM in a container of another user: the target runs in its own mount and PID
 * namespaces with its own root file system (a chroot over bind mounts of the host's {@code /usr}
 * and {@code /etc}, as a container image would provide them) and its own {@code /tmp}, as user
 * {@value RootNodeTest#USER}. The node reaches it as that user, gets the package into the
 * container's own {@code /tmp} (the node's paths do not exist there), and the agent verifies it
 * against its own trust folder. A JVM in a container without the agent is refused: a root node
 * does not load the agent into a file system it does not share. Must run as root.
 */
class RootNodeContainerTest {
    private Path base;
    private Path ctr;
    private Path trust;
    private SigningKey key;
    private Path appJar;

    @BeforeEach
    void setUp() throws Exception {
        assertThat(run("id", "-u").strip()).as("RootNodeContainerTest needs root").isEqualTo("0");
        assertThat(Files.isSymbolicLink(Path.of("/bin"))).as("the simulated container links /bin to /usr/bin (merged /usr)").isTrue();
        if (!run("getent", "passwd", RootNodeTest.USER).contains(RootNodeTest.USER)) {
            run("useradd", "--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", RootNodeTest.USER);
        }
        base = Files.createTempDirectory("hotpatch-root-ctr-");
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
        key = SigningKey.generate(base.resolve("key"), "CN=Container Test");
        trust = Files.createDirectories(base.resolve("trust"));
        Files.copy(base.resolve("key").resolve(SigningKey.CERTIFICATE), trust.resolve("publisher.crt"));
        appJar = TestApp.jar(base.resolve("fees.jar"), "1.0", 10, -1);

        // The container's root file system, outside /tmp so that its own /tmp can differ.
        ctr = Files.createTempDirectory(Path.of("/var/tmp"), "hotpatch-ctr-");
        Files.setPosixFilePermissions(ctr, PosixFilePermissions.fromString("rwxr-xr-x"));
        for (String d : List.of("usr", "etc", "dev", "proc", "app", "app/trust")) {
            Files.createDirectories(ctr.resolve(d));
        }
        for (String l : List.of("bin", "lib", "lib64", "sbin")) {
            if (Files.exists(Path.of("/usr", l))) {
                Files.createSymbolicLink(ctr.resolve(l), Path.of("usr", l));
            }
        }
        Path tmp = Files.createDirectories(ctr.resolve("tmp"));
        run("chmod", "1777", tmp.toString());
        Files.copy(appJar, ctr.resolve("app/fees.jar"));
        Files.copy(AgentJar.path(), ctr.resolve("app/hotpatch-agent.jar"));
        Files.copy(trust.resolve("publisher.crt"), ctr.resolve("app/trust/publisher.crt"));
        Path state = Files.createDirectories(ctr.resolve("app/state"));
        run("chown", RootNodeTest.USER + ":" + RootNodeTest.USER, state.toString());
        Files.setPosixFilePermissions(state, PosixFilePermissions.fromString("rwx------"));
        run("chmod", "-R", "a+rX", ctr.resolve("app").toString());
        Files.setPosixFilePermissions(state, PosixFilePermissions.fromString("rwx------"));
    }

    @AfterEach
    void tearDown() throws IOException {
        for (Path p : new Path[] {base, ctr}) {
            if (p != null) {
                try (Stream<Path> s = Files.walk(p)) {
                    s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                }
            }
        }
    }

    /** The container: new mount and PID namespaces, the chroot above, its own /proc, then the JVM as the target user. */
    private TargetJvm.Builder inContainer(Path java) {
        String script = "mount --make-rprivate / && mount --bind /usr " + ctr + "/usr && mount --bind /etc " + ctr + "/etc"
                + " && mount --rbind /dev " + ctr + "/dev && mount -t proc proc " + ctr + "/proc"
                + " && exec chroot " + ctr + " setpriv --reuid=" + RootNodeTest.USER + " --regid=" + RootNodeTest.USER
                + " --clear-groups -- \"$0\" \"$@\"";
        return TargetJvm.builder(java).launcher("unshare", "--mount", "--pid", "--kill-child", "--", "sh", "-c", script)
                .classpath(Path.of("/app/fees.jar")).mainClass(TestApp.MAIN);
    }

    private Node node(String name) throws IOException {
        Path config = Files.writeString(base.resolve("node.properties"), "node.manage = configured\n"
                + "node.trust = " + trust + "\n"
                + "node.handover = " + base.resolve("handover") + "\n"
                + "machine." + name + ".timeZone = UTC\n");
        return Node.fromOptions(NodeOptions.standalone(Files.createDirectories(base.resolve("catalog"))).withConfig(config)
                .withDataDir(base.resolve("node-data")));
    }

    @Test
    void rootNode_installsIntoAContainerisedJvmOfAnotherUser_throughTheContainersOwnTmp() throws Exception {
        String name = TestApp.machineName("ctr");
        Path pkg = TestApp.hotpatch(base.resolve("KB-CTR-1.hotpatch"), "KB-CTR-1", appJar, 20, key, Files.createDirectories(base.resolve("w")));
        try (TargetJvm app = inContainer(Jdks.java17()).jvmArgs("-Dhotpatch.machine=" + name,
                "-javaagent:/app/hotpatch-agent.jar=name=" + name + ",trust=/app/trust,state=/app/state").start();
             Node node = node(name)) {
            app.await(l -> l.startsWith("fees 1.0 started"), Duration.ofSeconds(30));
            CommandResult r = node.run(name, new Action.InstallHotpatch("KB-CTR-1",
                    new Artifact(pkg.getFileName().toString(), Sha256.hex(pkg), pkg.toUri())), "test");
            assertThat(r.status()).as(r.message()).isEqualTo(Status.SUCCEEDED);
            assertThat(app.request("fee", "fee=")).isEqualTo("fee=5");
            try (Stream<Path> left = Files.list(ctr.resolve("tmp"))) {
                assertThat(left.map(p -> p.getFileName().toString())).as("the copy in the container's /tmp is removed")
                        .noneMatch(n -> n.startsWith(".hotpatch-"));
            }
            try (Stream<Path> persisted = Files.walk(ctr.resolve("app/state"))) {
                assertThat(persisted.map(Path::toString)).as("the agent persisted it in its own state folder").anyMatch(p -> p.contains("KB-CTR-1"));
            }
        }
    }

    @Test
    void rootNode_doesNotLoadTheAgentIntoAContainer_andSaysHowToEnroll() throws Exception {
        String name = TestApp.machineName("ctr-bare");
        Path pkg = TestApp.hotpatch(base.resolve("KB-CTR-2.hotpatch"), "KB-CTR-2", appJar, 20, key, Files.createDirectories(base.resolve("w")));
        try (TargetJvm app = inContainer(Jdks.java17()).jvmArgs("-Dhotpatch.machine=" + name).start(); Node node = node(name)) {
            app.await(l -> l.startsWith("fees 1.0 started"), Duration.ofSeconds(30));
            CommandResult r = node.run(name, new Action.InstallHotpatch("KB-CTR-2",
                    new Artifact(pkg.getFileName().toString(), Sha256.hex(pkg), pkg.toUri())), "test");
            assertThat(r.status()).isEqualTo(Status.REFUSED);
            assertThat(r.message()).contains("container").contains("-javaagent");
            assertThat(app.request("fee", "fee=")).isEqualTo("fee=10");
        }
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
}
