package dev.hotpatch.cli;

/**
 * A command that only groups subcommands ({@code hotpatch image add}, {@code hotpatch token create}):
 * run alone, it prints its usage and exits 2. Public for the command groups of this module's
 * sub-packages; not an API.
 */
public abstract class CommandGroup extends HotpatchCommand {
    @Override
    public Integer call() {
        err().println(spec.qualifiedName() + ": a subcommand is required.");
        spec.commandLine().usage(err());
        err().flush();
        return ExitPolicy.USAGE;
    }
}
