package dev.hotpatch.attach;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hotpatch.format.channel.Message;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Parsing of the agent's replies, per the channel protocol. */
class RepliesTest {
    @Test
    void apply_readsOutcomeAndEveryClass() {
        Message reply = Message.of("status", "ok", "message", "installed", "id", "KB2026-0001", "durationMicros", "4200",
                "classes.count", "2",
                "classes.0.name", "acme.Fees", "classes.0.loaders", "2", "classes.0.sha256", "ab", "classes.0.pending", "false",
                "classes.1.name", "acme.Later", "classes.1.loaders", "0", "classes.1.sha256", "cd", "classes.1.pending", "true");

        ApplyResult r = ApplyResult.from(reply);

        assertThat(r.outcome()).isEqualTo(Outcome.OK);
        assertThat(r.id()).isEqualTo("KB2026-0001");
        assertThat(r.durationMicros()).isEqualTo(4200);
        assertThat(r.classes()).containsExactly(new ApplyResult.PatchedClass("acme.Fees", 2, "ab", false),
                new ApplyResult.PatchedClass("acme.Later", 0, "cd", true));
    }

    @Test
    void apply_readsNoopAndRefused() {
        assertThat(ApplyResult.from(Message.of("status", "noop", "id", "KB1")).outcome()).isEqualTo(Outcome.NOOP);
        ApplyResult refused = ApplyResult.from(Message.of("status", "refused", "message", "acme.Fees in loader app: hash differs"));
        assertThat(refused.outcome()).isEqualTo(Outcome.REFUSED);
        assertThat(refused.message()).contains("hash differs");
        assertThat(refused.classes()).isEmpty();
    }

    @Test
    void unknownStatusIsAFailureNotASuccess() {
        assertThatThrownBy(() -> UninstallResult.from(Message.of("status", "maybe")))
                .isInstanceOf(AttachException.class)
                .hasMessageContaining("unknown status 'maybe'");
    }

    @Test
    void list_readsGetHotFixFieldsAndClasses() {
        Message reply = Message.of("status", "ok", "installed.count", "1",
                "installed.0.id", "KB2", "installed.0.title", "Fee rounding", "installed.0.classification", "Security",
                "installed.0.description", "Security Update: Fee rounding", "installed.0.installedOn", "2026-01-02T03:04:05Z",
                "installed.0.installedBy", "ops@host", "installed.0.supersedes", "KB1", "installed.0.cves", "CVE-2026-0001, CVE-2026-0002",
                "installed.0.persisted", "true", "installed.0.classes.count", "1",
                "installed.0.classes.0.name", "acme.Fees", "installed.0.classes.0.sha256", "ef", "installed.0.classes.0.loaders", "1");

        InstalledHotpatch h = InstalledHotpatch.listFrom(reply).get(0);

        assertThat(h.id()).isEqualTo("KB2");
        assertThat(h.installedOn()).isEqualTo(Instant.parse("2026-01-02T03:04:05Z"));
        assertThat(h.installedBy()).isEqualTo("ops@host");
        assertThat(h.supersedes()).containsExactly("KB1");
        assertThat(h.cves()).containsExactly("CVE-2026-0001", "CVE-2026-0002");
        assertThat(h.persisted()).isTrue();
        assertThat(h.classes()).containsExactly(new InstalledHotpatch.InstalledClass("acme.Fees", "ef", 1));
    }

    @Test
    void list_ofNothingIsEmpty() {
        assertThat(InstalledHotpatch.listFrom(Message.of("status", "ok", "installed.count", "0"))).isEmpty();
        assertThat(InstalledHotpatch.listFrom(Message.of("status", "ok"))).isEmpty();
    }
}
