package dev.hotpatch.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpatch.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo's fallback when no checkout is around: the built-in fees app, compiled now, in two hotpatchable releases. */
class FeesJarsTest {
    @TempDir
    Path tmp;

    @Test
    void locate_prefersTheCheckout() {
        FeesJars jars = FeesJars.locate(tmp);
        assertThat(jars.origin()).contains("examples/fees-app");
        assertThat(jars.baseline()).isRegularFile().hasFileName("fees-app-1.0.jar");
    }

    @Test
    void builtInCopy_compilesToTwoReleasesThatTheBuilderAcceptsAsAHotpatch() {
        FeesJars jars = FeesJars.compile(tmp);
        assertThat(jars.origin()).contains("built-in");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        assertThat(Main.run(new PrintWriter(out, true), new PrintWriter(err, true), "keygen", "--out", tmp.resolve("keys").toString())).isZero();
        int exit = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), "build", "--baseline", jars.baseline().toString(),
                "--patched", jars.fixed().toString(), "--id", "KB-DEMO-1", "--title", "t", "--classification", "Security",
                "--key", tmp.resolve("keys").toString(), "--out", tmp.resolve("p.hotpatch").toString());
        assertThat(exit).as(out + "\n" + err).isZero();
        assertThat(out.toString()).contains("acme/Fees").contains("1 changed");
    }
}
