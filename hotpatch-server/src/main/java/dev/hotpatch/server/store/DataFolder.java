package dev.hotpatch.server.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Whether the server can write where it must: {@code tmp/} in its data folder (every upload is
 * spooled there) and, with the embedded store, the database file and its folder. A read-only or
 * full data folder makes publishing fail, so {@code /healthz} reports it, and a server does not
 * start on one. Stateless.
 */
public final class DataFolder {
    private DataFolder() {
    }

    /** What cannot be written, one sentence each; empty when all is well. */
    public static List<String> problems(Path dataDir, boolean embeddedDatabase) {
        List<String> out = new ArrayList<>();
        Path tmp = dataDir.resolve("tmp");
        try {
            Path probe = Files.createTempFile(tmp, ".health-", ".probe");
            try {
                Files.write(probe, new byte[] {1});
            } finally {
                Files.deleteIfExists(probe);
            }
        } catch (IOException | UnsupportedOperationException e) {
            out.add("cannot write in " + tmp + " (" + reason(e) + "): uploads cannot be received");
        }
        if (embeddedDatabase) {
            Path db = dataDir.resolve("hotpatch.db");
            if ((Files.exists(db) && !Files.isWritable(db)) || !Files.isWritable(dataDir)) {
                out.add("the embedded database " + db + " or its folder is not writable: nothing can be recorded");
            }
        }
        return out;
    }

    private static String reason(Exception e) {
        String m = e.getMessage() == null ? "" : e.getMessage();
        if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        return m.isEmpty() ? "not writable" : m;
    }
}
