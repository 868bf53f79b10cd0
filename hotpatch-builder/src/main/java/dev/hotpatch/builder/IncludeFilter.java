package dev.hotpatch.builder;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The {@code --include} patterns: globs over class names that choose which changed classes a
 * package carries. A pattern may use internal ({@code acme/Fees}) or dotted ({@code acme.Fees})
 * form and may end in {@code .class}; {@code *} and {@code ?} stay within one package segment,
 * {@code **} crosses package separators ({@code org/**}{@code /JndiLookup} also matches
 * {@code org/JndiLookup}). No pattern at all includes every class. Immutable.
 */
final class IncludeFilter {
    private static final int MAX_PATTERN_LENGTH = 1000;

    private final List<String> globs;
    private final List<Pattern> patterns;

    private IncludeFilter(List<String> globs, List<Pattern> patterns) {
        this.globs = globs;
        this.patterns = patterns;
    }

    /** Compiles {@code globs}; {@link IllegalArgumentException} names a pattern that is empty or malformed. */
    static IncludeFilter of(List<String> globs) {
        List<String> kept = new ArrayList<>();
        List<Pattern> compiled = new ArrayList<>();
        for (String g : globs == null ? List.<String>of() : globs) {
            kept.add(g);
            compiled.add(compile(g));
        }
        return new IncludeFilter(List.copyOf(kept), List.copyOf(compiled));
    }

    /** Whether no pattern was given, so every class is included. */
    boolean includesAll() {
        return patterns.isEmpty();
    }

    /** Whether the class with internal name {@code className} is included. */
    boolean includes(String className) {
        if (patterns.isEmpty()) {
            return true;
        }
        for (Pattern p : patterns) {
            if (p.matcher(className).matches()) {
                return true;
            }
        }
        return false;
    }

    /** The patterns, as given, that match none of {@code classNames}. */
    List<String> unmatched(Collection<String> classNames) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < patterns.size(); i++) {
            Pattern p = patterns.get(i);
            if (classNames.stream().noneMatch(n -> p.matcher(n).matches())) {
                out.add(globs.get(i));
            }
        }
        return out;
    }

    private static Pattern compile(String glob) {
        if (glob == null || glob.isBlank()) {
            throw new IllegalArgumentException("empty --include pattern: give a class name or glob such as acme.Fees or acme/**");
        }
        if (glob.length() > MAX_PATTERN_LENGTH) {
            throw new IllegalArgumentException("--include pattern is longer than " + MAX_PATTERN_LENGTH + " characters");
        }
        String g = glob.trim();
        if (g.endsWith(".class")) {
            g = g.substring(0, g.length() - ".class".length());
        }
        g = g.replace('.', '/');
        StringBuilder re = new StringBuilder();
        for (int i = 0; i < g.length(); i++) {
            char c = g.charAt(i);
            if (Character.isISOControl(c) || Character.isWhitespace(c) || c == '\\') {
                throw new IllegalArgumentException("invalid --include pattern '" + glob.strip()
                        + "': it may hold class-name characters, '.', '/', '*' and '?' only");
            }
            if (c == '*' && i + 1 < g.length() && g.charAt(i + 1) == '*') {
                boolean slashFollows = i + 2 < g.length() && g.charAt(i + 2) == '/';
                re.append(slashFollows ? "(?:.*/)?" : ".*");
                i += slashFollows ? 2 : 1;
            } else if (c == '*') {
                re.append("[^/]*");
            } else if (c == '?') {
                re.append("[^/]");
            } else {
                re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(re.toString());
    }

    @Override
    public String toString() {
        return globs.isEmpty() ? "IncludeFilter[all]" : "IncludeFilter" + globs;
    }
}
