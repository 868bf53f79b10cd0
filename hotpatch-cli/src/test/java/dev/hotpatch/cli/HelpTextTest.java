package dev.hotpatch.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** The help a newcomer reads: whole sentences, no internal jargon, lines that fit the screen. */
class HelpTextTest {
    /** Every command and subcommand of the tree, e.g. "image add". */
    static Stream<String> commands() {
        List<String> names = new ArrayList<>();
        collect(Main.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter())), "", names);
        return names.stream();
    }

    private static void collect(CommandLine cl, String prefix, List<String> out) {
        for (var e : cl.getSubcommands().entrySet()) {
            String name = (prefix + " " + e.getKey()).trim();
            out.add(name);
            collect(e.getValue(), name, out);
        }
    }

    /** {@link #commands()} and the top-level command, as "". */
    static Stream<String> commandsAndTop() {
        return Stream.concat(Stream.of(""), commands());
    }

    private static CommandSpec spec(String command) {
        CommandLine cl = Main.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
        for (String part : command.isEmpty() ? new String[0] : command.split(" ")) {
            cl = cl.getSubcommands().get(part);
        }
        return cl.getCommandSpec();
    }

    @ParameterizedTest
    @MethodSource("commands")
    void description_isWholeSentences_withAShortSummary(String command) {
        String[] description = spec(command).usageMessage().description();
        assertThat(description).as(command + " has a description").isNotEmpty();
        assertThat(description[0].length()).as(command + ": summary shown in 'hotpatch --help' fits one line: " + description[0])
                .isLessThanOrEqualTo(84);
        for (String paragraph : description) {
            if (paragraph.startsWith("  ")) {
                continue; // a verbatim example line, printed as written
            }
            // Each element is printed as its own paragraph: one cut mid-sentence wraps mid-sentence.
            assertThat(paragraph.strip()).as(command + ": paragraph ends a sentence: " + paragraph).matches("(?s).*[.:!?)]$");
        }
        for (OptionSpec o : spec(command).options()) {
            for (String d : o.description()) {
                assertThat(d.strip()).as(command + " " + o.longestName() + ": option description is whole sentences").matches("(?s).*[.:!?)]$");
            }
        }
    }

    /**
     * picocli formats every help text with {@link String#format}: a lone {@code %} (write {@code %%})
     * makes it print a warning on the user's terminal and show the text unformatted.
     */
    @ParameterizedTest
    @MethodSource("commandsAndTop")
    void helpTexts_areValidFormatStrings(String command) {
        CommandSpec spec = spec(command);
        List<String> texts = new ArrayList<>(List.of(spec.usageMessage().description()));
        texts.addAll(List.of(spec.usageMessage().header()));
        texts.addAll(List.of(spec.usageMessage().footer()));
        for (OptionSpec o : spec.options()) {
            texts.addAll(List.of(o.description()));
        }
        for (var p : spec.positionalParameters()) {
            texts.addAll(List.of(p.description()));
        }
        for (String t : texts) {
            assertThatCode(() -> String.format(Locale.ROOT, t)).as(command + ": help text is a valid format string (write %% for %): " + t)
                    .doesNotThrowAnyException();
        }
    }

    @ParameterizedTest
    @MethodSource("commands")
    void help_fitsTheWidth_andSpeaksTheUsersLanguage(String command) {
        CliRun r = CliRun.of((command + " --help").split(" "));
        assertThat(r.exit()).as(r.toString()).isZero();
        for (String line : r.out().split("\n")) {
            assertThat(line.length()).as(command + ": help line fits " + Main.HELP_WIDTH + " columns: " + line)
                    .isLessThanOrEqualTo(Main.HELP_WIDTH);
        }
        String lower = r.out().toLowerCase(Locale.ROOT);
        assertThat(lower).as(command + ": no internal jargon").doesNotContain("the seed").doesNotContain("seed's");
    }

    @Test
    void topLevelHelp_fitsTheWidth() {
        CliRun r = CliRun.of("--help");
        assertThat(r.out().lines()).allSatisfy(l -> assertThat(l.length()).as(l).isLessThanOrEqualTo(Main.HELP_WIDTH));
        assertThat(r.out()).contains("--version");
    }

    @Test
    void version_withJson_printsJson() {
        CliRun r = CliRun.of("--version", "--json");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.json().get("name").asText()).isEqualTo("hotpatch");
        assertThat(r.json().get("version").asText()).isNotBlank();
        assertThat(r.json().get("java").asText()).isEqualTo(Runtime.version().toString());
        assertThat(CliRun.of("--version").out()).startsWith("hotpatch ");
    }
}
