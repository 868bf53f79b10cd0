package dev.hotpatch.server.api;

import dev.hotpatch.server.ServerException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.Locale;

/**
 * Failures of the server's own storage that are not bugs but conditions an operator must fix — a
 * read-only or full data folder or database, a database that cannot be reached — turned into a
 * clear 503 instead of an internal error. Stateless.
 */
final class StoreErrors {
    private StoreErrors() {
    }

    /** The answer for {@code e} when it is a storage condition; null when it is not. */
    static ServerException explain(Throwable e, Path dataDir) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String m = t.getMessage() == null ? "" : t.getMessage().toLowerCase(Locale.ROOT);
            if (t instanceof SQLTransientConnectionException) {
                return new ServerException.Unavailable("the database cannot be reached right now", "check the database server; the"
                        + " request may be retried");
            }
            if (t instanceof SQLException s && ("25006".equals(s.getSQLState()) || m.contains("readonly") || m.contains("read-only")
                    || m.contains("read only"))) {
                return new ServerException.Unavailable("the database is read-only, so nothing can be recorded",
                        "make the database writable (embedded store: the data folder " + dataDir + "); GET /healthz says what the server cannot write");
            }
            if (t instanceof SQLException && (m.contains("disk is full") || m.contains("sqlite_full") || m.contains("no space"))) {
                return new ServerException.Unavailable("the database's disk is full, so nothing can be recorded", "free space on it");
            }
            if (t instanceof FileSystemException f && f.getReason() != null
                    && (f.getReason().contains("Read-only") || f.getReason().contains("No space"))) {
                return new ServerException.Unavailable("the server cannot write its data folder " + dataDir + ": " + f.getReason(),
                        "make it writable (and not full); GET /healthz says what the server cannot write");
            }
        }
        return null;
    }
}
