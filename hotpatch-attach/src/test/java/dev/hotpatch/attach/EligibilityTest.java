package dev.hotpatch.attach;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class EligibilityTest {
    private static final OsProcess PROCESS = new OsProcess(4242, "app", 1000, "/usr/bin/java", List.of("-jar", "/srv/shop.jar"));

    @Test
    void attachFailureDecidesFirst() {
        JvmInfo info = Probe.unreachable(PROCESS, "attach is disabled").toInfo();
        assertThat(info.status()).isEqualTo(HotpatchStatus.NOT_SUPPORTED);
        assertThat(info.reason()).isEqualTo("attach is disabled");
        assertThat(info.displayName()).isEqualTo("shop.jar");
    }

    @Test
    void java11IsNotSupportedEvenWithTheAgent() {
        JvmInfo info = probe("11.0.22", "11", "", "hotpatch.agent.version", "0.1").toInfo();
        assertThat(info.status()).isEqualTo(HotpatchStatus.NOT_SUPPORTED);
        assertThat(info.reason()).startsWith("needs Java 16+ for the agent channel");
    }

    @Test
    void java8VersionIsUnderstood() {
        assertThat(probe("1.8.0_392", "1.8", "").javaFeature()).isEqualTo(8);
        assertThat(probe("1.8.0_392", "1.8", "").toInfo().status()).isEqualTo(HotpatchStatus.NOT_SUPPORTED);
    }

    @Test
    void agentPresentIsEnabledWithModeMachineAndInstalledIds() {
        JvmInfo info = probe("25", "25", "-XX:-EnableDynamicAgentLoading",
                "hotpatch.agent.version", "0.1", "hotpatch.agent.mode", "enrolled", "hotpatch.agent.socket", "/run/x/agent.sock",
                "hotpatch.agent.machine", "shop", "hotpatch.agent.installed", "KB1,KB2").toInfo();
        assertThat(info.status()).isEqualTo(HotpatchStatus.ENABLED);
        assertThat(info.agentPresent()).isTrue();
        assertThat(info.mode()).isEqualTo("enrolled");
        assertThat(info.machineName()).isEqualTo("shop");
        assertThat(info.installedIds()).containsExactly("KB1", "KB2");
        assertThat(info.reason()).isEmpty();
    }

    @Test
    void dynamicLoadingDisabledWithoutAgentIsNotSupported_lastFlagWins() {
        assertThat(probe("21.0.2", "21", "-Xmx1g -XX:-EnableDynamicAgentLoading").toInfo().status())
                .isEqualTo(HotpatchStatus.NOT_SUPPORTED);
        assertThat(probe("21.0.2", "21", "-XX:-EnableDynamicAgentLoading -XX:+EnableDynamicAgentLoading").toInfo().status())
                .isEqualTo(HotpatchStatus.ENABLED);
    }

    @Test
    void attachableNotesJep451OnlyFrom21() {
        assertThat(probe("17.0.15", "17", "").toInfo().reason()).isEmpty();
        assertThat(probe("21.0.2", "21", "").toInfo().reason()).contains("JEP 451");
    }

    @Test
    void displayNameComesFromTheJavaCommand() {
        assertThat(probe("17", "17", "", "sun.java.command", "/opt/app/fees-app.jar --port 8080").displayName()).isEqualTo("fees-app.jar");
        assertThat(probe("17", "17", "", "sun.java.command", "acme.Main a b").displayName()).isEqualTo("acme.Main");
        assertThat(new OsProcess(1, "", -1, "java", List.of("-cp", "x.jar", "-Dq=1", "acme.Main")).mainName()).isEqualTo("acme.Main");
        assertThat(new OsProcess(1, "", -1, "java", List.of("-m", "acme/acme.Main")).mainName()).isEqualTo("acme.Main");
    }

    private static Probe probe(String version, String spec, String jvmArgs, String... props) {
        Properties p = new Properties();
        p.setProperty("java.version", version);
        p.setProperty("java.specification.version", spec);
        for (int i = 0; i < props.length; i += 2) {
            p.setProperty(props[i], props[i + 1]);
        }
        return new Probe(PROCESS, null, p, jvmArgs);
    }
}
