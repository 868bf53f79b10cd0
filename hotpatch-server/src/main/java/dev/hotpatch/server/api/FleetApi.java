package dev.hotpatch.server.api;

import dev.hotpatch.server.ServerException;
import dev.hotpatch.server.fleet.Fleet;
import dev.hotpatch.server.history.Audit;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/**
 * The routes behind the console's fleet overview and audit pages: a fleet-wide machine search with
 * server-side paging, the counts of the same selection (by status, missing classification, image
 * and baseline) and the fleet's history with filters, paged. Registered by {@link Api#routes()};
 * handlers only translate HTTP to calls on {@link Fleet} and {@link Audit}. Thread-safe.
 */
final class FleetApi {
    private final Api.Services s;
    private final Fleet fleet;
    private final Audit audit;

    FleetApi(Api.Services s) {
        this.s = s;
        this.fleet = new Fleet(s.db());
        this.audit = new Audit(s.db());
    }

    List<Route> routes() {
        HandlerType get = HandlerType.GET;
        List<Route.Param> filters = List.of(Route.q("q", "name contains"), Route.q("image", "image id or publisher/offer/sku"),
                Route.q("region", "config region"), Route.q("zone", "config zone"), Route.q("tag", "KEY or KEY=VALUE"),
                Route.q("status", "Enabled, ActionRequired, PendingEvaluation, Disabled or NotSupported"),
                Route.qb("present", "only machines in (true) or missing from (false) their node's last check-in"),
                Route.q("missing", "critical, security, other (at least one such update missing), any or none"));
        List<Route> r = new ArrayList<>();
        List<Route.Param> paged = new ArrayList<>(filters);
        paged.add(Route.qi("limit", "page size (default 50, at most 1000)"));
        paged.add(Route.qi("offset", "default 0"));
        r.add(new Route(get, "/api/v1/fleet/machines", Access.READER, "fleet",
                "Search the fleet's machines, ordered by name, a page at a time (paginated; total counts the selection)", List.copyOf(paged),
                null, null, Fleet.Page.class, false, 200,
                ctx -> ctx.json(fleet.page(filter(ctx), Api.intParam(ctx, "limit", 50), Api.intParam(ctx, "offset", 0)))));
        r.add(new Route(get, "/api/v1/fleet/summary", Access.READER, "fleet",
                "Counts of the selected machines by hotpatch status, missing classification, image and baseline; the filters' values",
                filters, null, null, Fleet.Summary.class, false, 200, ctx -> ctx.json(fleet.summary(filter(ctx)))));
        r.add(new Route(get, "/api/v1/fleet/history", Access.READER, "history",
                "The fleet's update history with filters, newest first (paginated; total counts the selection)",
                List.of(Route.q("machine", "machine id or name"), Route.q("action", "install, uninstall, rollback-baseline, …"),
                        Route.q("outcome", "requested, succeeded, failed, refused, …"), Route.q("actor", "who asked: contains"),
                        Route.q("kb", "KB id"), Route.qi("days", "how far back (default 30; ignored with from)"),
                        Route.q("from", "from this date (YYYY-MM-DD, UTC) or instant"), Route.q("to", "before this date or instant"),
                        Route.qi("limit", "page size (default 100, at most 1000)"), Route.qi("offset", "default 0")),
                null, null, Audit.Page.class, false, 200, this::history));
        return r;
    }

    private static Fleet.Filter filter(Context ctx) {
        String present = ctx.queryParam("present");
        Boolean p = null;
        if (present != null && !present.isBlank()) {
            if (!present.equalsIgnoreCase("true") && !present.equalsIgnoreCase("false")) {
                throw new ServerException.BadRequest("invalid-present", "present '" + present + "' is not true or false", "pass ?present=true|false");
            }
            p = Boolean.parseBoolean(present);
        }
        return new Fleet.Filter(ctx.queryParam("q"), ctx.queryParam("image"), ctx.queryParam("region"), ctx.queryParam("zone"),
                ctx.queryParam("tag"), ctx.queryParam("status"), p, ctx.queryParam("missing"));
    }

    private void history(Context ctx) {
        Instant from = instant(ctx, "from");
        if (from == null) {
            int days = Api.intParam(ctx, "days", 30);
            if (days < 1 || days > 3660) {
                throw new ServerException.BadRequest("invalid-days", "days " + days + " is out of range", "pass 1 to 3660");
            }
            from = s.clock().instant().minus(Duration.ofDays(days));
        }
        Audit.Filter f = new Audit.Filter(ctx.queryParam("machine"), ctx.queryParam("action"), ctx.queryParam("outcome"),
                ctx.queryParam("actor"), ctx.queryParam("kb"), from, instant(ctx, "to"));
        ctx.json(audit.page(f, Api.intParam(ctx, "limit", 100), Api.intParam(ctx, "offset", 0)));
    }

    private static Instant instant(Context ctx, String name) {
        String v = ctx.queryParam(name);
        if (v == null || v.isBlank()) {
            return null;
        }
        try {
            return v.length() == 10 ? LocalDate.parse(v).atStartOfDay(ZoneOffset.UTC).toInstant() : Instant.parse(v);
        } catch (DateTimeException e) {
            throw new ServerException.BadRequest("invalid-" + name, name + " '" + v + "' is neither a date nor an instant",
                    "pass YYYY-MM-DD (UTC) or an ISO-8601 instant such as 2026-02-10T12:00:00Z");
        }
    }
}
