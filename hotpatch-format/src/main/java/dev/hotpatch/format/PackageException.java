package dev.hotpatch.format;

/**
 * A package could not be read, verified or written. The {@link Reason} tells callers how to
 * react (the CLI maps every reason but {@link Reason#IO} to exit code 3, "refused").
 */
public class PackageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Why a package was refused. */
    public enum Reason {
        /** Not a well-formed hotpatch package (bad zip, missing or invalid fields, unsafe entry names). */
        MALFORMED,
        /** Larger than the reader accepts; protects against zip bombs. */
        TOO_LARGE,
        /** Carries no signature, or has entries the signature does not cover. */
        UNSIGNED,
        /** Signed, but some content no longer matches its signed digest. */
        TAMPERED,
        /** Signed intact, but not by any trusted certificate. */
        UNTRUSTED,
        /**
         * The trust folder, or a certificate in it, could be changed by a user other than its owner
         * and root (see {@link OwnerOnly}), so nothing it holds is trusted.
         */
        UNSAFE_TRUST,
        /** The file or key could not be read or written. */
        IO
    }

    private final Reason reason;

    public PackageException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public PackageException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
