package dev.hotpatch.builder;

import java.util.List;

/**
 * The fix-up class a package ships ({@code hotpatch build --fixup}): an added class whose
 * {@code afterApply()} the agent calls after a live apply, and {@code afterUninstall()}, when
 * declared, after a live uninstall, to repair state the vulnerable code built.
 *
 * @param className internal name, e.g. {@code org/apache/commons/text/lookup/Text4ShellFixup}
 * @param hooks     the hooks it declares: {@code afterApply}, and {@code afterUninstall} when present
 */
public record Fixup(String className, List<String> hooks) {
    public Fixup {
        hooks = List.copyOf(hooks);
    }

    /** The report line, e.g. {@code fix-up: org/acme/QuotesFixup (afterApply, afterUninstall)}. */
    public String describe() {
        return "fix-up: " + className + " (" + String.join(", ", hooks) + ")";
    }
}
