package dev.hotpatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code hotpatch demo} runs the whole loop to completion, in this JVM, and cleans up after itself.
 * Its duration is printed for the record, never asserted: the suite runs on shared 2-core machines
 * (bench/ and docs/performance.md hold timing claims).
 */
class DemoTest {
    @Test
    void demo_installsTheHotpatchLiveThroughServerAndNode() {
        long started = System.nanoTime();
        CliRun r = CliRun.of("demo");
        double seconds = (System.nanoTime() - started) / 1e9;
        System.out.println(String.format(Locale.ROOT, "DemoTest: hotpatch demo took %.1f s (wall)", seconds));

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out())
                .contains("$ hotpatch image add acme/fees/1.x")
                .contains("$ hotpatch baseline publish --image acme/fees/1.x --version 1.0")
                .contains("$ hotpatch update publish $DEMO/KB")
                .contains("$ hotpatch assess --machine fees-demo")
                .contains("Hotpatch status: Enabled")
                .contains("it answers: fee 100 = 2")
                .contains("$ hotpatch install --machine fees-demo --classification Critical,Security")
                .contains("installed")
                .contains("never restarted, now answers: fee 100 = 3")
                .contains("$ hotpatch list --machine fees-demo")
                .contains("$ hotpatch history --machine fees-demo")
                .containsPattern("Web console: http://127\\.0\\.0\\.1:\\d+/")
                .contains("Stopped the node, the app and the server");
        Matcher work = Pattern.compile("removed (\\S+)\\.").matcher(r.out());
        assertThat(work.find()).isTrue();
        assertThat(Path.of(work.group(1))).doesNotExist();
    }
}
