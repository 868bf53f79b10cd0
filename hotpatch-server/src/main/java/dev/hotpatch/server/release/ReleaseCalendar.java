package dev.hotpatch.server.release;

import dev.hotpatch.server.ServerException;
import java.time.LocalDate;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * An image's release calendar and the rules publishing must follow. Planned baselines come on the
 * cadence; the months between are hotpatch months; an unplanned baseline takes the place of a
 * hotpatch month. Rules: a planned baseline only in a baseline month; a hotpatch only against the
 * image's current baseline; baselines in date order (each starts a new cycle); one release per
 * month unless the publisher overrides.
 *
 * <p>An image's <em>first</em> baseline is its starting point, not a release on the cadence: it
 * records the build that machines already run when the image is onboarded, so it may be dated in
 * any month and does not take that month's release. Without this, onboarding an image (and the
 * README's walkthrough) would be refused in the eight hotpatch months of a quarterly cadence, and
 * its first hotpatch refused in the four others. Pure computation over the releases given;
 * immutable.
 */
public final class ReleaseCalendar {
    private final Cadence cadence;
    private final List<Release> releases;

    public ReleaseCalendar(Cadence cadence, List<Release> releases) {
        this.cadence = cadence;
        List<Release> sorted = new ArrayList<>(releases);
        sorted.sort(Comparator.comparing(Release::date).thenComparing(Release::id));
        this.releases = List.copyOf(sorted);
    }

    /** One month of the calendar. */
    public record Month(String month, String planned, String actual, List<Release> releases) {
    }

    /** The year's twelve months, each with what the cadence plans and what was published. */
    public record Schedule(int year, int cadenceMonths, String baselineMonths, String currentBaselineId, List<Month> months) {
    }

    /** The calendar for {@code year}. */
    public Schedule schedule(int year) {
        List<Month> out = new ArrayList<>();
        for (int m = 1; m <= 12; m++) {
            YearMonth ym = YearMonth.of(year, m);
            String planned = cadence.isBaselineMonth(ym) ? Release.PLANNED_BASELINE : Release.HOTPATCH;
            List<Release> in = releases.stream().filter(r -> r.month().equals(ym)).toList();
            String actual;
            if (in.isEmpty()) {
                actual = "none";
            } else if (in.stream().anyMatch(r -> r.kind().equals(Release.UNPLANNED_BASELINE))) {
                actual = Release.UNPLANNED_BASELINE;
            } else if (in.stream().anyMatch(r -> r.kind().equals(Release.PLANNED_BASELINE))) {
                actual = Release.PLANNED_BASELINE;
            } else {
                actual = Release.HOTPATCH;
            }
            out.add(new Month(ym.toString(), planned, actual, in));
        }
        return new Schedule(year, cadence.months(), cadence.describe(), currentBaseline().map(Release::id).orElse(null), out);
    }

    /** The newest baseline: the one hotpatches must target. */
    public Optional<Release> currentBaseline() {
        Release current = null;
        for (Release r : releases) {
            if (r.isBaseline()) {
                current = r;
            }
        }
        return Optional.ofNullable(current);
    }

    /** Checks that a new baseline may be published on {@code date}; throws with the rule broken. */
    public void checkBaseline(String version, boolean planned, LocalDate date, boolean override) {
        YearMonth month = YearMonth.from(date);
        if (releases.stream().noneMatch(Release::isBaseline)) {
            return; // the image's starting point: any month, and it takes no month's release
        }
        if (planned && !cadence.isBaselineMonth(month)) {
            throw new ServerException.Refused("not-a-baseline-month", "planned baseline " + version + " is dated " + date
                    + ", but " + month + " is a hotpatch month for this image (planned baselines come in " + cadence.describe() + ")",
                    "publish it with kind=unplanned if it replaces a hotpatch month, or date it in a baseline month with releasedOn");
        }
        Optional<Release> current = currentBaseline();
        if (current.isPresent() && date.isBefore(current.get().date())) {
            throw new ServerException.Refused("baseline-out-of-order", "baseline " + version + " is dated " + date
                    + ", before the current baseline " + current.get().label() + " (" + current.get().date() + ")",
                    "a new baseline starts a new cycle and must not be older than the current one; check the release date");
        }
        checkMonthFree(month, "baseline " + version, override);
    }

    /** Checks that a hotpatch for baseline {@code baselineId} may be published on {@code date}. */
    public void checkHotpatch(String kb, String baselineId, String baselineLabel, LocalDate date, boolean override) {
        Optional<Release> current = currentBaseline();
        if (current.isEmpty()) {
            throw new ServerException.Conflict("no-baseline", "hotpatch " + kb + " cannot be published: the image has no baseline yet",
                    "publish the baseline first (POST /api/v1/images/{id}/baselines)");
        }
        if (!current.get().id().equals(baselineId)) {
            throw new ServerException.Conflict("baseline-not-current", "hotpatch " + kb + " targets baseline " + baselineLabel
                    + ", but the image's current baseline is " + current.get().label() + " (since " + current.get().date() + ")",
                    "build the hotpatch against the current baseline; machines on older baselines need the baseline restart instead");
        }
        if (date.isBefore(current.get().date())) {
            throw new ServerException.Refused("hotpatch-before-baseline", "hotpatch " + kb + " is dated " + date
                    + ", before its baseline " + baselineLabel + " (" + current.get().date() + ")", "check the package's published date");
        }
        YearMonth month = YearMonth.from(date);
        if (cadence.isBaselineMonth(month) && !override
                && releases.stream().noneMatch(r -> r.isBaseline() && r.month().equals(month))) {
            throw new ServerException.Conflict("planned-baseline-month", month + " is a planned baseline month for this image ("
                    + cadence.describe() + ") and its baseline is not published yet; hotpatch " + kb + " would take its place",
                    "publish the month's baseline first, or repeat with override=true to release the hotpatch anyway");
        }
        checkMonthFree(month, "hotpatch " + kb, override);
    }

    private void checkMonthFree(YearMonth month, String what, boolean override) {
        Release start = releases.stream().filter(Release::isBaseline).findFirst().orElse(null);
        List<Release> in = releases.stream().filter(r -> r.month().equals(month) && r != start).toList();
        if (!in.isEmpty() && !override) {
            Release first = in.get(0);
            throw new ServerException.Conflict("month-taken", what + " would be a second release in " + month + ": "
                    + first.kind() + " " + first.label() + " was released on " + first.date(),
                    "one release per month is the rule; repeat with override=true if this one cannot wait (e.g. a zero-day fix)");
        }
    }
}
