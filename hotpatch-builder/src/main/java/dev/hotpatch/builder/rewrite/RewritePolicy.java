package dev.hotpatch.builder.rewrite;

import java.util.Set;

/**
 * How far the builder may go to make a fix hotpatchable.
 *
 * @param enabled        false keeps plain redefinition only ({@code hotpatch build --no-rewrite}): every
 *                       change HotSpot refuses is reported as refused
 * @param acceptedFields added instance fields, as {@code acme/Fees.scale}, whose value in objects created
 *                       before the patch a publisher has reviewed and accepts ({@code --accept-shadow}); the
 *                       builder otherwise refuses a field that the fixed constructors set to a value it cannot
 *                       reproduce for those objects
 */
public record RewritePolicy(boolean enabled, Set<String> acceptedFields) {
    /** Rewrite what can be rewritten safely; accept no unproven field defaults. */
    public static final RewritePolicy DEFAULT = new RewritePolicy(true, Set.of());
    /** Plain redefinition only. */
    public static final RewritePolicy NONE = new RewritePolicy(false, Set.of());

    public RewritePolicy {
        acceptedFields = acceptedFields == null ? Set.of() : Set.copyOf(acceptedFields);
    }
}
