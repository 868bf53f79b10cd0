package dev.hotpatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpatch.testkit.Jdks;
import dev.hotpatch.testkit.TargetJvm;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A real CVE end to end: CVE-2021-44228 (Log4Shell) in an app on log4j-core 2.14.1. Before the
 * hotpatch, logging {@code ${jndi:ldap://127.0.0.1:PORT/x}} makes the app connect to a listener on
 * loopback; after {@code hotpatch build} from a fixed JndiLookup and {@code hotpatch apply}, the same
 * message makes no connection, and the app never restarted.
 */
class Log4ShellTest {
    static final Path EXAMPLE = Path.of("target", "log4shell");

    @TempDir
    static Path dir;
    static Path fix;

    @BeforeAll
    static void buildTheHotpatch() {
        assertThat(EXAMPLE.resolve("log4j-core-2.14.1-hotfix.jar")).as("copied by the pom from examples/log4shell").exists();
        Path keys = dir.resolve("keys");
        assertThat(CliRun.of("keygen", "--out", keys.toString()).exit()).isZero();
        fix = dir.resolve("log4shell.hotpatch");
        CliRun build = CliRun.of("build",
                "--baseline", EXAMPLE.resolve("log4j-core-2.14.1.jar").toString(),
                "--patched", EXAMPLE.resolve("log4j-core-2.14.1-hotfix.jar").toString(),
                "--include", "org/apache/logging/log4j/core/lookup/JndiLookup",
                "--id", "KB2021-44228", "--title", "Disable JNDI lookups in log messages (Log4Shell)",
                "--classification", "Critical", "--severity", "Critical", "--cve", "CVE-2021-44228",
                "--image", "apache/log4j-core/2.x", "--key", keys.toString(), "--out", fix.toString());
        assertThat(build.exit()).as(build.toString()).isZero();
    }

    static List<Path> javas() {
        return Jdks.all();
    }

    @ParameterizedTest
    @MethodSource("javas")
    void hotpatch_stopsTheJndiLookupWithoutRestart(Path java) throws Exception {
        try (Listener ldap = new Listener();
             TargetJvm app = TargetJvm.builder(java)
                     .classpath(EXAMPLE.resolve("app.jar"), EXAMPLE.resolve("log4j-api-2.14.1.jar"), EXAMPLE.resolve("log4j-core-2.14.1.jar"))
                     .mainClass("acme.log4shell.App").jvmArgs("-Dhotpatch.state=" + Files.createTempDirectory(dir, "state")).start()) {
            app.await(l -> l.startsWith("ready"), Duration.ofSeconds(30));
            String attack = "log ${jndi:ldap://127.0.0.1:" + ldap.port() + "/x}";

            app.request(attack, "logged");
            assertThat(ldap.connections()).as("the vulnerable app calls out").isPositive();

            CliRun apply = CliRun.of("apply", "--pid", Long.toString(app.pid()), fix.toString(), "--trust", dir.resolve("keys").toString());
            assertThat(apply.exit()).as(apply.toString()).isZero();
            assertThat(apply.out()).contains("JndiLookup");

            int before = ldap.connections();
            app.request(attack, "logged");
            app.request("log harmless", "logged");
            Thread.sleep(300);
            assertThat(ldap.connections()).as("no connection after the hotpatch").isEqualTo(before);
            assertThat(app.isAlive()).isTrue();

            CliRun list = CliRun.of("list", "--pid", Long.toString(app.pid()));
            assertThat(list.out()).contains("KB2021-44228", "CVE-2021-44228");
        }
    }

    /** A loopback listener that counts connections and closes each at once, so a lookup fails fast. */
    static final class Listener implements AutoCloseable {
        private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final AtomicInteger connections = new AtomicInteger();
        private final Thread thread = new Thread(this::run, "ldap-listener");

        Listener() throws IOException {
            thread.setDaemon(true);
            thread.start();
        }

        int port() {
            return server.getLocalPort();
        }

        int connections() {
            return connections.get();
        }

        private void run() {
            while (!server.isClosed()) {
                try (Socket s = server.accept()) {
                    connections.incrementAndGet();
                } catch (IOException e) {
                    return;
                }
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
