package dev.hotpatch.builder.rewrite;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 * @param shadowInits    added instance fields, as {@code acme/Fees.scale}, with the value objects created before
 *                       the patch read ({@code --shadow-init}): a literal of the field's primitive type or String,
 *                       parsed against the field's type when the builder meets it (see {@link ShadowInit}); it
 *                       replaces {@code --accept-shadow} for that field
 * @param classpath      jars of the library's dependencies ({@code --classpath}): the builder reads the supertypes
 *                       it finds there, so it can check overrides of types outside the patched jar and the JDK
 */
public record RewritePolicy(boolean enabled, Set<String> acceptedFields, Map<String, String> shadowInits, List<Path> classpath) {
    /** Rewrite what can be rewritten safely; accept no unproven field defaults. */
    public static final RewritePolicy DEFAULT = new RewritePolicy(true, Set.of());
    /** Plain redefinition only. */
    public static final RewritePolicy NONE = new RewritePolicy(false, Set.of());

    /** The literals {@code --shadow-init} accepts, by the field's type, for usage messages. */
    public static final String SHADOW_INIT_FORMS = "true or false for boolean; one character for char; a decimal, 0x hex or 0 octal "
            + "integer in range for byte, short, int and long (an L suffix allowed); a decimal number for float and double; any text "
            + "for String (surrounding double quotes are removed)";

    /** A policy with no declared pre-patch values and no dependency jars. */
    public RewritePolicy(boolean enabled, Set<String> acceptedFields) {
        this(enabled, acceptedFields, Map.of(), List.of());
    }

    public RewritePolicy {
        acceptedFields = acceptedFields == null ? Set.of() : Set.copyOf(acceptedFields);
        shadowInits = shadowInits == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(shadowInits));
        classpath = classpath == null ? List.of() : List.copyOf(classpath);
    }
}
