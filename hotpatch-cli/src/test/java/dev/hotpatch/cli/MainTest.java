package dev.hotpatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MainTest {
    @Test
    void noCommand_isUsageErrorListingTheCommands() {
        CliRun r = CliRun.of();
        assertThat(r.exit()).as(r.toString()).isEqualTo(2);
        assertThat(r.err()).contains("a command is required").contains("keygen").contains("apply").contains("agent-path");
    }

    @Test
    void unknownCommand_isUsageErrorWithSuggestion() {
        CliRun r = CliRun.of("aply");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("aply").contains("apply").contains("--help");
    }

    @Test
    void help_andVersion_exitZero() {
        assertThat(CliRun.of("--help").exit()).isZero();
        CliRun v = CliRun.of("--version");
        assertThat(v.exit()).isZero();
        assertThat(v.out()).startsWith("hotpatch ");
    }

    @ParameterizedTest
    @ValueSource(strings = {"keygen", "build", "inspect", "verify", "ps", "apply", "list", "uninstall", "quarantine", "agent-path"})
    void everyCommand_hasHelpAndJson(String command) {
        CliRun r = CliRun.of(command, "--help");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains("--json").contains("--help").contains("Usage: hotpatch " + command);
    }

    @ParameterizedTest
    @ValueSource(strings = {"server", "node", "image", "image add", "image set", "image list", "baseline", "baseline publish", "baseline list",
            "baseline sign", "update", "update publish", "update sign", "update list", "schedule", "token", "token create", "token enroll", "token list", "token revoke",
            "machines", "assess", "updates", "install", "history", "rollback", "restart", "operation", "move", "demo"})
    void everyFleetCommand_hasHelpAndJson(String command) {
        CliRun r = CliRun.of((command + " --help").split(" "));
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains("--json").contains("--help").contains("Usage: hotpatch " + command);
    }

    @ParameterizedTest
    @ValueSource(strings = {"machines", "updates", "install", "history", "assess", "image add", "baseline publish", "update publish", "list"})
    void operatorCommands_takeServerAndToken(String command) {
        CliRun r = CliRun.of((command + " --help").split(" "));
        assertThat(r.out()).contains("--server=URL").contains("--token=T").contains("HOTPATCH_SERVER").contains("HOTPATCH_TOKEN");
    }

    @Test
    void commandGroupWithoutSubcommand_isUsageErrorListingThem() {
        CliRun r = CliRun.of("image");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("a subcommand is required").contains("add").contains("list");
    }

    @Test
    void listAndUninstall_needPidOrMachine_notBoth() {
        assertThat(CliRun.of("list").exit()).isEqualTo(2);
        CliRun both = CliRun.of("uninstall", "--pid", "1", "--machine", "m");
        assertThat(both.exit()).isEqualTo(2);
        assertThat(both.err()).contains("mutually exclusive");
    }

    @Test
    void install_withBadOptions_isUsageErrorBeforeAnyCall() {
        CliRun reboot = CliRun.of("install", "--machine", "m", "--reboot", "Sometimes", "--server", "http://127.0.0.1:1", "--token", "t");
        assertThat(reboot.exit()).as(reboot.toString()).isEqualTo(2);
        assertThat(reboot.err()).contains("IfRequired, Never or Always");
        CliRun cls = CliRun.of("install", "--machine", "m", "--classification", "Urgent", "--server", "http://127.0.0.1:1", "--token", "t");
        assertThat(cls.exit()).as(cls.toString()).isEqualTo(2);
        CliRun window = CliRun.of("install", "--machine", "m", "--max-duration", "2 weeks", "--server", "http://127.0.0.1:1", "--token", "t");
        assertThat(window.exit()).as(window.toString()).isEqualTo(2);
        assertThat(window.err()).contains("--max-duration");
    }

    @Test
    void server_withBadOptions_isUsageError() {
        assertThat(CliRun.of("server", "--port", "70000").exit()).isEqualTo(2);
        CliRun db = CliRun.of("server", "--db-url", "jdbc:mysql://x/y");
        assertThat(db.exit()).isEqualTo(2);
        assertThat(db.err()).contains("jdbc:postgresql");
    }

    @Test
    void node_withoutServerOrStandalone_isUsageError() {
        CliRun r = CliRun.of("node");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--server").contains("--standalone");
        assertThat(CliRun.of("node", "--standalone").exit()).isEqualTo(2);
    }

    @Test
    void unknownOption_isUsageError_andJsonSaysSo() {
        CliRun r = CliRun.of("ps", "--bogus", "--json");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--bogus");
        assertThat(r.json().get("status").asText()).isEqualTo("usage");
        assertThat(r.json().get("exitCode").asInt()).isEqualTo(2);
    }

    @Test
    void negativePid_isUsageError() {
        CliRun r = CliRun.of("list", "--pid", "-5");
        assertThat(r.exit()).as(r.toString()).isEqualTo(2);
        assertThat(r.err()).contains("positive process id");
    }

    @Test
    void nonNumericPid_isUsageError() {
        CliRun r = CliRun.of("uninstall", "--pid", "abc");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("abc");
    }

    @Test
    void pidWithoutProcess_isUsageError() {
        long gone = ProcessHandle.allProcesses().mapToLong(ProcessHandle::pid).max().orElse(1) + 100_000;
        CliRun r = CliRun.of("list", "--pid", Long.toString(gone));
        assertThat(r.exit()).as(r.toString()).isEqualTo(2);
        assertThat(r.err()).contains("no process " + gone).contains("hotpatch ps");
    }

    @Test
    void agentPath_printsOwnerOnlyJarPath() throws Exception {
        CliRun r = CliRun.of("agent-path");
        assertThat(r.exit()).as(r.toString()).isZero();
        java.nio.file.Path jar = java.nio.file.Path.of(r.out().trim());
        assertThat(jar).isRegularFile();
        assertThat(jar.getFileName().toString()).startsWith("agent-").endsWith(".jar");
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(java.nio.file.Files.getPosixFilePermissions(jar)))
                .isEqualTo("rw-------");
        assertThat(CliRun.of("agent-path", "--json").json().get("path").asText()).isEqualTo(jar.toString());
    }
}
