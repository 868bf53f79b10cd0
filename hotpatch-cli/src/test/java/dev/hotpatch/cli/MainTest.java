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
    @ValueSource(strings = {"keygen", "build", "inspect", "verify", "ps", "apply", "list", "uninstall", "agent-path"})
    void everyCommand_hasHelpAndJson(String command) {
        CliRun r = CliRun.of(command, "--help");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains("--json").contains("--help").contains("Usage: hotpatch " + command);
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
