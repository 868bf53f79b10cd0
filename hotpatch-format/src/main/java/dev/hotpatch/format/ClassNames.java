package dev.hotpatch.format;

/** Validation of class names read from untrusted packages: they become entry paths and class lookups. */
final class ClassNames {
    private static final int MAX_LENGTH = 512;

    private ClassNames() {
    }

    /**
     * Returns {@code name} if it is a plausible internal class name ({@code a/b/C$D}); rejects empty
     * segments, {@code ..}, absolute paths, backslashes and control characters, so that a name can
     * never escape the package's class folder.
     */
    static String requireInternalName(String name) {
        if (name == null || name.isEmpty() || name.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("class name must be 1.." + MAX_LENGTH + " characters, got '" + name + "'");
        }
        for (String segment : name.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                throw new IllegalArgumentException("invalid class name '" + name + "': empty or relative path segment");
            }
            for (int i = 0; i < segment.length(); i++) {
                char c = segment.charAt(i);
                if (!(Character.isJavaIdentifierPart(c) || c == '-') || Character.isISOControl(c) || c == '\\') {
                    throw new IllegalArgumentException("invalid class name '" + name + "': character '"
                            + (Character.isISOControl(c) ? String.format("\\u%04x", (int) c) : String.valueOf(c)) + "' not allowed");
                }
            }
        }
        return name;
    }
}
