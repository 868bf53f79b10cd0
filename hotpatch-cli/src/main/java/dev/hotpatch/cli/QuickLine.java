package dev.hotpatch.cli;

import java.io.PrintWriter;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Set;

/**
 * The start-up path of the commands a user or the node runs against one local JVM, where the CLI's
 * own start-up is most of the wait: {@code apply}, {@code ps} and {@code --version}. Their command
 * line is parsed here by hand instead of by picocli, whose reflective model of even one command
 * costs ~75 ms of a ~230 ms cold start (docs/performance.md, issue 9).
 *
 * <p>Only the plain, well-formed case is parsed: each option named once, in the {@code --opt value}
 * or {@code --opt=value} form, with the positional parameters the command takes. Anything else —
 * {@code --help}, an unknown or repeated option, a missing required one, {@code --}, an
 * {@code @argfile}, a value that starts with {@code -} — returns null, and picocli parses the same
 * line with its usual help and error messages. So this can only ever be faster, never accept what
 * picocli would refuse; {@code QuickLineTest} checks that both fill the command alike and that the
 * option names here are exactly picocli's (a new option must be added here too, or its default
 * would be missed).
 */
final class QuickLine {
    /** The options parsed here, per command: must equal picocli's names for that command. */
    static final Set<String> APPLY_OPTIONS = Set.of("--pid", "--trust", "--machine", "--allow-pending", "--timeout", "--json", "-h", "--help");
    static final Set<String> PS_OPTIONS = Set.of("--timeout", "--json", "-h", "--help");

    /** A usage error a command found while it ran outside picocli: exit 2, printed like picocli's. */
    static final class UsageError extends RuntimeException {
        UsageError(String message) {
            super(message);
        }
    }

    private QuickLine() {
    }

    /** Runs {@code args} if they are a command line parsed here; null when picocli must parse them. */
    static Integer run(String[] args, PrintWriter out, PrintWriter err) {
        if (args.length == 0) {
            return null;
        }
        if (args.length == 1 && (args[0].equals("--version") || args[0].equals("-V"))) {
            return Main.printVersion(out, false);
        }
        HotpatchCommand command = parse(args);
        if (command == null) {
            return null;
        }
        command.useStreams(out, err);
        String name = "hotpatch " + args[0];
        try {
            return command.call();
        } catch (UsageError e) {
            return ExitPolicy.usage(name, e.getMessage(), args, out, err);
        } catch (Exception e) {
            return ExitPolicy.failed(e, name, command, out, err);
        } finally {
            out.flush();
            err.flush();
        }
    }

    /** The command {@code args} name with its fields filled as picocli fills them; null when not parsed here. */
    static HotpatchCommand parse(String[] args) {
        return switch (args[0]) {
            case "apply" -> apply(args);
            case "ps" -> ps(args);
            default -> null;
        };
    }

    private static ApplyCommand apply(String[] args) {
        ApplyCommand c = new ApplyCommand();
        c.output = new OutputOptions();
        c.timeout = new TargetTimeout();
        c.machine = "";
        String pid = null;
        String trust = null;
        String machine = null;
        String file = null;
        Words w = new Words(args);
        while (w.next() && !w.declined) {
            if (!w.isOption()) {
                if (file != null) {
                    return null;
                }
                file = w.word;
                continue;
            }
            switch (w.name) {
                case "--pid" -> pid = w.value(pid);
                case "--trust" -> trust = w.value(trust);
                case "--machine" -> machine = w.value(machine);
                case "--timeout" -> c.timeout.timeout = w.value(c.timeout.timeout);
                case "--allow-pending" -> c.allowPending = w.flag(c.allowPending);
                case "--json" -> c.output.json = w.flag(c.output.json);
                default -> w.decline();
            }
            if (w.declined) {
                return null;
            }
        }
        if (w.declined || pid == null || trust == null || file == null) {
            return null;
        }
        try {
            c.pid = Long.parseLong(pid);
            c.trust = Path.of(trust);
            c.file = Path.of(file);
        } catch (NumberFormatException | InvalidPathException e) {
            return null;
        }
        if (machine != null) {
            c.machine = machine;
        }
        return c;
    }

    private static PsCommand ps(String[] args) {
        PsCommand c = new PsCommand();
        c.output = new OutputOptions();
        String timeout = null;
        Words w = new Words(args);
        while (w.next() && !w.declined) {
            if (!w.isOption()) {
                return null;
            }
            switch (w.name) {
                case "--timeout" -> timeout = w.value(timeout);
                case "--json" -> c.output.json = w.flag(c.output.json);
                default -> w.decline();
            }
            if (w.declined) {
                return null;
            }
        }
        if (w.declined) {
            return null;
        }
        c.timeout = timeout != null ? timeout : PsCommand.DEFAULT_TIMEOUT;
        return c;
    }

    /** The words after the command's name, one at a time. */
    private static final class Words {
        private final String[] args;
        private int i = 0;
        String word;
        /** For an option: its name, and the value written after '=' (null when none). */
        String name;
        private String inline;
        boolean declined;

        Words(String[] args) {
            this.args = args;
        }

        boolean next() {
            if (++i >= args.length) {
                return false;
            }
            word = args[i];
            name = null;
            inline = null;
            if (word.isEmpty() || word.startsWith("@")) {
                declined = true; // picocli reads @argfiles; an empty word is picocli's to judge
                name = "";
            } else if (word.startsWith("-")) {
                int eq = word.indexOf('=');
                name = eq < 0 ? word : word.substring(0, eq);
                inline = eq < 0 ? null : word.substring(eq + 1);
            }
            return true;
        }

        boolean isOption() {
            return name != null;
        }

        /** The option's value, when it was not given before and is a plain word. */
        String value(String before) {
            String v = inline;
            if (v == null && i + 1 < args.length) {
                v = args[++i];
            }
            if (before != null || v == null || v.isEmpty() || v.startsWith("-") || v.startsWith("@")) {
                declined = true;
                return before;
            }
            return v;
        }

        /** A flag given once, without a value. */
        boolean flag(boolean before) {
            if (before || inline != null) {
                declined = true;
            }
            return true;
        }

        void decline() {
            declined = true;
        }
    }
}
