package dev.hotpatch.cli.fleet;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns the server's hints, which speak REST ({@code GET /api/v1/machines}, {@code override=true},
 * {@code pass baselineId}), into the words of this command line ({@code hotpatch machines},
 * {@code --override}, {@code --baseline}), so that a person using the CLI is never told to make a
 * REST call. The server keeps REST hints because API clients need them; the translation lives here,
 * at the CLI's edge. Phrases are matched longest first; anything unknown is left as the server
 * wrote it. Stateless and thread-safe.
 */
final class CliHints {
    /** REST phrase (regex) → CLI phrase, tried in this order. */
    private static final Map<Pattern, String> PHRASES = new LinkedHashMap<>();

    static {
        phrase("GET /api/v1/images/\\{id\\}/baselines", "hotpatch baseline list --image IMAGE");
        phrase("POST /api/v1/images/\\{id\\}/baselines", "hotpatch baseline publish");
        phrase("PATCH /api/v1/images/\\{id\\}", "hotpatch image set");
        phrase("GET /api/v1/images", "hotpatch image list");
        phrase("POST /api/v1/images", "hotpatch image add");
        phrase("GET /api/v1/updates", "hotpatch update list");
        phrase("POST /api/v1/updates", "hotpatch update publish");
        phrase("GET /api/v1/machines/\\{id\\}/hotfixes", "hotpatch list --machine NAME");
        phrase("POST /api/v1/machines/\\{id\\}/assess", "hotpatch assess --machine NAME");
        phrase("GET /api/v1/machines", "hotpatch machines");
        phrase("GET /api/v1/operations", "hotpatch operation ID (ids are printed by install, uninstall, rollback and restart)");
        phrase("POST /api/v1/enrollment-tokens", "hotpatch token enroll");
        phrase("GET /api/v1/tokens", "hotpatch token list");
        phrase("POST /api/v1/tokens", "hotpatch token create");
        phrase("GET /api/v1/nodes", "the server's /api/v1/nodes (no CLI command lists nodes yet)");
        phrase("/api/openapi\\.json", "hotpatch --help");
        phrase("\\boverride=true\\b", "--override");
        phrase("\\bkind=unplanned\\b", "--kind unplanned");
        phrase("\\bpass baselineId\\b", "pass --baseline");
        phrase("\\bbaselineId\\b", "--baseline");
        phrase("\\bkbId\\b", "--id");
        phrase("\\breleasedOn\\b", "--released-on");
        phrase("\\bpass \\?([a-z]+)=true\\|false", "pass --$1 true|false");
    }

    private CliHints() {
    }

    private static void phrase(String regex, String replacement) {
        PHRASES.put(Pattern.compile(regex), replacement);
    }

    /** The hint in CLI words; empty for null. */
    static String translate(String hint) {
        if (hint == null || hint.isBlank()) {
            return "";
        }
        String out = hint;
        for (Map.Entry<Pattern, String> e : PHRASES.entrySet()) {
            Matcher m = e.getKey().matcher(out);
            if (m.find()) {
                out = m.replaceAll(e.getValue().contains("$1") ? e.getValue() : Matcher.quoteReplacement(e.getValue()));
            }
        }
        return out;
    }
}
