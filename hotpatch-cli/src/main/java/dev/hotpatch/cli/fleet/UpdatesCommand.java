package dev.hotpatch.cli.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hotpatch.cli.ExitPolicy;
import dev.hotpatch.cli.Table;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code hotpatch updates}: a machine's Updates view, as on Azure Update Manager's portal page. */
@Command(name = "updates", description = {
        "Show a machine's hotpatch status and missing updates (its Updates view).",
        "Hotpatch status and reason, last assessed, missing updates counted as total, critical, security and other, " +
                "then the missing updates: update name, classification, KB ID, reboot behavior, published date.",
        "Shows the last assessment; 'hotpatch assess --machine M' assesses now."})
public final class UpdatesCommand extends FleetCommand {
    @Option(names = "--machine", required = true, paramLabel = "NAME", description = "The machine (name or id).")
    String machine;

    @Option(names = "--classification", split = ",", paramLabel = "C", description = "Only list updates of these classifications"
            + " (Critical, Security, Updates, Definition); the counts stay whole.")
    List<String> classifications = new ArrayList<>();

    @Option(names = "--search", paramLabel = "TEXT", description = "Only list updates whose name or KB ID contains TEXT.")
    String search;

    @Override
    public Integer call() {
        JsonNode a = api().get("/api/v1/machines/" + ApiClient.seg(machine(machine)) + "/assessment");
        JsonNode shown = filtered(a);
        if (json()) {
            printJson("assessment", shown);
        } else {
            print(out(), shown, a.path("updates").size());
        }
        return ExitPolicy.OK;
    }

    private JsonNode filtered(JsonNode a) {
        if (classifications.isEmpty() && search == null) {
            return a;
        }
        ObjectNode copy = a.deepCopy();
        ArrayNode keep = copy.putArray("updates");
        String needle = search == null ? null : search.toLowerCase(Locale.ROOT);
        for (JsonNode u : a.path("updates")) {
            boolean byClass = classifications.isEmpty()
                    || classifications.stream().anyMatch(c -> c.strip().equalsIgnoreCase(u.path("classification").asText()));
            boolean bySearch = needle == null || u.path("updateName").asText().toLowerCase(Locale.ROOT).contains(needle)
                    || u.path("kbId").asText().toLowerCase(Locale.ROOT).contains(needle);
            if (byClass && bySearch) {
                keep.add(u);
            }
        }
        return copy;
    }

    /** The Updates view of an {@code Assessment}; {@code total} is how many updates it had before any filter. */
    public static void print(PrintWriter out, JsonNode a, int total) {
        out.println("Updates — " + a.path("machineName").asText());
        String reason = a.path("statusReason").asText("");
        out.println("Hotpatch status: " + a.path("status").asText() + (reason.isBlank() ? "" : " — " + reason));
        String image = a.path("image").asText("");
        if (!image.isBlank()) {
            boolean current = a.path("baselineId").asText("").equals(a.path("currentBaselineId").asText(""));
            out.println("Image: " + image + ", baseline " + a.path("baselineVersion").asText("unknown")
                    + (a.path("baselineId").isNull() ? "" : current ? " (current)" : " (not the current one)"));
        }
        out.println("Last assessed: " + (a.path("lastAssessedAt").isNull() ? "never" : Times.human(a.path("lastAssessedAt"))));
        out.println();
        JsonNode m = a.path("missing");
        new Table("Total missing updates", "Missing critical updates", "Missing security updates", "Other missing updates")
                .add(m.path("total").asInt(), m.path("critical").asInt(), m.path("security").asInt(), m.path("other").asInt()).print(out);
        out.println();
        JsonNode updates = a.path("updates");
        if (updates.isEmpty()) {
            out.println(total == 0 ? "No missing updates." : "No missing update matches the filter (" + total + " in all).");
        } else {
            out.println(updates.size() + (updates.size() == 1 ? " item" : " items") + (updates.size() < total ? " of " + total : ""));
            Table t = new Table("Update name", "Classifications", "KB ID", "Reboot behavior", "Published date");
            for (JsonNode u : updates) {
                t.add(u.path("updateName").asText(), u.path("classification").asText(), u.path("kbId").asText(),
                        u.path("rebootBehavior").asText(), Times.human(u.path("publishedDate")));
            }
            t.print(out);
        }
        out.flush();
    }
}
