package dev.hotpatch.cli;

import picocli.CommandLine.Option;

/** The options every command takes: {@code --json} and {@code --help}. Mixed into each command. */
final class OutputOptions {
    @Option(names = "--json", description = "Print the result as JSON on standard output (errors too).")
    boolean json;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;
}
