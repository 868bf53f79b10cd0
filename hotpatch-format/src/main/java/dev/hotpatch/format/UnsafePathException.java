package dev.hotpatch.format;

import java.io.IOException;

/**
 * A file or folder fails the {@link OwnerOnly} rule: another user could change it or swap it, so
 * it is not used. The message names the path, what is wrong with it, and how to fix it.
 */
public final class UnsafePathException extends IOException {
    private static final long serialVersionUID = 1L;

    public UnsafePathException(String message) {
        super(message);
    }
}
