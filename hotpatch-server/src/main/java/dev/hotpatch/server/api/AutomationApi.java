package dev.hotpatch.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpatch.server.ServerException;
import dev.hotpatch.server.approval.Approvals;
import dev.hotpatch.server.compliance.Compliance;
import dev.hotpatch.server.policy.Policies;
import dev.hotpatch.server.policy.PolicySettings;
import dev.hotpatch.server.quarantine.Quarantines;
import dev.hotpatch.server.rollout.Automation;
import dev.hotpatch.server.rollout.Rollout;
import dev.hotpatch.server.rollout.Rollouts;
import dev.hotpatch.server.store.Json;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The routes of automatic patching: rollouts (list, show, machines, events, start, resume,
 * cancel), policies by scope and a machine's effective policy, approvals and ring promotion,
 * quarantines, and compliance and exposure. Lists are paginated ({@code limit}, {@code offset};
 * the answer carries {@code total}). Registered by {@link Api#routes()}; handlers only translate
 * HTTP to calls on the concept classes. Thread-safe.
 */
public final class AutomationApi {
    /** What these routes call. */
    public record Services(Policies policies, Approvals approvals, Automation automation, Quarantines quarantines, Compliance compliance) {
        public Rollouts rollouts() {
            return automation.rollouts();
        }
    }

    /** An operator's note with an action (resume, cancel, clearing a quarantine). */
    record Note(String note) {
    }

    private final Services s;

    AutomationApi(Services s) {
        this.s = s;
    }

    List<Route> routes() {
        List<Route> r = new ArrayList<>();
        HandlerType get = HandlerType.GET;
        HandlerType post = HandlerType.POST;
        HandlerType patch = HandlerType.PATCH;
        HandlerType delete = HandlerType.DELETE;
        List<Route.Param> page = List.of(Route.qi("limit", "page size (default 100, at most 1000)"), Route.qi("offset", "default 0"));
        // Rollouts
        r.add(new Route(get, "/api/v1/rollouts", Access.READER, "rollouts", "Rollouts, newest first (paginated)",
                with(page, Route.q("state", "running, halted, completed or canceled"), Route.q("image", "image id or publisher:offer:sku"),
                        Route.q("target", "KB id or baseline id"), Route.q("origin", "automatic or operator")),
                null, null, Rollout.RolloutPage.class, false, 200,
                ctx -> ctx.json(s.rollouts().list(ctx.queryParam("state"), ctx.queryParam("image"), ctx.queryParam("target"),
                        ctx.queryParam("origin"), Api.intParam(ctx, "limit", 100), Api.intParam(ctx, "offset", 0)))));
        r.add(new Route(post, "/api/v1/rollouts", Access.OPERATOR, "rollouts",
                "Start a rollout of a hotpatch (update) or baseline to every machine that needs it, in availability-first waves",
                List.of(), Rollout.Request.class, "json", Rollout.class, false, 201,
                ctx -> ctx.status(201).json(s.rollouts().start(Api.body(ctx, Rollout.Request.class), Api.actor(ctx)))));
        r.add(new Route(get, "/api/v1/rollouts/{rollout}", Access.READER, "rollouts", "One rollout with its waves and latest events", List.of(),
                null, null, Rollout.class, false, 200, ctx -> ctx.json(s.rollouts().get(ctx.pathParam("rollout")))));
        r.add(new Route(get, "/api/v1/rollouts/{rollout}/machines", Access.READER, "rollouts", "A rollout's machines and their states (paginated)",
                with(page, Route.qi("wave", "only this wave"), Route.q("state", "only this state")), null, null, Rollout.MachinePage.class,
                false, 200, ctx -> ctx.json(s.rollouts().machines(ctx.pathParam("rollout"), optionalInt(ctx, "wave"), ctx.queryParam("state"),
                        Api.intParam(ctx, "limit", 100), Api.intParam(ctx, "offset", 0)))));
        r.add(new Route(get, "/api/v1/rollouts/{rollout}/events", Access.READER, "rollouts", "A rollout's events, newest first (paginated)", page,
                null, null, Rollout.EventPage.class, false, 200, ctx -> ctx.json(s.rollouts().events(ctx.pathParam("rollout"),
                        Api.intParam(ctx, "limit", 100), Api.intParam(ctx, "offset", 0)))));
        r.add(new Route(post, "/api/v1/rollouts/{rollout}/resume", Access.OPERATOR, "rollouts",
                "Resume a halted rollout (its failures so far are acknowledged)", List.of(), Note.class, "json", Rollout.class, false, 200,
                ctx -> {
                    String id = ctx.pathParam("rollout");
                    s.rollouts().resume(id, note(ctx), Api.actor(ctx));
                    s.automation().advance(id);
                    ctx.json(s.rollouts().get(id));
                }));
        r.add(new Route(post, "/api/v1/rollouts/{rollout}/cancel", Access.OPERATOR, "rollouts",
                "Cancel a rollout: machines not started are left alone; those being patched are still judged", List.of(), Note.class, "json",
                Rollout.class, false, 200, ctx -> ctx.json(s.rollouts().cancel(ctx.pathParam("rollout"), note(ctx), Api.actor(ctx)))));
        // Policies
        r.add(new Route(get, "/api/v1/policies", Access.READER, "policies", "Every stored policy (fleet, images, groups, machines)", List.of(),
                null, null, Policies.Scoped.class, true, 200, ctx -> ctx.json(s.policies().list())));
        r.add(new Route(get, "/api/v1/policies/fleet", Access.READER, "policies", "The fleet's policy (what every image inherits)", List.of(),
                null, null, Policies.Scoped.class, false, 200, ctx -> ctx.json(s.policies().get(Policies.FLEET, "*"))));
        r.add(new Route(patch, "/api/v1/policies/fleet", Access.OPERATOR, "policies",
                "Change the fleet's policy: fields given are set, fields given as null are cleared", List.of(), PolicySettings.class, "json",
                Policies.Scoped.class, false, 200, ctx -> ctx.json(s.policies().patch(Policies.FLEET, "*", tree(ctx), Api.actor(ctx)))));
        r.add(new Route(delete, "/api/v1/policies/fleet", Access.OPERATOR, "policies", "Clear the fleet's policy (defaults apply)", List.of(),
                null, null, null, false, 204, ctx -> {
                    s.policies().delete(Policies.FLEET, "*");
                    ctx.status(204);
                }));
        r.add(new Route(get, "/api/v1/policies/{scope}/{ref}", Access.READER, "policies",
                "The policy stored for an image (id or publisher:offer:sku), a group (name) or a machine (name or id)", List.of(), null, null,
                Policies.Scoped.class, false, 200, ctx -> ctx.json(s.policies().get(ctx.pathParam("scope"), ctx.pathParam("ref")))));
        r.add(new Route(patch, "/api/v1/policies/{scope}/{ref}", Access.OPERATOR, "policies",
                "Change the policy of an image, group or machine: fields given are set, fields given as null are cleared", List.of(),
                PolicySettings.class, "json", Policies.Scoped.class, false, 200,
                ctx -> ctx.json(s.policies().patch(ctx.pathParam("scope"), ctx.pathParam("ref"), tree(ctx), Api.actor(ctx)))));
        r.add(new Route(delete, "/api/v1/policies/{scope}/{ref}", Access.OPERATOR, "policies",
                "Clear the policy of an image, group or machine (it inherits everything)", List.of(), null, null, null, false, 204, ctx -> {
                    s.policies().delete(ctx.pathParam("scope"), ctx.pathParam("ref"));
                    ctx.status(204);
                }));
        r.add(new Route(get, "/api/v1/machines/{machine}/policy", Access.READER, "policies",
                "A machine's effective policy: automatic or not (and why), ring, window in its zone, each setting and where it came from",
                List.of(), null, null, Policies.MachineView.class, false, 200, ctx -> ctx.json(s.policies().view(ctx.pathParam("machine")))));
        // Approvals
        r.add(new Route(get, "/api/v1/approvals", Access.READER, "approvals",
                "Which updates of an image install automatically, from when, and in which rings",
                List.of(Route.q("image", "image id or publisher:offer:sku (required)")), null, null, Approvals.Decision.class, true, 200,
                ctx -> ctx.json(s.approvals().forImage(required(ctx, "image")))));
        r.add(new Route(post, "/api/v1/approvals/promote", Access.OPERATOR, "approvals", "Promote an approved update to the next ring of its image",
                List.of(), Approvals.Promotion.class, "json", Approvals.Decision.class, false, 200,
                ctx -> ctx.json(s.approvals().promote(Api.body(ctx, Approvals.Promotion.class), Api.actor(ctx)))));
        // Quarantines
        r.add(new Route(get, "/api/v1/quarantines", Access.READER, "quarantines", "Updates blocked because an agent quarantined them (paginated)",
                with(page, Route.q("state", "active or cleared"), Route.q("image", "image id or publisher:offer:sku")), null, null,
                Quarantines.QuarantinePage.class, false, 200, ctx -> ctx.json(s.quarantines().list(ctx.queryParam("state"),
                        ctx.queryParam("image"), Api.intParam(ctx, "limit", 100), Api.intParam(ctx, "offset", 0)))));
        r.add(new Route(get, "/api/v1/quarantines/{quarantine}", Access.READER, "quarantines", "One quarantine", List.of(), null, null,
                Quarantines.Quarantine.class, false, 200, ctx -> ctx.json(s.quarantines().get(ctx.pathParam("quarantine")))));
        r.add(new Route(post, "/api/v1/quarantines/{quarantine}/clear", Access.OPERATOR, "quarantines",
                "Clear a quarantine: the update may install automatically again", List.of(), Note.class, "json", Quarantines.Quarantine.class,
                false, 200, ctx -> ctx.json(s.quarantines().clear(ctx.pathParam("quarantine"), note(ctx), Api.actor(ctx)))));
        // Compliance
        r.add(new Route(get, "/api/v1/compliance/updates", Access.READER, "compliance",
                "Per update: machines fixed in memory, fixed on disk, still exposed; exposure-window percentiles (paginated)",
                with(page, Route.q("image", "image id or publisher:offer:sku")), null, null, Compliance.UpdatePage.class, false, 200,
                ctx -> ctx.json(s.compliance().updates(ctx.queryParam("image"), Api.intParam(ctx, "limit", 100), Api.intParam(ctx, "offset", 0)))));
        r.add(new Route(get, "/api/v1/compliance/updates/{kb}/machines", Access.READER, "compliance",
                "Per machine for one update: fixed in memory / on disk / exposed, exposure window, the baseline restart owed (paginated)",
                with(page, Route.q("state", "memory, disk or exposed")), null, null, Compliance.MachinePage.class, false, 200,
                ctx -> ctx.json(s.compliance().updateMachines(ctx.pathParam("kb"), ctx.queryParam("state"), Api.intParam(ctx, "limit", 100),
                        Api.intParam(ctx, "offset", 0)))));
        r.add(new Route(get, "/api/v1/compliance/cves", Access.READER, "compliance",
                "Per CVE: machines fixed in memory, fixed on disk, still exposed; exposure-window percentiles (paginated)", page, null, null,
                Compliance.CvePage.class, false, 200,
                ctx -> ctx.json(s.compliance().cves(Api.intParam(ctx, "limit", 100), Api.intParam(ctx, "offset", 0)))));
        r.add(new Route(get, "/api/v1/compliance/cves/{cve}/machines", Access.READER, "compliance",
                "Per machine for one CVE: fixed in memory / on disk / exposed, exposure window, the baseline restart owed (paginated)",
                with(page, Route.q("state", "memory, disk or exposed")), null, null, Compliance.MachinePage.class, false, 200,
                ctx -> ctx.json(s.compliance().cveMachines(ctx.pathParam("cve"), ctx.queryParam("state"), Api.intParam(ctx, "limit", 100),
                        Api.intParam(ctx, "offset", 0)))));
        return r;
    }

    private static List<Route.Param> with(List<Route.Param> base, Route.Param... more) {
        List<Route.Param> out = new ArrayList<>(List.of(more));
        out.addAll(base);
        return out;
    }

    private static String note(Context ctx) {
        Note n = Api.bodyOr(ctx, Note.class, new Note(null));
        return n.note();
    }

    private static JsonNode tree(Context ctx) {
        byte[] bytes = ctx.bodyAsBytes();
        if (bytes.length == 0) {
            throw new ServerException.BadRequest("missing-body", "this call needs a JSON body (PolicySettings)", "see /api/openapi.json for its fields");
        }
        try {
            return Json.MAPPER.readTree(new String(bytes, StandardCharsets.UTF_8));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new ServerException.BadRequest("invalid-json", "the body is not JSON: " + e.getOriginalMessage(), "send a JSON object of policy fields");
        }
    }

    private static String required(Context ctx, String name) {
        String v = ctx.queryParam(name);
        if (v == null || v.isBlank()) {
            throw new ServerException.BadRequest("missing-" + name, "this call needs ?" + name + "=", "e.g. ?" + name + "=acme:fees:1.x");
        }
        return v;
    }

    private static Integer optionalInt(Context ctx, String name) {
        String v = ctx.queryParam(name);
        return v == null || v.isBlank() ? null : Api.intParam(ctx, name, 0);
    }
}
