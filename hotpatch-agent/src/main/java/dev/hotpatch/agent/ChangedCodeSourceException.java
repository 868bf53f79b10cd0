package dev.hotpatch.agent;

import java.io.IOException;

/** A jar or class file changed after the JVM loaded code from it: its bytes no longer tell what the JVM runs (restart pending). */
final class ChangedCodeSourceException extends IOException {
    private static final long serialVersionUID = 1L;

    ChangedCodeSourceException(String message) {
        super(message);
    }
}
