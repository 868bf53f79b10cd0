package dev.hotpatch.server.api;

/**
 * The body of every error response.
 *
 * @param error   stable machine-readable code, e.g. {@code untrusted-package}
 * @param message what happened, with the offending value
 * @param hint    how to fix it
 */
public record ApiError(String error, String message, String hint) {
}
