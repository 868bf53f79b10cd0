package dev.hotpatch.server;

/**
 * Something the control plane refused or could not do. Each subclass stands for one kind of
 * answer, which the HTTP edge maps to a status code; {@link #code()} is a stable machine-readable
 * name and {@link #hint()} says how to fix it. Refusals are raised before anything is written, so
 * a refused request changes nothing.
 */
public abstract class ServerException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String code;
    private final String hint;

    protected ServerException(String code, String message, String hint) {
        super(message);
        this.code = code;
        this.hint = hint == null ? "" : hint;
    }

    protected ServerException(String code, String message, String hint, Throwable cause) {
        super(message, cause);
        this.code = code;
        this.hint = hint == null ? "" : hint;
    }

    /** Stable error name, e.g. {@code untrusted-package}. */
    public String code() {
        return code;
    }

    /** What the caller can do about it; may be empty. */
    public String hint() {
        return hint;
    }

    /** The request is malformed: a missing or invalid field or parameter (HTTP 400). */
    public static final class BadRequest extends ServerException {
        private static final long serialVersionUID = 1L;

        public BadRequest(String code, String message, String hint) {
            super(code, message, hint);
        }
    }

    /** No credential, or one the server does not know (HTTP 401). */
    public static final class Unauthenticated extends ServerException {
        private static final long serialVersionUID = 1L;

        public Unauthenticated(String message, String hint) {
            super("unauthenticated", message, hint);
        }
    }

    /** The credential is valid but its role does not allow this call (HTTP 403). */
    public static final class Forbidden extends ServerException {
        private static final long serialVersionUID = 1L;

        public Forbidden(String message, String hint) {
            super("forbidden", message, hint);
        }
    }

    /** The thing named does not exist (HTTP 404). */
    public static final class NotFound extends ServerException {
        private static final long serialVersionUID = 1L;

        public NotFound(String what, String id, String hint) {
            super("not-found", what + " '" + id + "' does not exist", hint);
        }
    }

    /** The request clashes with the current state: a duplicate, a calendar rule, a machine that cannot take it (HTTP 409). */
    public static final class Conflict extends ServerException {
        private static final long serialVersionUID = 1L;

        public Conflict(String code, String message, String hint) {
            super(code, message, hint);
        }
    }

    /** Well-formed but refused on its content: an unverifiable package, an unknown KB, a rule broken (HTTP 422). */
    public static final class Refused extends ServerException {
        private static final long serialVersionUID = 1L;

        public Refused(String code, String message, String hint) {
            super(code, message, hint);
        }

        public Refused(String code, String message, String hint, Throwable cause) {
            super(code, message, hint, cause);
        }
    }

    /** The upload is larger than the server accepts (HTTP 413). */
    public static final class TooLarge extends ServerException {
        private static final long serialVersionUID = 1L;

        public TooLarge(String message, String hint) {
            super("too-large", message, hint);
        }
    }

    /** The server cannot do it now for a reason on its side that an operator must fix, e.g. a read-only data folder (HTTP 503). */
    public static final class Unavailable extends ServerException {
        private static final long serialVersionUID = 1L;

        public Unavailable(String message, String hint) {
            super("unavailable", message, hint);
        }
    }

    /** Too many attempts from one source lately (HTTP 429); {@link #retryAfterSeconds()} says when to try again. */
    public static final class RateLimited extends ServerException {
        private static final long serialVersionUID = 1L;
        private final long retryAfterSeconds;

        public RateLimited(String message, long retryAfterSeconds) {
            super("too-many-requests", message, "wait " + retryAfterSeconds + " s; check the credential the client sends");
            this.retryAfterSeconds = retryAfterSeconds;
        }

        public long retryAfterSeconds() {
            return retryAfterSeconds;
        }
    }
}
