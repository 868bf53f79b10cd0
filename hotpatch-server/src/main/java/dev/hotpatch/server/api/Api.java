package dev.hotpatch.server.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.hotpatch.server.ServerException;
import dev.hotpatch.server.assessment.Assessment;
import dev.hotpatch.server.assessment.Assessor;
import dev.hotpatch.server.auth.Principal;
import dev.hotpatch.server.auth.Role;
import dev.hotpatch.server.auth.Tokens;
import dev.hotpatch.server.catalog.Baseline;
import dev.hotpatch.server.catalog.Catalog;
import dev.hotpatch.server.catalog.Image;
import dev.hotpatch.server.catalog.Publishing;
import dev.hotpatch.server.catalog.Update;
import dev.hotpatch.server.history.History;
import dev.hotpatch.server.history.HistoryEntry;
import dev.hotpatch.server.install.CommandResult;
import dev.hotpatch.server.install.InstallRequest;
import dev.hotpatch.server.install.Operation;
import dev.hotpatch.server.install.Operations;
import dev.hotpatch.server.machine.Hotfixes;
import dev.hotpatch.server.machine.Machine;
import dev.hotpatch.server.machine.Machines;
import dev.hotpatch.server.node.CheckIn;
import dev.hotpatch.server.node.NodeProtocol;
import dev.hotpatch.server.release.ReleaseCalendar;
import dev.hotpatch.server.rollout.Rollout;
import dev.hotpatch.server.store.Blobs;
import dev.hotpatch.server.store.Database;
import dev.hotpatch.server.store.Json;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.javalin.http.UploadedFile;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The HTTP edge: the route table (REST under {@code /api/v1}, the OpenAPI document, metrics, the
 * console), authentication and roles, and the mapping of {@link ServerException}s to status codes
 * with a JSON {@code {error, message, hint}} body. Handlers only translate HTTP to calls on the
 * concept classes. Thread-safe.
 */
public final class Api {
    private static final String PRINCIPAL = "hotpatch.principal";
    private static final String STARTED = "hotpatch.started";
    private static final long MAX_PACKAGE = 64L << 20;
    private static final long MAX_JAR = 256L << 20;
    private static final long MAX_DESCRIPTOR = dev.hotpatch.format.ReleaseDescriptor.MAX_FILE_BYTES;

    /** Everything the routes call. */
    public record Services(Database db, Clock clock, Catalog catalog, Publishing publishing, Machines machines, Assessor assessor,
                           Operations operations, History history, Tokens tokens, NodeProtocol nodes, Hotfixes hotfixes, Blobs blobs,
                           Path tmpDir, String version, Runnable reassess, AutomationApi.Services automation) {
    }

    /** Who is calling, as {@code GET /api/v1/whoami} answers. */
    public record Whoami(String kind, String id, String name, String role) {
    }

    /**
     * Liveness, the store in use, and how often nodes check in (how long a queued command may wait for a polling node);
     * {@code status} {@code failing} (HTTP 503) with the {@code problems} when the server cannot write its data.
     */
    public record Health(String status, String database, String version, Instant time, int checkInIntervalSeconds,
                         List<String> problems) {
    }

    /** A new operator token. */
    public record TokenRequest(String name, String role) {
    }

    /** A new enrollment token; it expires after {@code expiresInMinutes} (default 1440). */
    public record EnrollmentTokenRequest(String name, Integer expiresInMinutes) {
    }

    /** Which hotpatch to uninstall; the latest when {@code kbId} is empty. */
    public record UninstallRequest(String kbId) {
    }

    /** Which baseline to roll back to; the last known good one when {@code baselineId} is empty. */
    public record RollbackRequest(String baselineId) {
    }

    /** Acknowledgement of a command result; {@code duplicate} when it had already been recorded. */
    public record Ack(boolean accepted, boolean duplicate) {
    }

    private final Services s;
    private final Metrics metrics;
    private final RequestLimits limits = new RequestLimits(RequestLimits.defaultBudget());
    private final dev.hotpatch.server.auth.FailedLogins failedLogins;
    private final List<Route> routes;
    private final byte[] openApi;

    public Api(Services s) {
        this.s = s;
        this.metrics = new Metrics(s.db());
        this.failedLogins = new dev.hotpatch.server.auth.FailedLogins(s.clock(), 30, Duration.ofMinutes(1));
        this.routes = routes();
        try {
            this.openApi = Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(OpenApi.document(routes, s.version()));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render the OpenAPI document", e);
        }
    }

