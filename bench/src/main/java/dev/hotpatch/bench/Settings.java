package dev.hotpatch.bench;

import dev.hotpatch.format.SigningKey;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Command-line options shared by all benchmarks: which JDKs the target JVMs run on and how many
 * repetitions to make ({@code --quick} for a smoke run whose figures are not worth quoting).
 *
 * @param quick  a quarter of the repetitions (at least 3)
 * @param jdks   the {@code java} executables targets run on, Java 17 first
 * @param key    the type of the publisher key the benchmark packages are signed with
 */
record Settings(boolean quick, List<Path> jdks, SigningKey.Type key) {
    Settings {
        jdks = List.copyOf(jdks);
    }

    /**
     * Parses {@code --quick}, {@code --jdk=17|25|all} (default all installed) and {@code --key=ec|rsa}
     * (default ec); returns the other arguments in {@code rest}.
     */
    static Settings parse(List<String> args, List<String> rest) {
        boolean quick = false;
        String jdk = "all";
        SigningKey.Type key = SigningKey.Type.RSA;
        for (String a : args) {
            if (a.equals("--quick")) {
                quick = true;
            } else if (a.startsWith("--jdk=")) {
                jdk = a.substring("--jdk=".length());
            } else if (a.equals("--key=ec") || a.equals("--key=rsa")) {
                key = a.endsWith("ec") ? SigningKey.Type.EC : SigningKey.Type.RSA;
            } else if (a.startsWith("--")) {
                throw new IllegalArgumentException("unknown option " + a + " (options: --quick, --jdk=17|25|all, --key=ec|rsa)");
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
        return new Settings(quick, jdks, key);
    }

    /** The number of repetitions to make of something done {@code full} times in a full run. */
    int n(int full) {
        return quick ? Math.max(3, full / 4) : full;
    }
}
