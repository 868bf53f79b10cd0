package dev.hotpatch.builder;

/**
 * The builder cannot use its input: a jar is missing, unreadable, not a zip file, larger than the
 * builder accepts, or an {@code --include} pattern selects nothing. The message names the file or
 * pattern and says how to fix it. Root of the builder's exceptions; {@link BuildRefusedException}
 * is the one subclass, for inputs that were read fine but must not become a hotpatch.
 */
public class BuilderException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public BuilderException(String message) {
        super(message);
    }

    public BuilderException(String message, Throwable cause) {
        super(message, cause);
    }
}
