package dev.hotpatch.node.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import org.junit.jupiter.api.Test;

class MaintenanceWindowTest {
    private static final ZoneId PARIS = ZoneId.of("Europe/Paris");

    private static Instant paris(String localDateTime) {
        return LocalDateTime.parse(localDateTime).atZone(PARIS).toInstant();
    }

    @Test
    void isOpen_inTheMachinesOwnZone() {
        MaintenanceWindow w = MaintenanceWindow.parse("Sat 02:00-04:00");
        // 2026-03-21 is a Saturday.
        assertThat(w.isOpen(paris("2026-03-21T02:30"), PARIS)).isTrue();
        assertThat(w.isOpen(paris("2026-03-21T04:00"), PARIS)).isFalse();
        assertThat(w.isOpen(paris("2026-03-21T01:59"), PARIS)).isFalse();
        assertThat(w.isOpen(paris("2026-03-22T02:30"), PARIS)).isFalse();
        // 02:30 in Paris is 01:30 UTC: the same instant is outside a UTC machine's window.
        assertThat(w.isOpen(paris("2026-03-21T02:30"), ZoneId.of("UTC"))).isFalse();
    }

    @Test
    void isOpen_slotsRunPastMidnight() {
        MaintenanceWindow w = MaintenanceWindow.parse("Fri 22:00-02:00");
        assertThat(w.isOpen(paris("2026-03-20T23:00"), PARIS)).isTrue();
        assertThat(w.isOpen(paris("2026-03-21T01:00"), PARIS)).isTrue();
        assertThat(w.isOpen(paris("2026-03-21T02:00"), PARIS)).isFalse();
        assertThat(w.isOpen(paris("2026-03-19T23:00"), PARIS)).isFalse();
    }

    @Test
    void isOpen_followsDaylightSavingChanges() {
        // Clocks go forward in Paris on 2026-03-29 at 02:00 (to 03:00): a 02:00-04:00 slot lasts one hour.
        MaintenanceWindow w = MaintenanceWindow.parse("Sun 02:00-04:00");
        Instant open = Instant.parse("2026-03-29T01:00:00Z"); // 03:00 CEST
        assertThat(w.isOpen(open, PARIS)).isTrue();
        assertThat(w.isOpen(Instant.parse("2026-03-29T00:59:00Z"), PARIS)).isFalse(); // 01:59 CET
        assertThat(w.isOpen(Instant.parse("2026-03-29T02:00:00Z"), PARIS)).isFalse(); // 04:00 CEST
    }

    @Test
    void parse_acceptsListsRangesDailyAndAlways() {
        assertThat(MaintenanceWindow.parse("always").isOpen(Instant.EPOCH, PARIS)).isTrue();
        MaintenanceWindow w = MaintenanceWindow.parse("Mon-Fri 01:00-02:00; daily 12:00-12:30; Sat,Sun 00:00-24:00");
        assertThat(w.slots()).hasSize(3);
        assertThat(w.isOpen(paris("2026-03-22T17:00"), PARIS)).isTrue(); // Sunday, whole day
        assertThat(w.isOpen(paris("2026-03-18T12:15"), PARIS)).isTrue(); // Wednesday noon
        assertThat(w.isOpen(paris("2026-03-18T13:00"), PARIS)).isFalse();
        assertThatThrownBy(() -> MaintenanceWindow.parse("Someday 01:00-02:00")).hasMessageContaining("is not a day");
        assertThatThrownBy(() -> MaintenanceWindow.parse("Sat 01:00-01:00")).hasMessageContaining("same time");
    }
}
