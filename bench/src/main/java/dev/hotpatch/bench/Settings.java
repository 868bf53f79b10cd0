package dev.hotpatch.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Command-line options shared by all benchmarks: which JDKs the target JVMs run on and how many
 * repetitions to make ({@code --quick} for a smoke run whose figures are not worth quoting).
 *
 * @param quick  a quarter of the repetitions (at least 3)
 * @param jdks   the {@code java} executables targets run on, Java 17 first
 */
record Settings(boolean quick, List<Path> jdks) {
    Settings {
        jdks = List.copyOf(jdks);
    }

    /** Parses {@code --quick} and {@code --jdk=17|25|all} (default all installed); returns the other arguments in {@code rest}. */
    static Settings parse(List<String> args, List<String> rest) {
        boolean quick = false;
        String jdk = "all";
        for (String a : args) {
            if (a.equals("--quick")) {
                quick = true;
            } else if (a.startsWith("--jdk=")) {
                jdk = a.substring("--jdk=".length());
            } else if (a.startsWith("--")) {
                throw new IllegalArgumentException("unknown option " + a + " (options: --quick, --jdk=17|25|all)");
            } else {
                rest.add(a);
            }
        }
        List<Path> jdks = new ArrayList<>();
        switch (jdk) {
            case "17": jdks.add(Workspace.java17()); break;
            case "25": jdks.add(Workspace.java25().orElseThrow(() -> new IllegalArgumentException("Java 25 is not installed"))); break;
            case "all": jdks.addAll(Workspace.jdks()); break;
            default: throw new IllegalArgumentException("--jdk takes 17, 25 or all, not " + jdk);
        }
        return new Settings(quick, jdks);
    }

    /** The number of repetitions to make of something done {@code full} times in a full run. */
    int n(int full) {
        return quick ? Math.max(3, full / 4) : full;
    }
}
