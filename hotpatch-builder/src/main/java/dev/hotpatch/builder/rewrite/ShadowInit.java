package dev.hotpatch.builder.rewrite;

import java.util.Locale;
import org.objectweb.asm.Type;

/**
 * A publisher-declared pre-patch value of an added instance field ({@code hotpatch build
 * --shadow-init CLASS.FIELD=VALUE}): the literal, parsed against the field's type into the constant
 * a class file would hold for it. Stateless.
 */
final class ShadowInit {
    /** The literals accepted, by type, for error messages. */
    static final String FORMS = RewritePolicy.SHADOW_INIT_FORMS;

    private ShadowInit() {
    }

    /**
     * The constant {@code value} stands for in a field of descriptor {@code desc}: an {@code Integer}
     * for boolean, char, byte, short and int, else a {@code Long}, {@code Float}, {@code Double} or
     * {@code String}.
     *
     * @throws IllegalArgumentException when the field's type takes no literal or the value is not one
     *                                  of its literals (a usage error: the message says the accepted forms)
     */
    static Object parse(String field, String value, String desc) {
        Type t = Type.getType(desc);
        String v = value.trim();
        try {
            switch (t.getSort()) {
                case Type.BOOLEAN:
                    if (v.equalsIgnoreCase("true") || v.equalsIgnoreCase("false")) {
                        return v.equalsIgnoreCase("true") ? 1 : 0;
                    }
                    break;
                case Type.CHAR:
                    if (value.length() == 1) {
                        return (int) value.charAt(0);
                    }
                    break;
                case Type.BYTE:
                    return ranged(v, Byte.MIN_VALUE, Byte.MAX_VALUE);
                case Type.SHORT:
                    return ranged(v, Short.MIN_VALUE, Short.MAX_VALUE);
                case Type.INT:
                    return ranged(v, Integer.MIN_VALUE, Integer.MAX_VALUE);
                case Type.LONG:
                    return Long.decode(v.endsWith("L") || v.endsWith("l") ? v.substring(0, v.length() - 1) : v);
                case Type.FLOAT:
                    return Float.parseFloat(number(v));
                case Type.DOUBLE:
                    return Double.parseDouble(number(v));
                default:
                    if ("Ljava/lang/String;".equals(desc)) {
                        return value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"") ? value.substring(1, value.length() - 1) : value;
                    }
                    throw new IllegalArgumentException("--shadow-init " + field + "=" + value + ": the field's type is "
                            + t.getClassName() + "; a pre-patch value can be declared only for a field of a primitive type or String "
                            + "(for another type, review it and use --accept-shadow " + field + ")");
            }
        } catch (NumberFormatException e) {
            // falls through to the usage error below
        }
        throw new IllegalArgumentException("--shadow-init " + field + "=" + value + ": '" + value + "' is not a "
                + t.getClassName() + " literal; accepted: " + FORMS);
    }

    private static int ranged(String v, long min, long max) {
        long n = Long.decode(v);
        if (n < min || n > max) {
            throw new NumberFormatException("out of range");
        }
        return (int) n;
    }

    private static String number(String v) {
        String n = v.toLowerCase(Locale.ROOT);
        if (n.contains("x") || n.contains("n") || n.endsWith("d") || n.endsWith("f")) {
            throw new NumberFormatException("not a plain decimal number");
        }
        return v;
    }
}
