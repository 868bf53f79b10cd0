package dev.hotpatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpatch.testkit.JarMaker;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The smallest target for CLI tests: {@code shop.App} reads {@code fee N} lines and answers
 * {@code fee N = <shop.Fees.fee(N)>}; builds differ only in the fee expression, so any two of them
 * make a hotpatch of one method body.
 */
final class FeeShop {
    private static final String APP = "package shop;\n"
            + "public class App {\n"
            + "  public static void main(String[] a) throws Exception {\n"
            + "    java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(System.in));\n"
            + "    System.out.println(\"ready\");\n"
            + "    for (String l; (l = in.readLine()) != null; ) {\n"
            + "      long c = Long.parseLong(l.substring(4).trim());\n"
            + "      System.out.println(\"fee \" + c + \" = \" + Fees.fee(c));\n"
            + "    }\n"
            + "  }\n"
            + "}\n";
    private static final String FEES = "package shop;\npublic class Fees {\n  public static long fee(long c) { return %s; }\n}\n";

    private FeeShop() {
    }

    /** {@code dir/name.jar}, whose {@code shop.Fees.fee(c)} returns {@code feeExpression}. */
    static Path jar(Path dir, String name, String feeExpression) {
        return JarMaker.compile(dir.resolve(name + ".jar"), Map.of("shop.App", APP, "shop.Fees", FEES.formatted(feeExpression)),
                List.of(), 11);
    }

    /** {@code hotpatch build} of {@code patched} against {@code baseline}, signed with {@code keys}, into {@code dir/id.hotpatch}. */
    static Path build(Path dir, Path keys, String id, Path baseline, Path patched) {
        Path out = dir.resolve(id + ".hotpatch");
        CliRun r = CliRun.of("build", "--baseline", baseline.toString(), "--patched", patched.toString(), "--id", id,
                "--title", "Fees", "--classification", "Security", "--key", keys.toString(), "--out", out.toString());
        assertThat(r.exit()).as(r.toString()).isZero();
        return out;
    }
}
