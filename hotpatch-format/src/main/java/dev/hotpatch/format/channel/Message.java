package dev.hotpatch.format.channel;

import dev.hotpatch.format.PropertiesText;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * One request or reply on the channel between a tool (CLI, node daemon) and the agent in a target
 * JVM: a flat map of string fields, framed as a 4-byte big-endian length followed by the fields in
 * {@link Properties} text form (UTF-8). Properties keep both ends free of any parser dependency.
 * Not thread-safe while being built; immutable once sent.
 *
 * <p>Field conventions: requests carry {@code op}; replies carry {@code status}
 * ({@code ok}, {@code noop}, {@code refused}, {@code failed}) and {@code message}; lists use
 * {@code name.count} and {@code name.N.field}.
 */
public final class Message {
    /** Largest frame either side accepts. */
    public static final int MAX_BYTES = 8 << 20;

    private final Map<String, String> fields = new TreeMap<>();

    public Message() {
    }

    /** A message with the given key/value pairs. */
    public static Message of(String... keyValues) {
        if (keyValues.length % 2 != 0) {
            throw new IllegalArgumentException("keyValues must come in pairs");
        }
        Message m = new Message();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put(keyValues[i], keyValues[i + 1]);
        }
        return m;
    }

    /** Sets a field; a {@code null} value removes it. Returns this message. */
    public Message put(String key, Object value) {
        if (value == null) {
            fields.remove(key);
        } else {
            fields.put(key, String.valueOf(value));
        }
        return this;
    }

    /** The field's value, or {@code null}. */
    public String get(String key) {
        return fields.get(key);
    }

    /** The field's value, or {@code fallback}. */
    public String get(String key, String fallback) {
        String v = fields.get(key);
        return v == null ? fallback : v;
    }

    /** The field as an int, or {@code fallback} when absent or not a number. */
    public int getInt(String key, int fallback) {
        String v = fields.get(key);
        try {
            return v == null ? fallback : Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    /** The field as a long, or {@code fallback} when absent or not a number. */
    public long getLong(String key, long fallback) {
        String v = fields.get(key);
        try {
            return v == null ? fallback : Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    /** All fields, sorted by key. */
    public Map<String, String> fields() {
        return Collections.unmodifiableMap(fields);
    }

    /** Writes this message as one frame and flushes. */
    public void writeTo(OutputStream out) throws IOException {
        byte[] body = encode();
        if (body.length > MAX_BYTES) {
            throw new IOException("message of " + body.length + " bytes exceeds the channel limit of " + MAX_BYTES);
        }
        DataOutputStream d = new DataOutputStream(out);
        d.writeInt(body.length);
        d.write(body);
        d.flush();
    }

    /** Reads one frame; refuses frames over {@link #MAX_BYTES} or that do not parse. */
    public static Message readFrom(InputStream in) throws IOException {
        DataInputStream d = new DataInputStream(in);
        int length;
        try {
            length = d.readInt();
        } catch (EOFException e) {
            throw new EOFException("the other side closed the channel without a reply");
        }
        if (length < 0 || length > MAX_BYTES) {
            throw new IOException("refusing a channel frame of " + length + " bytes (limit " + MAX_BYTES + ")");
        }
        byte[] body = new byte[length];
        d.readFully(body);
        return decode(body);
    }

    byte[] encode() {
        // ASCII with \\uXXXX escapes: valid UTF-8 that keeps every Java string intact, unpaired surrogates included.
        return PropertiesText.write(fields).getBytes(StandardCharsets.US_ASCII);
    }

    static Message decode(byte[] body) throws IOException {
        Properties p = new Properties();
        try {
            p.load(new StringReader(new String(body, StandardCharsets.UTF_8)));
        } catch (IllegalArgumentException e) {
            throw new IOException("malformed channel message: " + e.getMessage(), e);
        }
        Message m = new Message();
        for (String k : p.stringPropertyNames()) {
            m.fields.put(k, p.getProperty(k));
        }
        return m;
    }

    /** Encodes to bytes without framing (for storage). */
    public byte[] toBytes() {
        return encode();
    }

    /** Decodes bytes written by {@link #toBytes()}. */
    public static Message fromBytes(byte[] body) throws IOException {
        return decode(body);
    }

    @Override
    public String toString() {
        return fields.toString();
    }

}
