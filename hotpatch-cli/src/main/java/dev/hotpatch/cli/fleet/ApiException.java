package dev.hotpatch.cli.fleet;

/**
 * The server answered a call with an error: its HTTP status and the {@code {error, message, hint}}
 * body every error of the API carries. The command line turns the status into an exit code (see
 * {@code ExitPolicy}); the message is the server's, which already says what happened.
 */
public final class ApiException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String code;
    private final String hint;
    private final String call;

    ApiException(int status, String code, String message, String hint, String call) {
        super(message);
        this.status = status;
        this.code = code;
        this.hint = hint == null ? "" : hint;
        this.call = call;
    }

    /** The HTTP status, e.g. 409. */
    public int status() {
        return status;
    }

    /** The API's error code, e.g. {@code not-supported}; {@code http-STATUS} when the body had none. */
    public String code() {
        return code;
    }

    /** How to fix it, as the server says; empty when it says nothing. */
    public String hint() {
        return hint;
    }

    /** The call that failed, e.g. {@code POST /api/v1/images}. */
    public String call() {
        return call;
    }
}
