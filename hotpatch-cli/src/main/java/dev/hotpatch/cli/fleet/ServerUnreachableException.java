package dev.hotpatch.cli.fleet;

import java.net.URI;

/** The server could not be reached or did not answer in time: nothing was changed by this command (exit code 1). */
public final class ServerUnreachableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ServerUnreachableException(URI server, String what, Throwable cause) {
        super("cannot reach the Hotpatch server at " + server + ": " + what
                + "; is 'hotpatch server' running there? Pass --server URL or set HOTPATCH_SERVER", cause);
    }
}
