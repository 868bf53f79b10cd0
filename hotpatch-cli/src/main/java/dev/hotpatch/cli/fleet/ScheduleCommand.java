package dev.hotpatch.cli.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.cli.ExitPolicy;
import dev.hotpatch.cli.Table;
import java.time.Year;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code hotpatch schedule}: an image's release calendar for a year. */
@Command(name = "schedule", description = {
        "Show an image's release calendar for a year.",
        "Per month: what the cadence plans (a planned baseline, or a hotpatch release) and what was released (planned " +
                "or unplanned baseline, hotpatch, none), with each release."})
public final class ScheduleCommand extends FleetCommand {
    @Option(names = "--image", required = true, paramLabel = "IMAGE", description = "The image (id or publisher/offer/sku).")
    String image;

    @Option(names = "--year", paramLabel = "Y", description = "The calendar year (default: this year).")
    Integer year;

    @Override
    public Integer call() {
        JsonNode s = api().get("/api/v1/images/" + ApiClient.seg(ImageCommand.ref(image)) + "/schedule",
                ApiClient.params("year", year == null ? Year.now().getValue() : year));
        if (json()) {
            printJson("schedule", s);
            return ExitPolicy.OK;
        }
        out().println("Release calendar of " + image + " for " + s.path("year").asInt() + ": planned baselines every "
                + s.path("cadenceMonths").asInt() + " months (" + s.path("baselineMonths").asText() + "), hotpatches in the months between.");
        Table t = new Table("MONTH", "PLANNED", "RELEASED", "RELEASES");
        for (JsonNode m : s.path("months")) {
            StringBuilder r = new StringBuilder();
            for (JsonNode rel : m.path("releases")) {
                r.append(r.length() == 0 ? "" : "; ").append(rel.path("label").asText()).append(" (").append(rel.path("kind").asText())
                        .append(", ").append(rel.path("date").asText()).append(rel.path("override").asBoolean() ? ", override" : "").append(')');
            }
            t.add(m.path("month").asText(), m.path("planned").asText(), m.path("actual").asText(), r);
        }
        t.print(out());
        return ExitPolicy.OK;
    }
}
