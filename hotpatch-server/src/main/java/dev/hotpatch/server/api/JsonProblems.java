package dev.hotpatch.server.api;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import java.io.IOException;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Collection;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Says what is wrong with a JSON body in the client's terms (which field, what it should be),
 * never in the server's: Jackson's own messages name internal Java types, which a 400 answer must
 * not leak. Stateless.
 */
final class JsonProblems {
    /** A dotted Java name such as {@code java.lang.Integer} or {@code dev.hotpatch.server.X$Y}. */
    private static final Pattern JAVA_NAME = Pattern.compile("\\b[a-z][a-z0-9_]*(\\.[A-Za-z_$][\\w$]*){2,}");

    private JsonProblems() {
    }

    static String describe(IOException e) {
        if (e instanceof JsonParseException p) {
            String where = p.getLocation() == null ? "" : " at line " + p.getLocation().getLineNr() + ", column " + p.getLocation().getColumnNr();
            return "it is not well-formed JSON" + where + " (" + clean(p.getOriginalMessage(), "unexpected input") + ")";
        }
        if (e instanceof JsonMappingException m) {
            String field = path(m);
            if (e instanceof InvalidFormatException f) {
                return where(field) + "'" + clean(String.valueOf(f.getValue()), "the value") + "' is not " + expected(f.getTargetType());
            }
            if (e instanceof MismatchedInputException mi && mi.getTargetType() != null) {
                return where(field) + "should be " + expected(mi.getTargetType());
            }
            Throwable cause = m.getCause();
            String detail = cause == null || cause.getMessage() == null ? null : clean(cause.getMessage(), null);
            return where(field) + "is invalid" + (detail == null ? "" : ": " + detail);
        }
        return "it cannot be read (" + clean(e.getMessage(), "unreadable") + ")";
    }

    private static String where(String field) {
        return field.isEmpty() ? "the body " : "field '" + field + "' ";
    }

    private static String path(JsonMappingException m) {
        StringBuilder b = new StringBuilder();
        for (JsonMappingException.Reference r : m.getPath()) {
            if (r.getFieldName() != null) {
                b.append(b.length() == 0 ? "" : ".").append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                b.append('[').append(r.getIndex()).append(']');
            }
        }
        return b.toString();
    }

    private static String expected(Class<?> t) {
        if (t == null) {
            return "of the expected kind";
        }
        if (t.isPrimitive() ? t != boolean.class && t != char.class : Number.class.isAssignableFrom(t)) {
            return "a number";
        }
        if (t == Boolean.class || t == boolean.class) {
            return "true or false";
        }
        if (t == String.class || t == Character.class || t == char.class) {
            return "text";
        }
        if (t == Instant.class) {
            return "a date-time such as 2026-01-15T10:00:00Z";
        }
        if (t == LocalDate.class) {
            return "a date such as 2026-01-15";
        }
        if (t.isArray() || Collection.class.isAssignableFrom(t)) {
            return "a list";
        }
        if (t.isEnum()) {
            StringBuilder b = new StringBuilder("one of ");
            Object[] values = t.getEnumConstants();
            for (int i = 0; i < values.length; i++) {
                b.append(i == 0 ? "" : ", ").append(values[i]);
            }
            return b.toString();
        }
        return Map.class.isAssignableFrom(t) || t.isRecord() || !t.getName().startsWith("java.") ? "an object" : "of the expected kind";
    }

    /** {@code text} unless it names Java types (then {@code fallback}); shortened. */
    private static String clean(String text, String fallback) {
        if (text == null || JAVA_NAME.matcher(text).find() || text.contains("`")) {
            return fallback;
        }
        return text.length() > 200 ? text.substring(0, 200) + "…" : text;
    }
}
