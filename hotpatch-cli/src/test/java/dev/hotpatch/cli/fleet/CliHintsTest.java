package dev.hotpatch.cli.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CliHintsTest {
    @Test
    void restCallsAndFields_becomeCommandsAndFlags() {
        assertThat(CliHints.translate("list machines with GET /api/v1/machines; refer to one by id or name"))
                .isEqualTo("list machines with hotpatch machines; refer to one by id or name");
        assertThat(CliHints.translate("use a token with the needed role (an admin creates one with POST /api/v1/tokens)"))
                .isEqualTo("use a token with the needed role (an admin creates one with hotpatch token create)");
        assertThat(CliHints.translate("pass baselineId to choose a baseline of its image")).isEqualTo("pass --baseline to choose a baseline of its image");
        assertThat(CliHints.translate("one release per month is the rule; repeat with override=true if this one cannot wait"))
                .isEqualTo("one release per month is the rule; repeat with --override if this one cannot wait");
        assertThat(CliHints.translate("list an image's baselines with GET /api/v1/images/{id}/baselines"))
                .isEqualTo("list an image's baselines with hotpatch baseline list --image IMAGE");
        assertThat(CliHints.translate("pass ?present=true|false")).isEqualTo("pass --present true|false");
    }

    @Test
    void unknownText_isKept() {
        assertThat(CliHints.translate("check the package's published date")).isEqualTo("check the package's published date");
        assertThat(CliHints.translate(null)).isEmpty();
    }
}
