package dev.hotpatch.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hotpatch.attach.AttachException;
import dev.hotpatch.attach.NoSuchJvmException;
import dev.hotpatch.attach.NotSupportedException;
import dev.hotpatch.builder.BuildRefusedException;
import dev.hotpatch.builder.BuilderException;
import dev.hotpatch.format.PackageException;
import java.io.PrintWriter;
import java.util.Arrays;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The one place where errors become exit codes: 0 ok, 1 failure (a bug or an environment
 * problem; retrying may help), 2 usage (bad arguments or input files), 3 refused (the input is
 * fine but must not be applied: not hotpatchable, not eligible, verification failed, the agent
 * declined). Prints the message on standard error and, with {@code --json}, a JSON document with
 * the status and message on standard output.
 */
final class ExitPolicy implements IExecutionExceptionHandler, IParameterExceptionHandler {
    static final int OK = 0;
    static final int FAILURE = 1;
    static final int USAGE = 2;
    static final int REFUSED = 3;

    @Override
    public int handleParseException(ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        PrintWriter err = cmd.getErr();
        err.println(cmd.getCommandSpec().qualifiedName() + ": " + ex.getMessage());
        UnmatchedArgumentException.printSuggestions(ex, err);
        err.println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for more information.");
        err.flush();
        if (Arrays.asList(args).contains("--json")) {
            Json.print(cmd.getOut(), Json.status("usage").put("exitCode", USAGE).put("message", ex.getMessage()));
        }
        return USAGE;
    }

    @Override
    public int handleExecutionException(Exception ex, CommandLine cmd, ParseResult parseResult) {
        Verdict v = classify(ex);
        PrintWriter err = cmd.getErr();
        err.println(cmd.getCommandSpec().qualifiedName() + ": " + v.text);
        if (v.exitCode == FAILURE && v.showTrace) {
            ex.printStackTrace(err);
        }
        err.flush();
        if (cmd.getCommand() instanceof HotpatchCommand c && c.output != null && c.output.json) {
            ObjectNode doc = Json.status(v.exitCode == REFUSED ? "refused" : v.exitCode == USAGE ? "usage" : "failed")
                    .put("exitCode", v.exitCode).put("message", ex.getMessage());
            if (ex instanceof PackageException pe) {
                doc.put("reason", pe.reason().name());
            }
            if (ex instanceof BuildRefusedException bre && bre.report() != null) {
                doc.set("report", BuildCommand.reportJson(bre.report()));
            }
            Json.print(cmd.getOut(), doc);
        }
        return v.exitCode;
    }

    private record Verdict(int exitCode, String text, boolean showTrace) {
    }

    private static Verdict classify(Exception ex) {
        String m = ex.getMessage();
        if (ex instanceof PackageException pe) {
            return pe.reason() == PackageException.Reason.IO ? new Verdict(FAILURE, m, false)
                    : new Verdict(REFUSED, "refused (" + label(pe.reason()) + "): " + m, false);
        }
        if (ex instanceof BuildRefusedException) {
            return new Verdict(REFUSED, "refused: " + m, false);
        }
        if (ex instanceof BuilderException || ex instanceof IllegalArgumentException || ex instanceof NoSuchJvmException) {
            return new Verdict(USAGE, m, false);
        }
        if (ex instanceof NotSupportedException) {
            return new Verdict(REFUSED, "refused: " + m, false);
        }
        if (ex instanceof AttachException) {
            return new Verdict(FAILURE, m, false);
        }
        return new Verdict(FAILURE, "internal error: " + ex, true);
    }

    private static String label(PackageException.Reason r) {
        return r.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ');
    }
}
