package dev.hotpatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * {@link QuickLine} parses apply and ps without picocli: it must fill each command exactly as
 * picocli does, hand everything else to picocli, and know exactly picocli's options.
 */
class QuickLineTest {
    static Stream<String> wellFormedApplyLines() {
        return Stream.of(
                "apply --pid 42 --trust /etc/trust fix.hotpatch",
                "apply fix.hotpatch --pid 42 --trust /etc/trust",
                "apply --pid=42 --trust=/etc/trust fix.hotpatch --json",
                "apply --json --allow-pending --machine fees-1 --timeout 10s --pid 7 --trust t p.hotpatch",
                "apply --machine=fees-1 --timeout=1m --pid=7 --trust=t p.hotpatch",
                "apply --pid 9223372036854775807 --trust t p");
    }

    @ParameterizedTest
    @MethodSource("wellFormedApplyLines")
    void apply_isFilledAsPicocliFillsIt(String line) {
        String[] args = line.split(" ");
        ApplyCommand byPicocli = new ApplyCommand();
        new CommandLine(new Main()).addSubcommand("apply", byPicocli).parseArgs(args);
        HotpatchCommand quick = QuickLine.parse(args);
        assertThat(quick).isInstanceOf(ApplyCommand.class);
        assertThat(fields((ApplyCommand) quick)).isEqualTo(fields(byPicocli));
    }

    @ParameterizedTest
    @ValueSource(strings = {"ps", "ps --json", "ps --timeout 2s", "ps --timeout=150ms --json"})
    void ps_isFilledAsPicocliFillsIt(String line) {
        String[] args = line.split(" ");
        PsCommand byPicocli = new PsCommand();
        new CommandLine(new Main()).addSubcommand("ps", byPicocli).parseArgs(args);
        HotpatchCommand quick = QuickLine.parse(args);
        assertThat(quick).isInstanceOf(PsCommand.class);
        assertThat(List.of(((PsCommand) quick).timeout, quick.output.json, quick.output.help))
                .isEqualTo(List.of(byPicocli.timeout, byPicocli.output.json, byPicocli.output.help));
    }

    /** Lines picocli answers with help or an error of its own: never taken here. */
    @ParameterizedTest
    @ValueSource(strings = {
            "apply --help", "apply -h", "apply --pid 1 --trust t p --help",
            "apply --pid 1 p", "apply --trust t p", "apply --pid 1 --trust t", "apply --pid 1 --trust t p q",
            "apply --pid 1 --pid 2 --trust t p", "apply --pid 1 --trust t p --json --json", "apply --bogus --pid 1 --trust t p",
            "apply --pid 1 --trust t -- p", "apply @args.txt", "apply --pid 1 --trust t @p", "apply --json=true --pid 1 --trust t p",
            "apply --pid abc --trust t p", "apply --pid --trust t p", "apply --pid 1 --trust -t p", "apply --pid 1 --trust t p --timeout",
            "apply --pid= --trust t p", "apply -p 1 --trust t p",
            "ps --help", "ps extra", "ps --timeout", "ps --timeout 1s --timeout 2s", "ps --verbose",
            "list --pid 1", "uninstall --pid 1", "build", "--version --json"})
    void otherLines_areLeftToPicocli(String line) {
        assertThat(QuickLine.parse(line.split(" "))).as(line).isNull();
    }

    @Test
    void emptyWords_areLeftToPicocli() {
        assertThat(QuickLine.parse(new String[] {"apply", "--pid", "1", "--trust", "t", ""})).isNull();
        assertThat(QuickLine.parse(new String[] {"apply", "--pid", "1", "--trust", "", "p"})).isNull();
    }

    /** A new option must be parsed here too: otherwise its default would be missed on this path. */
    @Test
    void optionNames_areExactlyPicocli() {
        assertThat(optionNames(new ApplyCommand())).isEqualTo(QuickLine.APPLY_OPTIONS);
        assertThat(new CommandLine(new ApplyCommand()).getCommandSpec().positionalParameters()).hasSize(1);
        assertThat(optionNames(new PsCommand())).isEqualTo(QuickLine.PS_OPTIONS);
        assertThat(new CommandLine(new PsCommand()).getCommandSpec().positionalParameters()).isEmpty();
    }

    /** A usage error found while apply runs reads the same on both paths, --json too. */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void usageErrorWhileRunning_readsAsPicocliPrintsIt(boolean json, @TempDir Path dir) {
        String missing = dir.resolve("missing.hotpatch").toString();
        List<String> line = List.of("apply", "--pid", "1", missing, "--trust", dir.toString());
        String[] args = (json ? Stream.concat(line.stream(), Stream.of("--json")) : line.stream()).toArray(String[]::new);
        assertThat(QuickLine.parse(args)).isNotNull();
        Outcome quick = run(args, true);
        assertThat(quick).isEqualTo(run(args, false));
        assertThat(quick.exit).isEqualTo(ExitPolicy.USAGE);
        String nl = System.lineSeparator();
        assertThat(quick.err).isEqualTo("hotpatch apply: package " + missing + " does not exist" + nl
                + "Try 'hotpatch apply --help' for more information." + nl);
        if (json) {
            assertThat(quick.out).contains("\"status\" : \"usage\"").contains("\"exitCode\" : 2");
        } else {
            assertThat(quick.out).isEmpty();
        }
    }

    /** An error thrown while apply runs (here the package, which is no package) maps to the same exit code and text. */
    @Test
    void errorWhileRunning_readsAsPicocliPrintsIt(@TempDir Path dir) throws Exception {
        Path notAPackage = Files.writeString(dir.resolve("fix.hotpatch"), "not a zip");
        Path trust = Files.createDirectories(dir.resolve("trust"));
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        Files.setPosixFilePermissions(trust, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        for (boolean json : new boolean[] {false, true}) {
            String[] args = Stream.concat(Stream.of("apply", "--pid", Long.toString(Integer.MAX_VALUE), notAPackage.toString(),
                    "--trust", trust.toString()), json ? Stream.of("--json") : Stream.empty()).toArray(String[]::new);
            Outcome quick = run(args, true);
            assertThat(quick).as(String.join(" ", args)).isEqualTo(run(args, false));
            assertThat(quick.exit).as(quick.err).isIn(ExitPolicy.USAGE, ExitPolicy.REFUSED);
            assertThat(quick.err).startsWith("hotpatch apply: ");
        }
    }

    @Test
    void version_isAnsweredAsPicocliAnswersIt() {
        assertThat(run(new String[] {"--version"}, true)).isEqualTo(run(new String[] {"--version"}, false));
        assertThat(run(new String[] {"-V"}, true).out).startsWith("hotpatch ");
    }

    private record Outcome(int exit, String out, String err) {
    }

    /** Runs a line through Main (which takes the quick path when it can), or through picocli alone. */
    private static Outcome run(String[] args, boolean quick) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        PrintWriter o = new PrintWriter(out, true);
        PrintWriter e = new PrintWriter(err, true);
        int exit = quick ? Main.run(o, e, args) : Main.commandLine(o, e).execute(args);
        o.flush();
        e.flush();
        return new Outcome(exit, out.toString(), err.toString());
    }

    private static Set<String> optionNames(Object command) {
        return new CommandLine(command).getCommandSpec().options().stream().flatMap(o -> Arrays.stream(o.names()))
                .collect(Collectors.toSet());
    }

    private static List<Object> fields(ApplyCommand c) {
        return Arrays.asList(c.pid, c.file, c.trust, c.machine, c.allowPending, c.timeout.timeout, c.output.json, c.output.help);
    }
}
