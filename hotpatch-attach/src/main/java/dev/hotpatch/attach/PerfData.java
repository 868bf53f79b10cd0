package dev.hotpatch.attach;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * Reads one string counter from a HotSpot JVM's performance-data file ({@code hsperfdata_USER/PID}),
 * the file the JDK's attach provider reads to decide whether a JVM accepts attach at all. Format
 * version 2 (every HotSpot since Java 6): a 32-byte prologue (magic {@code 0xcafec0c0}, byte order,
 * version, entry offset and count), then entries of a 20-byte header (length, name offset, vector
 * length, type, flags, units, variability, data offset; offsets from the entry's start), a
 * NUL-terminated name and the data. Anything unexpected reads as "unknown": never guessed.
 * Stateless.
 */
final class PerfData {
    private static final int MAGIC = 0xcafec0c0;
    private static final int PROLOGUE = 32;
    private static final int ENTRY_HEADER = 20;
    /** A JVM's file is 32 KiB by default (-XX:PerfDataMemorySize); more than this is not one. */
    private static final int MAX_SIZE = 16 << 20;

    private PerfData() {
    }

    /**
     * Whether the JVM whose performance data is {@code file} accepts attach (the first character of
     * {@code sun.rt.jvmCapabilities} is {@code 1}); empty when that cannot be told (no file, not yet
     * initialised, another format).
     */
    static Optional<Boolean> attachable(Path file) {
        return string(file, "sun.rt.jvmCapabilities").map(caps -> !caps.isEmpty() && caps.charAt(0) == '1');
    }

    /** The string counter {@code name} from performance-data file {@code file}, or empty. */
    static Optional<String> string(Path file, String name) {
        ByteBuffer b;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < PROLOGUE || size > MAX_SIZE) {
                return Optional.empty();
            }
            b = ByteBuffer.allocate((int) size);
            while (b.hasRemaining() && ch.read(b) >= 0) {
                // Read the whole file: it is small, and a snapshot is what the checks below need.
            }
            b.flip();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
        return find(b, name);
    }

    /** The string counter {@code name} in the performance data {@code b}; empty when absent or malformed. */
    static Optional<String> find(ByteBuffer b, String name) {
        if (b.limit() < PROLOGUE || b.order(ByteOrder.BIG_ENDIAN).getInt(0) != MAGIC) {
            return Optional.empty();
        }
        byte order = b.get(4);
        byte major = b.get(5);
        byte accessible = b.get(7);
        if (major != 2 || accessible == 0 || (order != 0 && order != 1)) {
            return Optional.empty();
        }
        b.order(order == 0 ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        int at = b.getInt(24);
        int entries = b.getInt(28);
        byte[] wanted = name.getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < entries; i++) {
            if (at < PROLOGUE || at > b.limit() - ENTRY_HEADER) {
                return Optional.empty();
            }
            int length = b.getInt(at);
            int nameOffset = b.getInt(at + 4);
            int vectorLength = b.getInt(at + 8);
            byte type = b.get(at + 12);
            int dataOffset = b.getInt(at + 16);
            if (length < ENTRY_HEADER || length > b.limit() - at || nameOffset < ENTRY_HEADER || nameOffset >= length
                    || dataOffset <= nameOffset || dataOffset > length) {
                return Optional.empty();
            }
            if (type == 'B' && vectorLength > 0 && nameEquals(b, at + nameOffset, at + dataOffset, wanted)) {
                int start = at + dataOffset;
                int end = start;
                int max = Math.min(start + vectorLength, at + length);
                while (end < max && b.get(end) != 0) {
                    end++;
                }
                byte[] value = new byte[end - start];
                b.get(start, value);
                return Optional.of(new String(value, StandardCharsets.UTF_8));
            }
            at += length;
        }
        return Optional.empty();
    }

    /** Whether the NUL-terminated name at {@code from} (before {@code limit}) is {@code wanted}. */
    private static boolean nameEquals(ByteBuffer b, int from, int limit, byte[] wanted) {
        if (limit - from < wanted.length + 1) {
            return false;
        }
        for (int i = 0; i < wanted.length; i++) {
            if (b.get(from + i) != wanted[i]) {
                return false;
            }
        }
        return b.get(from + wanted.length) == 0;
    }
}
