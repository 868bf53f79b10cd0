package dev.hotpatch.builder.rewrite;

import java.util.Objects;

/**
 * What the builder does with one changed member of a class so that a running JVM can take it, as
 * {@code hotpatch build} and {@code hotpatch inspect} print it:
 * {@code acme/Fees method round(J)J: rewritten: moved — into the hidden helper, called through a constant method handle}.
 *
 * @param className internal name of the class, e.g. {@code acme/Fees}
 * @param member    the member as {@code method round(J)J} or {@code field scale I}; empty for the class as a whole
 * @param kind      what was done
 * @param detail    why, and what a publisher should know (for example the value objects created before the patch read)
 */
public record Verdict(String className, String member, Kind kind, String detail) {

    /** The outcomes, with the words reports use for them. */
    public enum Kind {
        /** Plain redefinition takes the change; nothing was rewritten. */
        AS_IS("redefined as is"),
        /** A member of the baseline stays (a removed member, or the baseline's modifiers or order). */
        KEPT("rewritten: kept"),
        /** An added method or lambda body lives in the class's hidden helper and is called through a method handle. */
        MOVED("rewritten: moved"),
        /** An added field lives in the hidden helper: a weak side table for instance fields, a static field for static ones. */
        SHADOWED("rewritten: shadowed"),
        /** An added compile-time constant is used by value and not declared. */
        INLINED("rewritten: inlined"),
        /**
         * A class the fix adds: it ships whole and the agent defines it into the loader of the
         * replaced classes of its package; it stays defined after an uninstall.
         */
        ADDED("added"),
        /** The change cannot be rewritten safely; the fix needs a baseline (restart). */
        REFUSED("refused");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        /** The words reports print, such as {@code rewritten: moved}. */
        public String label() {
            return label;
        }

        /** The short name used in JSON, such as {@code moved} or {@code as-is}. */
        public String key() {
            return this == AS_IS ? "as-is" : name().toLowerCase(java.util.Locale.ROOT);
        }

        static Kind ofKey(String key) {
            for (Kind k : values()) {
                if (k.key().equals(key)) {
                    return k;
                }
            }
            throw new IllegalArgumentException("unknown verdict kind '" + key + "'");
        }
    }

    public Verdict {
        Objects.requireNonNull(className, "className");
        Objects.requireNonNull(member, "member");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(detail, "detail");
    }

    /** Whether this verdict stops the fix from shipping as a hotpatch. */
    public boolean refused() {
        return kind == Kind.REFUSED;
    }

    @Override
    public String toString() {
        return className + (member.isEmpty() ? "" : " " + member) + ": " + kind.label() + (detail.isEmpty() ? "" : " — " + detail);
    }
}
