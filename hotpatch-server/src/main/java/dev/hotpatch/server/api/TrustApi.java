package dev.hotpatch.server.api;

import dev.hotpatch.format.ReleaseDescriptor;
import dev.hotpatch.server.catalog.Baseline;
import dev.hotpatch.server.catalog.Publishing;
import dev.hotpatch.server.machine.Binding;
import dev.hotpatch.server.machine.Machine;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.javalin.http.UploadedFile;
import java.util.List;

/**
 * Routes of trust and safety: attaching a publisher's signed descriptor to a baseline published
 * before baselines were signed, and the binding of machines to nodes (refused claims, moving a
 * machine). Registered by {@link Api}; handlers only translate HTTP. Thread-safe.
 */
final class TrustApi {
    private final Api.Services s;
    private final Binding binding;

    /** Where to move a machine: a node id, or a host name only one active node has. */
    record MoveRequest(String node) {
    }

    TrustApi(Api.Services s) {
        this.s = s;
        this.binding = new Binding(s.db(), s.clock(), s.history(), s.machines());
    }

    /** Adds this class's routes to {@code r}. */
    void addTo(List<Route> r) {
        r.add(new Route(HandlerType.PUT, "/api/v1/baselines/{baseline}/descriptor", Access.PUBLISHER, "catalog",
                "Attach the publisher's signed release descriptor to a baseline published unsigned, so nodes may install it"
                        + " (the raw descriptor as the body, or multipart part 'descriptor')",
                List.of(), null, "multipart+binary", Baseline.class, false, 200, this::attachDescriptor));
        r.add(new Route(HandlerType.POST, "/api/v1/machines/{machine}/move", Access.OPERATOR, "machines",
                "Bind a machine to another node (it belongs to the node that first reported it; other nodes' reports of it are refused)",
                List.of(), MoveRequest.class, "json", Machine.class, false, 200,
                ctx -> ctx.json(binding.move(ctx.pathParam("machine"), Api.body(ctx, MoveRequest.class).node(), Api.actor(ctx)))));
        r.add(new Route(HandlerType.GET, "/api/v1/machines/{machine}/claims", Access.READER, "machines",
                "Nodes that reported this machine without owning it (refused), with when and how often", List.of(), null, null,
                Binding.Claim.class, true, 200, ctx -> ctx.json(binding.claims(ctx.pathParam("machine")))));
    }

    private void attachDescriptor(Context ctx) {
        try (Uploads uploads = new Uploads(s.tmpDir())) {
            Publishing.Upload d;
            if (ctx.isMultipartFormData()) {
                UploadedFile f = Uploads.file(ctx, "descriptor");
                d = f == null ? null : uploads.spool(f, ReleaseDescriptor.MAX_FILE_BYTES, "the descriptor");
            } else {
                d = uploads.spool(ctx.bodyInputStream(), "descriptor.release", ReleaseDescriptor.MAX_FILE_BYTES, "the descriptor");
                d = d.size() == 0 ? null : d;
            }
            ctx.json(s.publishing().attachDescriptor(ctx.pathParam("baseline"), d, Api.actor(ctx)));
        }
    }
}
