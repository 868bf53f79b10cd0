package dev.hotpatch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * What every subcommand shares: {@code --json}/{@code --help}, its output streams, and the checks
 * that turn bad input into a usage error (exit 2) before any work starts. A subcommand's
 * {@link #call()} returns its exit code; errors it does not handle itself are thrown and mapped to
 * exit codes by {@link ExitPolicy}. Public only so that the commands of this module's sub-packages
 * ({@code fleet}, {@code demo}) can extend it; not an API.
 */
public abstract class HotpatchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    OutputOptions output;

    /** The streams when {@link QuickLine} parsed the command line instead of picocli (then {@link #spec} is null). */
    private PrintWriter quickOut;
    private PrintWriter quickErr;

    /** Runs this command outside picocli (see {@link QuickLine}), writing to these streams. */
    final void useStreams(PrintWriter out, PrintWriter err) {
        this.quickOut = out;
        this.quickErr = err;
    }

    protected boolean json() {
        return output.json;
    }

    protected PrintWriter out() {
        return spec != null ? spec.commandLine().getOut() : quickOut;
    }

    protected PrintWriter err() {
        return spec != null ? spec.commandLine().getErr() : quickErr;
    }

    protected void printJson(JsonNode node) {
        Json.print(out(), node);
    }

    /** A usage error for this command: exit 2, with the message and a pointer to {@code --help}. */
    protected RuntimeException usage(String message) {
        return spec != null ? new ParameterException(spec.commandLine(), message) : new QuickLine.UsageError(message);
    }

    protected Path existingFile(Path p, String what) {
        if (!Files.isRegularFile(p)) {
            throw usage(what + " " + p + (Files.exists(p) ? " is not a file" : " does not exist"));
        }
        return p.toAbsolutePath().normalize();
    }

    protected Path existingFolder(Path p, String what) {
        if (!Files.isDirectory(p)) {
            throw usage(what + " " + p + (Files.exists(p) ? " is not a folder" : " does not exist"));
        }
        return p.toAbsolutePath().normalize();
    }

    /** {@code text} ending with a full stop, so that a sentence can follow it. */
    protected static String sentence(String text) {
        String t = text.strip();
        return t.isEmpty() || t.endsWith(".") || t.endsWith("!") || t.endsWith("?") ? t : t + ".";
    }

    protected long pid(long pid) {
        if (pid <= 0) {
            throw usage("--pid must be a positive process id, got " + pid + "; 'hotpatch ps' lists the local JVMs");
        }
        return pid;
    }
}
