package dev.hotpatch.node.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hotpatch.format.Classification;
import dev.hotpatch.node.ConfigException;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigFileTest {
    @TempDir
    Path dir;

    private Path write(String text) throws IOException {
        Files.createDirectories(dir.resolve("trust"));
        return Files.writeString(dir.resolve("node.properties"), text);
    }

    @Test
    void load_refusesAConfigFileOthersCanWrite() throws IOException {
        Path file = write("node.trust = trust\n");
        Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw-rw-"));

        assertThatThrownBy(() -> NodeConfig.load(file)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("config file " + file + " is writable by other users (mode rw-rw-rw-)")
                .hasMessageContaining("chmod go-w");
    }

    @Test
    void load_refusesAConfigFileOfAnotherUser() throws IOException {
        if (dev.hotpatch.format.OwnerOnly.myUid() != 0) {
            throw new AssertionError("chown to another uid needs root; run this module's tests as root (CI does)");
        }
        Path file = write("node.trust = trust\n");
        Files.setAttribute(file, "unix:uid", 4242);

        assertThatThrownBy(() -> NodeConfig.load(file)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("belongs to uid 4242");
    }

    @Test
    void load_readsNodePolicyAndMachines() throws IOException {
        NodeConfig c = NodeConfig.load(write("""
                # the node
                node.name = web-01
                node.trust = trust
                node.manage = configured
                policy.classifications = Critical
                policy.window = Sat,Sun 02:00-06:00
                machine.fees.timeZone = Europe/Paris
                machine.fees.region = eu-west
                machine.fees.zone = 2
                machine.fees.availabilitySet = fees-as
                machine.fees.updateDomain = 1
                machine.fees.patchMode = AutomaticByPlatform
                machine.fees.launch = /usr/bin/java -Dhotpatch.machine=fees -jar "/opt/my app/fees.jar"
                machine.fees.launch.directory = .
                machine.fees.healthUrl = http://127.0.0.1:8080/health
                machine.fees.tags = team=payments, env=prod
                machine.fees.jars = app/fees.jar
                machine.fees.restartTimeout = 90s
                machine.billing.v2.restartCommand: systemctl restart billing
                machine.billing.v2.match = billing.jar
                """));
        assertThat(c.nodeName()).isEqualTo("web-01");
        assertThat(c.trust()).isEqualTo(dir.resolve("trust"));
        assertThat(c.onlyConfigured()).isTrue();
        assertThat(c.policy().classifications()).containsExactly(Classification.CRITICAL);
        assertThat(c.policy().window().text()).isEqualTo("Sat,Sun 02:00-06:00");
        MachineConfig fees = c.machine("fees");
        assertThat(fees.timeZone()).isEqualTo(ZoneId.of("Europe/Paris"));
        assertThat(fees.region()).isEqualTo("eu-west");
        assertThat(fees.zone()).isEqualTo("2");
        assertThat(fees.availabilitySet()).isEqualTo("fees-as");
        assertThat(fees.updateDomain()).isEqualTo(1);
        assertThat(fees.patchMode()).isEqualTo(PatchMode.AUTOMATIC_BY_PLATFORM);
        assertThat(fees.launch()).containsExactly("/usr/bin/java", "-Dhotpatch.machine=fees", "-jar", "/opt/my app/fees.jar");
        assertThat(fees.supervised()).isTrue();
        assertThat(fees.launchDirectory()).isEqualTo(dir);
        assertThat(fees.healthUrl()).isEqualTo(URI.create("http://127.0.0.1:8080/health"));
        assertThat(fees.tags()).isEqualTo(Map.of("team", "payments", "env", "prod"));
        assertThat(fees.jars()).containsExactly(dir.resolve("app/fees.jar"));
        assertThat(fees.restartTimeout()).isEqualTo(Duration.ofSeconds(90));
        MachineConfig billing = c.machine("billing.v2");
        assertThat(billing.restartCommand()).isEqualTo(List.of("systemctl", "restart", "billing"));
        assertThat(c.matching("billing.jar")).contains(billing);
        assertThat(c.machine("other").name()).isEqualTo("other");
        assertThat(c.zoneFor(fees)).isEqualTo(ZoneId.of("Europe/Paris"));
    }

    @Test
    void load_dropsTrailingCommentsAsInTheReadme() throws IOException {
        NodeConfig c = NodeConfig.load(write("""
                node.trust     = trust                  # trusted publisher certificates
                machine.fees.timeZone = Europe/Paris    # IANA
                machine.fees.tags = team=pay#ments
                """));
        assertThat(c.trust()).isEqualTo(dir.resolve("trust"));
        assertThat(c.machine("fees").timeZone()).isEqualTo(ZoneId.of("Europe/Paris"));
        assertThat(c.machine("fees").tags()).as("a '#' inside a value stays").isEqualTo(Map.of("team", "pay#ments"));
    }

    @Test
    void load_refusesBadTimeZoneNamingKeyLineAndFix() throws IOException {
        Path f = write("machine.fees.region = eu\nmachine.fees.timeZone = Europe/Pariss\n");
        assertThatThrownBy(() -> NodeConfig.load(f))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("line 2")
                .hasMessageContaining("machine.fees.timeZone = Europe/Pariss")
                .hasMessageContaining("IANA time zone such as Europe/Paris")
                .satisfies(e -> assertThat(((ConfigException) e).key()).isEqualTo("machine.fees.timeZone"));
    }

    @Test
    void load_refusesUnknownKeysListingTheKnownOnes() throws IOException {
        Path f = write("machine.fees.timezone = UTC\n");
        assertThatThrownBy(() -> NodeConfig.load(f)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("unknown key machine.fees.timezone").hasMessageContaining("timeZone");
        Path g = write("nodes.name = x\n");
        assertThatThrownBy(() -> NodeConfig.load(g)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("unknown key nodes.name").hasMessageContaining("node.name");
    }

    @Test
    void load_refusesRestartCommandTogetherWithLaunch() throws IOException {
        Path f = write("machine.a.restartCommand = systemctl restart a\nmachine.a.launch = java -jar a.jar\n");
        assertThatThrownBy(() -> NodeConfig.load(f)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("both restartCommand and launch").hasMessageContaining("not both");
    }

    @Test
    void load_refusesBadValuesWithTheirFix() throws IOException {
        assertThatThrownBy(() -> NodeConfig.load(write("machine.a.patchMode = Sometimes\n")))
                .hasMessageContaining("AutomaticByPlatform, AutomaticByOS, Manual, ImageDefault");
        assertThatThrownBy(() -> NodeConfig.load(write("machine.a.updateDomain = -1\n"))).hasMessageContaining("0 or more");
        assertThatThrownBy(() -> NodeConfig.load(write("machine.a.trust = missing\n"))).hasMessageContaining("not an existing folder");
        assertThatThrownBy(() -> NodeConfig.load(write("machine.a.healthUrl = localhost:8080\n"))).hasMessageContaining("http://");
        assertThatThrownBy(() -> NodeConfig.load(write("policy.window = Sat 02:00\n"))).hasMessageContaining("HH:MM-HH:MM");
        assertThatThrownBy(() -> NodeConfig.load(write("machine.a.launch = java \"-jar\n"))).hasMessageContaining("quote is not closed");
        assertThatThrownBy(() -> NodeConfig.load(write("machine.a.region = x\nmachine.a.region = y\n"))).hasMessageContaining("set twice");
        assertThatThrownBy(() -> NodeConfig.load(write("machine.a.match = x.jar\nmachine.b.match = x.jar\n")))
                .hasMessageContaining("both match 'x.jar'");
        assertThatThrownBy(() -> NodeConfig.load(write("machine.a.restartTimeout = soon\n"))).hasMessageContaining("30s");
        assertThatThrownBy(() -> NodeConfig.load(dir.resolve("absent.properties"))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("cannot read config file");
    }

    @Test
    void load_readsDeadlinesAndHealthChecks_withDefaultsWhenUnset() throws IOException {
        NodeConfig c = NodeConfig.load(write("""
                node.targetTimeout = 5s
                node.installTimeout = 2m
                node.healthInterval = 30s
                machine.fees.healthCommand = /usr/local/bin/check-fees --quick "two words"
                machine.fees.healthTimeout = 3s
                machine.web.healthUrl = http://127.0.0.1:8081/health
                """));
        assertThat(c.targetTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.installTimeout()).isEqualTo(Duration.ofMinutes(2));
        assertThat(c.healthInterval()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.machine("fees").healthCommand()).containsExactly("/usr/local/bin/check-fees", "--quick", "two words");
        assertThat(c.machine("fees").healthTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(c.machine("fees").hasHealthCheck()).isTrue();
        assertThat(c.machine("web").healthTimeout()).isEqualTo(MachineConfig.DEFAULT_HEALTH_TIMEOUT);
        assertThat(c.machine("other").hasHealthCheck()).isFalse();

        NodeConfig d = NodeConfig.defaults();
        assertThat(d.targetTimeout()).isEqualTo(NodeConfig.DEFAULT_TARGET_TIMEOUT);
        assertThat(d.installTimeout()).isEqualTo(NodeConfig.DEFAULT_INSTALL_TIMEOUT);
        assertThat(d.healthInterval()).isEqualTo(NodeConfig.DEFAULT_HEALTH_INTERVAL);
    }

    @Test
    void load_refusesTwoHealthChecksOrATimeoutWithoutOne() throws IOException {
        assertThatThrownBy(() -> NodeConfig.load(write("machine.a.healthUrl = http://127.0.0.1:1/h\nmachine.a.healthCommand = true\n")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("both healthUrl and healthCommand")
                .satisfies(e -> assertThat(((ConfigException) e).key()).isEqualTo("machine.a.healthCommand"));
        assertThatThrownBy(() -> NodeConfig.load(write("machine.a.healthTimeout = 5s\n"))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("has no health check");
        assertThatThrownBy(() -> NodeConfig.load(write("node.targetTimeout = 0s\n"))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("positive duration");
        assertThatThrownBy(() -> NodeConfig.load(write("machine.a.healthCommand = \"unclosed\n"))).hasMessageContaining("quote is not closed");
    }
}
