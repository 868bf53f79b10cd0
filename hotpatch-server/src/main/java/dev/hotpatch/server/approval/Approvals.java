package dev.hotpatch.server.approval;

import dev.hotpatch.server.ServerException;
import dev.hotpatch.server.catalog.Baseline;
import dev.hotpatch.server.catalog.Catalog;
import dev.hotpatch.server.catalog.Image;
import dev.hotpatch.server.catalog.Update;
import dev.hotpatch.server.policy.Policies;
import dev.hotpatch.server.policy.PolicySettings;
import dev.hotpatch.server.quarantine.Quarantines;
import dev.hotpatch.server.store.Database;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jdbi.v3.core.Handle;

/**
 * Approval rules: which of an image's updates install automatically, from when, and in which
 * rings. An update is approved when its classification (and severity, if the policy names
 * severities) is listed, it is not excluded, it was published no later than the cutoff, it is
 * not quarantined, and the delay after its publish date has passed. Approval opens the image's
 * first ring; each later ring opens when an operator promotes the update to it, or (timed
 * promotion) a set time after the ring before it finished its rollout. The candidates are the
 * hotpatches of the image's current baseline that no other approved hotpatch supersedes, and the
 * current baseline itself for machines still on an older one (unplanned baselines included).
 * Thread-safe; the ring approvals are in the database.
 */
public final class Approvals {
    private final Database db;
    private final Clock clock;
    private final Catalog catalog;
    private final Policies policies;
    private final Quarantines quarantines;

    public Approvals(Database db, Clock clock, Catalog catalog, Policies policies, Quarantines quarantines) {
        this.db = db;
        this.clock = clock;
        this.catalog = catalog;
        this.policies = policies;
        this.quarantines = quarantines;
    }

    /**
     * Whether an update (or baseline) installs automatically on its image.
     *
     * @param kind         {@code hotpatch} or {@code baseline}
     * @param target       the KB id, or the baseline id
     * @param label        the KB id, or the baseline's version
     * @param approvableAt when the delay after publish ends
     * @param reason       why it is (or is not yet) approved
     * @param rings        per ring of the image: approved (since when, by whom) or waiting
     */
    public record Decision(String kind, String target, String label, String title, String classification, String severity,
                           Instant publishedAt, boolean approved, Instant approvableAt, String reason, List<Ring> rings) {
    }

    /**
     * One ring of an image for one update.
     *
     * @param how {@code policy} (first ring, by the approval rules), {@code operator} (promoted by hand) or {@code timed}
     */
    public record Ring(String ring, boolean approved, Instant approvedAt, String approvedBy, String how, String note) {
    }

    /** What an operator promotes: an update (KB or baseline id) of an image to a ring. */
    public record Promotion(String image, String target, String ring) {
    }

    /** A hotpatch or baseline as approval sees it. */
    public record Candidate(String kind, String target, String label, String title, String classification, String severity,
                            Instant publishedAt, Update update, Baseline baseline) {
    }

    /** The decisions for an image's candidates, newest first. */
    public List<Decision> forImage(String imageRef) {
        return db.read(h -> {
            Image image = catalog.image(h, imageRef);
            PolicySettings p = policies.forImage(h, image.id());
            Instant now = clock.instant();
            List<Decision> out = new ArrayList<>();
            for (Candidate c : candidates(h, image, p, false)) {
                out.add(decide(h, image, c, p, now));
            }
            return out;
        });
    }

    /**
     * The image's candidates: the current baseline and the hotpatches of it, newest first;
     * with {@code onlyLatest}, approved hotpatches superseded by another approved one are left out.
     */
    public List<Candidate> candidates(Handle h, Image image, PolicySettings p, boolean onlyLatest) {
        List<Candidate> out = new ArrayList<>();
        if (image.currentBaselineId() == null) {
            return out;
        }
        Baseline b = catalog.baseline(h, image.currentBaselineId());
        List<Update> updates = new ArrayList<>(catalog.updatesFor(h, b.id()).stream().filter(Update::isHotpatch).toList());
        updates.sort((x, y) -> y.publishedAt().compareTo(x.publishedAt()));
        Set<String> coveredByApproved = new HashSet<>();
        Instant now = clock.instant();
        for (Update u : updates) {
            Candidate c = new Candidate("hotpatch", u.kbId(), u.kbId(), u.title(), u.classification(), u.severity(), u.publishedAt(), u, null);
            if (onlyLatest) {
                if (coveredByApproved.contains(u.kbId())) {
                    continue;
                }
                if (reasonNot(h, image, c, p, now) == null) {
                    coveredByApproved.addAll(u.supersedes());
                }
            }
            out.add(c);
        }
        out.add(new Candidate("baseline", b.id(), b.version(), b.title(), b.classification(), null,
                b.releasedOn().atStartOfDay().toInstant(ZoneOffset.UTC), null, b));
        return out;
    }

    /** The decision for one candidate, with its rings. */
    public Decision decide(Handle h, Image image, Candidate c, PolicySettings p, Instant now) {
        String why = reasonNot(h, image, c, p, now);
        Instant approvableAt = c.publishedAt().plus(Duration.ofHours(p.delayHours()));
        List<Ring> rings = new ArrayList<>();
        List<String> names = p.rings().isEmpty() ? java.util.Collections.singletonList(null) : p.rings();
        for (String ring : names) {
            Optional<Map<String, Object>> row = ringRow(h, image.id(), c.target(), ring);
            rings.add(row.map(r -> new Ring(ring, true, Instant.ofEpochMilli(((Number) r.get("approved_at")).longValue()),
                            (String) r.get("approved_by"), (String) r.get("how"), null))
                    .orElse(new Ring(ring, false, null, null, null, ring == null || ring.equals(names.get(0))
                            ? (why == null ? "opens at the next automation run" : why)
                            : p.promoteAfterHours() == null ? "waits for an operator to promote it" : "opens " + p.promoteAfterHours()
                            + " h after the ring before it finished its rollout")));
        }
        return new Decision(c.kind(), c.target(), c.label(), c.title(), c.classification(), c.severity(), c.publishedAt(), why == null,
                approvableAt, why == null ? "approved by the image's rules" : why, rings);
    }

