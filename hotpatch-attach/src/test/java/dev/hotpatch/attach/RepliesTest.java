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
    void report_readsStatesCopiesAndAPendingRestart() {
        Message reply = Message.of("status", "ok", "mode", "enrolled", "installed.count", "2",
                "installed.0.id", "KB1", "installed.0.state", "active", "installed.0.classes.count", "1",
                "installed.0.classes.0.name", "acme/Fees", "installed.0.classes.0.sha256", "ef", "installed.0.classes.0.loaders", "1",
                "installed.0.classes.0.copies.count", "2",
                "installed.0.classes.0.copies.0.loader", "app", "installed.0.classes.0.copies.0.sha256", "ef",
                "installed.0.classes.0.copies.1.loader", "iso", "installed.0.classes.0.copies.1.sha256", "ab",
                "installed.1.id", "KB2", "installed.1.state", "quarantined", "installed.1.stateSince", "2026-12-05T10:00:00Z",
                "installed.1.stateReason", "the JVM stopped 42 s after KB2 was applied",
                "restartPending.since", "2026-12-05T09:00:00Z", "restartPending.reason", "/srv/app.jar changed on disk",
                "problems", "one | two");

        AgentReport r = AgentReport.from(reply);

        assertThat(r.mode()).isEqualTo("enrolled");
        assertThat(r.hotpatches()).extracting(InstalledHotpatch::state).containsExactly("active", "quarantined");
        assertThat(r.hotpatches().get(0).classes().get(0).copies()).containsExactly(
                new InstalledHotpatch.Copy("app", "ef"), new InstalledHotpatch.Copy("iso", "ab"));
        assertThat(r.quarantined()).singleElement().satisfies(q -> {
            assertThat(q.live()).isFalse();
            assertThat(q.stateSince()).isEqualTo(Instant.parse("2026-12-05T10:00:00Z"));
            assertThat(q.stateReason()).contains("42 s");
        });
        assertThat(r.restartPending()).isEqualTo(new AgentReport.RestartPending(Instant.parse("2026-12-05T09:00:00Z"),
                "/srv/app.jar changed on disk"));
        assertThat(r.problems()).containsExactly("one", "two");
    }

    @Test
    void report_ofAnOlderAgent_hasActiveAndSupersededStatesAndNoRestartPending() {
        Message reply = Message.of("status", "ok", "installed.count", "2", "installed.0.id", "KB1", "installed.0.active", "false",
                "installed.1.id", "KB2", "installed.1.active", "true");

        AgentReport r = AgentReport.from(reply);

        assertThat(r.hotpatches()).extracting(InstalledHotpatch::state).containsExactly("superseded", "active");
        assertThat(r.restartPending()).isNull();
        assertThat(r.problems()).isEmpty();
    }

    @Test
    void list_ofNothingIsEmpty() {
        assertThat(InstalledHotpatch.listFrom(Message.of("status", "ok", "installed.count", "0"))).isEmpty();
        assertThat(InstalledHotpatch.listFrom(Message.of("status", "ok"))).isEmpty();
    }
}
