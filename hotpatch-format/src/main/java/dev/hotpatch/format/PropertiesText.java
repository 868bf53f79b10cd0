package dev.hotpatch.format;

import java.util.Map;

/**
 * Writes {@link java.util.Properties} text that {@code Properties.load} reads back exactly, in the
 * map's order and without the date comment {@code Properties.store} always writes: that comment
 * formats a {@code java.util.Date}, which costs about 30 ms in a fresh JVM (time-zone data) on the
 * agent's first reply and first persisted apply, and makes otherwise identical output differ.
 * Output is ASCII (other characters as {@code \\uXXXX}, so unpaired surrogates survive). Stateless.
 */
public final class PropertiesText {
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private PropertiesText() {
    }

    /** One {@code key=value} line per entry, each ending in {@code \n}. */
    public static String write(Map<String, String> entries) {
        StringBuilder out = new StringBuilder();
        for (Map.Entry<String, String> e : entries.entrySet()) {
            escape(out, e.getKey(), true);
            out.append('=');
            escape(out, e.getValue(), false);
            out.append('\n');
        }
        return out.toString();
    }

    /** Escapes as Properties.store does: every space in keys, a value's leading spaces, separators and comment marks. */
    private static void escape(StringBuilder out, String s, boolean key) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case ' ':
                    if (key || i == 0) {
                        out.append('\\');
                    }
                    out.append(' ');
                    break;
                case '\\': out.append("\\\\"); break;
                case '\t': out.append("\\t"); break;
                case '\n': out.append("\\n"); break;
                case '\r': out.append("\\r"); break;
                case '\f': out.append("\\f"); break;
                case '=': case ':': case '#': case '!':
                    out.append('\\').append(c);
                    break;
                default:
                    if (c < 0x20 || c > 0x7e) {
                        out.append("\\u").append(HEX[(c >> 12) & 0xf]).append(HEX[(c >> 8) & 0xf])
                                .append(HEX[(c >> 4) & 0xf]).append(HEX[c & 0xf]);
                    } else {
                        out.append(c);
                    }
            }
        }
    }
}
