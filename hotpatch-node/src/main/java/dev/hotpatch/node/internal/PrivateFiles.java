package dev.hotpatch.node.internal;

import dev.hotpatch.format.OwnerOnly;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Owner-only folders and files in the node's data directory, and crash-safe replacement of a
 * file (write a temporary file next to it, flush it to disk, rename it over the old one, flush the
 * folder): the node's side of the shared {@link OwnerOnly} rule, which the agent and the attach
 * module follow too. Not API. Stateless.
 */
public final class PrivateFiles {
    private PrivateFiles() {
    }

    /**
     * Creates {@code dir} (and missing parents) as {@code rwx------}, or checks an existing one: a
     * folder that is a link, belongs to another user, or that group or others may write to, is
     * refused (another user could then swap the files the node executes or trusts); one that
     * others may only read is tightened to {@code rwx------}.
     */
    public static Path folder(Path dir) throws IOException {
        return OwnerOnly.createPrivateFolder(dir, "node folder");
    }

    /** Replaces {@code file} with {@code content}, owner-only ({@code rw-------}), atomically and durably. */
    public static void write(Path file, byte[] content) throws IOException {
        OwnerOnly.write(file, content);
    }

    /** A new empty owner-only file in {@code dir} whose name starts with {@code prefix}. */
    public static Path createTemp(Path dir, String prefix) throws IOException {
        return OwnerOnly.createTempFile(dir, prefix);
    }

    /** Renames {@code from} over {@code to} atomically (both in one folder), then flushes the folder. */
    public static void move(Path from, Path to) throws IOException {
        OwnerOnly.move(from, to);
    }

    /** Flushes a folder's entries (a rename) to disk; a no-op where the platform cannot. */
    public static void syncFolder(Path dir) {
        OwnerOnly.syncFolder(dir);
    }
}
