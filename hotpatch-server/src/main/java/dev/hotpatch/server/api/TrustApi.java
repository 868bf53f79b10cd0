package dev.hotpatch.server.api;

import dev.hotpatch.format.ReleaseDescriptor;
import dev.hotpatch.server.catalog.Baseline;
import dev.hotpatch.server.catalog.Publishing;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.javalin.http.UploadedFile;
import java.util.List;

/**
 * Routes of trust and safety: attaching a publisher's signed descriptor to a baseline published
 * before baselines were signed. Registered by {@link Api}; handlers only translate HTTP. Thread-safe.
 */
final class TrustApi {
    private final Api.Services s;

    TrustApi(Api.Services s) {
        this.s = s;
    }

    /** Adds this class's routes to {@code r}. */
    void addTo(List<Route> r) {
        r.add(new Route(HandlerType.PUT, "/api/v1/baselines/{baseline}/descriptor", Access.PUBLISHER, "catalog",
                "Attach the publisher's signed release descriptor to a baseline published unsigned, so nodes may install it"
                        + " (the raw descriptor as the body, or multipart part 'descriptor')",
                List.of(), null, "multipart+binary", Baseline.class, false, 200, this::attachDescriptor));
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