    /** Registers routes, auth and error handling on a Javalin configuration. */
    public void configure(JavalinConfig config) {
        config.jsonMapper(new io.javalin.json.JavalinJackson(Json.MAPPER, false));
        config.startup.showJavalinBanner = false;
        config.startup.showOldJavalinVersionWarning = false;
        // JSON bodies: the largest is a node's check-in (RequestLimits); uploads are spooled to disk and bounded separately.
        config.http.maxRequestSize = RequestLimits.NODE_BODY;
        config.jetty.modifyServer(server -> server.setErrorHandler(new JsonErrors()));
        // No per-connection header cache. Jetty's default (1,024) gives every connection, once it has served a request,
        // a trie of 1,024 x 48 chars: about 100 KB of heap for as long as the connection stays open. A fleet keeps
        // thousands open (each node's connection idles up to the 30 s idle timeout after its check-in), so at 75,000
        // machines these tries alone filled a 1 GiB heap; the cache only spares a few small strings per request.
        config.jetty.modifyHttpConfiguration(http -> http.setHeaderCacheSize(0));
        config.jetty.multipartConfig.maxFileSize(MAX_JAR, io.javalin.config.SizeUnit.BYTES);
        config.jetty.multipartConfig.maxTotalRequestSize(MAX_JAR + (8L << 20), io.javalin.config.SizeUnit.BYTES);
        config.jetty.multipartConfig.maxInMemoryFileSize(1, io.javalin.config.SizeUnit.MB);
        config.jetty.multipartConfig.cacheDirectory(s.tmpDir().toString());
        config.routes.before(ctx -> ctx.attribute(STARTED, System.nanoTime()));
        config.routes.beforeMatched(this::authorize);
        config.routes.after(ctx -> {
            Long started = ctx.attribute(STARTED);
            var endpoint = safeEndpoint(ctx);
            if (started != null && endpoint != null) {
                metrics.request(ctx.method().name(), endpoint, ctx.status().getCode(), System.nanoTime() - started);
            }
        });
        config.routes.exception(ServerException.class, (e, ctx) -> {
            if (e instanceof ServerException.RateLimited rl) {
                ctx.header("Retry-After", Long.toString(rl.retryAfterSeconds()));
            }
            error(ctx, status(e), e.code(), e.getMessage(), e.hint());
        });
        config.routes.exception(io.javalin.http.HttpResponseException.class, (e, ctx) -> {
            switch (e.getStatus()) {
                case 404 -> error(ctx, 404, "no-route", "no route " + ctx.method().name() + " " + ctx.path(), "see /api/openapi.json for the API");
                case 405 -> error(ctx, 405, "method-not-allowed", ctx.method().name() + " is not allowed on " + ctx.path(), "see /api/openapi.json");
                case 413 -> {
                    ServerException.TooLarge t = RequestLimits.tooLarge(ctx, ctx.req().getContentLengthLong(), RequestLimits.cap(ctx));
                    error(ctx, 413, t.code(), t.getMessage(), t.hint());
                }
                default -> error(ctx, e.getStatus(), "http-" + e.getStatus(), e.getMessage(), "");
            }
        });
        config.routes.exception(Exception.class, (e, ctx) -> {
            ServerException known = StoreErrors.explain(e, s.tmpDir().getParent());
            if (known != null) {
                error(ctx, status(known), known.code(), known.getMessage(), known.hint());
                return;
            }
            // The exception's text stays in the log: it may name internal types, paths or SQL.
            String incident = dev.hotpatch.server.store.Ids.next("err", s.clock().instant());
            org.slf4j.LoggerFactory.getLogger(Api.class).error("internal error {} on {} {}", incident, ctx.method(), ctx.path(), e);
            error(ctx, 500, "internal", "the server failed on this request (incident " + incident + ")",
                    "this is a bug; the request may be retried; the server log has the details under " + incident);
        });
        for (Route r : routes) {
            config.routes.addHttpHandler(r.method(), r.path(), limits.guard(r), r.access());
        }
    }

    private static String safeEndpoint(Context ctx) {
        try {
            return ctx.endpoint().path;
        } catch (RuntimeException e) {
            return null;
        }
    }

    List<Route> routeTable() {
        return routes;
    }

    // ---- routes --------------------------------------------------------------------------------

