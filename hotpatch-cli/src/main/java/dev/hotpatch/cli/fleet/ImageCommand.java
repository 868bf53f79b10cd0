package dev.hotpatch.cli.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hotpatch.cli.CommandGroup;
import dev.hotpatch.cli.ExitPolicy;
import dev.hotpatch.cli.Table;
import java.time.Month;
import java.time.format.TextStyle;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code hotpatch image}: the catalog's images (release lines named publisher/offer/sku). */
@Command(name = "image", description = {
        "Manage images: release lines of an application or library (publisher/offer/sku).",
        "Like Azure's supported images: each is hotpatch-supported or not, and enrolls its machines by default or not."})
public final class ImageCommand extends CommandGroup {

    /** {@code hotpatch image add}. */
    @Command(name = "add", description = {
            "Add an image to the catalog (needs a publisher token).",
            "Then publish its baseline with 'hotpatch baseline publish --image P/O/S …'."})
    public static final class Add extends FleetCommand {
        @Parameters(index = "0", paramLabel = "PUBLISHER/OFFER/SKU", description = "The image's name, e.g. acme/fees/1.x.")
        String name;

        @Option(names = "--not-supported", description = "Mark the image not hotpatch-supported: its machines are NotSupported.")
        boolean notSupported;

        @Option(names = "--disabled-by-default", description = "Machines of this image are not enrolled in hotpatching unless their node config says so.")
        boolean disabledByDefault;

        @Option(names = "--cadence-months", paramLabel = "N", description = "Months between planned baselines: 1, 2, 3, 4, 6 or 12 (default 3).")
        Integer cadenceMonths;

        @Option(names = "--cadence-anchor-month", paramLabel = "M", description = "Month (1-12) of the first planned baseline of a year (default 1).")
        Integer anchorMonth;

        @Override
        public Integer call() {
            String[] parts = name.split("/", -1);
            if (parts.length != 3 || java.util.Arrays.stream(parts).anyMatch(String::isBlank)) {
                throw usage("image name '" + name + "' is not publisher/offer/sku, e.g. acme/fees/1.x");
            }
            ObjectNode body = ApiClient.object().put("publisher", parts[0]).put("offer", parts[1]).put("sku", parts[2])
                    .put("hotpatchSupported", !notSupported).put("hotpatchEnabledByDefault", !disabledByDefault);
            if (cadenceMonths != null) {
                body.put("cadenceMonths", cadenceMonths);
            }
            if (anchorMonth != null) {
                body.put("cadenceAnchorMonth", anchorMonth);
            }
            JsonNode img = api().post("/api/v1/images", body);
            if (json()) {
                printJson("image", img);
            } else {
                out().println("Added image " + img.path("name").asText() + " (" + img.path("id").asText() + "): " + describe(img) + ".");
                out().println("Next: hotpatch baseline publish --image " + img.path("name").asText() + " --version V APP.jar");
                out().flush();
            }
            return ExitPolicy.OK;
        }
    }

    /** {@code hotpatch image set}. */
    @Command(name = "set", description = {
            "Change an image's hotpatch support, enrollment default or cadence (publisher).",
            "Its machines are re-assessed: e.g. --supported false turns them NotSupported."})
    public static final class Set extends FleetCommand {
        @Parameters(index = "0", paramLabel = "IMAGE", description = "The image (id or publisher/offer/sku).")
        String image;

        @Option(names = "--supported", paramLabel = "true|false", arity = "1", description = "Whether the image is hotpatch-supported.")
        Boolean supported;

        @Option(names = "--enabled-by-default", paramLabel = "true|false", arity = "1",
                description = "Whether its machines are enrolled in hotpatching unless their node config says otherwise.")
        Boolean enabledByDefault;

        @Option(names = "--cadence-months", paramLabel = "N", description = "Months between planned baselines: 1, 2, 3, 4, 6 or 12.")
        Integer cadenceMonths;

        @Option(names = "--cadence-anchor-month", paramLabel = "M", description = "Month (1-12) of the first planned baseline of a year.")
        Integer anchorMonth;

        @Override
        public Integer call() {
            ObjectNode body = ApiClient.object();
            if (supported != null) {
                body.put("hotpatchSupported", supported);
            }
            if (enabledByDefault != null) {
                body.put("hotpatchEnabledByDefault", enabledByDefault);
            }
            if (cadenceMonths != null) {
                body.put("cadenceMonths", cadenceMonths);
            }
            if (anchorMonth != null) {
                body.put("cadenceAnchorMonth", anchorMonth);
            }
            if (body.isEmpty()) {
                throw usage("nothing to change: give --supported, --enabled-by-default, --cadence-months or --cadence-anchor-month");
            }
            JsonNode img = api().patch("/api/v1/images/" + ApiClient.seg(ref(image)), body);
            if (json()) {
                printJson("image", img);
            } else {
                out().println("Image " + img.path("name").asText() + ": " + describe(img) + ". Its machines are re-assessed.");
                out().flush();
            }
            return ExitPolicy.OK;
        }
    }

    /** {@code hotpatch image list}. */
    @Command(name = "list", description = "List the catalog's images.")
    public static final class Listing extends FleetCommand {
        @Override
        public Integer call() {
            JsonNode images = api().get("/api/v1/images");
            if (json()) {
                printJson("images", images);
                return ExitPolicy.OK;
            }
            if (images.isEmpty()) {
                out().println("No images yet: add one with 'hotpatch image add publisher/offer/sku'.");
                out().flush();
                return ExitPolicy.OK;
            }
            Table t = new Table("ID", "IMAGE", "HOTPATCH", "CADENCE", "CURRENT BASELINE");
            for (JsonNode i : images) {
                t.add(i.path("id").asText(), i.path("name").asText(), i.path("hotpatchSupported").asBoolean()
                                ? (i.path("hotpatchEnabledByDefault").asBoolean() ? "supported, enabled by default" : "supported, off by default")
                                : "not supported",
                        "every " + i.path("cadenceMonths").asInt() + " months from " + month(i.path("cadenceAnchorMonth").asInt()),
                        i.path("currentBaselineVersion").asText(""));
            }
            t.print(out());
            return ExitPolicy.OK;
        }
    }

    /** An image reference for a URL path: {@code publisher/offer/sku} becomes {@code publisher:offer:sku}; ids stay. */
    static String ref(String image) {
        String s = image.strip();
        return s.chars().filter(c -> c == '/').count() == 2 ? s.replace('/', ':') : s;
    }

    static String describe(JsonNode img) {
        return (img.path("hotpatchSupported").asBoolean() ? "hotpatch supported" : "NOT hotpatch supported")
                + (img.path("hotpatchEnabledByDefault").asBoolean() ? ", enabled by default" : ", disabled by default")
                + "; planned baselines every " + img.path("cadenceMonths").asInt() + " months from " + month(img.path("cadenceAnchorMonth").asInt());
    }

    private static String month(int m) {
        return m >= 1 && m <= 12 ? Month.of(m).getDisplayName(TextStyle.FULL, Locale.ENGLISH) : Integer.toString(m);
    }
}
