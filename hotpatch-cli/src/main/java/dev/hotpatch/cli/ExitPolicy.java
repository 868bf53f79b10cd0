package dev.hotpatch.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hotpatch.attach.AttachException;
import dev.hotpatch.attach.NoSuchJvmException;
import dev.hotpatch.attach.NotSupportedException;
import dev.hotpatch.builder.BuildRefusedException;
import dev.hotpatch.builder.BuilderException;
import dev.hotpatch.cli.fleet.ApiException;
import dev.hotpatch.cli.fleet.ServerUnreachableException;
import dev.hotpatch.format.PackageException;
import dev.hotpatch.node.ConfigException;
import dev.hotpatch.node.NodeException;
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
 *
 * <p>Server answers map by HTTP status: 400, 404 and 413 are usage errors (2: the request named
 * something wrong); 401 is a usage error too, with a hint about the token; 403 (the token's role
 * does not allow the call), 409 (conflicts with the state: not eligible, calendar rules) and 422
 * (refused on content: untrusted or tampered package, wrong class bytes) are refusals (3), except
 * the 422s that only say a named thing does not exist ({@code unknown-*}), which are usage errors;
 * 5xx and an unreachable server are failures (1).
 */
public final class ExitPolicy implements IExecutionExceptionHandler, IParameterExceptionHandler {
    public static final int OK = 0;
    public static final int FAILURE = 1;
    public static final int USAGE = 2;
    public static final int REFUSED = 3;

    @Override
    public int handleParseException(ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        PrintWriter err = cmd.getErr();
        err.println(cmd.getCommandSpec().qualifiedName() + ": " + ex.getMessage());
        UnmatchedArgumentException.printSuggestions(ex, err);
        return usageTail(cmd.getCommandSpec().qualifiedName(), ex.getMessage(), args, cmd.getOut(), err);
    }

    /**
     * A usage error found while a command ran outside picocli ({@link QuickLine}): printed as
     * {@link #handleParseException} prints one.
     */
    static int usage(String command, String message, String[] args, PrintWriter out, PrintWriter err) {
        err.println(command + ": " + message);
        return usageTail(command, message, args, out, err);
    }

    private static int usageTail(String command, String message, String[] args, PrintWriter out, PrintWriter err) {
        err.println("Try '" + command + " --help' for more information.");
        err.flush();
        if (Arrays.asList(args).contains("--json")) {
            Json.print(out, Json.status("usage").put("exitCode", USAGE).put("message", message));
        }
        return USAGE;
    }

    @Override
    public int handleExecutionException(Exception ex, CommandLine cmd, ParseResult parseResult) {
        return failed(ex, cmd.getCommandSpec().qualifiedName(), cmd.getCommand(), cmd.getOut(), cmd.getErr());
    }

    /** An error {@code command} threw while it ran: printed, and mapped to its exit code. */
    static int failed(Exception ex, String name, Object command, PrintWriter out, PrintWriter err) {
        Verdict v = classify(ex);
        err.println(name + ": " + v.text);
        if (v.exitCode == FAILURE && v.showTrace) {
            ex.printStackTrace(err);
        }
        err.flush();
        if (command instanceof HotpatchCommand c && c.output != null && c.output.json) {
            ObjectNode doc = Json.status(v.exitCode == REFUSED ? "refused" : v.exitCode == USAGE ? "usage" : "failed")
                    .put("exitCode", v.exitCode).put("message", ex.getMessage());
            if (ex instanceof PackageException pe) {
                doc.put("reason", pe.reason().name());
            }
            if (ex instanceof ApiException ae) {
                doc.put("httpStatus", ae.status()).put("error", ae.code()).put("hint", ae.hint());
            }
            if (ex instanceof BuildRefusedException bre && bre.report() != null) {
                doc.set("report", BuildCommand.reportJson(bre.report()));
            }
            Json.print(out, doc);
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
        if (ex instanceof ApiException ae) {
            return api(ae);
        }
        if (ex instanceof ServerUnreachableException || ex instanceof java.io.UncheckedIOException) {
            return new Verdict(FAILURE, m, false);
        }
        if (ex instanceof ConfigException) {
            return new Verdict(USAGE, m, false);
        }
        if (ex instanceof NodeException) {
            return new Verdict(FAILURE, m, false);
        }
        return new Verdict(FAILURE, "internal error: " + ex, true);
    }

    private static Verdict api(ApiException e) {
        String hint = e.hint().isBlank() ? "" : " (" + e.hint() + ")";
        String what = e.status() + " " + e.code();
        int s = e.status();
        if (s == 401) {
            return new Verdict(USAGE, "the server did not accept the token (" + what + "): " + sentence(e.getMessage())
                    + " Pass a valid token with --token, --token-file or HOTPATCH_TOKEN; the admin token is in the server's data"
                    + " folder (admin.token), and 'hotpatch token create' makes others.", false);
        }
        if (s == 403) {
            return new Verdict(REFUSED, "refused (" + what + "): " + e.getMessage() + hint, false);
        }
        if (s == 409 || (s == 422 && !e.code().startsWith("unknown-"))) {
            return new Verdict(REFUSED, "refused (" + what + "): " + e.getMessage() + hint + ". Nothing changed.", false);
        }
        if (s >= 400 && s < 500) {
            return new Verdict(USAGE, e.getMessage() + " (" + what + ")" + hint, false);
        }
        return new Verdict(FAILURE, "the server failed (" + what + ") on " + e.call() + ": " + e.getMessage() + hint, false);
    }

    private static String sentence(String text) {
        return HotpatchCommand.sentence(text);
    }

    private static String label(PackageException.Reason r) {
        return r.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ');
    }
}
