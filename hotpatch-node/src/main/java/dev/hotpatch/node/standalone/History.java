package dev.hotpatch.node.standalone;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.hotpatch.node.NodeException;
import dev.hotpatch.node.internal.Json;
import dev.hotpatch.node.internal.PrivateFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The standalone node's history: one JSON object per line in {@code <data>/history.jsonl}, opened
 * for appending only and flushed to disk per entry, owner-only. Every install, refusal and deferral
 * the local policy decides is written here with who, what, where, when and the outcome. Lines are
 * never rewritten; a torn last line (a crash mid-write) is skipped when reading. Thread-safe.
 */
public final class History {
    private final Path file;

    /**
     * One line of history.
     *
     * @param time    when
     * @param machine which machine
     * @param action  {@code install}, {@code refuse-package} …
     * @param kbId    the package, when there is one
     * @param outcome {@code succeeded}, {@code refused}, {@code not_applicable}, {@code deferred}, {@code failed} …
     * @param message what happened, in operator terms
     * @param actor   who decided: the standalone policy of this node
     * @param command the node's command id, for installs
     * @param details structured facts
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Entry(Instant time, String machine, String action, String kbId, String outcome, String message, String actor,
                        String command, Map<String, Object> details) {
        /** The entry for a command's result. */
        public static Entry of(dev.hotpatch.node.command.CommandResult r, String actor) {
            Object kb = r.details().get("kbId");
            return new Entry(r.finishedAt(), r.machine(), r.action(), kb == null ? null : kb.toString(), r.status().label(), r.message(), actor, r.commandId(),
                    r.details().isEmpty() ? null : r.details());
        }
    }

    private History(Path file) {
        this.file = file;
    }

    /** Opens the history file in {@code dataDir}, creating it owner-only. */
    public static History open(Path dataDir) {
        Path f = dataDir.resolve("history.jsonl");
        try {
            PrivateFiles.folder(dataDir);
            if (!Files.exists(f)) {
                try {
                    Files.createFile(f, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                } catch (java.nio.file.FileAlreadyExistsException e) {
                    // Created concurrently; appending works the same.
                }
            }
        } catch (IOException e) {
            throw new NodeException("cannot create the history file " + f + ": " + e.getMessage(), e);
        }
        return new History(f);
    }

    /** Appends {@code e} durably. */
    public synchronized void append(Entry e) {
        byte[] line = (Json.write(e) + "\n").getBytes(StandardCharsets.UTF_8);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            ByteBuffer buf = ByteBuffer.wrap(line);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(false);
        } catch (IOException ex) {
            throw new NodeException("cannot append to the history file " + file + ": " + ex.getMessage(), ex);
        }
    }

    /** Every entry, oldest first. */
    public synchronized List<Entry> read() {
        List<Entry> out = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (line.isBlank()) {
                    continue;
                }
                try {
                    out.add(Json.MAPPER.readValue(line, Entry.class));
                } catch (IOException e) {
                    // A line torn by a crash mid-append; the entries before and after it are intact.
                }
            }
        } catch (IOException e) {
            throw new NodeException("cannot read the history file " + file + ": " + e.getMessage(), e);
        }
        return out;
    }

    public Path file() {
        return file;
    }
}
