package dev.hotpatch.builder;

import java.util.Objects;

/**
 * One reason a fix cannot be hotpatched: the class, the member concerned and the rule it breaks.
 * Its {@link #toString()} is the line operators read, for example
 * {@code acme/Fees: adds method round(J)J — redefinition cannot add methods}.
 *
 * @param className internal name of the class, e.g. {@code acme/Fees}
 * @param member    the member concerned as {@code method round(J)J} or {@code field scale I};
 *                  empty when the rule is about the class as a whole (hierarchy, modifiers, attributes)
 * @param rule      what changed and why HotSpot cannot apply it: the text after the colon
 */
public record Refusal(String className, String member, String rule) {

    public Refusal {
        Objects.requireNonNull(className, "className");
        Objects.requireNonNull(member, "member");
        Objects.requireNonNull(rule, "rule");
    }

    @Override
    public String toString() {
        return className + ": " + rule;
    }
}
