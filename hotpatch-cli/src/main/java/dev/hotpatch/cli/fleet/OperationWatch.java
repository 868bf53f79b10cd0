package dev.hotpatch.cli.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.cli.ExitPolicy;
import dev.hotpatch.cli.Table;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Follows one operation (install, uninstall, rollback, restart, assess) until it ends: polls
 * {@code GET /api/v1/operations/{id}}, prints a line whenever an update or a command changes
 * state, and gives up when the operation's window has passed (plus a minute for the node's last
 * answer) or the caller's timeout. Stopping the wait never stops the operation. Not thread-safe.
 */
public final class OperationWatch {
    private static final Duration GRACE = Duration.ofMinutes(1);

    private final ApiClient api;
    private final PrintWriter progress;
    private final Map<String, String> seen = new HashMap<>();
    private long started;

    /** @param progress where progress lines go; null for none (e.g. with --json) */
    public OperationWatch(ApiClient api, PrintWriter progress) {
        this.api = api;
        this.progress = progress;
    }

    /** The operation when it ended, or as it was when the wait stopped ({@link #finished} tells which). */
    public JsonNode await(JsonNode operation, Duration timeout) {
        started = System.nanoTime();
        String id = operation.path("id").asText();
        Instant deadline = Times.parse(operation.path("deadlineAt"));
        Instant giveUp = deadline == null ? Instant.now().plus(Duration.ofHours(2)) : deadline.plus(GRACE);
        if (timeout != null && Instant.now().plus(timeout).isBefore(giveUp)) {
            giveUp = Instant.now().plus(timeout);
        }
        JsonNode op = operation;
        report(op);
        while (!finished(op) && Instant.now().isBefore(giveUp)) {
            long elapsedMs = (System.nanoTime() - started) / 1_000_000;
            try {
                Thread.sleep(elapsedMs < 5_000 ? 200 : elapsedMs < 60_000 ? 500 : 2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            op = api.get("/api/v1/operations/" + ApiClient.seg(id));
            report(op);
        }
        if (!finished(op) && progress != null) {
            progress.println("Stopped waiting for " + id + " (still " + op.path("state").asText() + "); it goes on. Follow it with"
                    + " 'hotpatch operation " + id + " --wait'.");
            progress.flush();
        }
        return op;
    }

    public static boolean finished(JsonNode op) {
        String s = op.path("state").asText();
        return !s.equals("queued") && !s.equals("in_progress");
    }

    /**
     * The exit code an operation ends with: 0 succeeded; 3 failed with every failed command
     * refused (nothing changed: not eligible, verification failed); 1 otherwise (partly done,
     * failed, timed out, or still running when the wait stopped).
     */
    public static int exitCode(JsonNode op) {
        switch (op.path("state").asText()) {
            case "succeeded":
                return ExitPolicy.OK;
            case "failed":
                boolean anyFailed = false;
                for (JsonNode c : op.path("commands")) {
                    if (c.path("state").asText().equals("failed")) {
                        anyFailed = true;
                        if (!c.path("resultStatus").asText().equals("refused")) {
                            return ExitPolicy.FAILURE;
                        }
                    }
                }
                return anyFailed ? ExitPolicy.REFUSED : ExitPolicy.FAILURE;
            default:
                return ExitPolicy.FAILURE;
        }
    }

    /** The operation as a summary: state and duration, then its updates (KB, name, classification, reboot behavior, result, reason). */
    public static void print(PrintWriter out, JsonNode op) {
        Instant created = Times.parse(op.path("createdAt"));
        Instant completed = Times.parse(op.path("completedAt"));
        String took = created != null && completed != null ? " in " + Times.duration(Duration.between(created, completed)) : "";
        out.println("Operation " + op.path("id").asText() + " (" + op.path("type").asText() + " on " + op.path("machine").asText() + "): "
                + label(op.path("state").asText()) + took);
        out.println("  requested by " + op.path("createdBy").asText() + " at " + Times.human(op.path("createdAt"))
                + request(op.path("request")));
        if (op.hasNonNull("message") && !op.path("message").asText().isBlank()) {
            out.println("  note: " + op.path("message").asText());
        }
        if (op.path("items").size() > 0) {
            Table t = new Table("KB ID", "Update name", "Classification", "Reboot behavior", "Result", "Reason");
            for (JsonNode i : op.path("items")) {
                t.add(i.path("kbId").asText(), i.path("title").asText(), i.path("classification").asText(), i.path("rebootBehavior").asText(),
                        i.path("state").asText(), i.path("reason").asText(""));
            }
            t.print(out);
        } else if (op.path("type").asText().equals("install")) {
            out.println("  Nothing to install: no missing update of this machine matches the request.");
        }
        for (JsonNode c : op.path("commands")) {
            if (c.hasNonNull("resultMessage") && !c.path("resultMessage").asText().isBlank()) {
                out.println("  " + c.path("type").asText() + ": " + c.path("resultStatus").asText() + ", " + c.path("resultMessage").asText());
            }
        }
        out.flush();
    }

    private void report(JsonNode op) {
        if (progress == null) {
            return;
        }
        String state = op.path("state").asText();
        if (changed("op", state)) {
            String what = switch (state) {
                case "queued" -> "queued; " + pickup(op);
                case "in_progress" -> "in progress";
                default -> label(state);
            };
            line(op.path("id").asText() + " " + what);
        }
        for (JsonNode i : op.path("items")) {
            String s = i.path("state").asText();
            if (changed("item" + i.path("position").asText(), s) && !s.equals("pending")) {
                line("  " + i.path("kbId").asText() + "  " + s.replace('_', ' ') + (i.hasNonNull("reason") ? ": " + i.path("reason").asText() : ""));
            }
        }
        for (JsonNode c : op.path("commands")) {
            String s = c.path("state").asText();
            String type = c.path("type").asText();
            if (changed("cmd" + c.path("id").asText(), s + c.path("attempts").asInt())) {
                if (s.equals("delivered")) {
                    line("  " + type + " delivered to the node" + (c.path("attempts").asInt() > 1 ? " (attempt " + c.path("attempts").asInt() + ")" : ""));
                } else if (!s.equals("pending") && (type.equals("restart") || type.equals("assess"))) {
                    line("  " + type + " " + s + (c.hasNonNull("resultMessage") ? ": " + c.path("resultMessage").asText() : ""));
                }
            }
        }
    }

    /**
     * When the node should pick a queued operation up, from what the server knows: the node's last
     * check-in and the check-in interval (a node holding a connection open gets it sooner).
     */
    private String pickup(JsonNode op) {
        try {
            JsonNode machine = api.get("/api/v1/machines/" + ApiClient.seg(op.path("machineId").asText()));
            int every = api.get("/healthz").path("checkInIntervalSeconds").asInt(0);
            Instant seen = Times.parse(machine.path("lastSeenAt"));
            String node = machine.path("node").asText("the machine's node");
            if (every <= 0 || seen == null) {
                return "waiting for " + node + " to pick it up";
            }
            long ago = Math.max(0, Duration.between(seen, Instant.now()).toSeconds());
            long within = Math.max(0, every - ago);
            return "waiting for node " + node + ": at once while it waits for commands, else at its next check-in (last " + ago
                    + " s ago, every " + every + " s: within about " + within + " s" + (ago > 2L * every ? ", unless the node is down" : "")
                    + ")";
        } catch (RuntimeException e) {
            return "waiting for the machine's node to pick it up (at once while it waits for commands, else at its next check-in)";
        }
    }

    private boolean changed(String key, String value) {
        return !value.equals(seen.put(key, value));
    }

    private void line(String text) {
        double s = (System.nanoTime() - started) / 1e9;
        progress.println(String.format(Locale.ROOT, "[%5.1fs] ", s) + text);
        progress.flush();
    }

    private static String label(String state) {
        return state.replace('_', ' ');
    }

    private static String request(JsonNode r) {
        if (r == null || r.isMissingNode() || r.isEmpty()) {
            return "";
        }
        StringBuilder b = new StringBuilder();
        if (r.path("classifications").size() > 0) {
            b.append("; classifications ").append(join(r.path("classifications")));
        }
        if (r.path("includeKbs").size() > 0) {
            b.append("; include ").append(join(r.path("includeKbs")));
        }
        if (r.path("excludeKbs").size() > 0) {
            b.append("; exclude ").append(join(r.path("excludeKbs")));
        }
        if (r.hasNonNull("reboot")) {
            b.append("; reboot ").append(r.path("reboot").asText());
        }
        if (r.hasNonNull("maxDurationMinutes")) {
            b.append("; max ").append(r.path("maxDurationMinutes").asText()).append(" min");
        }
        if (r.hasNonNull("kbId")) {
            b.append("; ").append(r.path("kbId").asText());
        }
        if (r.hasNonNull("baseline")) {
            b.append("; baseline ").append(r.path("baseline").asText());
        } else if (r.hasNonNull("baselineId")) {
            b.append("; baseline ").append(r.path("baselineId").asText());
        }
        return b.toString();
    }

    static String join(JsonNode array) {
        StringBuilder b = new StringBuilder();
        for (JsonNode n : array) {
            b.append(b.length() == 0 ? "" : ", ").append(n.asText());
        }
        return b.toString();
    }
}
