package dev.hotpatch.node.command;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Where a command's files come from: the server (with the node's credential), or local files. */
public interface Downloads {
    /** Copies of {@code file:} URIs only: standalone mode, where packages are in a local folder. */
    Downloads LOCAL_FILES = (source, target) -> {
        if (!"file".equalsIgnoreCase(source.getScheme())) {
            throw new IOException("cannot fetch " + source + ": standalone mode reads local files only");
        }
        Files.copy(Path.of(source), target, StandardCopyOption.REPLACE_EXISTING);
    };

    /** Writes the content at {@code source} to {@code target} (replacing it). */
    void fetch(URI source, Path target) throws IOException;
}
