package dev.hotpatch.format;

import java.util.Arrays;
import java.util.Objects;

/**
 * One class in a package: either the replacement bytes for a class of the baseline
 * ({@link Kind#REPLACE}, with the SHA-256 of the baseline bytes it replaces) or a class the fix
 * adds ({@link Kind#ADDED}, defined by the agent into the loader of the replaced classes of its
 * Java package before they change or load). Immutable; the byte array is copied in and out.
 */
public final class ClassPatch {
    /** What a class entry does. */
    public enum Kind {
        /** Replaces a class of the baseline. */
        REPLACE,
        /**
         * A class the fix adds. It has no baseline; once defined into a class loader it stays there
         * (a class cannot be unloaded), unreferenced by the code an uninstall restores.
         */
        ADDED;

        String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        static Kind parse(String s) {
            for (Kind k : values()) {
                if (k.label().equals(s)) {
                    return k;
                }
            }
            throw new IllegalArgumentException("unknown class kind '" + s + "' (expected replace or added)");
        }
    }

    private final String name;
    private final Kind kind;
    private final String baselineSha256;
    private final byte[] bytes;
    private final String sha256;

    private ClassPatch(String name, Kind kind, String baselineSha256, byte[] bytes) {
        this.name = ClassNames.requireInternalName(name);
        this.kind = Objects.requireNonNull(kind, "kind");
        if (kind == Kind.REPLACE && !Sha256.isHex(baselineSha256)) {
            throw new IllegalArgumentException("class " + name + ": baseline SHA-256 must be 64 hex digits, got '"
                    + baselineSha256 + "'");
        }
        this.baselineSha256 = kind == Kind.REPLACE ? baselineSha256 : null;
        this.bytes = bytes.clone();
        this.sha256 = Sha256.hex(this.bytes);
    }

    /** A replacement for class {@code name} (internal form, {@code acme/Fees}) whose baseline bytes hash to {@code baselineSha256}. */
    public static ClassPatch replace(String name, String baselineSha256, byte[] newBytes) {
        return new ClassPatch(name, Kind.REPLACE, baselineSha256, newBytes);
    }

    /** A class the fix adds ({@code acme/FeeLimitException}); it has no baseline. */
    public static ClassPatch added(String name, byte[] bytes) {
        return new ClassPatch(name, Kind.ADDED, null, bytes);
    }

    /** Internal class name, e.g. {@code acme/Fees}. */
    public String name() {
        return name;
    }

    /** The Java package in internal form ({@code acme} for {@code acme/Fees}; empty for the unnamed package). */
    public String packageName() {
        int slash = name.lastIndexOf('/');
        return slash < 0 ? "" : name.substring(0, slash);
    }

    /** Binary class name as {@link Class#getName()} returns it, e.g. {@code acme.Fees}. */
    public String binaryName() {
        return name.replace('/', '.');
    }

    /** Whether this entry replaces a class of the baseline or adds one. */
    public Kind kind() {
        return kind;
    }

    /** SHA-256 of the baseline bytes this replaces; {@code null} for added classes. */
    public String baselineSha256() {
        return baselineSha256;
    }

    /** SHA-256 of {@link #bytes()}. */
    public String sha256() {
        return sha256;
    }

    /** A copy of the new class bytes. */
    public byte[] bytes() {
        return bytes.clone();
    }

    /** Path of this class inside the package. */
    String entryName() {
        return "HOTPATCH-INF/classes/" + name + ".class";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ClassPatch && ((ClassPatch) o).name.equals(name) && ((ClassPatch) o).kind == kind
                && Objects.equals(((ClassPatch) o).baselineSha256, baselineSha256) && Arrays.equals(((ClassPatch) o).bytes, bytes);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, kind, sha256);
    }

    @Override
    public String toString() {
        return kind.label() + " " + name + " " + (baselineSha256 == null ? "" : baselineSha256.substring(0, 12) + "→") + sha256.substring(0, 12);
    }
}
