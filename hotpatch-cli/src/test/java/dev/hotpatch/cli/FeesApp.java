package dev.hotpatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpatch.testkit.JarMaker;
import dev.hotpatch.testkit.TargetJvm;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** The fees sample app (examples/fees-app, copied into target/fees-app by the build) as a machine: a real JVM with a stable name. */
final class FeesApp {
    static final Path V1 = Path.of("target/fees-app/fees-app-1.0.jar").toAbsolutePath();
    static final Path V101 = Path.of("target/fees-app/fees-app-1.0.1.jar").toAbsolutePath();

    private FeesApp() {
    }

    /**
     * A custom build of the app: the same class names, compiled here with a fee of its own, so
     * that no class matches any published baseline byte for byte. Answers {@code fee 100 = 4}.
     */
    static Path customBuild(Path out) {
        String app = "package acme;\n"
                + "public final class FeesApp {\n"
                + "  public static void main(String[] a) throws Exception {\n"
                + "    System.out.println(\"ready pid=\" + ProcessHandle.current().pid());\n"
                + "    java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(System.in));\n"
                + "    for (String l; (l = in.readLine()) != null; ) {\n"
                + "      long n = Long.parseLong(l.substring(4).trim());\n"
                + "      System.out.println(\"fee \" + n + \" = \" + Fees.fee(n));\n"
                + "    }\n"
                + "  }\n"
                + "}\n";
        String fees = "package acme;\npublic final class Fees {\n  public static long fee(long c) { return c * 4 / 100; }\n}\n";
        return JarMaker.compile(out, Map.of("acme.FeesApp", app, "acme.Fees", fees), List.of(), 11);
    }

    /** A machine name no other test (or earlier run) on this host uses. */
    static String name(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** Starts {@code jar} on {@code java} as machine {@code name}, with the agent's state in {@code state}; waits for "ready". */
    static TargetJvm start(Path java, Path jar, String name, Path state) {
        assertThat(jar).as("the fees app jar; build with: mvn -o -q -pl hotpatch-cli -am install -DskipTests").isRegularFile();
        TargetJvm t = TargetJvm.builder(java).classpath(jar).mainClass("acme.FeesApp")
                .jvmArgs("-Dhotpatch.machine=" + name, "-Dhotpatch.state=" + state).start();
        t.await(l -> l.startsWith("ready"), TargetJvm.REQUEST_TIMEOUT);
        return t;
    }

    /** The app's answer to {@code fee 100}: 2 on 1.0, 3 once 1.0.1's fix is in. */
    static String fee(TargetJvm app) {
        return app.request("fee 100", "fee 100");
    }
}
