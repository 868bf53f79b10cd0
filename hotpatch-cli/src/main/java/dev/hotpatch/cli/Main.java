package dev.hotpatch.cli;

import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import dev.hotpatch.cli.demo.DemoCommand;
import dev.hotpatch.cli.fleet.AssessCommand;
import dev.hotpatch.cli.fleet.ComplianceCommand;
import dev.hotpatch.cli.fleet.PolicyCommand;
import dev.hotpatch.cli.fleet.RolloutCommand;
import dev.hotpatch.cli.fleet.BaselineCommand;
import dev.hotpatch.cli.fleet.HistoryCommand;
import dev.hotpatch.cli.fleet.MoveCommand;
import dev.hotpatch.cli.fleet.ImageCommand;
import dev.hotpatch.cli.fleet.InstallCommand;
import dev.hotpatch.cli.fleet.MachinesCommand;
import dev.hotpatch.cli.fleet.OperationCommand;
import dev.hotpatch.cli.fleet.RestartCommand;
import dev.hotpatch.cli.fleet.RollbackCommand;
import dev.hotpatch.cli.fleet.ScheduleCommand;
import dev.hotpatch.cli.fleet.TokenCommand;
import dev.hotpatch.cli.fleet.UpdateCommand;
import dev.hotpatch.cli.fleet.UpdatesCommand;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The {@code hotpatch} command. The subcommands are registered here in plain code, in the order
 * {@code --help} lists them; the server, node and image commands join this list when they exist.
 * {@link #run(PrintWriter, PrintWriter, String...)} runs one command line in-process and returns
 * its exit code, which is how tests drive the CLI.
 */
@Command(name = "hotpatch", versionProvider = Main.Version.class,
        description = "Install security fixes into running JVMs without restarting them.",
        footer = {"", "Every command takes --json and --help. Exit codes:",
                "  0  ok",
                "  1  failure",
                "  2  usage error (bad arguments or input files)",
                "  3  refused: not hotpatchable, not eligible, unverified, or agent declined"})
public final class Main implements Callable<Integer> {
    /** Widest help output; narrower when the terminal is (picocli reads its width). */
    static final int HELP_WIDTH = 100;

    @Spec
    CommandSpec spec;

    @picocli.CommandLine.Mixin
    OutputOptions output;

    @picocli.CommandLine.Option(names = {"-V", "--version"}, description = "Print the version (with --json: as JSON) and exit.")
    boolean version;

    static {
        // Daemons (node, demo) log through java.util.logging: one line per record, ISO time first,
        // instead of the JDK's two-line default; a -D setting on the command line wins.
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tFT%1$tT%1$tz %4$s %5$s%6$s%n");
        }
    }

    /** Runs one command line with the process's standard streams and exits with its code. */
    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs one command line with {@link System#out}/{@link System#err} as they are now; returns the exit code. */
    public static int run(String... args) {
        PrintWriter out = new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
        PrintWriter err = new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true);
        try {
            return run(out, err, args);
        } finally {
            out.flush();
            err.flush();
        }
    }

    /** Runs one command line writing to {@code out} and {@code err}; returns the exit code. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        Integer quick = QuickLine.run(args, out, err);
        if (quick != null) {
            return quick;
        }
        CommandLine local = args.length > 0 ? localCommand(args[0]) : null;
        return (local != null ? configure(local, out, err) : commandLine(out, err)).execute(args);
    }

    /**
     * For the commands that work on local JVMs and files, a command line that knows only that one
     * subcommand: picocli then builds the model of one command instead of forty, and none of the
     * server, node or HTTP client classes load. Null for any other first argument (the full line).
     */
    private static CommandLine localCommand(String first) {
        HotpatchCommand command = switch (first) {
            case "apply" -> new ApplyCommand();
            case "list" -> new ListCommand();
            case "uninstall" -> new UninstallCommand();
            case "ps" -> new PsCommand();
            case "verify" -> new VerifyCommand();
            case "inspect" -> new InspectCommand();
            default -> null;
        };
        if (command == null) {
            return null;
        }
        CommandLine cl = new CommandLine(new Main());
        cl.addSubcommand(first, command);
        return cl;
    }

    static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        return configure(full(), out, err);
    }

    private static CommandLine full() {
        CommandLine cl = new CommandLine(new Main());
        cl.addSubcommand("keygen", new KeygenCommand());
        cl.addSubcommand("build", new BuildCommand());
        cl.addSubcommand("inspect", new InspectCommand());
        cl.addSubcommand("verify", new VerifyCommand());
        cl.addSubcommand("ps", new PsCommand());
        cl.addSubcommand("apply", new ApplyCommand());
        cl.addSubcommand("list", new ListCommand());
        cl.addSubcommand("uninstall", new UninstallCommand());
        cl.addSubcommand("quarantine", QuarantineCommand.line());
        cl.addSubcommand("agent-path", new AgentPathCommand());
        cl.addSubcommand("server", new ServerCommand());
        cl.addSubcommand("node", new NodeCommand());
        cl.addSubcommand("image", new CommandLine(new ImageCommand())
                .addSubcommand("add", new ImageCommand.Add())
                .addSubcommand("set", new ImageCommand.Set())
                .addSubcommand("list", new ImageCommand.Listing()));
        cl.addSubcommand("baseline", new CommandLine(new BaselineCommand())
                .addSubcommand("publish", new BaselineCommand.Publish())
                .addSubcommand("sign", new BaselineCommand.Sign())
                .addSubcommand("list", new BaselineCommand.Listing()));
        cl.addSubcommand("update", new CommandLine(new UpdateCommand())
                .addSubcommand("publish", new UpdateCommand.Publish())
                .addSubcommand("sign", new UpdateCommand.Sign())
                .addSubcommand("list", new UpdateCommand.Listing()));
        cl.addSubcommand("schedule", new ScheduleCommand());
        cl.addSubcommand("token", new CommandLine(new TokenCommand())
                .addSubcommand("create", new TokenCommand.Create())
                .addSubcommand("enroll", new TokenCommand.Enroll())
                .addSubcommand("list", new TokenCommand.Listing())
                .addSubcommand("revoke", new TokenCommand.Revoke()));
        cl.addSubcommand("machines", new MachinesCommand());
        cl.addSubcommand("assess", new AssessCommand());
        cl.addSubcommand("updates", new UpdatesCommand());
        cl.addSubcommand("install", new InstallCommand());
        cl.addSubcommand("history", new HistoryCommand());
        cl.addSubcommand("rollback", new RollbackCommand());
        cl.addSubcommand("restart", new RestartCommand());
        cl.addSubcommand("operation", new OperationCommand());
        cl.addSubcommand("move", new MoveCommand());
        cl.addSubcommand("rollout", RolloutCommand.line());
        cl.addSubcommand("policy", PolicyCommand.line());
        cl.addSubcommand("compliance", new ComplianceCommand());
        cl.addSubcommand("demo", new DemoCommand());
        return cl;
    }

    private static CommandLine configure(CommandLine cl, PrintWriter out, PrintWriter err) {
        ExitPolicy policy = new ExitPolicy();
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler(policy);
        cl.setParameterExceptionHandler(policy);
        // Paragraphs wrap at the terminal's width (at most HELP_WIDTH), never inside a source line.
        cl.setUsageHelpWidth(HELP_WIDTH);
        cl.setUsageHelpAutoWidth(true);
        return cl;
    }

    /** Without a subcommand: the usage, and exit 2. */
    @Override
    public Integer call() {
        if (version) {
            return printVersion(spec.commandLine().getOut(), output.json);
        }
        PrintWriter err = spec.commandLine().getErr();
        err.println("hotpatch: a command is required.");
        spec.commandLine().usage(err);
        err.flush();
        return ExitPolicy.USAGE;
    }

    /** {@code --version}: prints the version (as JSON with {@code json}); exit code 0. */
    static int printVersion(PrintWriter out, boolean json) {
        String v = new Version().getVersion()[0].substring("hotpatch ".length());
        if (json) {
            Json.print(out, Json.object().put("name", "hotpatch").put("version", v)
                    .put("java", Runtime.version().toString()).put("javaHome", System.getProperty("java.home")));
        } else {
            out.println("hotpatch " + v);
            out.flush();
        }
        return 0;
    }

    /** The version written into the jar's manifest at build time. */
    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"hotpatch " + (v == null ? "(development build)" : v)};
        }
    }
}
