package dev.hotpatch.server.store;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.time.Clock;
import java.util.Optional;
import org.jdbi.v3.core.Handle;

/**
 * Files the catalog hands to nodes (baseline jars, packages, update artifacts), stored in the
 * database by SHA-256 so every replica serves the same bytes. Thread-safe.
 */
public final class Blobs {
    private final Database db;
    private final Clock clock;

    public Blobs(Database db, Clock clock) {
        this.db = db;
        this.clock = clock;
    }

    /** Stores {@code content} under its hash unless it is already there. */
    public void put(Handle h, String sha256, String mediaType, byte[] content) {
        h.createUpdate("INSERT INTO blobs (sha256, size, media_type, content, created_at) VALUES (:s, :n, :m, :c, :t)"
                        + " ON CONFLICT (sha256) DO NOTHING")
                .bind("s", sha256).bind("n", (long) content.length).bind("m", mediaType).bind("c", content)
                .bind("t", clock.millis())
                .execute();
    }

    /** A stored file. */
    public record Blob(String sha256, long size, String mediaType, byte[] content) {
        public InputStream stream() {
            return new ByteArrayInputStream(content);
        }
    }

    public Optional<Blob> get(String sha256) {
        return db.read(h -> h.createQuery("SELECT sha256, size, media_type, content FROM blobs WHERE sha256 = :s")
                .bind("s", sha256)
                .map((rs, ctx) -> new Blob(rs.getString(1), rs.getLong(2), rs.getString(3), rs.getBytes(4)))
                .findOne());
    }
}