    private List<Route> routes() {
        List<Route> r = new ArrayList<>();
        HandlerType get = HandlerType.GET;
        HandlerType post = HandlerType.POST;
        HandlerType patch = HandlerType.PATCH;
        HandlerType delete = HandlerType.DELETE;
        // Meta
        r.add(new Route(get, "/", Access.PUBLIC, "console", "Web console (static page; it calls the API with your token)", List.of(), null, null,
                String.class, false, 200, this::console));
        r.add(new Route(get, "/healthz", Access.PUBLIC, "meta", "Liveness: 503 when the server cannot write its data folder", List.of(), null,
                null, Health.class, false, 200, ctx -> {
                    List<String> problems = dev.hotpatch.server.store.DataFolder.problems(s.tmpDir().getParent(),
                            s.db().engine() == Database.Engine.SQLITE);
                    ctx.status(problems.isEmpty() ? 200 : 503).json(new Health(problems.isEmpty() ? "ok" : "failing",
                            s.db().engine().name().toLowerCase(java.util.Locale.ROOT), s.version(), s.clock().instant(),
                            (int) s.nodes().checkInInterval().toSeconds(), problems));
                }));
        r.add(new Route(get, "/api/openapi.json", Access.READER, "meta", "This OpenAPI document", List.of(), null, null, null, false, 200,
                ctx -> ctx.contentType("application/json").result(openApi)));
        r.add(new Route(get, "/metrics", Access.READER, "meta", "Prometheus metrics (text format 0.0.4)", List.of(), null, null,
                String.class, false, 200, ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape())));
        r.add(new Route(get, "/api/v1/whoami", Access.READER, "meta", "The calling token", List.of(), null, null, Whoami.class, false, 200,
                ctx -> {
                    Principal p = principal(ctx);
                    ctx.json(new Whoami(p.kind(), p.id(), p.name(), p.role() == null ? null : p.role().label()));
                }));
        // Catalog
        r.add(new Route(get, "/api/v1/images", Access.READER, "catalog", "List images", List.of(), null, null, Image.class, true, 200,
                ctx -> ctx.json(s.catalog().images())));
        r.add(new Route(post, "/api/v1/images", Access.PUBLISHER, "catalog", "Add an image (publisher/offer/sku)", List.of(),
                Catalog.ImageRequest.class, "json", Image.class, false, 201,
                ctx -> ctx.status(201).json(s.catalog().createImage(body(ctx, Catalog.ImageRequest.class), actor(ctx)))));
        r.add(new Route(get, "/api/v1/images/{image}", Access.READER, "catalog", "One image (by id or publisher:offer:sku)", List.of(), null, null,
                Image.class, false, 200, ctx -> ctx.json(s.catalog().image(ctx.pathParam("image")))));
        r.add(new Route(patch, "/api/v1/images/{image}", Access.PUBLISHER, "catalog",
                "Change an image's hotpatch support, enrollment default or cadence", List.of(), Catalog.ImageRequest.class, "json",
                Image.class, false, 200, ctx -> {
                    Image img = s.catalog().updateImage(ctx.pathParam("image"), body(ctx, Catalog.ImageRequest.class));
                    s.db().txRun(h -> s.assessor().markStale(h, img.id()));
                    s.reassess().run();
                    ctx.json(img);
                }));
        r.add(new Route(get, "/api/v1/images/{image}/schedule", Access.READER, "release", "Release calendar of a year",
                List.of(Route.qi("year", "calendar year (default: this year)")), null, null, ReleaseCalendar.Schedule.class, false, 200,
                ctx -> ctx.json(s.catalog().schedule(ctx.pathParam("image"), intParam(ctx, "year",
                        LocalDate.now(s.clock().withZone(ZoneOffset.UTC)).getYear())))));
        r.add(new Route(get, "/api/v1/images/{image}/baselines", Access.READER, "catalog", "Baselines of an image, oldest first", List.of(),
                null, null, Baseline.class, true, 200, ctx -> ctx.json(s.catalog().baselines(ctx.pathParam("image")))));
        r.add(new Route(post, "/api/v1/images/{image}/baselines", Access.PUBLISHER, "catalog",
                "Publish a baseline: jar(s) as multipart parts named 'jar' (or one jar as the raw body) and the fields below",
                List.of(Route.q("version", "build version (required)"), Route.q("kind", "planned (default) or unplanned"),
                        Route.q("releasedOn", "release date YYYY-MM-DD (default today, UTC)"), Route.q("kbId", "optional KB id"),
                        Route.q("title", "update name shown to operators"), Route.q("classification", "default Security"),
                        Route.q("cves", "comma-separated CVE ids"), Route.qb("override", "allow a second release in the month"),
                        Route.q("fileName", "jar file name, for a raw body")),
                null, "multipart+binary", Baseline.class, false, 201, this::publishBaseline));
        r.add(new Route(get, "/api/v1/baselines/{baseline}", Access.READER, "catalog", "One baseline with its jars", List.of(), null, null,
                Baseline.class, false, 200, ctx -> ctx.json(s.catalog().baseline(ctx.pathParam("baseline")))));
        r.add(new Route(get, "/api/v1/updates", Access.READER, "catalog", "List updates, newest first",
                List.of(Route.q("image", "image id or publisher:offer:sku"), Route.q("baseline", "baseline id")), null, null,
                Update.class, true, 200, ctx -> ctx.json(s.catalog().updates(ctx.queryParam("image"), ctx.queryParam("baseline")))));
        r.add(new Route(post, "/api/v1/updates", Access.PUBLISHER, "catalog",
                "Publish an update: a signed .hotpatch (multipart part 'package', or the raw body), verified against the trusted"
                        + " publishers; or a restart update as JSON (or multipart 'metadata' JSON plus an optional 'artifact' file)",
                List.of(Route.q("image", "image, when the package does not name it"), Route.q("baseline", "baseline id, version or jar SHA-256"),
                        Route.qb("override", "allow a second release in the month / a hotpatch in a planned baseline month")),
                Publishing.RestartUpdateRequest.class, "multipart+binary", Update.class, false, 201, this::publishUpdate));
        r.add(new Route(get, "/api/v1/updates/{kb}", Access.READER, "catalog", "One update with its classes", List.of(), null, null,
                Update.class, false, 200, ctx -> ctx.json(s.catalog().update(ctx.pathParam("kb")))));
        r.add(new Route(get, "/api/v1/blobs/{sha256}", Access.NODE_OR_READER, "catalog",
                "Download a jar, package or artifact by SHA-256 (the downloadUrl of baselines, updates and commands)", List.of(),
                null, null, byte[].class, false, 200, this::blob));
        // Machines
        r.add(new Route(get, "/api/v1/machines", Access.READER, "machines", "List machines",
                List.of(Route.q("status", "Enabled, Disabled, NotSupported, PendingEvaluation or ActionRequired"),
                        Route.q("image", "image id or publisher/offer/sku"), Route.q("node", "node id or host name"),
                        Route.qb("present", "only machines in (true) or missing from (false) their node's last check-in"),
                        Route.q("q", "name contains"), Route.q("region", "config region"), Route.q("tag", "KEY or KEY=VALUE"),
                        Route.qi("limit", "default 500"), Route.qi("offset", "default 0")),
                null, null, Machine.class, true, 200, ctx -> ctx.json(s.machines().list(new Machines.Filter(ctx.queryParam("status"),
                        ctx.queryParam("image"), ctx.queryParam("node"), boolParam(ctx, "present"), ctx.queryParam("q"),
                        ctx.queryParam("region"), ctx.queryParam("tag")), intParam(ctx, "limit", 500), intParam(ctx, "offset", 0)))));
        r.add(new Route(get, "/api/v1/machines/{machine}", Access.READER, "machines", "One machine (by id or name)", List.of(), null, null,
                Machine.class, false, 200, ctx -> ctx.json(s.machines().get(ctx.pathParam("machine")))));
        r.add(new Route(get, "/api/v1/machines/{machine}/assessment", Access.READER, "assessment",
                "Hotpatch status, last assessed, missing-update counts and the missing updates", List.of(), null, null,
                Assessment.class, false, 200, ctx -> ctx.json(s.assessor().last(ctx.pathParam("machine")))));
        r.add(new Route(post, "/api/v1/machines/{machine}/assess", Access.OPERATOR, "assessment",
                "Assess now: the node sends a fresh report, which is assessed; returns the operation", List.of(), null, null,
                Operation.class, false, 202, ctx -> ctx.status(202).json(s.operations().assess(ctx.pathParam("machine"), actor(ctx)))));
        r.add(new Route(post, "/api/v1/machines/{machine}/install", Access.OPERATOR, "install",
                "Install updates now (classifications, KB include/exclude, reboot setting, maximum duration); returns the operation",
                List.of(), InstallRequest.class, "json", Operation.class, false, 202,
                ctx -> ctx.status(202).json(s.operations().install(ctx.pathParam("machine"), body(ctx, InstallRequest.class), actor(ctx)))));
        r.add(new Route(post, "/api/v1/machines/{machine}/uninstall", Access.OPERATOR, "install",
                "Uninstall a hotpatch live (the latest when kbId is empty)", List.of(), UninstallRequest.class, "json", Operation.class,
                false, 202, ctx -> ctx.status(202).json(s.operations().uninstall(ctx.pathParam("machine"),
                        bodyOr(ctx, UninstallRequest.class, new UninstallRequest(null)).kbId(), actor(ctx)))));
        r.add(new Route(post, "/api/v1/machines/{machine}/rollback-baseline", Access.OPERATOR, "install",
                "Roll back to the last known good baseline (or baselineId: a baseline id or version of the machine's image), with a restart", List.of(), RollbackRequest.class, "json",
                Operation.class, false, 202, ctx -> ctx.status(202).json(s.operations().rollbackBaseline(ctx.pathParam("machine"),
                        bodyOr(ctx, RollbackRequest.class, new RollbackRequest(null)).baselineId(), actor(ctx)))));
        r.add(new Route(post, "/api/v1/machines/{machine}/restart", Access.OPERATOR, "install", "Restart the machine's JVM", List.of(),
                null, null, Operation.class, false, 202, ctx -> ctx.status(202).json(s.operations().restart(ctx.pathParam("machine"), actor(ctx)))));
        r.add(new Route(get, "/api/v1/machines/{machine}/hotfixes", Access.READER, "machines",
                "Get-HotFix: installed hotpatches and updates, checked against the catalog", List.of(), null, null,
                Hotfixes.Hotfix.class, true, 200, ctx -> ctx.json(s.hotfixes().list(ctx.pathParam("machine")))));
        r.add(new Route(get, "/api/v1/machines/{machine}/rollouts", Access.READER, "rollouts",
                "The rollouts the machine has been in, newest first, with its wave, state and reason in each",
                List.of(Route.qi("limit", "default 100, at most 1000")), null, null, Rollout.MachineRollout.class, true, 200, ctx -> {
                    Machine m = s.machines().get(ctx.pathParam("machine"));
                    ctx.json(s.automation().rollouts().ofMachine(m.id(), intParam(ctx, "limit", 100)));
                }));
        r.add(new Route(get, "/api/v1/machines/{machine}/history", Access.READER, "history", "The machine's update history, newest first",
                List.of(Route.qi("days", "how far back (default 30)"), Route.q("action", "only this action"), Route.qi("limit", "default 1000")),
                null, null, HistoryEntry.class, true, 200, ctx -> {
                    Machine m = s.machines().get(ctx.pathParam("machine"));
                    ctx.json(s.history().query(m.id(), ctx.queryParam("action"), since(ctx), intParam(ctx, "limit", 1000)));
                }));
        r.add(new Route(get, "/api/v1/history", Access.READER, "history", "Update history of the fleet, newest first",
                List.of(Route.q("machine", "machine id or name"), Route.qi("days", "how far back (default 30)"),
                        Route.q("action", "only this action"), Route.qi("limit", "default 1000")),
                null, null, HistoryEntry.class, true, 200, ctx -> {
                    String m = ctx.queryParam("machine");
                    ctx.json(s.history().query(m == null || m.isBlank() ? null : s.machines().get(m).id(), ctx.queryParam("action"),
                            since(ctx), intParam(ctx, "limit", 1000)));
                }));
        r.add(new Route(get, "/api/v1/operations", Access.READER, "install", "Operations, newest first",
                List.of(Route.q("machine", "machine id or name"), Route.q("state", "operation state"), Route.qi("limit", "default 100")),
                null, null, Operation.class, true, 200,
                ctx -> ctx.json(s.operations().list(ctx.queryParam("machine"), ctx.queryParam("state"), intParam(ctx, "limit", 100)))));
        r.add(new Route(get, "/api/v1/operations/{operation}", Access.READER, "install", "One operation with per-update results", List.of(),
                null, null, Operation.class, false, 200, ctx -> ctx.json(s.operations().operation(ctx.pathParam("operation")))));
        // Credentials
        r.add(new Route(get, "/api/v1/tokens", Access.ADMIN, "auth", "Operator tokens (never their secrets)", List.of(), null, null,
                Tokens.ApiToken.class, true, 200, ctx -> ctx.json(s.tokens().apiTokens())));
        r.add(new Route(post, "/api/v1/tokens", Access.ADMIN, "auth", "Create an operator token; the secret is in this response only",
                List.of(), TokenRequest.class, "json", Tokens.Issued.class, false, 201, ctx -> {
                    TokenRequest t = body(ctx, TokenRequest.class);
                    ctx.status(201).json(s.tokens().createApiToken(t.name(), Role.parse(t.role()), actor(ctx)));
                }));
        r.add(new Route(delete, "/api/v1/tokens/{token}", Access.ADMIN, "auth", "Revoke an operator token", List.of(), null, null, null,
                false, 204, ctx -> {
                    s.tokens().revokeApiToken(ctx.pathParam("token"));
                    ctx.status(204);
                }));
        r.add(new Route(post, "/api/v1/enrollment-tokens", Access.OPERATOR, "auth",
                "Create a one-time enrollment token for a node; the secret is in this response only", List.of(),
                EnrollmentTokenRequest.class, "json", Tokens.Issued.class, false, 201, ctx -> {
                    EnrollmentTokenRequest e = bodyOr(ctx, EnrollmentTokenRequest.class, new EnrollmentTokenRequest(null, null));
                    ctx.status(201).json(s.tokens().createEnrollmentToken(e.name(),
                            Duration.ofMinutes(e.expiresInMinutes() == null ? 1440 : e.expiresInMinutes()), actor(ctx)));
                }));
        r.add(new Route(get, "/api/v1/nodes", Access.READER, "auth", "Enrolled nodes", List.of(), null, null, Tokens.Node.class, true, 200,
                ctx -> ctx.json(s.tokens().nodes())));
        r.add(new Route(delete, "/api/v1/nodes/{node}", Access.ADMIN, "auth", "Revoke a node's credential", List.of(), null, null, null,
                false, 204, ctx -> {
                    s.tokens().revokeNode(ctx.pathParam("node"));
                    ctx.status(204);
                }));
        // Node protocol
        r.add(new Route(post, "/api/v1/node/enroll", Access.ENROLLMENT, "node",
                "Enroll a node with a one-time enrollment token (as the bearer); returns the node credential once", List.of(),
                CheckIn.EnrollRequest.class, "json", CheckIn.EnrollResponse.class, false, 201,
                ctx -> ctx.status(201).json(s.nodes().enroll(principal(ctx), body(ctx, CheckIn.EnrollRequest.class)))));
        r.add(new Route(post, "/api/v1/node/check-in", Access.NODE, "node",
                "Report every machine of the node; receive the commands to run", List.of(), CheckIn.Request.class, "json",
                CheckIn.Response.class, false, 200, ctx -> {
                    metrics.event("check_in");
                    ctx.json(s.nodes().checkIn(principal(ctx), body(ctx, CheckIn.Request.class)));
                }));
        r.add(new Route(post, "/api/v1/node/commands/{command}/result", Access.NODE, "node",
                "Report a command's result (idempotent), optionally with the machine's fresh report", List.of(), CommandResult.class, "json",
                Ack.class, false, 200, ctx -> {
                    Principal p = principal(ctx);
                    boolean fresh = s.operations().complete(p.id(), p.name(), ctx.pathParam("command"), body(ctx, CommandResult.class));
                    ctx.json(new Ack(true, !fresh));
                }));
        new TrustApi(s).addTo(r);
        r.addAll(new AutomationApi(s.automation()).routes());
        r.addAll(CommandWaitApi.routes(s.nodes().waits()));
        r.addAll(new FleetApi(s).routes());
        r.addAll(ConsoleFiles.routes());
        return List.copyOf(r);
    }

    // ---- handlers ------------------------------------------------------------------------------

    private void console(Context ctx) {
        try (InputStream in = Api.class.getResourceAsStream("/web/console.html")) {
            if (in == null) {
                throw new IllegalStateException("console.html is missing from the server jar");
            }
            ctx.contentType("text/html; charset=utf-8")
                    .header("Content-Security-Policy", ConsoleFiles.POLICY)
                    .header("X-Frame-Options", "DENY")
                    .result(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void blob(Context ctx) {
        Blobs.Blob b = s.blobs().get(ctx.pathParam("sha256")).orElseThrow(() -> new ServerException.NotFound("file", ctx.pathParam("sha256"),
                "use the downloadUrl the catalog or a command gives"));
        // Streamed a chunk at a time: a 256 MiB jar never sits in memory.
        ctx.contentType(b.mediaType()).header("X-Content-SHA256", b.sha256()).result(s.blobs().open(b));
    }

    private void publishBaseline(Context ctx) throws IOException {
        try (Uploads uploads = new Uploads(s.tmpDir())) {
            publishBaseline(ctx, uploads);
        }
    }

    private void publishBaseline(Context ctx, Uploads uploads) {
        List<Publishing.Upload> jars = new ArrayList<>();
        Publishing.Upload descriptor = null;
        if (ctx.isMultipartFormData()) {
            List<UploadedFile> files = Uploads.files(ctx, "jar");
            if (files.isEmpty()) {
                files = Uploads.parsing(ctx, ctx::uploadedFileMap).entrySet().stream().filter(e -> !"descriptor".equals(e.getKey()))
                        .flatMap(e -> e.getValue().stream()).toList();
            }
            for (UploadedFile f : files) {
                jars.add(uploads.spool(f, MAX_JAR, "jar"));
            }
            UploadedFile d = Uploads.file(ctx, "descriptor");
            descriptor = d == null ? null : uploads.spool(d, MAX_DESCRIPTOR, "the descriptor");
        } else {
            String name = field(ctx, "fileName");
            jars.add(uploads.spool(ctx.bodyInputStream(), name == null ? "baseline.jar" : name, MAX_JAR, "the jar"));
        }
        String released = field(ctx, "releasedOn");
        LocalDate date;
        try {
            date = released == null || released.isBlank() ? null : LocalDate.parse(released.trim());
        } catch (DateTimeException e) {
            throw new ServerException.BadRequest("invalid-date", "releasedOn '" + released + "' is not a date", "use YYYY-MM-DD");
        }
        Publishing.BaselineRequest req = new Publishing.BaselineRequest(field(ctx, "version"), field(ctx, "kind"), date, field(ctx, "kbId"),
                field(ctx, "title"), field(ctx, "classification"), list(field(ctx, "cves")), Boolean.parseBoolean(field(ctx, "override")));
        ctx.status(201).json(s.publishing().publishBaseline(ctx.pathParam("image"), req, jars, descriptor, actor(ctx)));
    }

    private void publishUpdate(Context ctx) throws IOException {
        try (Uploads uploads = new Uploads(s.tmpDir())) {
            publishUpdate(ctx, uploads);
        }
    }

    private void publishUpdate(Context ctx, Uploads uploads) throws IOException {
        String type = ctx.contentType() == null ? "" : ctx.contentType().toLowerCase(java.util.Locale.ROOT);
        if (type.startsWith("application/json")) {
            ctx.status(201).json(s.publishing().publishRestartUpdate(body(ctx, Publishing.RestartUpdateRequest.class), null, null,
                    actor(ctx)));
            return;
        }
        boolean override = Boolean.parseBoolean(field(ctx, "override"));
        if (ctx.isMultipartFormData()) {
            UploadedFile pkg = Uploads.file(ctx, "package");
            if (pkg == null) {
                String meta = Uploads.formParam(ctx, "metadata");
                if (meta == null) {
                    throw new ServerException.BadRequest("missing-package", "the upload has neither a 'package' file nor 'metadata'",
                            "send the .hotpatch as part 'package', or a restart update as part 'metadata' (JSON) with an optional 'artifact'");
                }
                Publishing.RestartUpdateRequest req = parse(meta, Publishing.RestartUpdateRequest.class);
                UploadedFile art = Uploads.file(ctx, "artifact");
                Publishing.Upload upload = art == null ? null : uploads.spool(art, MAX_JAR, "artifact");
                UploadedFile d = Uploads.file(ctx, "descriptor");
                Publishing.Upload descriptor = d == null ? null : uploads.spool(d, MAX_DESCRIPTOR, "the descriptor");
                ctx.status(201).json(s.publishing().publishRestartUpdate(req, upload, descriptor, actor(ctx)));
                return;
            }
            try (InputStream in = pkg.content()) {
                publishPackage(ctx, uploads.spool(in, pkg.filename(), MAX_PACKAGE, "the package"), override);
            }
            return;
        }
        publishPackage(ctx, uploads.spool(ctx.bodyInputStream(), "package.hotpatch", MAX_PACKAGE, "the package"), override);
    }

    private void publishPackage(Context ctx, Publishing.Upload pkg, boolean override) {
        try {
            ctx.status(201).json(s.publishing().publishHotpatch(pkg.file(), field(ctx, "image"), field(ctx, "baseline"), override, actor(ctx)));
        } catch (ServerException.Refused e) {
            metrics.event("package_refused");
            throw e;
        }
    }

    // ---- auth and errors -----------------------------------------------------------------------

    private void authorize(Context ctx) {
        Access access = ctx.routeRoles().stream().filter(Access.class::isInstance).map(Access.class::cast).findFirst().orElse(Access.ADMIN);
        if (access == Access.PUBLIC) {
            return;
        }
        String header = ctx.header("Authorization");
        String bearer = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).trim() : null;
        // Guessing is presenting credentials: a request without any is only told it needs one.
        boolean presented = bearer != null && !bearer.isBlank();
        String source = ctx.ip();
        if (presented) {
            failedLogins.checkAllowed(source);
        }
        Principal p;
        try {
            p = s.tokens().authenticate(bearer);
        } catch (ServerException.Unauthenticated e) {
            if (presented) {
                metrics.event("auth_failed");
                failedLogins.failed(source, ctx.method().name() + " " + ctx.path(), e.getMessage());
            }
            throw e;
        }
        boolean ok = switch (access) {
            case NODE -> Principal.NODE.equals(p.kind());
            case ENROLLMENT -> Principal.ENROLLMENT.equals(p.kind());
            case NODE_OR_READER -> Principal.NODE.equals(p.kind()) || (p.role() != null && p.role().allows(Role.READER));
            default -> p.role() != null && p.role().allows(access.role);
        };
        if (!ok) {
            metrics.event("forbidden");
            throw new ServerException.Forbidden(ctx.method().name() + " " + ctx.endpoint().path + " needs a " + access.describe()
                    + "; the caller is " + (p.role() == null ? "a " + p.kind() + " credential" : "token '" + p.name() + "' with role " + p.role().label()),
                    "use a token with the needed role (an admin creates one with POST /api/v1/tokens)");
        }
        ctx.attribute(PRINCIPAL, p);
    }

    static Principal principal(Context ctx) {
        return ctx.attribute(PRINCIPAL);
    }

    static String actor(Context ctx) {
        return principal(ctx).actor();
    }

    private static int status(ServerException e) {
        if (e instanceof ServerException.BadRequest) {
            return 400;
        } else if (e instanceof ServerException.Unauthenticated) {
            return 401;
        } else if (e instanceof ServerException.Forbidden) {
            return 403;
        } else if (e instanceof ServerException.NotFound) {
            return 404;
        } else if (e instanceof ServerException.Conflict) {
            return 409;
        } else if (e instanceof ServerException.TooLarge) {
            return 413;
        } else if (e instanceof ServerException.Unavailable) {
            return 503;
        } else if (e instanceof ServerException.RateLimited) {
            return 429;
        }
        return 422;
    }

    private static void error(Context ctx, int status, String code, String message, String hint) {
        if (status == 401) {
            ctx.header("WWW-Authenticate", "Bearer realm=\"hotpatch\"");
        }
        ctx.status(status).contentType("application/json").result(Json.write(new ApiError(code, message, hint)));
    }

    // ---- input ---------------------------------------------------------------------------------

    static <T> T body(Context ctx, Class<T> type) {
        T v = bodyOr(ctx, type, null);
        if (v == null) {
            throw new ServerException.BadRequest("missing-body", "this call needs a JSON body (" + type.getSimpleName() + ")",
                    "see /api/openapi.json for its fields");
        }
        return v;
    }

    static <T> T bodyOr(Context ctx, Class<T> type, T fallback) {
        byte[] bytes = boundedBody(ctx);
        if (bytes.length == 0) {
            return fallback;
        }
        return parse(bytes, type);
    }

    /**
     * The request body, refused past the route's cap ({@link RequestLimits}) even when it comes
     * without a length, and charged to the shared budget as it grows when it does.
     */
    private static byte[] boundedBody(Context ctx) {
        long cap = RequestLimits.cap(ctx);
        try (InputStream in = ctx.bodyInputStream()) {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            byte[] buf = new byte[64 * 1024];
            for (int n; (n = in.read(buf)) > 0; ) {
                long total = (long) out.size() + n;
                if (total > cap) {
                    throw RequestLimits.tooLarge(ctx, -1, cap);
                }
                RequestLimits.charge(ctx, total);
                out.write(buf, 0, n);
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new ServerException.BadRequest("body-unreadable", "the request body could not be read: " + e.getMessage(), "send it again");
        }
    }

    private static <T> T parse(String json, Class<T> type) {
        return parse(json.getBytes(StandardCharsets.UTF_8), type);
    }

    private static <T> T parse(byte[] json, Class<T> type) {
        try {
            T v = Json.MAPPER.readValue(json, type);
            if (v == null) {
                throw new ServerException.BadRequest("invalid-json", "the body is JSON null", "send a JSON object");
            }
            return v;
        } catch (IOException e) {
            throw new ServerException.BadRequest("invalid-json", "the body is not a valid " + type.getSimpleName() + ": "
                    + JsonProblems.describe(e), "see /api/openapi.json for its fields");
        }
    }

    private static String field(Context ctx, String name) {
        String v = ctx.isMultipartFormData() ? Uploads.formParam(ctx, name) : null;
        return v != null ? v : ctx.queryParam(name);
    }

    private static List<String> list(String csv) {
        return csv == null || csv.isBlank() ? List.of() : Arrays.stream(csv.split(",")).map(String::trim).filter(x -> !x.isEmpty()).toList();
    }

    static int intParam(Context ctx, String name, int fallback) {
        String v = ctx.queryParam(name);
        if (v == null || v.isBlank()) {
            return fallback;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new ServerException.BadRequest("invalid-" + name, name + " '" + v + "' is not a whole number", "pass ?" + name + "=N");
        }
    }

    private static Boolean boolParam(Context ctx, String name) {
        String v = ctx.queryParam(name);
        if (v == null || v.isBlank()) {
            return null;
        }
        if (!v.equalsIgnoreCase("true") && !v.equalsIgnoreCase("false")) {
            throw new ServerException.BadRequest("invalid-" + name, name + " '" + v + "' is not true or false", "pass ?" + name + "=true|false");
        }
        return Boolean.parseBoolean(v);
    }

    private Instant since(Context ctx) {
        int days = intParam(ctx, "days", 30);
        if (days < 1 || days > 3660) {
            throw new ServerException.BadRequest("invalid-days", "days " + days + " is out of range", "pass 1 to 3660");
        }
        return s.clock().instant().minus(Duration.ofDays(days));
    }
}