    /** Why the candidate does not install automatically now; null when it does. */
    public String reasonNot(Handle h, Image image, Candidate c, PolicySettings p, Instant now) {
        if (p.classifications().stream().noneMatch(x -> x.equalsIgnoreCase(c.classification()))) {
            return "classification " + c.classification() + " does not install automatically (the policy installs " + String.join(", ",
                    p.classifications()) + ")";
        }
        if (!p.severities().isEmpty() && (c.severity() == null || p.severities().stream().noneMatch(x -> x.equalsIgnoreCase(c.severity())))) {
            return "severity " + c.severity() + " does not install automatically (the policy installs " + String.join(", ", p.severities()) + ")";
        }
        if (p.excludeKbs().stream().anyMatch(x -> x.equalsIgnoreCase(c.target()) || x.equalsIgnoreCase(c.label()))) {
            return c.label() + " is excluded by the policy";
        }
        if (p.cutoff() != null && c.publishedAt().isAfter(PolicySettings.cutoffInstant(p.cutoff()))) {
            return "published " + c.publishedAt() + ", after the policy's cutoff " + p.cutoff();
        }
        if ("hotpatch".equals(c.kind())) {
            Optional<Quarantines.Quarantine> q = quarantines.active(h, image.id(), c.target());
            if (q.isPresent()) {
                return "quarantined since " + q.get().since() + " (machine " + q.get().machine() + ": " + q.get().reason() + ")";
            }
        }
        Instant from = c.publishedAt().plus(Duration.ofHours(p.delayHours()));
        if (now.isBefore(from)) {
            return "approved from " + from + " (" + p.delayHours() + " h after its publish date)";
        }
        return null;
    }

    /** When {@code ring} of the image was opened for {@code target}; empty while it is not. */
    public Optional<Instant> ringApprovedAt(Handle h, String imageId, String target, String ring) {
        return ringRow(h, imageId, target, ring).map(r -> Instant.ofEpochMilli(((Number) r.get("approved_at")).longValue()));
    }

    private static Optional<Map<String, Object>> ringRow(Handle h, String imageId, String target, String ring) {
        return h.createQuery("SELECT approved_at, approved_by, how FROM ring_approvals WHERE image_id = :i AND target = :t AND ring = :r")
                .bind("i", imageId).bind("t", target).bind("r", ring == null ? "" : ring).mapToMap().findOne();
    }

    /** Opens {@code ring} for {@code target} (no-op when open already); returns whether it opened now. */
    public boolean openRing(Handle h, String imageId, String target, String ring, String by, String how, Instant at) {
        return h.createUpdate("INSERT INTO ring_approvals (image_id, target, ring, approved_at, approved_by, how) VALUES (:i, :t, :r, :at, :by, :how)"
                        + " ON CONFLICT (image_id, target, ring) DO NOTHING")
                .bind("i", imageId).bind("t", target).bind("r", ring == null ? "" : ring).bind("at", at.toEpochMilli()).bind("by", by)
                .bind("how", how).execute() == 1;
    }

    /**
     * An operator's promotion of an update to a ring: refused when the update is not approved,
     * when the ring is not one of the image's, and when the ring before it is not open yet.
     */
    public Decision promote(Promotion p, String actor) {
        if (p == null || p.image() == null || p.target() == null || p.ring() == null) {
            throw new ServerException.BadRequest("invalid-promotion", "a promotion names image, target (KB or baseline) and ring",
                    "e.g. {\"image\": \"acme:fees:1.x\", \"target\": \"KB2026-0001\", \"ring\": \"early\"}");
        }
        return db.tx(h -> {
            Image image = catalog.image(h, p.image());
            PolicySettings s = policies.forImage(h, image.id());
            Candidate c = candidates(h, image, s, false).stream()
                    .filter(x -> x.target().equals(p.target().trim()) || x.label().equals(p.target().trim())).findFirst()
                    .orElseThrow(() -> new ServerException.Refused("unknown-kb", "'" + p.target() + "' is neither a hotpatch of the current"
                            + " baseline of " + image.name() + " nor that baseline", "list them with GET /api/v1/approvals?image=" + image.name()));
            int i = s.rings().indexOf(p.ring().trim());
            if (i < 0) {
                throw new ServerException.Refused("unknown-ring", "ring '" + p.ring() + "' is not a ring of image " + image.name()
                        + (s.rings().isEmpty() ? " (it has none)" : " (" + String.join(", ", s.rings()) + ")"), "set the image's rings with its policy");
            }
            Instant now = clock.instant();
            String why = reasonNot(h, image, c, s, now);
            if (why != null) {
                throw new ServerException.Conflict("not-approved", c.label() + " does not install automatically: " + why,
                        "change the image's approval rules, or start an operator's rollout instead");
            }
            if (i > 0 && ringApprovedAt(h, image.id(), c.target(), s.rings().get(i - 1)).isEmpty()) {
                throw new ServerException.Conflict("ring-order", "ring " + s.rings().get(i - 1) + " has not got " + c.label() + " yet; rings open in"
                        + " order (" + String.join(" → ", s.rings()) + ")", "promote it to " + s.rings().get(i - 1) + " first");
            }
            openRing(h, image.id(), c.target(), s.rings().get(i), actor, "operator", now);
            return decide(h, image, c, s, now);
        });
    }
}
