package dev.hotpatch.server.api;

import dev.hotpatch.server.ServerException;
import dev.hotpatch.server.catalog.Publishing;
import io.javalin.http.Context;
import io.javalin.http.UploadedFile;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The files of one upload request, spooled to the server's temporary folder while their size is
 * bounded and their SHA-256 computed, so that no upload is ever held in memory; closing deletes
 * them. Multipart bodies the server cannot parse are the client's error (400), not the server's.
 * Not thread-safe: one per request.
 */
final class Uploads implements AutoCloseable {
    private final Path dir;
    private final List<Path> files = new ArrayList<>();

    Uploads(Path dir) {
        this.dir = dir;
    }

    /** Copies {@code in} to a new temporary file, refusing more than {@code limit} bytes. */
    Publishing.Upload spool(InputStream in, String fileName, long limit, String what) {
        Path tmp;
        try {
            tmp = Files.createTempFile(dir, "upload-", ".part");
        } catch (IOException e) {
            throw new ServerException.Unavailable("cannot store the upload in " + dir + ": " + e.getMessage(),
                    "the server's data folder must be writable; see the server log");
        }
        files.add(tmp);
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        long n = 0;
        try (OutputStream out = Files.newOutputStream(tmp)) {
            byte[] buf = new byte[64 * 1024];
            for (int r; (r = in.read(buf)) > 0; ) {
                n += r;
                if (n > limit) {
                    throw new ServerException.TooLarge(what + " is larger than " + (limit >> 20) + " MiB", "upload a smaller file");
                }
                sha.update(buf, 0, r);
                out.write(buf, 0, r);
            }
        } catch (IOException e) {
            if (Files.isWritable(dir)) {
                throw new ServerException.BadRequest("upload-interrupted", "reading " + what + " failed: " + e.getMessage(),
                        "send the upload again");
            }
            throw new ServerException.Unavailable("cannot store the upload in " + dir + ": " + e.getMessage(),
                    "the server's data folder must be writable; see the server log");
        }
        return new Publishing.Upload(fileName, tmp, n, HexFormat.of().formatHex(sha.digest()));
    }

    /** Spools one uploaded part. */
    Publishing.Upload spool(UploadedFile f, long limit, String what) {
        try (InputStream in = f.content()) {
            return spool(in, f.filename(), limit, what + " " + f.filename());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The multipart file parts named {@code name}, every file part when {@code name} is null. */
    static List<UploadedFile> files(Context ctx, String name) {
        return parsing(ctx, () -> name == null ? ctx.uploadedFiles() : ctx.uploadedFiles(name));
    }

    /** The one multipart file part named {@code name}, or null. */
    static UploadedFile file(Context ctx, String name) {
        return parsing(ctx, () -> ctx.uploadedFile(name));
    }

    /** A multipart form field. */
    static String formParam(Context ctx, String name) {
        return parsing(ctx, () -> ctx.formParam(name));
    }

    /** Runs a multipart accessor; a body the parser rejects is the client's error. */
    static <T> T parsing(Context ctx, java.util.function.Supplier<T> access) {
        try {
            return access.get();
        } catch (ServerException e) {
            throw e;
        } catch (Exception e) {
            // Jetty's multipart parser throws ServletException (checked, rethrown unchecked through Kotlin) for a bad body.
            // What is left of the body is unknown: the client must not reuse this connection.
            ctx.header("Connection", "close");
            String text = String.valueOf(rootMessage(e));
            if (text.toLowerCase(java.util.Locale.ROOT).contains("exceed") || text.toLowerCase(java.util.Locale.ROOT).contains("too large")) {
                throw new ServerException.TooLarge("the upload is larger than the server accepts (" + text + ")",
                        "upload a smaller file; jars up to 256 MiB, packages up to 64 MiB");
            }
            throw new ServerException.BadRequest("malformed-multipart", "the multipart/form-data body cannot be parsed: " + text,
                    "send a well-formed multipart/form-data body (curl -F name=@file does), or the file as the raw body");
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() == null ? "unreadable" : t.getMessage();
    }

    @Override
    public void close() {
        for (Path p : files) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                // Left in tmp/, which the server empties at start.
            }
        }
    }
}
