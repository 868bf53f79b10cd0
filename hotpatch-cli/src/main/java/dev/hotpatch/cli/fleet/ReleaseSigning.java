package dev.hotpatch.cli.fleet;

import dev.hotpatch.format.PackageException;
import dev.hotpatch.format.ReleaseDescriptor;
import dev.hotpatch.format.ReleaseDescriptorWriter;
import dev.hotpatch.format.SigningKey;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Makes the signed release descriptor that must accompany a baseline or restart update: the files
 * hashed here, the descriptor signed with the publisher's key folder (as {@code hotpatch build --key}
 * signs packages). Used by {@code baseline sign|publish --key} and {@code update sign|publish --key}.
 * Stateless.
 */
final class ReleaseSigning {
    private ReleaseSigning() {
    }

    /** Entries for {@code files}, each named by its file name. */
    static List<ReleaseDescriptor.FileEntry> entries(List<Path> files) {
        return files.stream().map(f -> {
            try {
                return ReleaseDescriptor.FileEntry.of(f);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + f + ": " + e.getMessage(), e);
            }
        }).toList();
    }

    /** Signs {@code d} with the key in {@code keyDir} into {@code out}. */
    static ReleaseDescriptor sign(ReleaseDescriptor d, Path keyDir, Path out) {
        ReleaseDescriptorWriter.write(d, SigningKey.load(keyDir), out);
        return ReleaseDescriptor.read(out, false);
    }

    /** Signs {@code d} into a temporary file the caller deletes. */
    static Path signToTemp(ReleaseDescriptor d, Path keyDir) {
        try {
            Path tmp = Files.createTempFile("hotpatch-", ".release");
            sign(d, keyDir, tmp);
            return tmp;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary file for the descriptor: " + e.getMessage(), e);
        }
    }

    /** Reads a descriptor file given with --descriptor, checking only that it is one (the server verifies the signature). */
    static byte[] readDescriptor(Path file) {
        ReleaseDescriptor.read(file, true);
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** Deletes a temporary file, ignoring failure. */
    static void delete(Path p) {
        if (p != null) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // A leftover temp file named hotpatch-*.release.
            }
        }
    }

    /** A PackageException for a --key/--descriptor mistake; the CLI maps it to exit 3 (refused) or 1 (IO). */
    static PackageException unsupported(String message) {
        return new PackageException(PackageException.Reason.MALFORMED, message);
    }
}
