package dev.hotpatch.server.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import org.jdbi.v3.core.Handle;

/**
 * Files the catalog hands to nodes (baseline jars, packages, update artifacts, release
 * descriptors), stored in the database by SHA-256 so every replica serves the same bytes. Content
 * is kept in {@value #CHUNK}-byte chunks: storing reads the file a chunk at a time and a download
 * fetches one chunk per query, so neither holds a whole jar in memory. Thread-safe.
 */
public final class Blobs {
    /** Bytes per stored chunk. */
    static final int CHUNK = 1 << 20;

    private final Database db;
    private final Clock clock;

    public Blobs(Database db, Clock clock) {
        this.db = db;
        this.clock = clock;
    }

    /** Stores the content of {@code file} under {@code sha256} (its hash, computed by the caller) unless it is already there. */
    public void put(Handle h, String sha256, String mediaType, Path file) {
        if (h.createQuery("SELECT COUNT(*) FROM blobs WHERE sha256 = :s").bind("s", sha256).mapTo(Integer.class).one() > 0) {
            return;
        }
        try (InputStream in = Files.newInputStream(file)) {
            long size = 0;
            int seq = 0;
            byte[] buf = new byte[CHUNK];
            for (int n; (n = in.readNBytes(buf, 0, CHUNK)) > 0; ) {
                byte[] chunk = n == CHUNK ? buf : java.util.Arrays.copyOf(buf, n);
                h.createUpdate("INSERT INTO blob_chunks (sha256, seq, data) VALUES (:s, :q, :d) ON CONFLICT (sha256, seq) DO NOTHING")
                        .bind("s", sha256).bind("q", seq++).bind("d", chunk).execute();
                size += n;
            }
            h.createUpdate("INSERT INTO blobs (sha256, size, media_type, content, created_at, chunked) VALUES (:s, :n, :m, :c, :t, TRUE)"
                            + " ON CONFLICT (sha256) DO NOTHING")
                    .bind("s", sha256).bind("n", size).bind("m", mediaType).bind("c", new byte[0]).bind("t", clock.millis())
                    .execute();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the upload " + file + " to store it: " + e.getMessage(), e);
        }
    }

    /** A stored file's description. */
    public record Blob(String sha256, long size, String mediaType, boolean chunked) {
    }

    public Optional<Blob> get(String sha256) {
        return db.read(h -> h.createQuery("SELECT sha256, size, media_type, chunked FROM blobs WHERE sha256 = :s")
                .bind("s", sha256)
                .map((rs, ctx) -> new Blob(rs.getString(1), rs.getLong(2), rs.getString(3), rs.getBoolean(4)))
                .findOne());
    }

    /** The content of {@code blob}, read from the database one chunk at a time as the stream is consumed. */
    public InputStream open(Blob blob) {
        if (!blob.chunked()) {
            // Stored before chunking: one row holds it all.
            byte[] all = db.read(h -> h.createQuery("SELECT content FROM blobs WHERE sha256 = :s").bind("s", blob.sha256())
                    .mapTo(byte[].class).one());
            return new java.io.ByteArrayInputStream(all);
        }
        return new InputStream() {
            private int seq;
            private byte[] chunk = new byte[0];
            private int pos;
            private boolean done;

            private boolean fill() {
                while (!done && pos >= chunk.length) {
                    int q = seq++;
                    Optional<byte[]> next = db.read(h -> h.createQuery("SELECT data FROM blob_chunks WHERE sha256 = :s AND seq = :q")
                            .bind("s", blob.sha256()).bind("q", q).mapTo(byte[].class).findOne());
                    if (next.isEmpty()) {
                        done = true;
                    } else {
                        chunk = next.get();
                        pos = 0;
                    }
                }
                return pos < chunk.length;
            }

            @Override
            public int read() {
                return fill() ? chunk[pos++] & 0xff : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (len == 0) {
                    return 0;
                }
                if (!fill()) {
                    return -1;
                }
                int n = Math.min(len, chunk.length - pos);
                System.arraycopy(chunk, pos, b, off, n);
                pos += n;
                return n;
            }
        };
    }
}
